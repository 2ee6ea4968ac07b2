"""The PDF front end: the bundled document printed to PDF reads back to the records of its text,
each quirk of real PDFs on a page built to show it, and each bad PDF refused with its page.

The bundled document and generated departments are printed once per run by ``budgetkg render``
(Chromium from the page, LibreOffice from the workbook: conftest's ``rendered``); the quirk
pages by headless Chromium from HTML this module writes (tests/pdf_pages.py).  Expected values
come from the text or from the page the test wrote, never from the front end; an independent
parser (pdfplumber on pdfminer.six) checks the places.  ``BUDGETKG_DEPARTMENTS=20``
(default 2) sets how many generated departments make the round trip.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from budgetkg import read_document
from budgetkg.check.accounts import check_document
from budgetkg.errors import DocumentError, catalogue
from budgetkg.rdf.mapping import document_quads
from budgetkg.read.pdf import read_pdf
from budgetkg.records import Document
from pdf_pages import PAGE_STYLE, print_pdf, text_to_html

SEED = "guangzhou-hrss-2024-budget"
# Provenance differs by nature between forms (see the reading design); everything else is the same.
PROVENANCE = {"sourceLine", "sourcePlace", "sourcePage", "sourceBox", "sourceCell", "checksumSha256", "identifier"}


def _cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def unspaced(text: str | None) -> str | None:
    """``text`` without the spaces next to a Chinese character, for a project's goal only: a
    line of a PDF that breaks at such a space does not print it, so no reader of the PDF can
    know it was there.  Names, labels, definitions and duties compare exactly (the front end
    reads a space next to Chinese from the gap it leaves); of the bundled text's 110 spaces next
    to Chinese, one falls at a line break of a goal in each print ("3. 新增工位" by Chromium,
    "2. 设备验收" by LibreOffice)."""
    if text is None:
        return None
    out = []
    for i, ch in enumerate(text):
        if ch == " " and ((i > 0 and _cjk(text[i - 1])) or (i + 1 < len(text) and _cjk(text[i + 1]))):
            continue
        out.append(ch)
    return "".join(out).strip()


VIAS = ("pdf-chromium", "pdf-libreoffice")


@pytest.fixture(scope="module", params=[*VIAS, "pdf-own-page"])
def printed(request, rendered, tmp_path_factory) -> tuple[Path, Document]:
    """The bundled document printed to PDF by Chromium (from its page) and by LibreOffice (from
    its workbook), and by Chromium from a page of our own (another font, other widths: a PDF
    ``budgetkg render`` did not make), as a file, and read back."""
    path = tmp_path_factory.mktemp(request.param) / f"{SEED}.pdf"
    if request.param == "pdf-own-page":
        print_pdf(text_to_html(rendered("txt").decode("utf-8")), path)
    else:
        path.write_bytes(rendered(request.param))
    return path, read_document(path)


@pytest.fixture(scope="module")
def chromium_pdf(rendered, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("chromium") / f"{SEED}.pdf"
    path.write_bytes(rendered("pdf-chromium"))
    return path


# -- the bundled document --------------------------------------------------------------------


def _predicate(iri: str) -> str:
    return iri.rstrip(">").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _graph(doc: Document) -> set[tuple[str, str, str]]:
    out = set()
    for q in document_quads(doc, check_document(doc)):
        s, p, o = str(q.subject), str(q.predicate), str(q.object)
        if _predicate(p) in PROVENANCE:
            continue
        if _predicate(p) == "performanceGoal":  # long text wrapped over lines (see unspaced)
            o = unspaced(o) or ""
        out.add((s, p, o.replace(f"{SEED}.pdf", f"{SEED}.txt")))
    return out


def test_same_graph_as_the_text(doc, printed):
    text, pdf = _graph(doc), _graph(printed[1])
    only_text = sorted(text - pdf)[:5]
    only_pdf = sorted(pdf - text)[:5]
    # the count of the source's triples differs with its provenance, and the source's form
    # (dct:format); nothing else may
    assert {_predicate(t[1]) for t in text - pdf} <= {"triples", "format"}, only_text
    assert {_predicate(t[1]) for t in pdf - text} <= {"triples", "format"}, only_pdf


def _cells(doc: Document) -> dict[tuple[int, str], dict[str, str | None]]:
    return {
        (n, row.key): {k: (c.amount.text if c.amount else c.printed) for k, c in row.cells.items()}
        for n, table in doc.tables.items()
        for row in table.rows
    }


def test_every_table_cell_as_printed(doc, printed):
    from_pdf = printed[1]
    assert [t.columns for t in from_pdf.tables.values()] == [t.columns for t in doc.tables.values()]
    assert _cells(from_pdf) == _cells(doc)
    assert [r.key for t in from_pdf.tables.values() for r in t.rows] == [
        r.key for t in doc.tables.values() for r in t.rows
    ]


def test_units_projects_and_goals(doc, printed):
    from_pdf = printed[1]
    assert [(u.name, u.kind) for u in from_pdf.units] == [(u.name, u.kind) for u in doc.units]
    assert [(p.unit, p.name, unspaced(p.row.goal)) for p in from_pdf.projects] == [
        (p.unit, p.name, unspaced(p.row.goal)) for p in doc.projects
    ]


def test_a_units_projects_over_a_page_break(doc, printed):
    """A page breaks in the middle of a unit's projects in 表12: those after the break still
    belong to that unit (the comparison above checks each project's unit)."""
    pages: dict[str, set[int]] = {}
    for project in printed[1].projects:
        pages.setdefault(project.unit, set()).add(project.row.cells["total"].source.place.page)
    assert any(len(p) >= 2 for p in pages.values())


def test_narrative_key_projects_and_glossary(doc, printed):
    from_pdf = printed[1]

    def figures(d):
        return [(f.key, f.label, f.amount.text, f.unit) for f in d.narrative]

    def keys(d):
        return [(k.name, k.amount.text, unspaced(k.goal), k.project and k.project.name) for k in d.key_projects]

    def terms(d):
        return [(g.term, g.definition) for g in d.glossary]

    assert figures(from_pdf) == figures(doc)
    assert keys(from_pdf) == keys(doc)
    assert terms(from_pdf) == terms(doc)
    assert from_pdf.duties == doc.duties
    assert [d.name for d in from_pdf.divisions] == [d.name for d in doc.divisions]


def test_places_hold_the_printed_amounts(printed):
    """The box of a cell, cropped from its page by pdfminer.six, holds the amount printed there."""
    import pdfplumber

    path, from_pdf = printed
    checks = [
        from_pdf.tables[1].rows[0].cells["income"],  # 一、预算拨款 797,407.58
        next(r for r in from_pdf.tables[5].rows if r.code == "2080101").cells["total"],
        from_pdf.projects[0].row.cells["total"],
        from_pdf.tables[12].rows[-1].cells["other"],
    ]
    with pdfplumber.open(path) as pdf:
        for cell in checks:
            place = cell.source.place
            assert place is not None and place.page is not None and place.box is not None
            x0, top, x1, bottom = (float(v) for v in place.box)
            page = pdf.pages[place.page - 1]
            assert page.crop((x0, top, x1, bottom)).extract_text().strip() == cell.amount.text
    assert checks[0].amount.text == "797,407.58"
    assert from_pdf.tables[12].rows[-1].cells["other"].amount.value == Decimal("0.00")


# -- quirks, each on a page built to show it -------------------------------------------------

_LATIN = "Project B737CL maintenance training platform for aircraft"
_PARAGRAPH = "通过开展民办教育发展专项项目，促进民办技工院校培养更多技能人才，" * 6 + _LATIN + "，完成PSAM卡购置。"
_LONG = "（包含一个很长很长的名称以便在单元格里折行显示）" * 4
_ROWS = [(f"20801{i:02d}", f"示例科目{i}号" + (_LONG if i == 7 else ""), i) for i in range(1, 61)]


def _amount(i: int) -> str:
    return f"{i * 1234567 / 100:,.2f}"


def _quirk_page() -> str:
    head = (
        "<thead><tr><th rowspan=2>科目编码</th><th rowspan=2>科目名称</th><th rowspan=2>合计</th>"
        "<th colspan=2>财政拨款收入</th></tr><tr><th>一般公共预算</th><th>政府性基金</th></tr></thead>"
    )

    def row(code: str, name: str, i: int) -> str:
        second = "" if i == 3 else "-" if i == 4 else "0.00"
        return f"<tr><td>{code}</td><td>{name}</td><td>{_amount(i)}</td><td>{_amount(i)}</td><td>{second}</td></tr>"

    rows = "".join(row(*r) for r in _ROWS)
    plain_head = "<tr><th>项目</th><th>预算数</th></tr>"
    plain = "".join(f"<tr><td>[{c}]{n}</td><td>{_amount(i)}</td></tr>" for c, n, i in _ROWS[:45])
    short = "".join(f"<tr><td>[{c}]{n}</td><td>{_amount(i)}</td></tr>" for c, n, i in _ROWS[:3])
    style = (
        PAGE_STYLE
        + """
@page { @bottom-center { content: "第 " counter(page) " 页"; font-size: 9pt; }
        @top-right { content: "示例市财政局公开"; font-size: 9pt; } }
@page tall { size: A4 portrait; }
.tall { page: tall; }
.foot { height: 330pt; }
"""
    )
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>{style}</style></head><body>'
        "<h1>2024年示例市测试局部门预算</h1>"
        f"<p>{_PARAGRAPH}</p><p>第二段。</p>"
        "<h3>重复表头的表</h3>"
        f"<table>{head}<tbody>{rows}</tbody></table>"
        "<h3>不重复表头的表</h3>"
        f"<table><tbody>{plain_head}{plain}</tbody></table>"
        '<div class="tall"><h3>竖排页的表</h3>'
        f"<table><tbody>{plain_head}{short}"
        '</tbody></table></div><div class="foot"></div>'
        "<h3>页脚的标题</h3>"
        f'<table style="break-inside: avoid"><tbody>{plain_head}{plain}</tbody></table>'
        "</body></html>"
    )


@pytest.fixture(scope="module")
def quirks(tmp_path_factory):
    path = print_pdf(_quirk_page(), tmp_path_factory.mktemp("quirks") / "quirks.pdf")
    return path, read_pdf(path.read_bytes(), "quirks.pdf")


def _texts(grid) -> list[str]:
    return [line.text for line in grid.lines if not line.blank]


def test_paragraph_joined_without_invented_spaces(quirks):
    _, grid = quirks
    texts = _texts(grid)
    assert texts[0] == "# 2024年示例市测试局部门预算"
    assert texts[1] == _PARAGRAPH  # wrapped over several lines, one line here
    assert texts[2] == "第二段。"
    paragraph = next(ln for ln in grid.lines if ln.text == _PARAGRAPH)
    assert paragraph.place().page == 1 and len(paragraph.places) == 1


def test_page_numbers_and_running_header_dropped_and_noted(quirks):
    path, grid = quirks
    texts = _texts(grid)
    assert not [t for t in texts if "页" in t and t.replace(" ", "").strip("第页").isdigit()]
    assert "示例市财政局公开" not in texts
    notes = " ".join(grid.quirks)
    assert "page numbers" in notes and "示例市财政局公开" in notes


def test_table_over_pages_with_header_repeated_and_merged_cells(quirks):
    import pdfplumber

    path, grid = quirks
    with pdfplumber.open(path) as pdf:  # the long name is wrapped in its cell (pdfminer.six says)
        cells = [c for p in pdf.pages[:2] for t in p.extract_tables() for r in t for c in r if c and "示例科目7号" in c]
    assert cells and "\n" in cells[0]
    texts = _texts(grid)
    header = ["科目编码\t科目名称\t合计\t财政拨款收入\t", "\t\t\t一般公共预算\t政府性基金"]
    starts = [i for i, t in enumerate(texts) if t == header[0]]
    assert len(starts) >= 2  # the table breaks over pages and repeats its header
    assert all(texts[i + 1] == header[1] for i in starts)
    rows = [t for t in texts if t.startswith("20801")]
    expected = [
        "\t".join((c, n, _amount(i), _amount(i), "" if i == 3 else "-" if i == 4 else "0.00")) for c, n, i in _ROWS
    ]
    assert rows == expected  # every row once, in order, a wrapped name joined, empty/dash/0.00 kept
    pages = {line.place(2).page for line in grid.lines if line.text.startswith("20801")}
    assert len(pages) >= 2


def test_table_continuing_without_its_header(quirks):
    _, grid = quirks
    texts = _texts(grid)
    start = texts.index("## 不重复表头的表") if "## 不重复表头的表" in texts else texts.index("# 不重复表头的表")
    body = texts[start + 1 : start + 2 + 45]
    assert body == ["项目\t预算数"] + [f"[{c}]{n}\t{_amount(i)}" for c, n, i in _ROWS[:45]]
    pages = {ln.place(0).page for ln in grid.lines if ln.text.startswith("[20801") and ln.text.endswith(_amount(45))}
    assert pages


def test_portrait_page_between_landscape_ones(quirks):
    import pdfplumber

    path, grid = quirks
    line = next(ln for ln in grid.lines if ln.text == f"[{_ROWS[2][0]}]{_ROWS[2][1]}\t{_amount(3)}" and ln.places)
    portrait = [ln for ln in grid.lines if ln.text.endswith("竖排页的表")]
    assert portrait
    with pdfplumber.open(path) as pdf:
        sizes = [(p.width < p.height) for p in pdf.pages]
        page = portrait[0].place().page
        assert sizes[page - 1] and not sizes[0] and not sizes[-1]
    assert line.place(1).page is not None


def test_page_turned_by_its_rotation(quirks, tmp_path):
    """A landscape page made as a portrait one turned by /Rotate 90, its content drawn turned the
    other way (as some word processors write landscape pages), reads as the page it shows."""
    import pypdfium2

    path, _ = quirks
    pdf = pypdfium2.PdfDocument(path)
    shown = pypdfium2.PdfDocument.new()
    shown.import_pages(pdf, [0])
    shown.save(tmp_path / "shown.pdf")
    page = pdf[0]
    width, height = page.get_size()
    for obj in list(page.get_objects(max_depth=1)):
        obj.transform(pypdfium2.PdfMatrix(0, 1, -1, 0, height, 0))  # (x, y) → (height - y, x)
    page.set_mediabox(0, 0, height, width)
    page.set_rotation(90)
    page.gen_content()
    turned = pypdfium2.PdfDocument.new()
    turned.import_pages(pdf, [0])
    turned.save(tmp_path / "turned.pdf")
    for doc in (pdf, shown, turned):
        doc.close()
    expected = read_pdf((tmp_path / "shown.pdf").read_bytes(), "shown.pdf")
    got = read_pdf((tmp_path / "turned.pdf").read_bytes(), "turned.pdf")

    def rows(grid):
        return [(ln.text, [p.page for p in ln.places if p]) for ln in grid.lines if "\t" in ln.text]

    assert rows(got) == rows(expected) and len(rows(got)) > 10
    assert _PARAGRAPH in [ln.text for ln in got.lines]


def test_title_at_the_foot_of_a_page(quirks):
    _, grid = quirks
    nonblank = [ln for ln in grid.lines if not ln.blank]
    i = next(i for i, ln in enumerate(nonblank) if ln.text.endswith("页脚的标题"))
    assert nonblank[i + 1].text == "项目\t预算数"
    assert nonblank[i + 1].place(0).page == nonblank[i].place().page + 1
    assert [ln.text for ln in nonblank[i + 2 : i + 47]] == [f"[{c}]{n}\t{_amount(k)}" for c, n, k in _ROWS[:45]]


# -- bad input ---------------------------------------------------------------------------------


def _check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "budgetkg", "check", str(path)], capture_output=True, text=True, timeout=300
    )


def _refused(path: Path, code: str, words: str) -> None:
    with pytest.raises(DocumentError) as info:
        read_document(path)
    assert info.value.code == code and info.value.filename == path.name
    assert "page " in info.value.context
    result = _check(path)
    assert result.returncode == 2, result.stderr
    assert path.name in result.stderr + result.stdout and words in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_scanned_pdf(chromium_pdf, tmp_path):
    import base64
    import io

    import pypdfium2

    pdf = pypdfium2.PdfDocument(chromium_pdf)
    image = io.BytesIO()
    pdf[0].render(scale=1).to_pil().save(image, format="PNG")
    pdf.close()
    src = base64.b64encode(image.getvalue()).decode()
    page = f'<html><body style="margin:0"><img src="data:image/png;base64,{src}" style="width:100%"></body></html>'
    path = print_pdf(page, tmp_path / "scan.pdf")
    _refused(path, "pdf-no-text", "no text layer: this PDF is an image; OCR is not supported")


def test_encrypted_pdf(chromium_pdf, tmp_path):
    path = tmp_path / "locked.pdf"
    subprocess.run(["qpdf", "--encrypt", "secret", "owner", "256", "--", str(chromium_pdf), str(path)], check=True)
    _refused(path, "pdf-encrypted", "password")


def test_pdf_that_is_not_a_budget(tmp_path):
    page = (
        '<html lang="zh-CN"><body><h1>关于召开年度工作会议的通知</h1><p>各单位：定于下周一召开会议。</p></body></html>'
    )
    path = print_pdf(page, tmp_path / "notice.pdf")
    _refused(path, "not-a-budget", "page 1")
    message = str(pytest.raises(DocumentError, read_document, path).value)
    assert catalogue()["not-a-budget"].hints["pdf"] in message and "workbook" not in message


def test_damaged_pdf(chromium_pdf, tmp_path):
    path = tmp_path / "damaged.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40)
    _refused(path, "damaged-file", "damaged")
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(chromium_pdf.read_bytes()[: chromium_pdf.stat().st_size // 3])
    result = _check(cut)  # what PDFium recovers of a cut file is read, or refused: never a crash
    assert result.returncode == 2 and "cut.pdf" in result.stderr and "Traceback" not in result.stderr


def test_500_pages_in_bounded_memory(chromium_pdf, tmp_path):
    """500 pages (the first three of the rendering over and over: the title, prose, and a
    table) are read by ``budgetkg check`` in under 500 MiB; ``budgetkg bench`` measures 500
    pages of the whole rendering."""
    import pypdfium2

    src = pypdfium2.PdfDocument(chromium_pdf)
    big = pypdfium2.PdfDocument.new()
    big.import_pages(src, [0, 1, 2] * 166 + [0, 1])
    path = tmp_path / "big.pdf"
    big.save(path)
    big.close()
    src.close()
    probe = (
        "import resource, subprocess, sys\n"
        "r = subprocess.run([sys.executable, '-m', 'budgetkg', 'check', sys.argv[1]], capture_output=True, text=True)\n"
        "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "print(r.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=600)
    code, peak_kib = (int(v) for v in out.stdout.split("\n", 1)[0].split())
    assert code == 2 and "big.pdf" in out.stdout  # read, then refused: not the parts of a budget
    assert "Traceback" not in out.stdout
    assert peak_kib < 500 * 1024


def test_too_many_pages_refused_before_reading(tmp_path):
    import pypdfium2
    from budgetkg.read import pdf as front

    doc = pypdfium2.PdfDocument.new()
    for _ in range(front.MAX_PAGES + 1):
        doc.new_page(200, 200)
    path = tmp_path / "pages.pdf"
    doc.save(path)
    doc.close()
    with pytest.raises(DocumentError) as info:
        read_pdf(path.read_bytes(), path.name)
    assert info.value.code == "pdf-too-large" and f"{front.MAX_PAGES + 1:,} pages" in info.value.found


# -- generated departments -------------------------------------------------------------------

DEPARTMENTS = int(os.environ.get("BUDGETKG_DEPARTMENTS", "2"))


@pytest.mark.parametrize("via", VIAS)
@pytest.mark.parametrize("seed", range(1, DEPARTMENTS + 1))
def test_generated_department_round_trip(seed, via, rendered):
    expected = read_document(rendered("txt", seed=seed), filename=f"synthetic-{seed}.txt")
    got = read_document(rendered(via, seed=seed), filename=f"synthetic-{seed}.pdf")
    assert _cells(got) == _cells(expected)
    assert [(p.unit, p.name, unspaced(p.row.goal)) for p in got.projects] == [
        (p.unit, p.name, unspaced(p.row.goal)) for p in expected.projects
    ]
    assert [(f.key, f.amount.text) for f in got.narrative] == [(f.key, f.amount.text) for f in expected.narrative]
    assert [(g.term, unspaced(g.definition)) for g in got.glossary] == [
        (g.term, unspaced(g.definition)) for g in expected.glossary
    ]
