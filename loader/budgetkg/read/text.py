"""The text front end: a disclosure converted to text (the layout ``budgetkg convert`` writes),
read into the grid model line by line; each line is its own place."""

from __future__ import annotations

from ..errors import DocumentError
from .decode import decode
from .grid import Grid
from .lines import MAX_LINES
from .sections import split_lines

__all__ = ["read_text", "MAX_TEXT_BYTES"]

# The bundled document's text is 0.2 MiB; a department with a hundred units a few MiB.  The
# other forms bound their bytes alike (html.MAX_HTML_BYTES, spreadsheet.MAX_UNPACKED_BYTES).
MAX_TEXT_BYTES = 16 * 2**20


def read_text(data: bytes, filename: str) -> Grid:
    """The lines of a text disclosure.

    :raises DocumentError: for bytes that are not UTF-8 or GB18030 text, a line too long, or
        ``too-large`` for more than ``MAX_TEXT_BYTES`` or ``lines.MAX_LINES`` lines (counted
        before any line is made: a file of line ends would otherwise cost a line object each).
    """
    if len(data) > MAX_TEXT_BYTES:
        raise DocumentError(
            "too-large",
            filename,
            1,
            expected=f"a text of at most {MAX_TEXT_BYTES >> 20} MiB",
            found=f"{len(data):,} bytes",
        )
    text = decode(data, filename)
    count = text.count("\n") + 1
    if count > MAX_LINES:
        raise DocumentError(
            "too-large",
            filename,
            MAX_LINES + 1,
            expected=f"at most {MAX_LINES:,} lines of text",
            found=f"{count:,} lines",
        )
    return Grid("text", split_lines(text))
