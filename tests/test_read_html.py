"""The web-page front end (read/html.py): pages read back as their text, places named by table,
row and column, encodings, spans and white space as a browser shows them, bad pages refused."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from budgetkg.cli import cli
from budgetkg.errors import DocumentError
from budgetkg.read.document import read_document
from budgetkg.read.forms import read_grid
from budgetkg.read.html import MAX_HTML_BYTES
from budgetkg.read.lines import MAX_CELLS
from budgetkg.records import Place
from budgetkg.resources import default_document
from click.testing import CliRunner
from readback import DEPARTMENTS, differences, graph

BUNDLED = default_document().read_bytes()


def _page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>".encode()


def _lines(data: bytes) -> list[str]:
    return [ln.text for ln in read_grid(data, "a.html").lines if not ln.blank]


# -- round trips -----------------------------------------------------------------------------


def test_bundled_document_reads_back_from_its_page(rendered):
    expected = graph(BUNDLED, "guangzhou-hrss-2024-budget.txt")
    found = graph(rendered("html"), "budget.html")
    assert found == expected, differences(expected, found)


@pytest.mark.parametrize("seed", DEPARTMENTS)
def test_generated_department_reads_back_from_its_page(seed, rendered):
    page = rendered("html", seed=seed)
    expected = graph(rendered("txt", seed=seed), f"synthetic-{seed}.txt")
    found = graph(page, f"synthetic-{seed}.html")
    assert found == expected, differences(expected, found)
    # the same page as a Chinese government site often serves it: GB18030 bytes declaring gb2312
    legacy = page.decode("utf-8").replace('charset="utf-8"', 'charset="gb2312"', 1).encode("gb18030")
    assert b'charset="gb2312"' in legacy[:1024]
    assert graph(legacy, f"synthetic-{seed}.html") == expected


def test_places_are_the_table_row_and_column_of_the_page(rendered):
    text = rendered("txt", seed=1).decode("utf-8")
    page = rendered("html", seed=1).decode("utf-8")
    doc = read_document(page.encode("utf-8"), filename="synthetic-1.html")
    first = doc.projects[0]
    # Where the rendering prints this project's total, found by plain string search: the
    # n-th <table> of the page, the m-th <tr> of that table, the k-th cell of the row.
    printed = text.split("\n")[read_document(text.encode(), filename="t.txt").projects[0].row.line - 1]
    name, total = printed.split("\t")[:2]
    start = page.index(f">{name}<")
    table = page.count("<table", 0, start)
    table_start = page.rindex("<table", 0, start)
    row = page.count("<tr", table_start, start)
    row_start = page.rindex("<tr", 0, start)
    cell_at = page.index(f">{total}<", start)
    column = page.count("<td", row_start, cell_at) + page.count("<th", row_start, cell_at)
    assert first.name == name
    assert first.row.cells["total"].source.place == Place(table=table, row=row, column=column)


# -- the front end on small pages ------------------------------------------------------------


def test_headings_paragraphs_and_list_items():
    data = _page("<h1>2024年部门预算</h1><h3>一、主要职责</h3><p>第一段</p><div>第二段</div><ul><li>表一</li></ul>")
    assert _lines(data) == ["# 2024年部门预算", "### 一、主要职责", "第一段", "第二段", "- 表一"]


def test_spans_are_expanded_into_empty_cells_the_top_left_keeps_the_text():
    data = _page(
        "<table><tr><th rowspan=2>科目编码</th><th colspan=2>财政拨款</th><th>其他</th></tr>"
        "<tr><th>一般</th><th>基金</th><th>事业</th></tr>"
        "<tr><td>201</td><td>1.00</td><td>2.00</td><td>3.00</td></tr></table>"
    )
    grid = read_grid(data, "a.html")
    rows = [ln for ln in grid.lines if not ln.blank]
    assert [r.text for r in rows] == ["科目编码\t财政拨款\t\t其他", "\t一般\t基金\t事业", "201\t1.00\t2.00\t3.00"]
    assert rows[1].places[0] == Place(table=1, row=2, column=1)
    assert rows[2].places[3] == Place(table=1, row=3, column=4)


def test_white_space_as_a_browser_shows_it():
    data = _page(
        "<p>  广州市人力资源\n   和社会保障局  部门预算 </p>"
        "<table><tr><td>事业单位经营<br>支出</td><td>\n 5.00 \n</td></tr></table>"
    )
    assert _lines(data) == ["广州市人力资源和社会保障局 部门预算", "事业单位经营支出\t5.00"]


def test_a_line_break_in_a_paragraph_ends_a_line():
    data = _page("<p>注：财政拨款收支情况。<br>本套报表金额单位转换时可能存在尾数误差。</p>")
    assert _lines(data) == ["注：财政拨款收支情况。", "本套报表金额单位转换时可能存在尾数误差。"]


def test_scripts_styles_and_navigation_are_not_read():
    data = _page("<nav>首页 第一部分</nav><script>var s = '第二部分';</script><style>p{}</style><p>正文</p>尾")
    assert _lines(data) == ["正文", "尾"]


def test_a_gb2312_page_is_read_as_gb18030():
    # 镕 is in GBK (and GB18030) but not in GB2312: pages declared gb2312 hold such characters
    data = _page("<p>朱镕基</p>", '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    assert _lines(data.decode().encode("gb18030")) == ["朱镕基"]


def test_entities_are_html_only_and_nothing_is_fetched():
    data = (
        b'<!DOCTYPE html [<!ENTITY big "xxxxxxxxxx">]><html><body><p>&amp; &big;</p>'
        b'<img src="http://127.0.0.1:9/x"></body></html>'
    )
    lines = _lines(data)  # "]>" after the doctype is text, as a browser shows it
    assert lines[-1] == "& &big;" and not any("xxxxxxxxxx" in line for line in lines)


# -- bad pages -------------------------------------------------------------------------------


def _refused(tmp_path: Path, data: bytes, name: str, code: str) -> str:
    with pytest.raises(DocumentError) as caught:
        read_document(data, filename=name)
    assert caught.value.code == code, str(caught.value)
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["check", str(path)])
    assert result.exit_code == 2, result.output
    assert f"error[{code}]" in result.stderr and "Traceback" not in result.output + result.stderr
    return str(caught.value)


def test_a_page_that_is_not_a_budget_is_refused(tmp_path):
    data = _page("<h1>新闻中心</h1><p>今日要闻：全市就业形势稳定。</p><table><tr><td>a</td><td>b</td></tr></table>")
    _refused(tmp_path, data, "news.html", "not-a-budget")
    _refused(tmp_path, _page("<script>x</script>"), "empty.html", "not-a-budget")


def test_a_cell_too_long_is_refused_naming_it(tmp_path):
    data = _page("<h1>2024年某局部门预算</h1><table><tr><td>名称</td><td>" + "字" * 10_001 + "</td></tr></table>")
    message = _refused(tmp_path, data, "long.html", "line-too-long")
    assert "table 1 row 1 column 2" in message


def test_a_page_too_large_is_refused(tmp_path):
    data = _page("<p>" + "x" * MAX_HTML_BYTES + "</p>")
    _refused(tmp_path, data, "huge.html", "too-large")


def test_a_span_cannot_make_a_small_page_a_huge_grid(tmp_path):
    data = _page("<table><tr><td colspan=100000 rowspan=100000>x</td><td>y</td></tr></table>")  # 257 columns
    message = _refused(tmp_path, data, "spans.html", "too-large")
    assert "table 1" in message


def test_spans_cannot_make_a_page_millions_of_cells(tmp_path):
    rows = "<tr><td colspan=255>x</td><td>y</td></tr>" * 2_000  # 70 kB, half a million cells spanned
    message = _refused(tmp_path, _page(f"<table>{rows}</table>"), "wide.html", "too-large")
    assert "table cells" in message
    assert MAX_CELLS < 2_000 * 256


def test_a_page_in_another_charset_is_refused(tmp_path):
    _refused(tmp_path, _page("<p>x</p>", '<meta charset="shift_jis">'), "sjis.html", "bad-encoding")


def test_a_page_of_any_markup_is_a_document_error_or_reads():
    # Tags cut, unclosed, nested wrongly, spans that are not numbers: a DocumentError or lines.
    pieces = ["<table>", "<tr>", "<td colspan='x'>", "<td rowspan=-3>", "</td>", "<th colspan=0>", "<p>", "<br>"]
    pieces += ["<h2>", "</h7>", "<li>", "<!--", "-->", "<script>", "&#0;", "&#xD800;", "表1", "\n", "<<", "<div"]
    rng = random.Random(33)
    for _ in range(200):
        page = "<html>" + "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 60)))
        try:
            read_grid(page.encode("utf-8"), "a.html")
        except DocumentError:
            pass
