"""Hostile files, built here byte by byte: each is refused with a clear DocumentError naming the
file and its place, in bounded time and memory, or read as what it is.  Each test builds the
smallest file that shows its attack; the bounds it meets are the front ends' own."""

from __future__ import annotations

import io
import zipfile

import pytest
from budgetkg.errors import DocumentError
from budgetkg.read import pdf as pdf_front
from budgetkg.read.forms import detect_form, read_grid
from budgetkg.read.html import MAX_ELEMENTS
from budgetkg.read.lines import MAX_LINES
from openpyxl import Workbook


def _pdf(contents: list[str], count: int | None = None, mediabox: str = "0 0 842 595") -> bytes:
    """A PDF of one page per content stream, with Helvetica as F1; ``count`` is what its page
    tree claims (default: the truth)."""
    objects = {1: "<< /Type /Catalog /Pages 2 0 R >>", 3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}
    kids = []
    for i, content in enumerate(contents):
        page, stream = 4 + 2 * i, 5 + 2 * i
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [{mediabox}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {stream} 0 R >>"
        )
        objects[stream] = f"<< /Length {len(content)} >>\nstream\n{content}\nendstream"
        kids.append(f"{page} 0 R")
    objects[2] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids) if count is None else count} >>"
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += f"{number} 0 obj\n{objects[number]}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offsets[n]:010d} 00000 n \n" for n in sorted(objects)).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def _text(x: float, y: float, text: str, size: float = 10) -> str:
    return f"BT /F1 {size} Tf 1 0 0 1 {x} {y} Tm ({text}) Tj ET"


def _rulings(horizontal: int, vertical: int, step: float = 5) -> str:
    """A ruled grid: ``horizontal`` lines across ``vertical`` ones, ``step`` points apart."""
    right, top = 10 + step * (vertical - 1), 10 + step * (horizontal - 1)
    lines = [f"10 {10 + step * i} m {right} {10 + step * i} l S" for i in range(horizontal)]
    lines += [f"{10 + step * i} 10 m {10 + step * i} {top} l S" for i in range(vertical)]
    return "\n".join(lines)


def _refused(data: bytes, code: str) -> DocumentError:
    with pytest.raises(DocumentError) as caught:
        read_grid(data, "hostile.pdf")
    assert caught.value.code == code, str(caught.value)
    assert caught.value.filename == "hostile.pdf"
    return caught.value


# -- PDF ---------------------------------------------------------------------------------------


def test_a_page_tree_counting_pages_it_does_not_hold_is_damaged() -> None:
    error = _refused(_pdf([_text(50, 500, "2024")], count=3), "damaged-file")
    assert error.context == "page 2"


def test_a_page_ruled_in_a_dense_grid_is_refused_before_its_cells_are_sought() -> None:
    # 145 by 145 lines: 21,025 crossings, which pdfplumber's cell finding takes minutes for
    # (its time grows with the square of the crossings); on main this page was read for them.
    page = _rulings(145, 145) + "\n" + _text(12, 12, "x", 3)
    error = _refused(_pdf([page], mediabox="0 0 800 800"), "pdf-too-large")
    assert error.context == "page 1" and "pairs of horizontal and vertical ruling lines" in error.expected


def test_crossings_are_bounded_in_the_whole_document(monkeypatch) -> None:
    monkeypatch.setattr(pdf_front, "MAX_CROSSINGS", 250)
    page = _rulings(10, 10, step=20) + "\n" + _text(12, 12, "x", 3)  # 100 crossings a page
    error = _refused(_pdf([page] * 4, mediabox="0 0 800 800"), "pdf-too-large")
    assert error.context == "page 3" and "300 up to it" in error.found


def test_characters_are_bounded_in_the_whole_document(monkeypatch) -> None:
    monkeypatch.setattr(pdf_front, "MAX_CHARS", 1_000)
    page = "\n".join(_text(20, 20 + 12 * i, "a" * 50) for i in range(8))  # 400 characters a page
    error = _refused(_pdf([page] * 4), "pdf-too-large")
    assert error.context == "page 3" and "characters in the document" in error.expected


def test_a_paragraph_beyond_a_lines_bound_is_refused_with_its_page() -> None:
    # 100 lines of 120 letters, 5 points apart: one paragraph of 12,000 characters on page 2.
    lines = "\n".join(_text(20, 560 - 5 * i, "ab" * 60, 4) for i in range(100))
    error = _refused(_pdf([_text(50, 500, "2024"), lines]), "line-too-long")
    assert error.context == "page 2"


def test_text_drawn_outside_the_page_is_not_read_and_is_noted() -> None:
    # No viewer shows it; on main "HIDDEN 999" was read into the document.
    page = "\n".join([_text(-5000, -5000, "HIDDEN 999"), _text(50, 500, "visible"), _text(900, 300, "RIGHT 1")])
    grid = read_grid(_pdf([page]), "outside.pdf")
    assert grid.text() == "visible\n\n"
    assert grid.quirks == ["outside.pdf: page 1: 17 characters drawn outside the page not read"]


@pytest.mark.parametrize("mediabox", ["0 0 0 0", "842 595 0 0", "0 0 1e30 1e30"])
def test_a_page_of_an_absurd_size_is_read_at_the_size_pdfium_shows(mediabox) -> None:
    # PDFium shows such a page as US Letter; its box reads as zeros, which put every character
    # above the page (on main the places had negative tops).
    grid = read_grid(_pdf([_text(50, 50, "Budget")], mediabox=mediabox), "box.pdf")
    assert grid.text() == "Budget\n\n"
    top = grid.lines[0].place().box[1]
    assert 0 < top < 792  # on the page, 50 points above its foot


# -- telling the form ----------------------------------------------------------------------------


def _workbook_holding(member: bytes) -> bytes:
    """A workbook whose first part, stored uncompressed, is ``member``."""
    book = Workbook()
    book.active["A1"] = "2024年示例市某局部门预算"
    saved = io.BytesIO()
    book.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        dst.writestr(zipfile.ZipInfo("customXml/item.bin"), member, zipfile.ZIP_STORED)
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def test_a_workbook_holding_a_pdf_is_read_as_the_workbook() -> None:
    # On main the "%PDF-" in the first kilobyte won over the ZIP signature at byte 0, and PDFium
    # read the PDF stored inside the workbook.
    data = _workbook_holding(_pdf([_text(50, 500, "hidden")]))
    assert detect_form(data, "budget.xlsx") == "xlsx"
    assert read_grid(data, "budget.xlsx").text() == "2024年示例市某局部门预算\n"


def test_a_page_that_prints_the_pdf_signature_is_a_page() -> None:
    page = "<html><body><p>2024年部门预算（格式：%PDF-1.7）</p></body></html>".encode()
    assert detect_form(page, "budget.html") == "html"
    assert detect_form(b"HTTP/1.1 200 OK\r\n\r\n" + _pdf([_text(50, 500, "x")]), "budget") == "pdf"


# -- encodings and HTML --------------------------------------------------------------------------


def test_utf8_text_with_a_gb18030_line_is_refused_at_that_line() -> None:
    # On main the whole file was decoded as GB18030, and 预算 in UTF-8 read as 棰勭畻.
    lines = ["预算" * 10] * 5
    data = [line.encode() for line in lines]
    data[3] = lines[3].encode("gb18030")
    with pytest.raises(DocumentError) as caught:
        read_grid(b"\n".join(data), "mixed.txt")
    assert caught.value.code == "bad-encoding" and caught.value.lineno == 4


def test_a_gb18030_text_is_still_read() -> None:
    text = "\n".join(f"说明第{n}行：部门预算收支总体情况表" for n in range(1, 6))
    assert read_grid(text.encode("gb18030"), "gb.txt").text() == text + "\n"


def test_a_page_nested_beyond_the_parsers_depth_is_refused_not_cut() -> None:
    # libxml2 stops at 256 levels and drops the rest of the page; on main the page was read
    # up to there, without a word.
    page = b"<html><body><p>before</p>" + b"<div>" * 300 + b"deep" + b"</div>" * 300 + b"<p>after</p>"
    with pytest.raises(DocumentError) as caught:
        read_grid(page, "deep.html")
    assert caught.value.code == "too-large" and "nested" in caught.value.expected


def test_a_page_of_too_many_lines_names_the_bound() -> None:
    with pytest.raises(DocumentError) as caught:
        read_grid(b"<html><body>" + b"<p>x</p>" * (MAX_LINES // 2 + 1) + b"</body></html>", "many.html")
    assert caught.value.code == "too-large" and "None" not in str(caught.value)


def test_a_page_of_too_many_elements_is_refused_while_it_is_parsed() -> None:
    # On main a 15 MiB page of <br> made a tree of 1 GiB in 19 s before it was read.
    page = b"<html><body><p>" + b"<br>" * (MAX_ELEMENTS + 1) + b"x</p></body></html>"
    with pytest.raises(DocumentError) as caught:
        read_grid(page, "br.html")
    assert caught.value.code == "too-large" and f"{MAX_ELEMENTS:,} elements" in caught.value.expected


def test_a_text_node_beyond_libxml2s_limit_does_not_cut_the_page() -> None:
    # libxml2 stops a text node at 10 MB and drops the rest of the page: on main the paragraph
    # after this script was lost without a word.
    page = b"<html><body><script>" + b"b" * (10 * 2**20 + 10) + b"</script><p>after</p></body></html>"
    assert read_grid(page, "script.html").text() == "after\n"


# -- workbooks -----------------------------------------------------------------------------------


def test_a_workbook_cell_holding_an_error_value_is_refused_as_in_xls() -> None:
    # On main #DIV/0! was read as the text of the cell, where the .xls reader refuses it.
    book = Workbook()
    sheet = book.active
    sheet.title = "表3"
    sheet["A1"], sheet["A2"], sheet["B2"] = "2024年示例市某局部门预算", "合计", "#DIV/0!"
    assert sheet["B2"].data_type == "e"
    saved = io.BytesIO()
    book.save(saved)
    with pytest.raises(DocumentError) as caught:
        read_grid(saved.getvalue(), "errors.xlsx")
    assert caught.value.code == "bad-cell" and "表3!B2" in caught.value.expected


def test_an_xls_with_a_style_index_out_of_its_table_is_damaged(rendered) -> None:
    # Every text cell's record (LABELSST) given style 32767: on main, an IndexError traceback.
    data = bytearray(rendered("xls"))
    at = data.find(b"\xfd\x00\x0a\x00")
    assert at >= 0
    while at >= 0:
        data[at + 8 : at + 10] = b"\xff\x7f"
        at = data.find(b"\xfd\x00\x0a\x00", at + 14)
    with pytest.raises(DocumentError) as caught:
        read_grid(bytes(data), "styles.xls")
    assert caught.value.code == "damaged-file" and caught.value.context.startswith("sheet ")


def test_a_zip_needing_a_newer_unzip_is_damaged() -> None:
    # A central directory asking for version 23.8 to extract: on main, NotImplementedError.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    data = bytearray(out.getvalue())
    at = data.find(b"PK\x01\x02")
    data[at + 6 : at + 8] = (238).to_bytes(2, "little")
    with pytest.raises(DocumentError) as caught:
        read_grid(bytes(data), "version.xlsx")
    assert caught.value.code == "damaged-file"


def _formula_book(cached: bool) -> bytes:
    """A workbook whose B2 is =SUM(1,2), with its computed value 3 stored or not (openpyxl
    stores none; a spreadsheet program stores it when it saves)."""
    book = Workbook()
    sheet = book.active
    sheet.title = "表3"
    sheet["A1"], sheet["A2"], sheet["B2"], sheet["C2"] = "2024年示例市某局部门预算", "合计", "=SUM(1,2)", "0.00"
    saved = io.BytesIO()
    book.save(saved)
    if not cached:
        return saved.getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"<f>SUM(1,2)</f><v></v>", b"<f>SUM(1,2)</f><v>3</v>")
                assert b"<v>3</v>" in part
            dst.writestr(info.filename, part)
    return out.getvalue()


def test_a_formula_without_its_computed_value_is_refused() -> None:
    # On main the cell read as empty: the amount went missing without a word.
    with pytest.raises(DocumentError) as caught:
        read_grid(_formula_book(cached=False), "formulas.xlsx")
    assert caught.value.code == "bad-cell" and "表3!B2" in caught.value.expected


def test_a_formula_with_its_computed_value_reads_as_that_value() -> None:
    assert (
        read_grid(_formula_book(cached=True), "formulas.xlsx").text() == "2024年示例市某局部门预算\n\n合计\t3\t0.00\n"
    )
