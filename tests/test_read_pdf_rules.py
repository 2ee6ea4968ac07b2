"""Tables ruled with horizontal lines only: the bundled document printed as a bureau prints it
with a style sheet that draws no vertical line, read back to the records of its text.

Two styles, each printed once per module by headless Chromium from the page ``budgetkg render
--format html`` writes: a 三线表 (a rule above and below each table, one under its header) and
a web page's table with a rule under each row (and above the table).  Expected values come
from the bundled text; pdfplumber (pdfminer.six) checks, independently of the reader, that the
PDFs draw no vertical line and that long names are wrapped in their cells.
"""

from __future__ import annotations

import pytest
from budgetkg import read_document
from budgetkg.render.html import render_html
from budgetkg.render.pdf import page_to_pdf
from budgetkg.resources import default_document
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


def _cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _unspaced_literals(quads: set[tuple]) -> set[tuple]:
    """The quads with the spaces next to Chinese taken out of their literals (see item 3 of
    issue 33: the PDF does not print them)."""
    from pyoxigraph import Literal

    out = set()
    for s, p, o, g in quads:
        if isinstance(o, Literal) and " " in o.value:
            text = o.value
            kept = "".join(
                ch
                for i, ch in enumerate(text)
                if not (
                    ch == " " and ((i and _cjk(text[i - 1])) or (i + 1 < len(text) and _cjk(text[i + 1])))
                )
            )
            o = Literal(kept, language=o.language) if o.language else Literal(kept, datatype=o.datatype)
        out.add((s, p, o, g))
    return out


@pytest.fixture(scope="module", params=sorted(STYLES))
def printed(request, tmp_path_factory):
    """The bundled document's page, styled to draw horizontal rules only, printed to PDF."""
    page = render_html(default_document().read_bytes(), f"{SEED}.txt")
    page = page.replace("</style>", STYLES[request.param] + "</style>", 1)
    path = tmp_path_factory.mktemp(request.param) / f"{SEED}.pdf"
    path.write_bytes(page_to_pdf(page))
    return path


def test_the_pdf_draws_horizontal_rules_only(printed):
    import pdfplumber

    with pdfplumber.open(printed) as pdf:
        page = pdf.pages[3]
        assert [e for e in page.edges if e["orientation"] == "h"]
        assert not [e for e in page.edges if e["orientation"] == "v" and e["height"] > 2]
        assert not page.find_tables()  # pdfplumber's own line strategy finds no table


def test_same_graph_as_the_text(printed):
    expected = _unspaced_literals(graph(default_document().read_bytes(), f"{SEED}.txt"))
    found = _unspaced_literals(graph(printed.read_bytes(), printed.name))
    assert found == expected, differences(expected, found)


def test_wrapped_names_and_goals_are_joined(printed):
    """A long project name is printed over several lines of its cell (pdfminer.six finds no line
    holding it whole), and reads back whole, with its goal."""
    import pdfplumber

    name = "广州市人力资源和社会保障局2023年广州人才大数据之数据安全建设升级改造项目"  # 表12 of the text
    with pdfplumber.open(printed) as pdf:
        lines = [ln for page in pdf.pages for ln in (page.extract_text() or "").splitlines()]
    assert not [ln for ln in lines if name in ln]
    doc = read_document(printed)
    text = read_document(default_document())
    got = {p.name: p.row.goal for p in doc.projects}
    assert name in got and got[name] == next(p.row.goal for p in text.projects if p.name == name)
    assert len(doc.projects) == len(text.projects)
