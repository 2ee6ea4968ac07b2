"""A read document laid out in blocks to render: headings, paragraphs, lists and whole tables.

Every renderer (HTML page, workbook, and through them PDF) writes the same blocks, taken from the
document's grid lines and the kind the template reader gave each line (``Document.line_kinds``),
so that a rendering holds exactly the text of the document, in its order:

- a line marked as a Markdown heading (``## **一、主要职责**``) is a :class:`Heading` of its level,
  its ``#`` and ``**`` marks removed;
- a list line of the table of contents (``- 一、主要职责``) is an item of a :class:`ListBlock`;
- the header and data rows of one table are one :class:`TableBlock`: the segments the text
  repeats its header rows for (at the page breaks of the form it was converted from) are joined,
  the header rows kept once; a segment's header rows that differ from the first header in any
  way are kept, all of them, as body rows, so that nothing of the text is lost and the template
  reader still finds them together;
- every other non-blank line is a :class:`Paragraph` (the title, the 单位名称 lines, notes, prose);
  a line of cells that is no table row (``编制单位：…<tab><tab>单位：万元``) keeps its cells.

Each block also names the ``sheet`` it belongs to in a workbook: 封面 (title and table of
contents), 第一部分, 表1 … 表12 (the part's heading and each table with its title, unit lines and
note), 第三部分 (its prose and its 重点项目 table), 第四部分.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ..errors import DocumentError
from ..read.document import read_document
from ..read.forms import read_grid
from ..read.sections import heading_text, is_heading, split_parts
from ..records import LineKind

__all__ = [
    "Heading",
    "Paragraph",
    "ListBlock",
    "TableBlock",
    "Block",
    "Span",
    "layout",
    "header_spans",
    "plain_amount",
    "bold_runs",
]

_TABLE_KINDS = frozenset({"header", "row"})


@dataclass
class Heading:
    level: int
    text: str
    sheet: str = ""


@dataclass
class Paragraph:
    text: str
    kind: LineKind = "prose"
    sheet: str = ""
    # a line of cells that is no table row (编制单位：…<tab><tab>单位：万元): its cells
    cells: list[str] = field(default_factory=list)


@dataclass
class ListBlock:
    items: list[str] = field(default_factory=list)
    sheet: str = ""


@dataclass
class TableBlock:
    header: list[list[str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    sheet: str = ""

    @property
    def width(self) -> int:
        return max((len(r) for r in self.header + self.rows), default=0)


Block = Heading | Paragraph | ListBlock | TableBlock


@dataclass(frozen=True)
class Span:
    """One cell of a header as a renderer draws it: ``text`` at ``row``, ``col`` (0-based) over
    ``rowspan`` rows and ``colspan`` columns."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1


def header_spans(rows: list[list[str]]) -> list[Span]:
    """The merged cells of a table's header rows, read from its empty cells.

    A header is a tree: each label of a row spans the columns of the labels below it.  In the
    text form a label is followed by an empty cell for each further column it spans, and a label
    whose column has no label below it leaves an empty cell there.  So: in each row, within the
    columns of each cell of the row above, a label spans the empty cells to its right; a cell
    above whose columns are all empty in this row spans this row too.  Expanding the spans back
    into empty cells gives the rows again (padded to the widest).

    >>> spans = header_spans([["收入", "", "支出", ""], ["项目", "预算", "项目", "预算"]])
    >>> [(s.text, s.rowspan, s.colspan) for s in spans]
    [('收入', 1, 2), ('支出', 1, 2), ('项目', 1, 1), ('预算', 1, 1), ('项目', 1, 1), ('预算', 1, 1)]
    >>> [(s.text, s.row, s.rowspan, s.colspan) for s in header_spans([["科目", "", "合计"], ["编码", "名称", ""]])]
    [('科目', 0, 1, 2), ('合计', 0, 2, 1), ('编码', 1, 1, 1), ('名称', 1, 1, 1)]
    """
    width = max((len(r) for r in rows), default=0)
    grid = [r + [""] * (width - len(r)) for r in rows]
    # (first column, last column, index into spans) of the cells of the row above
    parents: list[tuple[int, int, int | None]] = [(0, width - 1, None)] if width else []
    spans: list[Span] = []
    for r, cells in enumerate(grid):
        row_cells: list[tuple[int, int, int | None]] = []
        for first, last, parent in parents:
            if parent is not None and not any(cells[first : last + 1]):
                old = spans[parent]
                spans[parent] = Span(old.row, old.col, old.text, old.rowspan + 1, old.colspan)
                row_cells.append((first, last, parent))
                continue
            c = first
            while c <= last:
                end = c
                while end < last and not cells[end + 1]:
                    end += 1
                spans.append(Span(r, c, cells[c], 1, end - c + 1))
                row_cells.append((c, end, len(spans) - 1))
                c = end + 1
        parents = row_cells
    return sorted(spans, key=lambda s: (s.row, s.col))


def plain_amount(text: str) -> Decimal | None:
    """The amount of a cell printed as a plain amount with two decimals and thousands
    separators (``797,407.58``, ``0.00``, ``-5.00``), which ``#,##0.00`` prints back as the same
    text; None for any other text (codes, names, dashes, amounts printed otherwise).

    >>> plain_amount("797,407.58"), plain_amount("0.00"), plain_amount("2080101"), plain_amount("1234.50")
    (Decimal('797407.58'), Decimal('0.00'), None, None)
    """
    if not text or len(text) > 30 or "." not in text:
        return None
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        return None
    if not value.is_finite() or f"{value:,.2f}" != text:
        return None
    return value


def bold_runs(text: str) -> list[tuple[str, bool]]:
    """A paragraph's text in runs, bold where the text form marks it with ``**``; the marks are
    kept as text when they do not pair up.

    >>> bold_runs("**一、财政拨款收入：**指预算单位…")
    [('一、财政拨款收入：', True), ('指预算单位…', False)]
    """
    parts = text.split("**")
    if len(parts) % 2 == 0:
        return [(text, False)]
    return [(p, i % 2 == 1) for i, p in enumerate(parts) if p]


def _heading(text: str) -> Heading:
    stripped = text.lstrip()
    level = len(stripped) - len(stripped.lstrip("#"))
    return Heading(min(level, 6), heading_text(text))


def _sheets(lines, kinds: dict[int, LineKind], filename: str) -> dict[int, str]:
    """The workbook sheet of each line number."""
    parts = split_parts(lines, filename)
    starts = {ln.no: f"第{'一二三四'[n - 1]}部分" for n, ln in parts.heading_lines.items()}
    sheet_of: dict[int, str] = {}
    sheet, table, pending_label = "封面", 0, False
    for ln in lines:
        kind = kinds.get(ln.no)
        if ln.no in starts:
            sheet = starts[ln.no]
            # the heading of 第二部分 opens the sheet of its first table
            if sheet == "第二部分":
                sheet, table = "表1", 1
                pending_label = True
        elif sheet.startswith("表") and kind == "table-label" and not pending_label:
            table += 1
            sheet, pending_label = f"表{table}", True
        elif sheet.startswith("表") and kind == "title":
            if not pending_label:
                table += 1
                sheet = f"表{table}"
            pending_label = False
        sheet_of[ln.no] = sheet
    return sheet_of


def _printable(lines, filename: str) -> None:
    """Refuse a control character (other than the tab between cells): neither a workbook
    (XML 1.0) nor an HTML page can hold one, and a front end other than text's may pass one on."""
    for ln in lines:
        bad = next((ch for ch in ln.text if ch != "\t" and unicodedata.category(ch) in ("Cc", "Cs")), None)
        if bad is not None:
            raise DocumentError(
                "binary-document",
                filename,
                ln.no,
                expected="text without control characters",
                found=f"control character U+{ord(bad):04X}",
            )


def layout(data: bytes, filename: str) -> list[Block]:
    """The blocks of a document, in order.

    :param data: the document's bytes, in any form budgetkg reads.
    :param filename: its name, for errors.
    :raises DocumentError: when the document cannot be read, or holds a control character.
    """
    grid = read_grid(data, filename)
    _printable(grid.lines, filename)
    kinds = read_document(data, filename=filename).line_kinds
    sheet_of = _sheets(grid.lines, kinds, filename)
    blocks: list[Block] = []
    table: TableBlock | None = None
    repeated: list[list[str]] = []  # the header rows a segment after the first begins with

    def close_segment_header() -> None:
        # a segment's header rows that repeat the first header exactly are left out; any that
        # differ (a space inserted, a row missing) are kept, all of them, as the text has them
        if table is not None and repeated != table.header:
            table.rows.extend(repeated)
        repeated.clear()

    for ln in grid.lines:
        if ln.blank:
            continue
        kind = kinds.get(ln.no, "prose")
        sheet = sheet_of[ln.no]
        if kind in _TABLE_KINDS:
            cells = ln.text.split("\t")
            if table is None or table.sheet != sheet:
                close_segment_header()
                table = TableBlock(sheet=sheet)
                blocks.append(table)
            if kind == "header" and not table.rows:
                table.header.append(cells)
            elif kind == "header":
                repeated.append(cells)
            else:
                close_segment_header()
                table.rows.append(cells)
            continue
        close_segment_header()
        table = None
        if is_heading(ln.text):
            heading = _heading(ln.text)
            heading.sheet = sheet
            blocks.append(heading)
        elif kind == "toc" and ln.text.lstrip().startswith("- "):
            last = blocks[-1] if blocks else None
            if not isinstance(last, ListBlock) or last.sheet != sheet:
                last = ListBlock(sheet=sheet)
                blocks.append(last)
            last.items.append(ln.text.lstrip()[2:].strip())
        elif "\t" in ln.text:
            blocks.append(Paragraph(ln.text.strip(), kind, sheet, ln.text.split("\t")))
        else:
            blocks.append(Paragraph(ln.text.strip(), kind, sheet))
    return blocks
