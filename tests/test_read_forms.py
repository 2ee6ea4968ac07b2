"""The form of a document is told by its content; the template reader needs no Markdown marks."""

from __future__ import annotations

import io
import zipfile

import pytest
from budgetkg import read_document
from budgetkg.cli import cli
from budgetkg.errors import DocumentError
from budgetkg.read import forms
from budgetkg.read.forms import MAX_DOCUMENT_BYTES, detect_form
from budgetkg.read.lines import MAX_LINES
from budgetkg.read.sections import heading_text, is_heading
from budgetkg.read.text import MAX_TEXT_BYTES
from budgetkg.resources import default_document
from click.testing import CliRunner
from readback import differences, graph

SEED = "guangzhou-hrss-2024-budget.txt"


def _zip(names: list[str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in names:
            z.writestr(name, "<x/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "form"),
    [
        (b"%PDF-1.4\n...", "budget.txt", "pdf"),  # a PDF saved under a text name is read as a PDF
        (b"\x00\x00%PDF-1.7", "budget", "pdf"),
        (_zip(["[Content_Types].xml", "xl/workbook.xml"]), "budget.pdf", "xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "budget.xlsx", "xls"),
        (b"\xef\xbb\xbf\n  <!DOCTYPE html><html>", "budget.txt", "html"),
        ("2024年\n广州市某局部门预算".encode(), "budget.html", "text"),
        ("2024年部门预算".encode("gb18030"), "budget.pdf", "text"),
    ],
)
def test_the_form_is_told_by_content(data, name, form):
    assert detect_form(data, name) == form


@pytest.mark.parametrize(
    ("data", "code", "found"),
    [
        (_zip(["word/document.xml"]), "not-a-budget", "a ZIP archive that is not an Excel workbook"),
        (b"PK\x03\x04 not really a zip", "damaged-file", "a damaged ZIP archive"),
    ],
)
def test_a_zip_that_is_no_workbook_is_refused(data, code, found):
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename="budget.xlsx")
    assert caught.value.code == code
    assert found in str(caught.value)


def test_headings_without_markdown_marks_read_the_same(seed_lines, doc):
    """A PDF, a workbook or a page prints its headings without ``#`` or ``**``: the section
    headings of 第一部分 and 第三部分 are told by their numbering (一、主要职责), so the same
    records come out."""
    plain = [heading_text(line) if is_heading(line) else line.replace("**", "") for line in seed_lines]
    assert sum(is_heading(line) for line in seed_lines) >= 30  # the bundled text does mark them
    unmarked = read_document("\n".join(plain).encode(), filename=SEED)
    expected, found = graph(default_document().read_bytes(), SEED), graph("\n".join(plain).encode(), SEED)
    assert found == expected, differences(expected, found)
    assert [k.name for k in unmarked.key_projects] == [k.name for k in doc.key_projects]
    assert unmarked.duties == doc.duties and [d.name for d in unmarked.divisions] == [d.name for d in doc.divisions]


def test_a_text_of_many_line_ends_is_refused_before_its_lines_are_made() -> None:
    # 5 MB of line ends: on main every line became an object (1 GiB and 20 s for 10 MB).
    with pytest.raises(DocumentError) as caught:
        read_document(b"x\n" * (MAX_LINES + 1), filename="lines.txt")
    assert caught.value.code == "too-large"
    assert f"{MAX_LINES + 2:,} lines" in str(caught.value)


def test_a_text_beyond_its_bytes_is_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        read_document(b"x" * 100 + b"\n" * (MAX_TEXT_BYTES - 99), filename="big.txt")
    assert caught.value.code == "too-large"


@pytest.mark.parametrize("command", ["check", "convert", "render"])
def test_a_huge_file_is_refused_without_reading_it(tmp_path, command) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:  # sparse: nothing is written to the disk
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    out = tmp_path / "out"
    args = [command, str(big)] + (["--format", "html", "-o", str(out)] if command == "render" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "error[too-large]" in result.output and "big.txt" in result.output
    assert not out.exists()


def test_a_device_that_never_ends_is_read_only_so_far(monkeypatch) -> None:
    monkeypatch.setattr(forms, "MAX_DOCUMENT_BYTES", 1 << 20)
    with pytest.raises(DocumentError) as caught:
        read_document("/dev/zero")
    assert caught.value.code == "too-large" and caught.value.filename == "zero"


def _notice_workbook() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["关于召开年度工作会议的通知"])
    sheet.append(["各单位：定于下周一召开会议。"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_NOTICE = "关于召开年度工作会议的通知\n\n各单位：定于下周一召开会议。\n"


@pytest.mark.parametrize(
    ("form", "data"),
    [
        ("text", _NOTICE.encode()),
        ("html", f"<!DOCTYPE html><html><body><h1>{_NOTICE}</h1></body></html>".encode()),
        ("xlsx", _notice_workbook()),
    ],
)
def test_the_not_a_budget_hint_fits_the_form_read(form, data, tmp_path):
    """A notice is no budget in any form, but what helps differs: only a workbook is told about
    workbooks of the tables alone (the PDF's hint: test_read_pdf.test_pdf_that_is_not_a_budget)."""
    from budgetkg.errors import catalogue

    with pytest.raises(DocumentError) as caught:
        read_document(data, filename=f"notice.{form}")
    kind = catalogue()["not-a-budget"]
    assert caught.value.code == "not-a-budget" and caught.value.form == form
    message = str(caught.value)
    assert f"hint: {kind.hints[form]}" in message
    assert ("workbook of the tables alone" in message) == (form == "xlsx")
    path = tmp_path / f"notice.{form}"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2 and kind.hints[form] in result.output
