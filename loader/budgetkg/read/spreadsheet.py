"""The spreadsheet front ends: an Excel workbook (.xlsx with openpyxl, .xls with xlrd) read into
the grid model.

Sheets are read in workbook order and each sheet's rows in order.  A row with one non-empty
text cell is a paragraph (a title, a heading when the cell is bold, a meta line such as
单位：万元, a note); a row with more is a table row, its cells from the sheet's first table
column to the last non-empty one, joined by tabs, the empty cells between kept.  A merged cell
reads back as its top-left value and empty others, exactly the text form's layout of a header
that spans columns.  Each cell's place is its sheet and reference (``表12!C37``).

A number comes back as the text the bureau printed: the cell's number format (``#,##0.00``)
applied to the decimal the cell holds, recovered without binary noise (see :func:`number_text`).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from ..errors import DocumentError
from ..records import Place
from .grid import Form, Grid
from .lines import MAX_CELLS, LineBuilder

__all__ = [
    "read_xlsx",
    "read_xls",
    "number_text",
    "stored_decimal",
    "MAX_SHEETS",
    "MAX_ROWS",
    "MAX_COLUMNS",
    "MAX_UNPACKED_BYTES",
]

# The template has twelve tables and the text around them: a bureau's workbook has one sheet per
# table and a few more (cover, contents).  100 sheets are eight times that.
MAX_SHEETS = 100
# Rows of all sheets together: the bundled document has about 1,000, a department with a
# hundred units a few tens of thousands.
MAX_ROWS = 100_000
# Excel 97–2003 sheets have at most 256 columns (A–IV); the widest table of the template has 14.
MAX_COLUMNS = 256
# The parts of an .xlsx unpacked (the sum of the sizes the ZIP's directory declares; zipfile
# stops reading a member at its declared size and checks its CRC, so a member cannot unpack to
# more).  The bundled document's workbook unpacks to 0.7 MiB; openpyxl parses a hostile sheet
# (a row of tiny cells, no dimension, so parsed twice) slowly, so 16 MiB bound its time to
# seconds (docs/benchmarks.md) and its memory to some 400 MiB.  A ZIP bomb
# unpacks a few kilobytes to gigabytes.
MAX_UNPACKED_BYTES = 16 * 2**20
MAX_PARTS = 1_000  # members of the ZIP: a workbook of 100 sheets has a few hundred
# An .xls is read whole into memory by xlrd: its size is bounded before it is opened (the
# bundled document's is 0.1 MiB).
MAX_XLS_BYTES = 16 * 2**20
# A double holds 15 significant decimal digits exactly (2**53 > 10**15), and Excel shows no
# more: see stored_decimal.  A number of 10**15 or more is not stored to its units digit.
MAX_SIGNIFICANT_DIGITS = 15
MAX_STORED = 10**MAX_SIGNIFICANT_DIGITS


@dataclass(frozen=True)
class _Cell:
    """A cell with a value: its text as printed, whether it is a number, and whether it is bold."""

    column: int  # 1-based
    text: str
    number: bool
    bold: bool


def _column_letters(column: int) -> str:
    """``1`` → ``A``, ``28`` → ``AB``."""
    out = ""
    while column:
        column, rest = divmod(column - 1, 26)
        out = chr(ord("A") + rest) + out
    return out


# Every cell's reference is made from these: a sheet may have hundreds of thousands of cells.
_LETTERS = tuple(_column_letters(column) for column in range(MAX_COLUMNS + 1))


def _format_core(fmt: str) -> str:
    """The digits of the positive section of an Excel number format, without what only pads or
    colours it: ``#,##0.00_);[Red](#,##0.00)`` → ``#,##0.00``.  A quoted literal stays in (a
    format that prints words beside the number is not one of the formats read here)."""
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == ";":
            break
        if c in "_*":  # _x: a space the width of x; *x: x repeated to fill the cell
            i += 2
            continue
        if c == "[":  # a colour or condition: [Red], [>=100]
            end = fmt.find("]", i)
            i = len(fmt) if end < 0 else end + 1
            continue
        if c in " ":
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _format_shape(fmt: str) -> tuple[bool, int | None] | None:
    """(thousands separators, decimals) of a number format this reader prints, or None for a
    format it does not know; decimals None for ``General`` (the number as stored)."""
    if fmt.strip().lower() in ("general", ""):
        return False, None
    core = _format_core(fmt)
    whole, _, decimals = core.partition(".")
    if whole not in ("0", "#,##0", "#") or decimals.strip("0"):
        return None
    return whole == "#,##0", len(decimals)


def stored_decimal(value: float | int) -> Decimal:
    """The decimal a number cell holds, as Excel shows it: at most 15 significant digits.

    A workbook stores a number as a binary double, never the decimal typed into it.  For a
    decimal of at most 15 significant digits the double nearest to it is unique to it (two such
    decimals differ by more than a double's spacing, since 10**15 < 2**53), and ``repr`` of a
    float is the shortest decimal that reads back to the same double, so it is that decimal's
    digits exactly: ``repr(797407.58)`` is ``'797407.58'``, although the double is
    797407.57999999995809....  ``Decimal(repr(value))`` is therefore the typed decimal, with no
    binary noise.  A value computed in the workbook (a formula's cached result, 0.1 + 0.2) can
    need 16 or 17 digits; Excel shows every number rounded to 15 significant digits, and so
    does this.  Only a value of 10**15 or more loses digits left of its decimal point, and is
    refused by the caller (see :data:`MAX_STORED`).

    >>> stored_decimal(797407.58), stored_decimal(0.1 + 0.2), stored_decimal(12)
    (Decimal('797407.58'), Decimal('0.300000000000000'), Decimal('12'))
    """
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    digits = len(exact.as_tuple().digits)
    if digits > MAX_SIGNIFICANT_DIGITS:
        exact = round(exact, MAX_SIGNIFICANT_DIGITS - exact.adjusted() - 1)
    return exact


def number_text(value: float | int, fmt: str) -> str | None:
    """The text Excel prints for ``value`` in number format ``fmt``, or None when the format is
    not one this reader knows (``0``, ``0.00``, ``#,##0``, ``#,##0.00`` and their padded and
    coloured variants, ``General``): the cell's decimal (:func:`stored_decimal`) rounded to the
    format's decimals, half away from zero as Excel rounds what it shows.

    >>> number_text(797407.58, "#,##0.00"), number_text(5, "0.00"), number_text(0.1 + 0.2, "0.00")
    ('797,407.58', '5.00', '0.30')
    >>> number_text(-1234.5, "#,##0.00_);[Red](#,##0.00)"), number_text(12.5, "General"), number_text(1.0, "0.0%")
    ('-1,234.50', '12.5', None)
    """
    shape = _format_shape(fmt)
    if shape is None:
        return None
    grouped, decimals = shape
    exact = stored_decimal(value)
    if decimals is None:  # General: the number as stored, without trailing zeros
        return format(exact.normalize(), "f") if exact != exact.to_integral_value() else str(int(exact))
    shown = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if not shown:  # a computed -0.0 (or -0.001 to two decimals): a budget prints zero without a sign
        shown = shown.copy_abs()
    return format(shown, ",f" if grouped else "f")


class _Reader:
    """Turns the rows of a workbook's sheets into lines, holding the workbook-wide bounds."""

    def __init__(self, filename: str, form: Form) -> None:
        self.form = form
        self.filename = filename
        self.out = LineBuilder(filename, form)
        self.rows = 0
        self.cells = 0

    def error(self, code: str, sheet: str, expected: str, found: str) -> DocumentError:
        return DocumentError(
            code, self.filename, len(self.out.lines) + 1, expected=expected, found=found, context=f"sheet {sheet}"
        )

    def number(self, sheet: str, ref: str, value: float | int, fmt: str) -> str:
        """The printed text of the number cell ``sheet!ref``.

        :raises DocumentError: ``bad-cell`` for a format this reader does not know or a value
            whose decimal cannot be recovered exactly.
        """
        if not math.isfinite(value) or abs(value) >= MAX_STORED:
            raise self.error(
                "bad-cell",
                sheet,
                expected=f"a number below 10**{MAX_SIGNIFICANT_DIGITS} in {sheet}!{ref} (stored to its units digit)",
                found=repr(value),
            )
        text = number_text(value, fmt)
        if text is None:
            raise self.error(
                "bad-cell",
                sheet,
                expected=f"a number format such as #,##0.00 or 0.00 in {sheet}!{ref}",
                found=f"{value!r} in the format {fmt}",
            )
        shown = Decimal(text.replace(",", ""))
        exact = stored_decimal(value)
        if shown != exact:
            self.out.quirks.append(
                f"{self.filename}: {sheet}!{ref} holds {exact}, printed as {text} by its format {fmt}; read as printed"
            )
        return text

    def sheet(self, name: str, rows: Iterable[list[_Cell]]) -> None:
        """Read one sheet's rows (each the cells with a value, in column order)."""
        kept: list[tuple[int, list[_Cell]]] = []
        for number, cells in enumerate(rows, 1):
            self.rows += 1
            self.cells += len(cells)
            if self.rows > MAX_ROWS:
                raise self.error("too-large", name, f"at most {MAX_ROWS:,} rows in the workbook", f"row {number}")
            if self.cells > MAX_CELLS:  # a sheet's values are kept until it is read whole
                raise self.error(
                    "too-large", name, f"at most {MAX_CELLS:,} cells with a value in the workbook", f"row {number}"
                )
            if cells and cells[-1].column > MAX_COLUMNS:
                raise self.error(
                    "too-large",
                    name,
                    f"at most {MAX_COLUMNS} columns",
                    f"a value in {name}!{_column_letters(cells[-1].column)}{number}",
                )
            kept.append((number, cells))
        # The table's first column: where the rows of several cells start (a sheet may leave column A empty).
        first = min((cells[0].column for _, cells in kept if len(cells) > 1), default=1)
        self.out.blank()
        for number, cells in kept:
            if not cells:
                self.out.blank()
            elif len(cells) == 1 and not cells[0].number:
                cell = cells[0]
                self.out.paragraph(cell.text, Place(sheet=name, cell=f"{_LETTERS[cell.column]}{number}"), 2 * cell.bold)
            else:
                by_column = {c.column: c.text for c in cells}
                self.out.row(
                    [
                        (by_column.get(col, ""), Place(sheet=name, cell=f"{_LETTERS[col]}{number}"))
                        for col in range(first, cells[-1].column + 1)
                    ]
                )

    def grid(self, sheets: int) -> Grid:
        if not any(not line.blank for line in self.out.lines):
            raise DocumentError(
                "not-a-budget",
                self.filename,
                1,
                expected="a budget disclosure: a workbook with its title, text and tables",
                found=f"a workbook of {sheets} sheets without a value",
                form=self.form,
            )
        return self.out.grid()


def _text(value: object, sheet: str, ref: str, reader: _Reader) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: a bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):  # a duration format ([h]:mm)
        return str(value)
    raise reader.error("bad-cell", sheet, f"text or a number in {sheet}!{ref}", f"a {type(value).__name__}")


def _check_zip(data: bytes, filename: str) -> None:
    """Refuse a ZIP that would unpack to more than a budget's workbook could hold, before any
    part of it is unpacked."""
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):  # e.g. "zip file version 23.8"
        raise DocumentError(
            "damaged-file", filename, 1, expected="a readable ZIP archive (.xlsx)", found="a damaged ZIP archive"
        ) from None
    unpacked = sum(info.file_size for info in infos)
    if len(infos) > MAX_PARTS or unpacked > MAX_UNPACKED_BYTES:
        raise DocumentError(
            "too-large",
            filename,
            1,
            expected=f"at most {MAX_PARTS:,} parts unpacking to at most {MAX_UNPACKED_BYTES // 2**20} MiB",
            found=f"{len(infos):,} parts unpacking to {unpacked:,} bytes ({len(data):,} packed)",
        )


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _uncomputed_formula(sheet) -> str | None:
    """The reference of the first cell of ``sheet`` (a read-only openpyxl worksheet) that holds a
    formula without its computed value, or None.

    A workbook stores each formula's last computed value beside it, and this reader reads those
    values (``data_only``); a workbook written by a program that does not compute them (a script
    that writes ``=SUM(B2:B9)``) has none, and openpyxl gives such a cell as empty, so an
    amount would go missing without a word.  The sheet's part is scanned once more for them,
    with defusedxml (no DTD, no entity), keeping one cell in memory at a time.
    """
    from defusedxml.ElementTree import iterparse

    with sheet._get_source() as source:  # the sheet's part in the workbook's archive
        for _, element in iterparse(source, events=("end",)):
            if element.tag == _MAIN + "c":
                value = element.find(_MAIN + "v")
                empty = value is None or (not value.text and element.get("t") != "str")
                if empty and element.find(_MAIN + "f") is not None:
                    return element.get("r") or "?"
                element.clear()
            elif element.tag == _MAIN + "row":
                element.clear()
    return None


def _xlsx_rows(sheet, name: str, reader: _Reader) -> Iterator[list[_Cell]]:
    # The declared dimension is forgotten so that each row is as long as its own last cell (a
    # lying dimension would pad every row to it, or hide the cells beyond it); rows are asked
    # for up to one past the bound, which sheet() refuses.
    sheet.reset_dimensions()
    for row in sheet.iter_rows(max_row=MAX_ROWS + 1):
        if len(row) > MAX_COLUMNS:
            raise reader.error("too-large", name, f"at most {MAX_COLUMNS} columns", f"a row of {len(row):,} cells")
        cells = []
        for cell in row:
            value = cell.value
            if value is None or value == "":
                continue
            ref = cell.coordinate
            if cell.data_type == "e":  # #N/A, #DIV/0!, #REF!: a formula that failed, no figure (as for .xls)
                raise reader.error("bad-cell", name, f"text or a number in {name}!{ref}", f"an error {value}")
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if number:
                text = reader.number(name, ref, value, cell.number_format or "General")
            else:
                text = _text(value, name, ref, reader)
            font = cell.font
            cells.append(_Cell(cell.column, text, number, bool(font is not None and font.b)))
        yield cells


def read_xlsx(data: bytes, filename: str) -> Grid:
    """The lines of an Excel workbook (.xlsx).

    :raises DocumentError: ``damaged-file`` for a ZIP or workbook that cannot be read,
        ``too-large`` beyond the bounds above (checked on the ZIP's directory before anything
        is unpacked), ``bad-cell`` for a number that cannot be printed exactly, ``not-a-budget``
        for a workbook without values.
    """
    _check_zip(data, filename)
    from openpyxl import load_workbook  # imported on use: reading text never loads it

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, XML errors… for a damaged part
        raise DocumentError(
            "damaged-file",
            filename,
            1,
            expected="an Excel workbook openpyxl can open",
            found=f"{type(exc).__name__}: {exc}"[:200],
        ) from None
    try:
        reader = _Reader(filename, "xlsx")
        names = book.sheetnames
        if len(names) > MAX_SHEETS:
            raise reader.error("too-large", names[MAX_SHEETS], f"at most {MAX_SHEETS} sheets", f"{len(names)} sheets")
        for name in names:
            try:
                ref = _uncomputed_formula(book[name])
                if ref is not None:
                    raise reader.error(
                        "bad-cell",
                        name,
                        f"a formula with its computed value in {name}!{ref} (a spreadsheet program stores "
                        "it when it saves the workbook)",
                        "a formula without a stored value",
                    )
                reader.sheet(name, _xlsx_rows(book[name], name, reader))
            except DocumentError:
                raise
            except Exception as exc:  # a damaged sheet part: openpyxl parses it only now
                raise reader.error(
                    "damaged-file", name, "a sheet openpyxl can read", f"{type(exc).__name__}: {exc}"[:200]
                ) from None
        return reader.grid(len(names))
    finally:
        book.close()


def _xls_rows(sheet, book, reader: _Reader) -> Iterator[list[_Cell]]:
    import xlrd

    name = sheet.name
    for r in range(min(sheet.nrows, MAX_ROWS + 1)):
        row_length = sheet.row_len(r)
        if row_length > MAX_COLUMNS:
            raise reader.error("too-large", name, f"at most {MAX_COLUMNS} columns", f"a row of {row_length:,} cells")
        cells = []
        for c in range(row_length):
            cell = sheet.cell(r, c)
            ref = f"{_LETTERS[c + 1]}{r + 1}"
            xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
            font = book.font_list[xf.font_index] if xf is not None else None
            # xlrd sets bold only from the BIFF2–4 flag; later files give the weight (700 is bold)
            bold = bool(font is not None and (font.bold or font.weight >= 700))
            if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) or cell.value == "":
                continue
            if cell.ctype == xlrd.XL_CELL_TEXT:
                cells.append(_Cell(c + 1, cell.value, False, bold))
            elif cell.ctype == xlrd.XL_CELL_NUMBER:
                fmt = book.format_map[xf.format_key].format_str if xf is not None else "General"
                cells.append(_Cell(c + 1, reader.number(name, ref, cell.value, fmt), True, bold))
            else:
                found = xlrd.error_text_from_code.get(cell.value, "?") if cell.ctype == xlrd.XL_CELL_ERROR else ""
                raise reader.error(
                    "bad-cell",
                    name,
                    f"text or a number in {name}!{ref}",
                    f"a {xlrd.sheet.ctype_text.get(cell.ctype, 'cell')} {found}".strip(),
                )
        yield cells


def read_xls(data: bytes, filename: str) -> Grid:
    """The lines of an Excel 97–2003 workbook (.xls).

    :raises DocumentError: as :func:`read_xlsx`; the file's size is bounded before xlrd reads it.
    """
    if len(data) > MAX_XLS_BYTES:
        raise DocumentError(
            "too-large",
            filename,
            1,
            expected=f"a workbook of at most {MAX_XLS_BYTES // 2**20} MiB",
            found=f"{len(data):,} bytes",
        )
    import xlrd  # imported on use: reading text never loads it

    try:
        # formatting_info: the number formats and fonts; ragged_rows: a row is as long as its
        # last cell, not padded to the widest row of the sheet; the log (warnings about the
        # file) is kept out of standard output.
        book = xlrd.open_workbook(
            file_contents=data, formatting_info=True, ragged_rows=True, on_demand=True, logfile=io.StringIO()
        )
    except Exception as exc:  # xlrd raises XLRDError, CompDocError, struct errors… for a damaged file
        raise DocumentError(
            "damaged-file",
            filename,
            1,
            expected="an Excel 97–2003 workbook xlrd can open",
            found=f"{type(exc).__name__}: {exc}"[:200],
        ) from None
    try:
        reader = _Reader(filename, "xls")
        names = book.sheet_names()
        if len(names) > MAX_SHEETS:
            raise reader.error("too-large", names[MAX_SHEETS], f"at most {MAX_SHEETS} sheets", f"{len(names)} sheets")
        for index, name in enumerate(names):
            try:
                sheet = book.sheet_by_index(index)
            except Exception as exc:
                raise reader.error(
                    "damaged-file", name, "a sheet xlrd can read", f"{type(exc).__name__}: {exc}"[:200]
                ) from None
            try:
                reader.sheet(name, _xls_rows(sheet, book, reader))
            except DocumentError:
                raise
            except Exception as exc:  # a damaged record: a style, font or format index out of its table
                raise reader.error(
                    "damaged-file", name, "a sheet xlrd can read", f"{type(exc).__name__}: {exc}"[:200]
                ) from None
            book.unload_sheet(index)
        return reader.grid(len(names))
    finally:
        book.release_resources()
