"""Search (/search, budgetkg.query.search): what a reader of the bundled document looks for is found.

Expected names are read from the document's text (表12's rows), not from the index."""

from __future__ import annotations

from pathlib import Path

import pytest
from budgetkg.query.search import MAX_QUERY_CHARS, build_index, terms

TABLE_12 = "## 部门预算项目支出及其他支出预算表"


def table_12_names(seed_lines: list[str]) -> list[str]:
    """The first cell of every row of 表12 (its projects, and its unit and total rows)."""
    start = seed_lines.index(TABLE_12)
    end = next(i for i in range(start + 1, len(seed_lines)) if seed_lines[i].startswith("## "))
    return [line.split("\t")[0] for line in seed_lines[start + 1 : end] if "\t" in line]


@pytest.fixture(scope="module")
def index(store):
    return build_index(store)


@pytest.fixture(scope="module")
def client(store_path):
    from budgetkg.server.app import ServerOptions, create_app
    from starlette.testclient import TestClient

    with TestClient(create_app(ServerOptions(store=Path(store_path)))) as c:
        yield c


def test_kjc_finds_its_14_projects_first(index, seed_lines):
    printed = {name for name in table_12_names(seed_lines) if "科教城" in name}
    assert len(printed) == 14
    projects = [entry.name for _, entry in index.search("科教城", "project")]
    # Matched in their names, they rank above a project whose goal alone names 科教城.
    assert set(projects[:14]) == printed


def test_it_operations_are_found_whatever_the_word_order(index, seed_lines):
    printed = {n for n in table_12_names(seed_lines) if "信息化" in n and "运维" in n}
    assert len(printed) > 15
    for query in ("信息化运维", "运维信息化"):
        found = {entry.name for _, entry in index.search(query, "project")}
        assert printed <= found, query


def test_codes_are_found_by_their_notation_and_name(index, seed_lines):
    line = next(x for x in seed_lines if x.startswith("[2050303]"))  # [2050303]技校教育
    notation, name = line.split("\t")[0][1:].split("]")
    for query in (notation, notation[:5], name):
        codes = [entry for _, entry in index.search(query, "code")]
        assert name in [c.name for c in codes], query
    assert index.search(notation, "code")[0][1].name == name


def test_tokens_are_character_pairs_and_latin_runs():
    assert terms("科教城", query=True) == ["科教", "教城"]
    assert terms("Ｉ T 2024年", query=True) == ["i", "t", "2024", "年"]  # full width folded, case folded
    assert set(terms("科教城")) == {"科", "科教", "教", "教城", "城"}


def test_the_page_marks_matches_escapes_and_pages(client, seed_lines):
    page = client.get("/search", params={"q": "科教城", "kind": "project"})
    assert page.status_code == 200
    assert page.text.count("<mark>科教城</mark>") >= 14
    assert page.text.count('class="result result-project"') == 15  # 14 by name, one by its goal (line 792)
    hostile = client.get("/search", params={"q": "<script>alert(1)</script>科教城"})
    assert "<script>alert" not in hostile.text and "&lt;script&gt;" in hostile.text
    first, second = (client.get("/search", params={"q": "科", "page": n}) for n in (1, 2))
    assert first.text.count('<li class="result') == 20 and 'rel="next"' in first.text
    assert 'rel="prev"' in second.text
    assert client.get("/search", params={"q": "科", "page": "0"}).status_code == 400
    assert client.get("/search", params={"q": "科", "page": "9" * 20}).status_code == 400
    # A query past the cap is read up to it, not refused; an unknown kind means any kind.
    assert client.get("/search", params={"q": "科" * (50 * MAX_QUERY_CHARS)}).status_code == 200
    assert client.get("/search", params={"q": "科教城", "kind": "x"}).text.count('class="result ') > 15


def test_a_result_links_to_its_page(client):
    from lxml import html

    page = html.fromstring(client.get("/search", params={"q": "广州市技师学院入驻科教城搬迁开办项目"}).text)
    link = page.xpath("//li[contains(@class, 'result-project')]/a")[0]
    assert link.text_content() == "广州市技师学院入驻科教城搬迁开办项目"
    project = html.fromstring(client.get(link.get("href"), headers={"Accept": "text/html"}).text)
    assert project.xpath("//h1")[0].text_content() == "广州市技师学院入驻科教城搬迁开办项目"
