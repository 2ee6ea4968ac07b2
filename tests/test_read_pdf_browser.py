"""The PDF front end on a page printed the way a reader's browser prints it, styled unlike
``budgetkg render`` and tests/pdf_pages.py: a serif CJK font, portrait A4, narrow columns that
break codes between digits and Latin runs inside Chinese names, two tables printed one right
below the other with their own column widths, a row too tall for a page (its 绩效目标 goes on
over the next pages, with the header repeated above it and without), and Chromium's own
header and footer (date, title, address, "n/N") on every page; and a page PDFium writes, with
a dash ending a line.

The page is printed once per run (module-scoped); expected values come from the page this
module writes, never from the front end.
"""

from __future__ import annotations

import html

import pytest
from budgetkg.read.pdf import read_pdf
from pdf_pages import print_pdf

STYLE = """
@page { size: A4 portrait; margin: 20mm 16mm; }
body { font-family: 'Noto Serif CJK SC', serif; font-size: 11pt; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; }
th, td { border: 0.8pt solid #000; padding: 2pt 3pt; font-weight: normal; }
table.fixed { table-layout: fixed; margin: 10pt 0; }
table.fixed td { word-break: break-all; }
table.names { margin: 10pt 0; line-height: 1.3; }
table.names td { word-break: break-all; }
td.n { white-space: nowrap; }
div.title { font-size: 16pt; font-weight: bold; margin: 8pt 0; }
"""

# Two tables one right below the other (no margin), each with its own column widths.
STACKED = [
    (
        ["一、预算拨款", "797,407.58", "一、一般公共服务支出", "5.00"],
        ["二、财政专户拨款", "24,654.38", "二、外交支出", "0.00"],
    ),
    (["", "", "二十三、债务付息支出", "299.90"],),
]
# Codes in a column too narrow for them: the browser breaks them between digits.
CODES = [("2013299", "其他组织事务支出", "5.00"), ("2050303", "技校教育", "240,315.67")]
# A 绩效目标 too long for one page in its narrow column: the row is cut by two page breaks.
GOAL = "保障我市各用人单位引进紧缺人才的需求，" * 220
TALL = [("示例分项", "15.00", GOAL), ("下一项", "1.00", "短目标。")]
# Names in tables of many widths: some break inside the Latin run (B737 / CL); the widths differ
# by less than the snapping tolerance, so their column lines must not be snapped together.
NAMES = ["广州市机电技师学院2023年-2024年校园信息化设备运维项目", "广州市技师学院B737CL维修实训平台项目"]
WIDTHS = range(60, 130, 3)  # steps within the snapping tolerance (3 pt)
LONG = [(f"示例项目{i}号", f"{i * 137:,}.{i % 100:02d}") for i in range(1, 121)]


def _stacked_table(rows) -> str:  # noqa: ANN001
    head = (
        "<thead><tr><th colspan=2>收入</th><th colspan=2>支出</th></tr>"
        "<tr><th>项目</th><th>预算</th><th>项目</th><th>预算</th></tr></thead>"
    )
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def _page() -> str:
    codes = "".join(f"<tr><td>{c}</td><td>{n}</td><td>{a}</td></tr>" for c, n, a in CODES)
    tall = "".join(f"<tr><td>{n}</td><td>{a}</td><td>{g}</td></tr>" for n, a, g in TALL)
    long = "".join(f"<tr><td>{n}</td><td>{a}</td></tr>" for n, a in LONG)
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>示例市部门预算</title>'
        f"<style>{STYLE}</style></head><body>"
        '<div class="title">收支总体情况表</div>'
        + "".join(_stacked_table(rows) for rows in STACKED)
        + '<div class="title">收入总体情况表</div>'
        '<table class="fixed"><colgroup><col style="width:22pt"><col style="width:120pt"><col></colgroup>'
        f"<tbody>{codes}</tbody></table>"
        '<div class="title">长表</div>'
        f"<table><thead><tr><th>项目</th><th>预算数</th></tr></thead><tbody>{long}</tbody></table>"
        '<div class="title">名称表</div>'
        + "".join(
            f'<table class="names" style="width:{w}pt"><tbody>'
            f'<tr><td>{n}</td><td class="n">1.00</td></tr></tbody></table>'
            for n in NAMES
            for w in WIDTHS
        )
        + '<div class="title">项目支出表</div>'
        '<table class="fixed"><colgroup><col style="width:80pt"><col style="width:60pt"><col style="width:90pt">'
        "</colgroup><thead><tr><th>项目</th><th>预算数</th><th>绩效目标</th></tr></thead>"
        f"<tbody>{tall}</tbody></table>"
        '<div class="title">无表头的项目表</div>'
        '<table class="fixed"><colgroup><col style="width:80pt"><col style="width:60pt"><col style="width:90pt">'
        f"</colgroup><tbody><tr><td>项目</td><td>预算数</td><td>绩效目标</td></tr>{tall}</tbody></table>"
        "</body></html>"
    )


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    path = print_pdf(_page(), tmp_path_factory.mktemp("browser") / "browser.pdf", header_footer=True)
    return read_pdf(path.read_bytes(), "browser.pdf")


def _texts(grid) -> list[str]:  # noqa: ANN001
    """The lines read, headings without their marks (the titles are the page's only running
    text, so whether they read as headings is not what these tests are about)."""
    return [
        ln.text.lstrip("#").lstrip(" ") if ln.text.startswith("#") else ln.text for ln in grid.lines if not ln.blank
    ]


def test_code_broken_between_digits_is_joined_whole(grid):
    texts = _texts(grid)
    for code, name, amount in CODES:
        assert f"{code}\t{name}\t{amount}" in texts


def test_tables_printed_one_below_the_other_keep_their_own_columns(grid):
    texts = _texts(grid)
    for rows in STACKED:
        for row in rows:
            assert "\t".join(row) in texts
    start = texts.index("收支总体情况表")
    table = texts[start + 1 : texts.index("收入总体情况表")]
    assert table.count("收入\t\t支出\t") == 2 and table.count("项目\t预算\t项目\t预算") == 2
    assert all(t.count("\t") == 3 for t in table)


def test_browsers_own_header_and_footer_dropped_and_noted(grid):
    texts = _texts(grid)
    assert [f"{n}\t{a}" for n, a in LONG] == [t for t in texts if t.startswith("示例项目")]
    assert not [t for t in texts if "file:" in t or "示例市部门预算" in t]
    notes = " ".join(grid.quirks)
    assert "file:" in notes and "示例市部门预算" in notes


def test_row_cut_by_page_breaks_joined_with_its_rest(grid):
    texts = _texts(grid)
    rows = texts[texts.index("项目支出表") + 1 : texts.index("无表头的项目表")]
    assert [r for r in rows if r != "项目\t预算数\t绩效目标"] == ["\t".join(r) for r in TALL]
    row = next(ln for ln in grid.lines if ln.text.startswith("示例分项"))
    assert len({p.page for p in row.places}) == 1  # placed where the row begins


def test_names_in_tables_of_many_widths_read_whole(grid):
    texts = _texts(grid)
    names = texts[texts.index("名称表") + 1 : texts.index("项目支出表")]
    assert names == [f"{n}\t1.00" for n in NAMES for _ in WIDTHS]


def _pdf_with_a_dash_ending_a_line() -> bytes:
    """A page of two ruled cells (PDFium writes it): "Wi-" and "Fi" on two lines of the first,
    each a text object of its own, as a browser prints a name wrapped after its dash."""
    import ctypes
    import io

    import pypdfium2
    import pypdfium2.raw as raw

    pdf = pypdfium2.PdfDocument.new()
    page = pdf.new_page(595, 842)
    for x in (72, 172):
        rect = raw.FPDFPageObj_CreateNewRect(x, 650, 100, 60)
        raw.FPDFPath_SetDrawMode(rect, 0, True)
        raw.FPDFPage_InsertObject(page.raw, rect)
    for text, x, y in (("Wi-", 76, 690), ("Fi", 76, 676), ("1.00", 176, 690)):
        obj = raw.FPDFPageObj_NewTextObj(pdf.raw, b"Helvetica", 10.0)
        units = (text + "\0").encode("utf-16-le")
        raw.FPDFText_SetText(
            obj, ctypes.cast(ctypes.create_string_buffer(units, len(units)), ctypes.POINTER(ctypes.c_ushort))
        )
        raw.FPDFPageObj_Transform(obj, 1, 0, 0, 1, x, y)
        raw.FPDFPage_InsertObject(page.raw, obj)
    raw.FPDFPage_GenerateContent(page.raw)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_dash_ending_a_line_kept():
    import pypdfium2
    import pypdfium2.raw as raw

    data = _pdf_with_a_dash_ending_a_line()
    textpage = pypdfium2.PdfDocument(data)[0].get_textpage()  # PDFium gives the dash as U+0002
    assert 2 in [raw.FPDFText_GetUnicode(textpage.raw, i) for i in range(textpage.count_chars())]
    assert "Wi-Fi\t1.00" in _texts(read_pdf(data, "dash.pdf"))


def test_row_cut_by_page_breaks_without_a_header_repeated(grid):
    texts = _texts(grid)
    rows = texts[texts.index("无表头的项目表") + 1 :]
    assert rows == ["项目\t预算数\t绩效目标"] + ["\t".join(r) for r in TALL]
