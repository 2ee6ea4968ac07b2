"""A read document as an Excel workbook, the way finance bureaus keep their 部门预算 tables.

One sheet per table, named 表1 … 表12, each with the table's title, its 单位名称 and 单位 lines,
its header rows (multi-level headers as merged cells, see :func:`.layout.header_spans`), its data
rows and its note; and one sheet for each text part, so that the whole document round-trips:
封面 (title and table of contents), 第一部分, 第三部分 (its prose and its 重点项目 table), 第四部分.
Sheets are in document order; each sheet holds its lines top to bottom, one line a row, a table
row's cells from column A on (and so a line of cells outside a table, ``编制单位：…`` in A and
``单位：万元`` further right), a paragraph in column A.

Amounts: a cell printed as a plain amount with two decimals (``797,407.58``, ``0.00``) is written
as a number with the format ``#,##0.00``, as bureaus' workbooks hold them; that format prints the
number back as exactly the printed text, so a reader that formats the value by its number format
gets the text again.  Every other cell (codes, names, dashes, empty cells, amounts printed any
other way) is written as the printed string, or left empty.

Headings are written in a bold font (larger for a higher level) without their ``#`` marks, so
that a reader can tell them by font; every other line is in the regular weight (the title lines
larger).  ``**`` marks of a paragraph are left out.  Page setup for printing: A4 landscape, fit
to the page's width, the header rows of the sheet's table repeated on every page (print titles),
long text wrapped in its cell.

The bytes are deterministic: fixed workbook properties and fixed dates in the archive.
"""

from __future__ import annotations

import datetime
import io
import unicodedata
import zipfile

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from .layout import Block, Heading, ListBlock, Paragraph, Span, TableBlock, header_spans, layout, plain_amount

__all__ = ["render_xlsx", "AMOUNT_FORMAT"]

AMOUNT_FORMAT = "#,##0.00"
_FIXED = datetime.datetime(2024, 1, 1)
_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADING_SIZE = {1: 16, 2: 14, 3: 12}
_TEXT_WIDTH = 110  # column A of a text sheet, in characters: a printed line of prose
_MAX_COLUMN = 40  # a table column is no wider; longer cells wrap
_HEADER_COLUMN = 16  # a header label wider than this wraps rather than widen its column


def _width(text: str) -> int:
    """Display width of a text: a CJK character takes two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


# What a spreadsheet program reads as the start of a formula when a cell is typed or edited
# (``=``, and ``+``, ``-``, ``@`` in Excel and LibreOffice): see :func:`_put_text`.
_FORMULA_START = ("=", "+", "-", "@")


def _put_text(cell: Cell, text: str) -> Cell:
    """Write ``text`` into ``cell`` as a string, whatever it starts with.

    The document is hostile: openpyxl stores a string that starts with ``=`` as a formula (and
    ``#N/A`` as an error value), and a spreadsheet program evaluates a formula when it opens the
    workbook (``=HYPERLINK(…)``, ``=cmd|…`` through DDE).  The cell is typed as a string
    explicitly, and a text that starts like a formula gets the quote prefix (``'`` in Excel's
    bar), so that editing the cell does not turn it into one either.
    """
    cell.value = text
    cell.data_type = "s"
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True
    return cell


def _plain(text: str) -> str:
    return text.replace("**", "") if text.count("**") % 2 == 0 else text


def _table(ws: Worksheet, row: int, block: TableBlock, widths: dict[int, int], wrapped: list[Span]) -> int:
    """Write a table from ``row``; returns the next free row.  Its cells that wrap are added to
    ``wrapped`` (at their row in the sheet), for the rows' heights."""
    first = row
    for span in header_spans(block.header):
        wrapped.append(Span(first + span.row, span.col, span.text, span.rowspan, span.colspan))
        if span.colspan == 1:
            widths[span.col] = max(widths.get(span.col, 0), min(_width(span.text) + 2, _HEADER_COLUMN))
        cell = ws.cell(row=first + span.row, column=span.col + 1)
        if span.text:
            _put_text(cell, span.text)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if span.rowspan > 1 or span.colspan > 1:
            ws.merge_cells(
                start_row=first + span.row,
                start_column=span.col + 1,
                end_row=first + span.row + span.rowspan - 1,
                end_column=span.col + span.colspan,
            )
    for r in range(len(block.header)):
        for c in range(block.width):
            ws.cell(row=first + r, column=c + 1).border = _BORDER
    if block.header:
        ws.print_title_rows = f"{first}:{first + len(block.header) - 1}"
    row = first + len(block.header)
    for cells in block.rows:
        for c, text in enumerate(cells):
            amount = plain_amount(text)
            cell = ws.cell(row=row, column=c + 1)
            if amount is not None:
                cell.value = amount
                cell.number_format = AMOUNT_FORMAT
                widths[c] = max(widths.get(c, 0), len(text) + 2)
            else:
                if text:
                    _put_text(cell, text)
                cell.number_format = "@"  # text stays text: a code 2080101 is not a number
                cell.alignment = Alignment(vertical="center", wrap_text=True)
                wrapped.append(Span(row, c, text))
                widths[c] = max(widths.get(c, 0), min(_width(text) + 2, _MAX_COLUMN))
        for c in range(block.width):
            ws.cell(row=row, column=c + 1).border = _BORDER
        row += 1
    return row


def _heights(ws: Worksheet, wrapped: list[Span], widths: dict[int, int]) -> None:
    """Heights of the rows with wrapped cells: LibreOffice keeps the default height of a row
    from a workbook that does not give one (and never grows one for a merged cell), so each
    row gets the lines its longest text wraps to in its columns' width (measured on LibreOffice
    7.4 with Noto Sans CJK: a CJK character takes two units of column width, a line 13 points)."""
    lines: dict[int, int] = {}
    for span in wrapped:
        room = sum(max(widths.get(c, 8), 8) for c in range(span.col, span.col + span.colspan)) - 1
        need = -(-_width(span.text) // max(room, 1)) if span.text else 1
        lines[span.row] = max(lines.get(span.row, 1), -(-need // span.rowspan))
    for row, n in lines.items():
        if n > 1:
            ws.row_dimensions[row].height = 13 * n + 4


def _sheet(ws: Worksheet, blocks: list[Block]) -> None:
    widths: dict[int, int] = {}
    wrapped: list[Span] = []
    has_table = any(isinstance(b, TableBlock) for b in blocks)
    row = 1
    for block in blocks:
        if isinstance(block, TableBlock):
            row = _table(ws, row, block, widths, wrapped)
            continue
        if isinstance(block, Heading):
            texts = [(block.text, Font(bold=True, size=_HEADING_SIZE.get(block.level, 11)))]
        elif isinstance(block, ListBlock):
            texts = [(item, Font()) for item in block.items]
        elif block.cells:  # 编制单位：…<tab><tab>单位：万元: the cells of one row, as the text has them
            for c, text in enumerate(block.cells):
                if text:
                    _put_text(ws.cell(row=row, column=c + 1), text).number_format = "@"
            row += 1
            continue
        else:
            texts = [(_plain(block.text), Font(size=16) if block.kind == "title" else Font())]
        for text, font in texts:
            cell = _put_text(ws.cell(row=row, column=1), text)
            cell.font = font
            cell.number_format = "@"
            if font.sz and font.sz > 11:  # a row keeps its default height for a larger font
                ws.row_dimensions[row].height = font.sz * 1.6
            # in a table's sheet the title and notes overflow into the empty cells beside them;
            # in a text sheet a paragraph wraps in its wide column
            cell.alignment = Alignment(wrap_text=not has_table, vertical="top")
            if not has_table:
                wrapped.append(Span(row, 0, text))
            row += 1
    if not has_table:
        widths = {0: _TEXT_WIDTH}
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c + 1)].width = max(w, 8)
    _heights(ws, wrapped, widths)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5


def _deterministic(data: bytes) -> bytes:
    """The archive again with every member dated ``_ZIP_DATE``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(zipfile.ZipInfo(info.filename, _ZIP_DATE), src.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def render_xlsx(data: bytes, filename: str) -> bytes:
    """The document as an Excel workbook (.xlsx bytes).

    :param data: the document's bytes, in any form budgetkg reads.
    :param filename: its name, for errors.
    :raises DocumentError: when the document cannot be read.
    """
    blocks = layout(data, filename)
    wb = Workbook()
    wb.remove(wb.active)
    sheets: dict[str, list[Block]] = {}
    for block in blocks:
        sheets.setdefault(block.sheet, []).append(block)
    for name, sheet_blocks in sheets.items():
        _sheet(wb.create_sheet(name), sheet_blocks)
    title = " ".join(b.text.strip() for b in blocks if isinstance(b, Paragraph) and b.kind == "title")
    wb.properties.title = title or filename
    wb.properties.creator = "budgetkg"
    wb.properties.lastModifiedBy = "budgetkg"
    wb.properties.created = wb.properties.modified = _FIXED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return _deterministic(buffer.getvalue())
