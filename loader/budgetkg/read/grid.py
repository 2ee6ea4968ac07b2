"""The grid model every front end reads a form into, and the template reader reads.

A disclosure, whatever its form, becomes a sequence of :class:`Line`: a paragraph or heading of
running text, or one row of a table with its cells joined by tabs, exactly the layout of the
text form (``budgetkg convert`` writes it).  Each cell of a line keeps the :class:`Place` where
its form printed it (a PDF's page and box, a workbook's sheet and cell, an HTML table's row and
column); a line of the text form is its own place.  The template reader (sections, tables,
overview, narrative, glossary) sees lines only, so it does not know which form it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..records import Place

__all__ = ["Form", "Line", "Grid", "MAX_CELL_CHARS"]

Form = Literal["text", "pdf", "xlsx", "xls", "html"]

# A cell of a table or a paragraph: the longest of the bundled document has 537 characters (a
# project's goal); 10,000 is twenty times that.  See sections.MAX_LINE_CHARS.
MAX_CELL_CHARS = 10_000


@dataclass(frozen=True)
class Line:
    """A line of the text form: ``no`` (1-based), its ``text`` (cells joined by tabs), and for
    a form other than text the place of each cell (``places[i]`` for ``text.split("\\t")[i]``,
    or one place for a paragraph)."""

    no: int
    text: str
    places: tuple[Place | None, ...] = ()

    @property
    def blank(self) -> bool:
        return not self.text.strip()

    def place(self, cell: int = 0) -> Place | None:
        """Where cell ``cell`` (0-based) of this line was printed; the first cell's place for a
        paragraph or where the form gives one place for the whole line."""
        if not self.places:
            return None
        return self.places[cell] if cell < len(self.places) else self.places[0]


@dataclass
class Grid:
    """A document read from its form: its lines, and what the front end noticed on the way."""

    form: Form
    lines: list[Line] = field(default_factory=list)
    quirks: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The text form of the document, one line per :class:`Line`: what ``convert`` writes."""
        return "".join(line.text + "\n" for line in self.lines)
