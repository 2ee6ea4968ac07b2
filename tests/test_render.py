"""The renderings of a document (HTML page, workbook) hold the document's text, in its tables.

Expected values come from the bundled text itself: its lines, split at tabs.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from decimal import Decimal

import html5lib
import lxml.html
import openpyxl
import pdfplumber
import pypdfium2
import pytest
import xlrd
from budgetkg.cli import cli
from budgetkg.render.html import render_html
from budgetkg.render.pdf import RenderError, _tool, page_to_pdf
from budgetkg.render.xlsx import AMOUNT_FORMAT, render_xlsx
from budgetkg.resources import default_document
from budgetkg.tooling.synthetic import generate
from click.testing import CliRunner

NAME = "guangzhou-hrss-2024-budget.txt"


@pytest.fixture(scope="module")
def text() -> bytes:
    return default_document().read_bytes()


@pytest.fixture(scope="module")
def lines(text: bytes) -> list[str]:
    return text.decode("utf-8").split("\n")


@pytest.fixture(scope="module")
def page(text: bytes) -> str:
    return render_html(text, NAME)


@pytest.fixture(scope="module")
def book(text: bytes) -> bytes:
    return render_xlsx(text, NAME)


def table_groups(lines: list[str]) -> list[list[list[str]]]:
    """The tab-separated lines of the text, in runs that no other non-blank line interrupts: one
    run per table, as its segments (split at blank lines, where the text's pages broke); a line
    of cells that all name something (编制单位：…<tab>单位：万元) is none of them."""
    groups: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in lines:
        cells = [c for c in line.split("\t") if c]
        if "\t" in line and not all("：" in c for c in cells):  # 编制单位：…<tab>单位：万元 is no row
            if current is None:
                current = [[]]
                groups.append(current)
            current[-1].append(line)
        elif line.strip():
            current = None
        elif current is not None and current[-1]:
            current.append([])
    return [[segment for segment in group if segment] for group in groups]


def expand(rows: list[list[tuple[str, int, int]]]) -> list[str]:
    """Rows of (text, rowspan, colspan) cells expanded the way a reader does: a span's further
    cells empty; each row joined by tabs."""
    grid: dict[tuple[int, int], str] = {}
    for r, cells in enumerate(rows):
        c = 0
        for text, rowspan, colspan in cells:
            while (r, c) in grid:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    grid[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else ""
            c += colspan
    out = []
    for r in range(len(rows)):
        width = max((c for (rr, c) in grid if rr == r), default=-1) + 1
        out.append("\t".join(grid.get((r, c), "") for c in range(width)))
    return out


def expected_rows(group: list[list[str]], header_rows: int) -> list[str]:
    """A table's lines in the text, its header rows once: a segment after the first that begins
    with exactly the first segment's ``header_rows`` lines repeats its header; any other keeps
    all its lines."""
    head = group[0][:header_rows]
    out = list(group[0])
    for segment in group[1:]:
        out += segment[header_rows:] if segment[:header_rows] == head else segment
    return out


def test_page_is_well_formed_html5(page: str) -> None:
    html5lib.HTMLParser(strict=True).parse(page)  # raises on any parse error
    root = lxml.html.fromstring(page)
    assert root.get("lang") == "zh-CN"
    assert root.find(".//script") is None
    assert "@page { size: A4 landscape" in page


def assert_page_tables(page: str, lines: list[str], tables: int = 13) -> None:
    """Each table of the text is one table of the page, which gives the text's rows back."""
    found = lxml.html.fromstring(page).findall(".//table")
    groups = table_groups(lines)
    assert len(found) == len(groups) == tables
    for table, group in zip(found, groups, strict=True):
        rows = [
            [(cell.text_content(), int(cell.get("rowspan", 1)), int(cell.get("colspan", 1))) for cell in tr]
            for tr in table.iter("tr")
        ]
        head = len(table.findall("./thead/tr"))
        assert head >= 1
        assert expand(rows) == expected_rows(group, head)


def test_page_has_each_table_once_with_the_texts_rows(page: str, lines: list[str]) -> None:
    assert_page_tables(page, lines)  # the twelve tables and 重点项目


def test_page_draws_a_two_level_header_with_spans(page: str) -> None:
    table2 = lxml.html.fromstring(page).findall(".//table")[1]
    cells = {th.text_content(): (th.get("rowspan"), th.get("colspan")) for th in table2.iter("th")}
    assert cells["财政拨款收入"] == (None, "3")
    assert cells["合计"] == ("2", None)


def test_page_escapes_the_documents_text() -> None:
    hostile = default_document().read_bytes().replace("我局贯彻落实".encode(), b"<script>alert(1)</script>&amp;")
    page = render_html(hostile, NAME)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;amp;" in page


def test_workbook_has_a_sheet_per_table_in_document_order(book: bytes) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(book))
    names = wb.sheetnames
    assert names == ["封面", "第一部分", *[f"表{n}" for n in range(1, 13)], "第三部分", "第四部分"]
    ws = wb["表2"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows
    spans = {ws.cell(m.min_row, m.min_col).value: (m.size["rows"], m.size["columns"]) for m in ws.merged_cells.ranges}
    assert spans["合计"] == (2, 1)
    assert spans["财政拨款收入"] == (1, 3)


def test_workbook_holds_amounts_as_numbers_printed_as_the_text(book: bytes, lines: list[str]) -> None:
    row = next(line.split("\t") for line in lines if line.startswith("一、预算拨款\t"))
    ws = openpyxl.load_workbook(io.BytesIO(book))["表1"]
    found = [r for r in ws.iter_rows() if r[0].value == row[0]]
    assert len(found) == 1
    cell = found[0][1]
    assert cell.number_format == AMOUNT_FORMAT
    assert Decimal(str(cell.value)) == Decimal(row[1].replace(",", ""))
    assert f"{Decimal(str(cell.value)):,.2f}" == row[1]  # what #,##0.00 prints


def cell_text(cell) -> str:
    """A cell as a reader prints it: an amount by its number format, a string as it is."""
    if cell.value is None:
        return ""
    if cell.number_format == AMOUNT_FORMAT:
        return f"{Decimal(str(cell.value)):,.2f}"
    return str(cell.value)


def assert_book_tables(book: bytes, lines: list[str]) -> None:
    """Read from its first header row, with merged cells as empty cells, each table sheet gives the
    text's table lines (header rows once), and then the note."""
    wb = openpyxl.load_workbook(io.BytesIO(book))
    groups = table_groups(lines)
    for n, group in zip(range(1, 13), groups[:12], strict=True):
        ws = wb[f"表{n}"]
        first, last = (int(r) for r in ws.print_title_rows.replace("$", "").split(":"))
        want = [line.rstrip("\t") for line in expected_rows(group, last - first + 1)]
        got = ["\t".join(cell_text(c) for c in ws[r]).rstrip("\t") for r in range(first, first + len(want))]
        assert got == want, f"表{n}"
        assert all(m.max_row <= last for m in ws.merged_cells.ranges), f"表{n}"


def test_workbook_tables_expand_back_to_the_texts_rows(book: bytes, lines: list[str]) -> None:
    assert_book_tables(book, lines)
    ws = openpyxl.load_workbook(io.BytesIO(book))["表1"]
    first, last = (int(r) for r in ws.print_title_rows.replace("$", "").split(":"))
    group = table_groups(lines)[0]
    assert cell_text(ws.cell(first + len(expected_rows(group, last - first + 1)), 1)).startswith("注")


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_departments_render_with_their_tables(rendered: Callable[..., bytes], seed: int) -> None:
    """Generated departments print their tables in other ways (编制单位 and 单位 on one line of
    cells, words before the titles): the renderings still hold each table's rows."""
    lines = rendered("txt", seed=seed).decode("utf-8").split("\n")
    assert lines == generate(seed).text.split("\n")
    assert_page_tables(rendered("html", seed=seed).decode("utf-8"), lines)
    assert_book_tables(rendered("xlsx", seed=seed), lines)


def test_workbook_bytes_are_deterministic(text: bytes, book: bytes) -> None:
    assert render_xlsx(text, NAME) == book


def test_xls_has_the_sheets_and_the_amounts(rendered: Callable[..., bytes], lines: list[str]) -> None:
    book = xlrd.open_workbook(file_contents=rendered("xls"), formatting_info=True)
    assert [f"表{n}" for n in range(1, 13)] == [n for n in book.sheet_names() if n.startswith("表")]
    row = next(line.split("\t") for line in lines if line.startswith("一、预算拨款\t"))
    sheet = book.sheet_by_name("表1")
    (r,) = [r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == row[0]]
    cell = sheet.cell(r, 1)
    assert book.format_map[book.xf_list[cell.xf_index].format_key].format_str == AMOUNT_FORMAT
    assert f"{Decimal(repr(cell.value)):,.2f}" == row[1]
    (top,) = [r for r in range(sheet.nrows) if sheet.cell_value(r, 0) == "收入"]
    assert (top, top + 1, 0, 2) in sheet.merged_cells  # 收入 spans 项目 and 预算


def pdf_pages(data: bytes) -> list[tuple[float, float, str]]:
    """(width, height, text) of each page, the text by PDFium: pdfplumber takes 12 to 19 s for
    the text of these PDFs (reading them with it is the readers' test)."""
    pdf = pypdfium2.PdfDocument(data)
    pages = []
    for i in range(len(pdf)):
        page = pdf[i]
        pages.append((page.get_width(), page.get_height(), page.get_textpage().get_text_range()))
    pdf.close()
    return pages


@pytest.mark.parametrize("form", ["pdf-chromium", "pdf-libreoffice"])
def test_pdf_is_landscape_a4_with_the_tables(rendered: Callable[..., bytes], lines: list[str], form: str) -> None:
    data = rendered(form)
    with pdfplumber.open(io.BytesIO(data)) as pdf:  # the PDF library of the readers opens it
        assert len(pdf.pages) > 12
    pages = pdf_pages(data)
    for width, height, _ in pages:
        assert abs(width - 842) < 2 and abs(height - 595) < 2
    title = next(line for line in lines if line.startswith("#") and line.endswith("部门预算项目支出及其他支出预算表"))
    title = title.lstrip("# ")
    amount = next(line.split("\t") for line in lines if line.startswith("一、预算拨款\t"))[1]
    texts = [text for _, _, text in pages]
    assert any(title in t for t in texts)
    assert any(amount in t for t in texts)
    last_goal = next(line for line in reversed(lines) if line.count("\t") == 2).split("\t")[0]
    assert any(last_goal[:6] in t for t in texts)  # the 重点项目 table of 第三部分 is printed too


def test_a_missing_tool_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RenderError, match="soffice is not installed.*libreoffice-calc-nogui"):
        _tool(("soffice", "libreoffice"), "libreoffice-calc-nogui")


def test_cli_renders_to_the_named_file(tmp_path) -> None:
    out = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["render", "--format", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert lxml.html.fromstring(out.read_bytes()).findall(".//table")
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]  # no temporary file left


def test_cli_bad_document_is_exit_2_and_no_file(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("hello\n", encoding="utf-8")
    out = tmp_path / "bad.xlsx"
    result = CliRunner().invoke(cli, ["render", str(bad), "--format", "xlsx", "-o", str(out)])
    assert result.exit_code == 2
    assert "bad.txt:1" in result.output and "not-a-budget" in result.output
    assert not out.exists()


def test_cli_missing_tool_is_exit_2_and_no_file(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    out = tmp_path / "doc.pdf"
    result = CliRunner().invoke(cli, ["render", "--format", "pdf", "--via", "libreoffice", "-o", str(out)])
    assert result.exit_code == 2
    assert "soffice is not installed" in result.output
    assert not out.exists()


def test_a_control_character_from_a_front_end_is_refused() -> None:
    from budgetkg.errors import DocumentError
    from budgetkg.read.grid import Line
    from budgetkg.render.layout import _printable

    _printable([Line(1, "项目\t预算")], "a.pdf")  # the tab between cells is no control character here
    with pytest.raises(DocumentError, match=r"a.pdf:2:.*U\+000B"):
        _printable([Line(1, "项目\t预算"), Line(2, "x\x0by")], "a.pdf")


def test_generate_writes_the_chosen_form(tmp_path) -> None:
    result = CliRunner().invoke(cli, ["generate", "--seed", "2", "--format", "xlsx", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [p.name for p in tmp_path.iterdir()] == ["synthetic-2.xlsx"]
    book = openpyxl.load_workbook(tmp_path / "synthetic-2.xlsx")
    assert [f"表{n}" for n in range(1, 13)] == [n for n in book.sheetnames if n.startswith("表")]


def test_a_tool_out_of_time_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(RenderError, match="did not finish within 0.05 s"):
        page_to_pdf("<!DOCTYPE html><p>页</p>", timeout=0.05)
    assert list(tmp_path.iterdir()) == []  # its folder, profile included, is removed


def test_workbook_writes_formula_like_text_as_text() -> None:
    # A hostile document's names and prose that a spreadsheet program would run as formulas
    # (a link, DDE) or show as an error value must stay the strings the document prints.
    hostile = {
        "通过开展民办教育发展专项项目，": '=HYPERLINK("http://evil.example/x","点击")',
        "2024年本部门收入预算835,711.8万元": "=cmd|' /C calc'!A0 2024年本部门收入预算835,711.8万元",
        "**一、财政拨款收入：**": "@SUM(1+1)**一、财政拨款收入：**",
    }
    text = default_document().read_bytes().decode("utf-8")
    for old, new in hostile.items():
        assert old in text
        text = text.replace(old, new, 1)
    book = render_xlsx(text.encode("utf-8"), NAME)
    with zipfile.ZipFile(io.BytesIO(book)) as archive:
        sheets = [archive.read(n) for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in sheet or b"<f " in sheet for sheet in sheets)
    wb = openpyxl.load_workbook(io.BytesIO(book))
    cells = [c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for start in ('=HYPERLINK("http://evil.example/x","点击")促进', "=cmd|' /C calc'!A0 2024年", "@SUM(1+1)一、"):
        cell = next((c for c in cells if c.value.startswith(start)), None)
        assert cell is not None, start
        assert cell.data_type == "s" and cell.quotePrefix
