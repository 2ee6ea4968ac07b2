"""The pages for reading the budget without SPARQL (issue 34, items 2, 4, 7): the home page, a
document's page with its charts, the tables as printed with their views, CSV and JSON, and the
identities on the table and observation pages.  Expected figures are read off the bundled
document's text (its lines), not from the code under test."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from urllib.parse import quote

import pytest
from lxml import html

DEPARTMENT = "广州市人力资源和社会保障局"
KEY = f"{DEPARTMENT}-2024"
DOC = f"/browse/{quote(KEY)}/"
# The printed columns of 表12 after the row's name, in the document's order.
T12 = (
    "总计",
    "财政拨款/合计",
    "财政拨款/一般公共预算",
    "财政拨款/政府性基金预算",
    "财政拨款/国有资本经营预算",
    "财政专户拨款",
    "其他资金",
)


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def table12_lines(seed_lines: list[str]) -> list[tuple[int, list[str]]]:
    """表12's rows in the document's text: (line, cells), the repeated page headers left out."""
    start = seed_lines.index("## 部门预算项目支出及其他支出预算表") + 1
    end = next(n for n in range(start, len(seed_lines)) if seed_lines[n].startswith("注："))
    out = []
    for n in range(start, end):
        cells = seed_lines[n].split("\t")
        if len(cells) >= 8 and cells[0] and cells[0] != "支出项目类别（资金使用单位）":
            out.append((n + 1, cells))
    return out


def client_class():
    import warnings

    with warnings.catch_warnings():  # Starlette would have httpx2 for its test client; httpx serves
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    return TestClient


@pytest.fixture(scope="module")
def client(store_path):
    from budgetkg.server import ServerOptions, create_app

    with client_class()(create_app(ServerOptions(store=store_path)), base_url="http://127.0.0.1") as c:
        yield c


def page(client, path: str, status: int = 200):
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == status, r.text[:500]
    return html.fromstring(r.text)


def text(node) -> str:
    return " ".join(node.text_content().split())


def test_the_document_key_round_trips():
    from budgetkg.server.documents import doc_iri, doc_key

    iri = "https://w3id.org/budgetkg/data/dataset/%E5%B9%BF%E5%B7%9E%E5%B8%82-x%2Fy/2024"
    assert doc_key(iri) == "广州市-x/y-2024"
    assert doc_iri(doc_key(iri)) == iri
    for bad in ("2024", "广州市-24", "广州市-２０２４", "广州市"):
        with pytest.raises(ValueError):
            doc_iri(bad)


def test_the_home_page_lists_the_document_and_the_ways_in(client):
    tree = page(client, "/")
    row = tree.xpath("//table[@class='documents']/tbody/tr")[0]
    assert [text(td) for td in row.xpath("td")][:4] == [DEPARTMENT, "2024", "文本 text", "真实 real"]
    assert row.xpath(".//a/@href")[-1] == DOC
    assert tree.xpath("//form[@action='/search']//input[@name='q']/@id") == ["search-q"]
    assert tree.xpath("//label[@for='search-q']")
    assert {"/sparql", "/catalog", "/ontology"} <= set(tree.xpath("//main//a/@href"))


def test_the_document_page_lists_its_twelve_tables(client):
    tree = page(client, DOC)
    links = tree.xpath("//ol[@class='tables']//a")
    assert len(links) == 12
    assert links[11].get("href") == DOC + "table-12" and text(links[11]) == "表12 部门预算项目支出及其他支出预算表"


def test_the_charts_show_where_the_money_goes_with_the_figures_beside_them(client, seed_lines):
    tree = page(client, DOC)
    assert len(tree.xpath("//svg[@role='img']")) == 3
    funds = tree.xpath("//section[h3[@id='chart-funds']]//table//tr[th]")
    figures = {text(r.xpath("th")[0]): text(r.xpath("td")[0]) for r in funds if r.xpath("td")}
    # 表2, line 130: the 合计 row's columns by funding source.
    total = seed_lines[129].split("\t")
    assert total[1] == "合计"
    assert figures["一般公共预算"] == total[3] == "787,597.90"
    assert figures["政府性基金预算"] == total[4]
    assert figures["教育收费"] == total[6]
    assert figures["事业收入"] == total[8] and figures["其他收入"] == total[10]
    assert "国有资本经营预算" not in figures  # 0.00: no bar
    units = tree.xpath("//section[h3[@id='chart-units']]//table//tr[th[@scope='row']]")
    by_unit = {text(r.xpath("th")[0]): [text(td) for td in r.xpath("td")] for r in units}
    # 表12 prints 广州市公用事业技师学院's projects at 20,468.75 (its unit row).
    assert by_unit["广州市公用事业技师学院"][1] == "20,468.75"
    classes = tree.xpath("//section[h3[@id='chart-functional']]//table//tr[th[@scope='row']]")
    assert any(text(r.xpath("th")[0]) == "205 教育支出" for r in classes)


def test_table_12_shows_its_rows_as_printed_in_pages_of_50(client, seed_lines):
    printed = table12_lines(seed_lines)
    assert len(printed) == 232  # as the issue counts them
    tree = page(client, DOC + "table-12")
    assert tree.xpath("//b[@id='row-count']")[0].text == "232"
    heads = [[text(th) for th in tr.xpath("th")] for tr in tree.xpath("//table[@id='printed-table']/thead/tr")]
    assert heads == [
        ["支出项目类别（资金使用单位）", "总计", "财政拨款", "财政专户拨款", "其他资金", "绩效目标"],
        ["合计", "一般公共预算", "政府性基金预算", "国有资本经营预算"],
    ]
    rows = tree.xpath("//table[@id='printed-table']/tbody/tr")
    assert len(rows) == 50
    for tr, (line, cells) in zip(rows, printed[:50], strict=True):
        assert tr.get("data-line") == str(line)
        assert text(tr.xpath("th")[0]) == cells[0]
        assert [text(td) for td in tr.xpath("td[@class!='goal']")] == cells[1:8]
    last = page(client, DOC + "table-12?page=5").xpath("//table[@id='printed-table']/tbody/tr")
    assert [tr.get("data-line") for tr in last] == [str(line) for line, _ in printed[200:]]


def test_cells_and_row_labels_link_to_their_pages(client):
    tree = page(client, DOC + "table-12?q=公用事业技师学院入驻科教城购置")
    (row,) = tree.xpath("//table[@id='printed-table']/tbody/tr")
    label = row.xpath("th/a")[0]
    assert text(label) == "广州市公用事业技师学院入驻科教城购置项目"
    assert "/project/2024/" in label.get("href")
    total = row.xpath("td/a")[0]
    assert text(total) == "12,944.22"  # line 869
    observation = page(client, total.get("href"))
    assert "12944.22" in text(observation)
    project = page(client, label.get("href"))
    assert text(project.xpath("//h1")[0]) == "广州市公用事业技师学院入驻科教城购置项目"


def test_table_1_prints_both_sides_of_a_line_side_by_side(client, seed_lines):
    tree = page(client, DOC + "table-1")
    first = tree.xpath("//table[@id='printed-table']/tbody/tr")[0]
    # Line 85: 一、预算拨款 797,407.58 | 一、一般公共服务支出 5.00
    assert first.get("data-line") == "85"
    assert [text(c) for c in first.xpath("th|td")] == seed_lines[84].split("\t")


def test_the_filters_sorting_and_downloads_agree_with_the_document(client, seed_lines):
    funded = [cells for _, cells in table12_lines(seed_lines) if amount(cells[4]) != 0]
    expected = sorted(funded, key=lambda c: amount(c[1]), reverse=True)
    view = "?source=government-fund-budget&sort=total&desc=1"
    tree = page(client, DOC + "table-12" + view)
    shown = [text(tr.xpath("th")[0]).split(" ")[0] for tr in tree.xpath("//table[@id='printed-table']/tbody/tr")]
    assert shown == [c[0] for c in expected]
    link = tree.xpath("//a[@id='download-csv']/@href")[0]
    path, _, params = link.partition("?")
    assert path == DOC + "table-12.csv" and sorted(params.split("&")) == sorted(view[1:].split("&"))
    r = client.get(link)
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert [row["label"] for row in rows] == [c[0] for c in expected]
    for row, cells in zip(rows, expected, strict=True):
        assert [Decimal(row[name]) for name in T12] == [amount(c) for c in cells[1:8]]
        assert row["总计_iri"].endswith("/total") and row["row_iri"]
    data = json.loads(client.get(DOC + "table-12.json" + view).content)
    assert [Decimal(r["cells"]["gfb"]["amount"]) for r in data["rows"]] == [amount(c[4]) for c in expected]
    assert [r["cells"]["gfb"]["printed"] for r in data["rows"]] == [c[4] for c in expected]


def test_filter_by_unit_and_code(client, seed_lines):
    tree = page(client, DOC + "table-12?unit=广州市公用事业技师学院")
    labels = [text(tr.xpath("th")[0]).split(" ")[0] for tr in tree.xpath("//table[@id='printed-table']/tbody/tr")]
    printed = [cells[0] for _, cells in table12_lines(seed_lines)]
    start = printed.index("广州市公用事业技师学院")
    assert labels[0] == "广州市公用事业技师学院" and labels == printed[start : start + len(labels)]
    assert "广州市公用事业技师学院入驻科教城购置项目" in labels
    codes = page(client, DOC + "table-3?code=208")
    found = [text(tr.xpath("td[@class='code']")[0]) for tr in codes.xpath("//table[@id='printed-table']/tbody/tr")]
    assert found and all(c.startswith("208") for c in found) and "208" in found


@pytest.mark.parametrize(
    "query",
    [
        "?sort=DROP",
        "?unit=没有这个单位",
        "?source=<x>",
        "?page=0",
        "?page=9",
        "?page=1e3",
        "?code=20'8",
        "?desc=yes",
        "?q=" + "字" * 101,
        "?q=%00",
    ],
)
def test_a_view_the_table_cannot_answer_is_refused(client, query):
    tree = page(client, DOC + "table-12" + query, 400)
    assert tree.xpath("//p[@class='error']")


@pytest.mark.parametrize("path", ["table-13", "table-0", "table-1.xml", "table-01x", "tables", "table-1.csv.json"])
def test_a_table_that_is_not_there_is_404(client, path):
    page(client, DOC + path, 404)


def test_an_unknown_document_is_404(client):
    page(client, "/browse/" + quote("没有的部门-2024") + "/", 404)
    page(client, "/browse/" + quote("<script>-2024") + "/table-1", 404)


def test_an_observation_page_shows_the_identities_it_takes_part_in(client, seed_lines):
    # 表1 line 87: 三、其他资金 13,649.84; 表2's 合计 row (line 130) prints its parts: 事业收入
    # 10,760.89, 经营收入 0.00, 其他收入 2,888.94, which sum to 13,649.83: a rounding difference.
    assert seed_lines[86].split("\t")[:2] == ["三、其他资金", "13,649.84"]
    parts = seed_lines[129].split("\t")[8:11]
    assert sum(amount(p) for p in parts) == Decimal("13649.83")
    table = page(client, DOC + "table-1")
    cell = table.xpath("//tr[@data-line='87']/td/a")[0]
    assert "flag-rounding" in cell.getparent().get("class")
    tree = page(client, cell.get("href"))
    rows = tree.xpath("//table[@class='identities']/tbody/tr")
    rounding = [r for r in rows if "status-rounding" in r.get("class")]
    assert len(rounding) == 1
    cells = [text(td) for td in rounding[0].xpath("td")]
    assert cells[2:5] == ["13,649.84", "13,649.83", "0.01"]
    assert sorted(text(a).split(": ")[-1] for a in rounding[0].xpath("td//li")) == sorted(parts)


def test_the_table_page_shows_the_arithmetic_of_its_rows(client, seed_lines):
    tree = page(client, DOC + "table-12?q=广州市公用事业技师学院入驻科教城购置项目")
    rows = tree.xpath("//table[@class='identities']/tbody/tr")
    # Line 869: 总计 12,944.22 = 财政拨款 12,944.22 + 财政专户拨款 0.00 + 其他资金 0.00, exact.
    sums = [r for r in rows if "总计" in text(r.xpath("td")[1]) or "total" in text(r.xpath("td")[1])]
    assert sums and all("status-exact" in r.get("class") for r in sums)
    assert any(text(r.xpath("td")[2]) == "12,944.22" == text(r.xpath("td")[3]) for r in sums)
    counts = tree.xpath("//table[@class='identity-counts']/tbody/tr")
    assert any(text(tr.xpath("td")[0]) == "row-sum" for tr in counts)


def test_every_document_of_a_store_has_its_pages_and_a_made_up_one_says_so(tmp_path, seed_lines):
    from budgetkg.load.graph import build
    from budgetkg.server import ServerOptions, create_app
    from budgetkg.tooling.synthetic import generate

    TestClient = client_class()

    made_up = generate(3)
    (tmp_path / "2024.txt").write_text("\n".join(seed_lines), encoding="utf-8")
    (tmp_path / "2025.txt").write_text("\n" + "\n".join(seed_lines).replace("2024年", "2025年"), encoding="utf-8")
    (tmp_path / "synthetic-3.txt").write_text(made_up.text, encoding="utf-8")
    build(sorted(tmp_path.glob("*.txt")), store=tmp_path / "store")
    with TestClient(create_app(ServerOptions(store=tmp_path / "store")), base_url="http://127.0.0.1") as c:
        rows = page(c, "/").xpath("//table[@class='documents']/tbody/tr")
        found = {text(r.xpath("td")[0]) + " " + text(r.xpath("td")[1]): text(r.xpath("td")[3]) for r in rows}
        assert found[f"{DEPARTMENT} 2024"] == found[f"{DEPARTMENT} 2025"] == "真实 real"
        assert len(found) == 3 and sorted(found.values())[0] == "模拟 synthetic"
        # The same department's two years have two keys; 2025's lines are one further down.
        later = page(c, "/browse/" + quote(f"{DEPARTMENT}-2025") + "/table-1")
        assert later.xpath("//table[@id='printed-table']/tbody/tr")[0].get("data-line") == "86"
        synthetic = next(r for r in rows if "synthetic" in text(r.xpath("td")[3]))
        tree = page(c, synthetic.xpath(".//a/@href")[-1] + "table-12")
        assert tree.xpath("//p[@class='synthetic']")
        assert int(tree.xpath("//b[@id='row-count']")[0].text) > 0


def test_a_hostile_name_is_escaped_on_the_page_and_never_a_formula_in_the_csv(tmp_path, seed_lines):
    from budgetkg.load.graph import build
    from budgetkg.server import ServerOptions, create_app

    hostile = '=HYPERLINK("http://evil.example")<script>alert(1)</script>'
    lines = list(seed_lines)
    assert lines[683].startswith("局本级民办教育发展专项财政补贴\t")  # a project of 表12
    lines[683] = hostile + lines[683][len("局本级民办教育发展专项财政补贴") :]
    (tmp_path / "doc.txt").write_text("\n".join(lines), encoding="utf-8")
    build([tmp_path / "doc.txt"], store=tmp_path / "store")
    with client_class()(create_app(ServerOptions(store=tmp_path / "store")), base_url="http://127.0.0.1") as c:
        r = c.get(DOC + "table-12", headers={"Accept": "text/html"})
        assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
        rows = list(csv.DictReader(io.StringIO(c.get(DOC + "table-12.csv").content.decode("utf-8-sig"))))
        assert rows[2]["line"] == "684" and rows[2]["label"] == "'" + hostile


def test_a_figure_and_a_table_link_to_the_table_as_printed(client):
    table = page(client, DOC + "table-8")
    cell = table.xpath("//table[@id='printed-table']/tbody/tr[@data-line='534']/td/a")[0]
    assert text(cell) == "3,409.20"  # line 534: 行政经费
    observation = page(client, cell.get("href"))
    assert observation.xpath("//a[starts-with(text(), '在表中查看')]/@href") == [DOC + "table-8"]
