"""The source beside every figure: the store keeps each document's file (budgetkg.load.sources),
the server shows it at the place a figure was printed (budgetkg.server.source), over HTTP and in
a real headless Chromium.

Expected texts and line numbers are read from the bundled document's text, never from the pages."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from browser import accessibility_violations
from budgetkg.load.graph import build
from lxml import html
from servers import start
from test_browser import browser  # noqa: F401  (the module-scoped Chromium fixture)

KJC_PROJECT = "广州市技师学院入驻科教城搬迁开办项目"  # 表12, line 791
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
BKG = "https://w3id.org/budgetkg/ontology#"


def line_of(seed_lines: list[str], first_cell: str) -> int:
    return next(i for i, line in enumerate(seed_lines, 1) if line.split("\t")[0] == first_cell)


def client_for(store: Path):
    from budgetkg.server.app import ServerOptions, create_app
    from starlette.testclient import TestClient

    return TestClient(create_app(ServerOptions(store=store)))


def resource(client, select: str) -> html.HtmlElement:
    """The HTML page of the first resource ``select`` (binding ?x) finds."""
    answer = client.get("/sparql", params={"query": select}, headers={"Accept": "application/sparql-results+json"})
    iri = answer.json()["results"]["bindings"][0]["x"]["value"]
    page = client.get(iri.removeprefix("https://w3id.org/budgetkg/data"), headers={"Accept": "text/html"})
    assert page.status_code == 200
    return html.fromstring(page.text)


def printed_at(page: html.HtmlElement) -> str:
    return page.xpath("//a[@class='printed-at']/@href")[0]


def project_select(name: str) -> str:
    return f'SELECT ?x WHERE {{ ?x a <{BKG}Project> ; <http://www.w3.org/2000/01/rdf-schema#label> "{name}"@zh }}'


def observation_select(printed: str) -> str:
    return f'SELECT ?x WHERE {{ ?x <{BKG}printedAmount> "{printed}" ; <{BKG}sourceColumn> ?c }} ORDER BY ?x LIMIT 1'


@pytest.fixture(scope="module")
def text_client(store_path):
    with client_for(store_path) as c:
        yield c


@pytest.fixture(scope="module")
def pdf_store(rendered, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf-source")
    (folder / "hrss.pdf").write_bytes(rendered("pdf-chromium"))
    build([folder / "hrss.pdf"], store=folder / "store")
    return folder / "store"


def test_a_build_keeps_each_source_and_remove_lets_it_go(tmp_path, seed_lines):
    from budgetkg.load.contents import remove_documents

    text = "\n".join(seed_lines)
    (tmp_path / "2024.txt").write_text(text, encoding="utf-8")
    (tmp_path / "2025.txt").write_text("\n" + text.replace("2024年", "2025年"), encoding="utf-8")
    sums = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.glob("*.txt")}
    store = tmp_path / "store"
    build(sorted(tmp_path.glob("*.txt")), store=store)
    kept = store / "sources"
    assert sorted(p.name for p in kept.iterdir()) == sorted(sums.values())
    assert (kept / sums["2025.txt"]).read_bytes() == (tmp_path / "2025.txt").read_bytes()
    graph = next(g for g in build([tmp_path / "2025.txt"], store=store).documents).graph
    assert sorted(p.name for p in kept.iterdir()) == sorted(sums.values())  # built again: the same file
    remove_documents([graph], path=store)
    assert [p.name for p in kept.iterdir()] == [sums["2024.txt"]]


def test_a_text_figure_opens_at_its_line(text_client, seed_lines):
    line = line_of(seed_lines, KJC_PROJECT)
    href = printed_at(resource(text_client, project_select(KJC_PROJECT)))
    assert href.endswith(f"#L{line}")
    page = html.fromstring(text_client.get(href.split("#")[0]).text)
    row = page.xpath(f"//*[@id='L{line}']")[0]
    assert [c.text_content() for c in row.xpath("td")] == seed_lines[line - 1].split("\t")
    assert text_client.get(href.split("#")[0] + "/file").content.decode("utf-8") == "\n".join(seed_lines)


@pytest.mark.parametrize("form", ["html", "xlsx"])
def test_a_figure_of_a_web_page_or_workbook_opens_at_its_cell(form, rendered, tmp_path, seed_lines):
    """The page is built from the parsed grid: a stranger's markup is shown as text, never run."""
    from budgetkg.render.html import render_html
    from budgetkg.render.xlsx import render_xlsx

    duties = seed_lines.index("## 一、主要职责") + 2  # the first paragraph of the duties
    lines = list(seed_lines)
    lines[duties] += HOSTILE
    data = "\n".join(lines).encode("utf-8")
    made = render_html(data, "hostile.txt").encode("utf-8") if form == "html" else render_xlsx(data, "hostile.txt")
    (tmp_path / f"hostile.{form}").write_bytes(made)
    build([tmp_path / f"hostile.{form}"], store=tmp_path / "store")
    with client_for(tmp_path / "store") as client:
        href = printed_at(resource(client, observation_select("5,470.45")))  # 表12, line 845
        assert "?place=" in href
        answer = client.get(href.split("#")[0])
        assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
        page = html.fromstring(answer.text)
        assert [c.text_content() for c in page.xpath("//*[@class='hit']")] == ["5,470.45"]
        assert HOSTILE in page.text_content()  # shown as the text it is
        download = client.get(href.split("?")[0] + "/file")
        assert download.headers["content-disposition"].startswith("attachment")
        assert download.headers["content-type"] == "application/octet-stream"


def test_a_pdf_figure_opens_at_its_page_with_its_box(pdf_store):
    from budgetkg.server.source import MAX_SIDE
    from PIL import Image

    with client_for(pdf_store) as client:
        href = printed_at(resource(client, observation_select("5,470.45")))
        assert "/page/" in href and "?box=" in href
        page = html.fromstring(client.get(href).text)
        assert page.xpath("//*[@class='box-text']")[0].text_content() == "5,470.45"
        assert page.xpath("//div[@class='page-box']/@style")
        image_href = page.xpath("//div[@class='page-image']/img/@src")[0]
        image = client.get(image_href)
        assert image.headers["content-type"] == "image/png"
        with Image.open(io.BytesIO(image.content)) as png:
            assert max(png.size) <= MAX_SIDE
        pdf_link = page.xpath("//a[contains(@href, '/file#page=')]/@href")[0]
        assert client.get(pdf_link.split("#")[0]).headers["content-type"] == "application/pdf"
        base = href.split("/page/")[0]
        for bad in ("/page/0.png", "/page/100000.png", "/page/1x.png", "/page/-1"):
            assert client.get(base + bad).status_code == 404, bad
        for box in ("1,2,3", "nan,1,2,3", "5,1,2,3", "1,2,3,1e9", "1,2,3,4,5"):
            assert client.get(base + "/page/1", params={"box": box}).status_code == 400, box
        assert client.get("/source/nothing-2024").status_code == 404
        assert client.get(base + "/../../../etc/passwd").status_code == 404


# --- in a real browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def text_site(store_path):
    process, url = start(store_path)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def pdf_site(pdf_store):
    process, url = start(pdf_store)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_browser_opens_a_figures_line_from_its_page(browser, text_site, seed_lines):  # noqa: F811
    from selenium.webdriver.common.by import By
    from servers import resource_path

    line = line_of(seed_lines, KJC_PROJECT)
    browser.get(text_site + resource_path(text_site, KJC_PROJECT))
    browser.find_element(By.CSS_SELECTOR, "a.printed-at").click()
    assert browser.current_url.endswith(f"#L{line}")
    target = browser.find_element(By.CSS_SELECTOR, ":target")
    assert target.get_attribute("id") == f"L{line}"
    assert target.text.startswith(f"{line} {KJC_PROJECT}")
    browser.execute_script("const t = document.querySelector(':target'); if (t) t.scrollIntoView({block: 'center'});")
    assert accessibility_violations(browser, "source-text") == []


def test_browser_opens_a_pdf_figures_page_with_its_box(browser, pdf_site):  # noqa: F811
    import httpx
    from selenium.webdriver.common.by import By

    answer = httpx.get(
        pdf_site + "/sparql",
        params={"query": observation_select("5,470.45")},
        headers={"Accept": "application/sparql-results+json"},
    )
    iri = answer.json()["results"]["bindings"][0]["x"]["value"]
    browser.get(pdf_site + iri.removeprefix("https://w3id.org/budgetkg/data"))
    browser.find_element(By.CSS_SELECTOR, "a.printed-at").click()
    assert browser.find_element(By.CSS_SELECTOR, ".box-text").text == "5,470.45"
    image = browser.find_element(By.CSS_SELECTOR, ".page-image img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0
    box = browser.find_element(By.CSS_SELECTOR, ".page-box")
    # The box is drawn inside the page's image, and is no bigger than a cell.
    inside, outside = box.rect, image.rect
    assert outside["x"] <= inside["x"] < inside["x"] + inside["width"] <= outside["x"] + outside["width"]
    assert outside["y"] <= inside["y"] < inside["y"] + inside["height"] <= outside["y"] + outside["height"]
    assert 0 < inside["width"] < outside["width"] / 4
    browser.execute_script("const t = document.querySelector(':target'); if (t) t.scrollIntoView({block: 'center'});")
    assert accessibility_violations(browser, "source-pdf-page") == []


def test_browser_searches_kjc_and_gets_its_14_projects(browser, text_site, seed_lines):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from test_search import table_12_names

    printed = {name for name in table_12_names(seed_lines) if "科教城" in name}
    browser.get(text_site + "/search")
    browser.find_element(By.ID, "q").send_keys("科教城")
    Select(browser.find_element(By.ID, "kind")).select_by_value("project")
    browser.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
    # The click starts the results page's load: read its results once they are there.
    found = WebDriverWait(browser, 60).until(lambda b: b.find_elements(By.CSS_SELECTOR, "li.result-project > a"))
    names = [a.text for a in found]
    assert set(names[:14]) == printed
    marks = browser.find_elements(By.CSS_SELECTOR, "li.result-project > a mark")
    assert {m.text for m in marks} == {"科教城"}
    browser.execute_script("const t = document.querySelector(':target'); if (t) t.scrollIntoView({block: 'center'});")
    assert accessibility_violations(browser, "search-kjc") == []


def test_the_publishers_page_and_date_are_shown_when_the_graph_has_them(tmp_path):
    """As `build --source-url URL --published DATE` states them (dcat:landingPage, dcterms:issued on
    the source document); an address that is not http(s) is not linked."""
    from budgetkg.load.store import apply_update

    store = tmp_path / "store"
    build(store=store)
    with client_for(store) as client:
        href = printed_at(resource(client, project_select(KJC_PROJECT))).split("#")[0]
        page = html.fromstring(client.get(href).text)
        graph = page.xpath("//dt[.='SHA-256']/following-sibling::dd[2]")[0].text_content()
    for url, linked in (("https://rsj.gz.gov.cn/budget-2024.html", True), ("javascript:alert(1)", False)):
        apply_update(
            f"""PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
            DELETE WHERE {{ GRAPH <{graph}> {{ ?s dcat:landingPage ?u }} }} ;
            INSERT DATA {{ GRAPH <{graph}> {{ <{graph}/source> dcat:landingPage <{url}> ;
              dcterms:issued "2024-03-01"^^<http://www.w3.org/2001/XMLSchema#date> }} }}""",
            path=store,
        )
        with client_for(store) as client:
            page = html.fromstring(client.get(href).text)
        assert "2024-03-01" in page.text_content()
        assert (page.xpath(f"//a[@href='{url}']") != []) is linked, url
