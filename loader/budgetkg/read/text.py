"""The text front end: a disclosure converted to text (the layout ``budgetkg convert`` writes),
read into the grid model line by line; each line is its own place."""

from __future__ import annotations

from .decode import decode
from .grid import Grid
from .sections import split_lines

__all__ = ["read_text"]


def read_text(data: bytes, filename: str) -> Grid:
    """The lines of a text disclosure.

    :raises DocumentError: for bytes that are not UTF-8 or GB18030 text, or a line too long.
    """
    return Grid("text", split_lines(decode(data, filename), filename))
