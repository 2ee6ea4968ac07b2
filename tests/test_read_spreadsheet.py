"""The spreadsheet front end (read/spreadsheet.py): workbooks read back as their text, places
named by sheet and cell, numbers printed as their format prints them, bad workbooks refused."""

from __future__ import annotations

import io
import json
import random
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from budgetkg.cli import cli
from budgetkg.errors import DocumentError
from budgetkg.read.document import read_document
from budgetkg.read.forms import convert, read_grid
from budgetkg.read.lines import MAX_CELLS
from budgetkg.read.spreadsheet import MAX_UNPACKED_BYTES, number_text
from budgetkg.records import Place
from budgetkg.resources import default_document
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from readback import DEPARTMENTS, differences, graph

BUNDLED = default_document().read_bytes()


@pytest.fixture(scope="module")
def bundled_graph() -> set[tuple]:
    return graph(BUNDLED, "guangzhou-hrss-2024-budget.txt")


@pytest.fixture(scope="module")
def department_xlsx(rendered) -> tuple[bytes, bytes]:
    """A generated department: its text, and its workbook."""
    return rendered("txt", seed=1), rendered("xlsx", seed=1)


# -- round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["xlsx", "xls"])
def test_bundled_document_reads_back_from_its_workbook(form, rendered, bundled_graph):
    found = graph(rendered(form), f"budget.{form}")
    assert found == bundled_graph, differences(bundled_graph, found)


@pytest.mark.parametrize("seed", DEPARTMENTS)
def test_generated_department_reads_back_from_its_workbook(seed, rendered):
    expected = graph(rendered("txt", seed=seed), f"synthetic-{seed}.txt")
    found = graph(rendered("xlsx", seed=seed), f"synthetic-{seed}.xlsx")
    assert found == expected, differences(expected, found)
    if seed == DEPARTMENTS[0]:  # one department through LibreOffice's .xls too (some 4 s)
        found = graph(rendered("xls", seed=seed), f"synthetic-{seed}.xls")
        assert found == expected, differences(expected, found)


# -- places ----------------------------------------------------------------------------------


def _cell_of(book: bytes, sheet: str, label: str, value: Decimal) -> str:
    """The reference of the number ``value`` in the row of ``sheet`` that starts with ``label``,
    looked up in the rendering itself."""
    ws = load_workbook(io.BytesIO(book))[sheet]
    for row in ws.iter_rows():
        texts = [c.value for c in row]
        if label in texts:
            for c in row:
                if isinstance(c.value, (int, float)) and Decimal(repr(c.value)) == value:
                    return c.coordinate
    raise AssertionError(f"{label} {value} is not in sheet {sheet}")


def test_places_are_the_sheet_and_cell_of_the_rendering(department_xlsx):
    text, book = department_xlsx
    doc = read_document(book, filename="synthetic-1.xlsx")
    # 表12's first project as the text prints it: its name and its total, read off the text's line.
    lines = text.decode("utf-8").split("\n")
    first = read_document(text, filename="synthetic-1.txt").projects[0]
    cells = lines[first.row.line - 1].split("\t")
    name, total = cells[0], Decimal(cells[1].replace(",", ""))
    project = next(p for p in doc.projects if p.name == name)
    assert project.row.cells["total"].source.place == Place(sheet="表12", cell=_cell_of(book, "表12", name, total))
    # and 表1's first income line
    row = doc.tables[1].rows[0]
    value = row.cells["income"].amount.value
    assert row.cells["income"].source.place == Place(sheet="表1", cell=_cell_of(book, "表1", row.label, value))


def test_check_names_the_place_of_each_figure(department_xlsx, tmp_path):
    _, book = department_xlsx
    path = tmp_path / "synthetic-1.xlsx"
    path.write_bytes(book)
    result = CliRunner().invoke(cli, ["check", str(path), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout)[0]
    # each figure of a table is named by the sheet and cell it was read from
    places = {i["total"]["table"]: i["total"]["place"] for i in report["identities"] if i["total"]["table"]}
    assert len(places) >= 10
    assert all(place.startswith(f"表{table}!") for table, place in places.items()), places


# -- the front end on small workbooks --------------------------------------------------------


def _book(rows: list[list], formats: dict[str, str] | None = None, bold: set[str] = frozenset()) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "表1"
    for row in rows:
        ws.append(row)
    for ref, fmt in (formats or {}).items():
        ws[ref].number_format = fmt
    for ref in bold:
        ws[ref].font = Font(bold=True)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_rows_paragraphs_headings_and_merged_cells():
    wb = Workbook()
    ws = wb.active
    ws.title = "表1"
    ws["A1"] = "收支总体情况表"
    ws["A1"].font = Font(bold=True)
    ws.merge_cells("A1:D1")
    ws["A2"] = "单位：万元"
    ws.append(["收入", None, "支出"])
    ws.merge_cells("A3:B3")
    ws.merge_cells("C3:D3")
    ws.append(["一、预算拨款", 797407.58, None, 5])
    ws["B4"].number_format = ws["D4"].number_format = "#,##0.00"
    out = io.BytesIO()
    wb.save(out)
    grid = read_grid(out.getvalue(), "a.xlsx")
    lines = [ln.text for ln in grid.lines if not ln.blank]
    # the spanned header keeps its empty cells; the last empty cell of a row is dropped
    assert lines == ["## 收支总体情况表", "单位：万元", "收入\t\t支出", "一、预算拨款\t797,407.58\t\t5.00"]
    row = next(ln for ln in grid.lines if ln.text.startswith("一、"))
    assert [str(p) for p in row.places] == ["表1!A4", "表1!B4", "表1!C4", "表1!D4"]


@pytest.mark.parametrize(
    ("value", "fmt", "printed"),
    [
        (797407.58, "#,##0.00", "797,407.58"),
        (0.1 + 0.2, "0.00", "0.30"),  # a formula's result, binary noise and all
        (5, "0.00", "5.00"),
        (0, "#,##0.00", "0.00"),
        (-0.0, "0.00", "0.00"),
        (1234567.891, "#,##0.00", "1,234,567.89"),
        (2.675, "0.00", "2.68"),  # Excel rounds what it shows half away from zero (the double is 2.67499…)
        (-1234.5, "#,##0.00_ ;[Red]\\-#,##0.00\\ ", "-1,234.50"),
        (12.5, "General", "12.5"),
        (300, "General", "300"),
        (1.5, "0.0%", None),
        (1.5, '0.00"万元"', None),
    ],
)
def test_numbers_are_printed_as_their_format_prints_them(value, fmt, printed):
    assert number_text(value, fmt) == printed


def test_a_number_rounded_by_its_format_is_noted():
    grid = read_grid(_book([["一、预算拨款", 1.234]], {"B1": "0.00"}), "a.xlsx")
    assert grid.lines[-1].text == "一、预算拨款\t1.23"
    assert any("表1!B1 holds 1.234, printed as 1.23" in q for q in grid.quirks)


def test_strings_are_kept_as_printed():
    grid = read_grid(_book([["合计", "0.00", "-", "—", "1,234.50"]]), "a.xlsx")
    assert grid.lines[-1].text == "合计\t0.00\t-\t—\t1,234.50"


def test_a_wrapped_cell_joins_its_chinese_without_a_space():
    grid = read_grid(_book([["事业单位经营\n支出", "Total\nincome"]]), "a.xlsx")
    assert grid.lines[-1].text == "事业单位经营支出\tTotal income"


# -- bad workbooks ---------------------------------------------------------------------------


def _refused(tmp_path: Path, data: bytes, name: str, code: str, *, convert_too: bool = False) -> str:
    """The message of the error reading ``data`` gives, through the library and through the CLI's
    ``check`` (and ``convert``, which must leave no file behind)."""
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename=name)
    assert caught.value.code == code, str(caught.value)
    path = tmp_path / name
    path.write_bytes(data)
    commands = [["check", str(path)]]
    if convert_too:
        commands.append(["convert", str(path), "-o", str(tmp_path / "out.txt")])
    for command in commands:
        result = CliRunner().invoke(cli, command)
        assert result.exit_code == 2, result.output
        assert f"error[{code}]" in result.stderr and "Traceback" not in result.output + result.stderr
        assert not (tmp_path / "out.txt").exists()
    return str(caught.value)


def test_a_damaged_workbook_is_refused(tmp_path, rendered):
    book = rendered("xlsx")
    _refused(tmp_path, book[: len(book) // 2], "cut.xlsx", "damaged-file", convert_too=True)
    # a whole ZIP whose workbook part is not XML
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "this is not XML <<<")
    _refused(tmp_path, out.getvalue(), "broken.xlsx", "damaged-file", convert_too=True)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "2024年部门预算")
    message = _refused(tmp_path, out.getvalue(), "budget.xlsx", "not-a-budget")
    assert "not an Excel workbook" in message


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(MAX_UNPACKED_BYTES // 2**20 + 1):
                member.write(chunk)
    data = out.getvalue()
    assert len(data) < MAX_UNPACKED_BYTES // 100  # tiny packed, huge unpacked
    message = _refused(tmp_path, data, "bomb.xlsx", "too-large", convert_too=True)
    assert "unpacking to" in message


def test_a_workbook_that_is_not_a_budget_names_its_sheet(tmp_path):
    data = _book([["2023年第三季度销售报表"], ["产品", "销量"], ["手机", 1200]])
    message = _refused(tmp_path, data, "sales.xlsx", "not-a-budget")
    assert "表1!A1" in message and "销售报表" in message


def test_a_workbook_of_the_tables_alone_says_the_text_is_missing(tmp_path):
    # as bureaus attach it to their PDF: a sheet per table, no 第一部分 … 第四部分
    rows = [["收支总体情况表"], ["单位名称：示例市测试局"], ["单位：万元"], ["收入", None, "支出"]]
    rows += [["项目", "预算", "项目", "预算"], ["一、预算拨款", 1.5, "一、一般公共服务支出", 1.5]]
    message = _refused(tmp_path, _book(rows), "tables.xlsx", "not-a-budget")
    assert "表1!A1" in message and "not its tables alone" in message


def test_a_workbook_without_a_table_names_it(tmp_path, department_xlsx):
    _, book = department_xlsx
    wb = load_workbook(io.BytesIO(book))
    del wb["表7"]
    out = io.BytesIO()
    wb.save(out)
    message = _refused(tmp_path, out.getvalue(), "no-7.xlsx", "missing-table")
    assert "表7 一般公共预算项目支出情况表" in message
    assert "!" in message.split("error[missing-table]", 1)[1]  # the sheet and cell where 第二部分 ends


def test_a_cell_too_long_is_refused_naming_it(tmp_path):
    data = _book([["2024年广州市某局部门预算"], ["名称", "字" * 10_001]])
    message = _refused(tmp_path, data, "long.xlsx", "line-too-long", convert_too=True)
    assert "表1!B2" in message


def test_sparse_wide_rows_cannot_make_millions_of_cells(tmp_path):
    # two values a row, in columns A and IV: each row is 256 cells of the text form
    wb = Workbook()
    ws = wb.active
    ws.title = "表1"
    for row in range(1, MAX_CELLS // 256 + 2):
        ws.cell(row, 1, "名称")
        ws.cell(row, 256, "1.00")
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    message = _refused(tmp_path, data, "sparse.xlsx", "too-large")
    assert "table cells" in message


def test_a_number_beyond_what_a_workbook_stores_exactly_is_refused(tmp_path):
    data = _book([["合计", 1e16]], {"B1": "#,##0.00"})
    message = _refused(tmp_path, data, "big.xlsx", "bad-cell")
    assert "表1!B1" in message


def test_a_number_in_an_unknown_format_is_refused(tmp_path):
    data = _book([["合计", 0.5]], {"B1": "0.0%"})
    message = _refused(tmp_path, data, "percent.xlsx", "bad-cell")
    assert "表1!B1" in message and "0.0%" in message


def test_convert_writes_the_text_of_a_workbook(tmp_path, department_xlsx):
    text, book = department_xlsx
    (tmp_path / "d.xlsx").write_bytes(book)
    result = CliRunner().invoke(cli, ["convert", str(tmp_path / "d.xlsx"), "-o", str(tmp_path / "d.txt")])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "d.txt").read_text("utf-8")
    assert written == convert(book, "d.xlsx")
    # the text read back gives the graph of the original text
    assert graph(written.encode("utf-8"), "d.txt") == graph(text, "d.txt")


def test_a_workbook_damaged_anywhere_is_a_document_error_or_reads(department_xlsx):
    # Bytes overwritten at 40 places spread over the file (ZIP headers, compressed parts, the
    # central directory): reading gives records or a DocumentError, never another exception.
    _, book = department_xlsx
    rng = random.Random(33)
    for at in range(0, len(book), max(1, len(book) // 40)):
        damaged = bytearray(book)
        damaged[at : at + 4] = rng.randbytes(4)
        try:
            read_document(bytes(damaged), filename="damaged.xlsx")
        except DocumentError:
            pass
