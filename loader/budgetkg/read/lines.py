"""Building the lines of a grid from the paragraphs and table rows a form holds.

The spreadsheet and web-page front ends find paragraphs (a title, a heading, a line of prose)
and table rows (cells with their places) in their form; :class:`LineBuilder` turns them into
the :class:`~budgetkg.read.grid.Line` of the text form, numbered in order, and holds the bounds
every front end shares: characters per cell and per line, and lines per document.
"""

from __future__ import annotations

from ..errors import DocumentError
from ..records import Place
from .grid import MAX_CELL_CHARS, Form, Grid, Line
from .sections import MAX_LINE_CHARS

__all__ = ["LineBuilder", "one_line", "MAX_LINES", "MAX_CELLS"]

# The bundled document has 1,084 lines; a department with a hundred units and thousands of
# projects has some 20,000.  200,000 lines bound the template reader's work and memory.
MAX_LINES = 200_000
# Table cells, empty ones included (a merged or spanned cell, the gaps between values): the
# bundled document has about 9,000.  Each cell has its place, a few microseconds and some
# 200 bytes; 300,000 keep a refused document within a few seconds and some 100 MiB.
MAX_CELLS = 300_000


def _joins_without_space(before: str, after: str) -> bool:
    """Whether a line break between these two characters joins them without a space: Chinese
    (and any other non-ASCII) text has no spaces between its words, so a break inside a cell
    or paragraph of it is only where the line was wrapped."""
    return not before or not after or not before.isascii() or not after.isascii()


def one_line(text: str) -> str:
    """The text of a cell or paragraph on one line: a line break joins the Chinese on either side
    of it without a space and other words with one; a tab (the text form's cell separator) is a
    space.  Linear: one split and one join.

    >>> one_line("财政拨款\\n收入"), one_line("Total\\nincome"), one_line("a\\tb")
    ('财政拨款收入', 'Total income', 'a b')
    """
    if "\n" not in text and "\r" not in text and "\t" not in text:
        return text
    pieces = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").split("\n")
    out = [pieces[0]]
    for piece in pieces[1:]:
        before = out[-1][-1:] if out[-1] else ""
        if not _joins_without_space(before, piece[:1]):
            out.append(" ")
        out.append(piece)
    return "".join(out)


class LineBuilder:
    """The lines of a document, built in reading order from its paragraphs and table rows.

    :param filename: the document's name, for errors.
    :param form: the form the lines are read from.
    """

    def __init__(self, filename: str, form: Form) -> None:
        self.filename = filename
        self.form: Form = form
        self.lines: list[Line] = []
        self.quirks: list[str] = []
        self._in_table = False  # the last line is a table row: the next row joins it without a blank
        self.cells = 0

    def _check_cell(self, text: str, place: Place | None) -> None:
        if len(text) > MAX_CELL_CHARS:
            raise DocumentError(
                "line-too-long",
                self.filename,
                len(self.lines) + 1,
                expected=f"at most {MAX_CELL_CHARS:,} characters in a cell",
                found=f"a cell of {len(text):,} characters: {text[:40]}",
                context=str(place or ""),
            )

    def _add(self, text: str, places: tuple[Place | None, ...]) -> None:
        if len(self.lines) >= MAX_LINES:
            raise DocumentError(
                "too-large",
                self.filename,
                len(self.lines) + 1,
                expected=f"at most {MAX_LINES:,} lines of text",
                found=f"more than {MAX_LINES:,} lines",
                context=str(places[0] or "") if places else "",
            )
        if len(text) > MAX_LINE_CHARS:
            raise DocumentError(
                "line-too-long",
                self.filename,
                len(self.lines) + 1,
                expected=f"at most {MAX_LINE_CHARS:,} characters on a line",
                found=f"a row of {len(text):,} characters: {text[:40]}",
                context=str(places[0] or "") if places else "",
            )
        self.lines.append(Line(len(self.lines) + 1, text, places))

    def blank(self) -> None:
        """A blank line between blocks; never two in a row, nor one at the start."""
        if self.lines and not self.lines[-1].blank:
            self._add("", ())
        self._in_table = False

    def paragraph(self, text: str, place: Place | None, heading: int = 0) -> None:
        """A paragraph, or a heading of level ``heading`` (1–6) written with Markdown marks as
        the text form writes its headings (``## 一、主要职责``)."""
        text = one_line(text)
        self._check_cell(text, place)
        if not text.strip():
            return
        self.blank()
        self._add(("#" * heading + " " if heading else "") + text, (place,))

    def row(self, cells: list[tuple[str, Place | None]]) -> None:
        """A table row: its cells from the first column to the last non-empty one, joined by tabs."""
        self.cells += len(cells)
        if self.cells > MAX_CELLS:
            raise DocumentError(
                "too-large",
                self.filename,
                len(self.lines) + 1,
                expected=f"at most {MAX_CELLS:,} table cells, empty ones included",
                found=f"more than {MAX_CELLS:,} cells",
                context=str(cells[0][1] or "") if cells else "",
            )
        texts = []
        for text, place in cells:
            texts.append(one_line(text))
            self._check_cell(texts[-1], place)
        while texts and not texts[-1].strip():
            texts.pop()
        if texts:
            if not self._in_table:
                self.blank()
            self._in_table = True
            self._add("\t".join(texts), tuple(place for _, place in cells[: len(texts)]))

    def grid(self) -> Grid:
        """The grid of the lines built so far."""
        return Grid(self.form, self.lines, self.quirks)
