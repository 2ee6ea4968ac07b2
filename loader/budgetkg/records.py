"""Typed records read from a disclosure.  Every figure carries its source."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

__all__ = [
    "RowKind",
    "LineKind",
    "Amount",
    "Place",
    "Source",
    "Cell",
    "Row",
    "Table",
    "Unit",
    "Division",
    "NameDifference",
    "Project",
    "KeyProject",
    "ReferencePeriod",
    "NarrativeFigure",
    "GlossaryEntry",
    "Document",
    "SYNTHETIC_MARK",
]

# What the title of a generated document (``budgetkg generate``) carries after 部门预算, so that
# it never passes for a real disclosure: "2024年示例市教育局部门预算（模拟数据）".
SYNTHETIC_MARK = "模拟数据"


RowKind = Literal["total", "code", "item", "unit", "category", "project"]
# What a line of a document is, as the template reader tells (Document.line_kinds); the
# renderings lay each kind out in its own way.
LineKind = Literal["title", "toc", "heading", "table-label", "meta", "header", "row", "note", "prose", "glossary"]


@dataclass(frozen=True)
class Amount:
    """An amount exactly as printed (``text``) and its exact value."""

    text: str
    value: Decimal

    @property
    def lexical(self) -> str:
        """The ``xsd:decimal`` lexical form: the printed digits without thousands separators."""
        return self.text.replace(",", "")


@dataclass(frozen=True)
class Place:
    """Where a cell or paragraph was printed in a form other than text: a PDF's page and the
    cell's box (x0, top, x1, bottom in PDF points, from the page's top left), a workbook's
    sheet and cell reference, or an HTML page's table and row and column (all 1-based)."""

    page: int | None = None
    box: tuple[Decimal, Decimal, Decimal, Decimal] | None = None
    sheet: str | None = None
    cell: str | None = None
    table: int | None = None
    row: int | None = None
    column: int | None = None

    @property
    def where(self) -> str:
        """The place as a reader looks for it in the file: a PDF's page (its box is in the
        graph), a workbook's cell, an HTML table's row and column."""
        return f"page {self.page}" if self.page is not None else str(self)

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.sheet}!{self.cell}" if self.cell else self.sheet
        if self.page is not None:
            box = " ".join(str(v) for v in self.box) if self.box else ""
            return f"page {self.page}" + (f" box {box}" if box else "")
        if self.table is not None:
            return f"table {self.table} row {self.row} column {self.column}"
        return f"row {self.row}" if self.row is not None else ""


@dataclass(frozen=True)
class Source:
    """Where something was printed: file, line, and for table cells the table and column.

    ``line`` is the line of the document's text form; a document read from a PDF, workbook or
    web page has the text that ``budgetkg convert`` writes, and ``place`` is where the form
    printed it."""

    file: str
    line: int
    table: int | None = None
    table_title: str | None = None
    column: tuple[str, ...] = ()
    place: Place | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.place is None else f"{self.file} {self.place}"
        if self.table is not None:
            where += f" 表{self.table}"
        if self.column:
            where += " " + "/".join(self.column)
        return where


@dataclass(frozen=True)
class Cell:
    """One printed amount of a table, or a cell with none (``amount`` None): left empty by the
    conversion or by the document, or printed as a dash (``printed``)."""

    column: str
    amount: Amount | None
    source: Source
    printed: str = ""  # the dash printed where there is no amount


@dataclass
class Row:
    """One row of a table.  In the two-sided tables (表1, 表4) each side is its own row.

    ``kind`` is one of ``total``, ``code`` (a classification code row), ``item`` (a
    labelled row of 表1/4/8), ``unit``, ``category`` (an economic class under a unit,
    表11) and ``project`` (表12).
    """

    table: int
    index: int
    line: int
    label: str
    kind: RowKind
    key: str
    cells: dict[str, Cell]
    code: str | None = None
    unit: str | None = None
    goal: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)

    def value(self, column: str) -> Decimal | None:
        cell = self.cells.get(column)
        return cell.amount.value if cell and cell.amount else None


@dataclass
class Table:
    number: int
    key: str
    title: str
    title_en: str
    line: int
    rows: list[Row] = field(default_factory=list)
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    declared_empty: bool = False
    notes: list[str] = field(default_factory=list)

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


@dataclass
class Division:
    """An internal division (处室) of the department."""

    name: str
    line: int


@dataclass
class Unit:
    """The department or one of its sub-units (下属单位)."""

    name: str
    kind: str
    line: int
    is_department: bool = False
    table_names: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class NameDifference:
    """A name printed differently in two places, and how budgetkg resolved it."""

    what: str
    printed: str
    resolved_to: str
    printed_at: Source
    resolved_at: Source
    similarity: float


@dataclass
class Project:
    """A project of 表12, identified by (unit, name)."""

    unit: str
    name: str
    row: Row
    truncated_name: bool = False


@dataclass
class KeyProject:
    """A row of 第三部分's 重点项目预算绩效目标 table and the project it describes."""

    name: str
    amount: Amount
    goal: str
    source: Source
    project: Project | None = None
    similarity: float = 0.0


@dataclass(frozen=True)
class ReferencePeriod:
    """The date or period a narrative figure refers to, as its sentence states it: a year
    (2024年, or 本年度 for the budget's own year), a month (2023年12月) or a day
    (截至2023年12月24日: the day a stock such as the fixed assets was counted)."""

    year: int
    month: int | None = None
    day: int | None = None
    printed: str = ""


@dataclass(frozen=True)
class NarrativeFigure:
    """A figure printed in the prose of 第三部分."""

    key: str
    label: str
    amount: Amount
    unit: str
    source: Source
    compare_to: tuple[int, str, str] | None = None
    period: ReferencePeriod | None = None


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str
    source: Source


@dataclass
class Document:
    """Everything read from one disclosure."""

    file: str
    sha256: str
    year: int
    department: str
    duties: list[str]
    divisions: list[Division]
    divisions_declared: int | None
    units: list[Unit]
    tables: dict[int, Table]
    projects: list[Project]
    key_projects: list[KeyProject]
    narrative: list[NarrativeFigure]
    glossary: list[GlossaryEntry]
    name_differences: list[NameDifference]
    line_kinds: dict[int, LineKind]
    quirks: list[str]
    nonblank_lines: int
    form: str = "text"
    synthetic: bool = False  # the title is marked 模拟数据 (SYNTHETIC_MARK): made up, not a disclosure

    def cells(self):
        """Every printed amount of the twelve tables, in document order."""
        for number in sorted(self.tables):
            for row in self.tables[number].rows:
                for cell in row.cells.values():
                    if cell.amount is not None:
                        yield row, cell
