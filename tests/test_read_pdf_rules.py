"""Tables ruled with horizontal lines only: the bundled document printed as a bureau prints it
with a style sheet that draws no vertical line, read back to the records of its text.

Three styles (two in the suite: see STYLES), each printed once per module by headless Chromium
from the page ``budgetkg render --format html`` writes: a 三线表 (a rule above and below each
table, one under its header), a web page's table with a rule under each row (and above the
table), and the 三线表 with its notes, headings and 单位 lines each in a box ruled around it (a
frame, not a table).  Expected values come
from the bundled text; pdfplumber (pdfminer.six) checks, independently of the reader, that the
PDFs draw no vertical line and that long names are wrapped in their cells.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from budgetkg import read_document
from budgetkg.records import Document
from budgetkg.render.html import render_html
from budgetkg.render.pdf import page_to_pdf
from budgetkg.resources import default_document
from pyoxigraph import Literal, NamedNode
from readback import differences, graph

SEED = "guangzhou-hrss-2024-budget"

STYLES = {
    # 三线表: thick rules above and below the table, a thin one under its header
    "three-line": """
th, td { border: none !important; }
th { background: none; }
table { border-top: 1.5pt solid #000; border-bottom: 1.5pt solid #000; }
thead { border-bottom: 0.75pt solid #000; }
""",
    # a web page's table printed with its rows' bottom borders alone
    "row-rules": """
th, td { border: none !important; border-bottom: 0.75pt solid #000 !important; }
th { background: none; }
table { border-top: 0.75pt solid #000; }
""",
}


# Frames ruled around one cell (a note, a heading): no table, running text as in the text form.
# The suite prints the 三线表 with frames only (a print takes seconds); BUDGETKG_ALL_STYLES=1
# prints it without them too.
STYLES["three-line-framed"] = STYLES["three-line"] + "p.note, p.meta, h2, h3, h4 { border: 0.75pt solid #000; }\n"
if not os.environ.get("BUDGETKG_ALL_STYLES"):
    del STYLES["three-line"]

GOAL = NamedNode("https://w3id.org/budgetkg/ontology#performanceGoal")


def _goals_unspaced(quads: set[tuple]) -> set[tuple]:
    """The quads with the spaces next to Chinese taken out of projects' goals only: a goal is
    wrapped over many lines, and a space where a line breaks is not printed (one of the bundled
    text's 110 such spaces, in "3. 新增工位"; see test_read_pdf.unspaced)."""
    out = set()
    for s, p, o, g in quads:
        if p == GOAL and isinstance(o, Literal):
            text = o.value
            kept = "".join(
                ch
                for i, ch in enumerate(text)
                if not (ch == " " and ((i and ord(text[i - 1]) >= 0x2E80) or ord(text[i + 1 : i + 2] or "a") >= 0x2E80))
            )
            o = Literal(kept, language=o.language)
        out.add((s, p, o, g))
    return out


@dataclass
class Printed:
    """The bundled document printed in one style: the PDF, and its graph and records read once."""

    style: str
    path: Path
    graph: set[tuple]
    doc: Document


@pytest.fixture(scope="module")
def text_graph() -> set[tuple]:
    return _goals_unspaced(graph(default_document().read_bytes(), f"{SEED}.txt"))


@pytest.fixture(scope="module", params=sorted(STYLES))
def printed(request, tmp_path_factory) -> Printed:
    """The bundled document's page, styled to draw horizontal rules only, printed to PDF."""
    page = render_html(default_document().read_bytes(), f"{SEED}.txt")
    page = page.replace("</style>", STYLES[request.param] + "</style>", 1)
    path = tmp_path_factory.mktemp(request.param) / f"{SEED}.pdf"
    path.write_bytes(page_to_pdf(page))
    found = _goals_unspaced(graph(path.read_bytes(), path.name))
    return Printed(request.param, path, found, read_document(path))


def test_the_pdf_draws_horizontal_rules_only(printed):
    """pdfplumber (pdfminer.six) sees horizontal rules and no vertical one, and no table."""
    import pdfplumber

    with pdfplumber.open(printed.path) as pdf:
        page = pdf.pages[3]
        assert [e for e in page.edges if e["orientation"] == "h"]
        verticals = [e for e in page.edges if e["orientation"] == "v" and e["height"] > 2]
        framed = printed.style == "three-line-framed"
        assert bool(verticals) == framed  # a frame's sides only
        # pdfplumber's own line strategy finds no table (with frames it takes a frame and the
        # rules beside it for one)
        assert framed or not page.find_tables()


def test_same_graph_as_the_text(printed, text_graph):
    assert printed.graph == text_graph, differences(text_graph, printed.graph)


def test_wrapped_names_and_goals_are_joined(printed, doc):
    """A long project name is printed over several lines of its cell (pdfminer.six finds no line
    holding it whole), and reads back whole, with its goal."""
    import pdfplumber

    name = "广州市人力资源和社会保障局2023年广州人才大数据之数据安全建设升级改造项目"  # 表12 of the text
    with pdfplumber.open(printed.path) as pdf:
        lines = [ln for page in pdf.pages for ln in (page.extract_text() or "").splitlines()]
    assert not [ln for ln in lines if name in ln]
    got = {p.name: p.row.goal for p in printed.doc.projects}
    assert name in got and got[name] == next(p.row.goal for p in doc.projects if p.name == name)
    assert len(printed.doc.projects) == len(doc.projects)


def test_framed_notes_and_headings_read_as_running_text(printed):
    """A box ruled around one cell is no table: its text reads as the text form has it, a note a
    paragraph of its own, a heading a heading (its level is the type size's rank)."""
    from budgetkg.read.pdf import read_pdf

    text = default_document().read_text("utf-8").splitlines()
    lines = [ln.text for ln in read_pdf(printed.path.read_bytes(), printed.path.name).lines]
    notes = [ln for ln in text if ln.startswith("注：")]
    assert [ln for ln in lines if ln.startswith("注：")] == [n.rstrip() for n in notes]
    headings = {ln.lstrip("#").strip() for ln in lines if ln.startswith("#")}
    for heading in ("## 政府性基金预算支出情况表", "### 国有资本经营预算支出情况表", "## 部门预算基本支出预算表"):
        assert heading in text and heading.lstrip("#").strip() in headings
