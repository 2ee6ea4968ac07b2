"""A real browser (Debian's headless Chromium, driven by Selenium with the system chromedriver)
uses the site as a person would: runs the query editor's query, reads the labelled results,
follows links between resource pages; axe-core checks each page (see tests/browser.py), and
each page's screenshot is kept under tests/artifacts/screenshots/."""

import os
import re

import httpx
import pytest
from browser import accessibility_violations, chromium, screenshot
from servers import resource_path, start

# The update token of the module's server: its access log must never show it.
TOKEN = "never-logged-5f0c1e"
FUND = "https://w3id.org/budgetkg/codelist/fund/2024/general-public-budget"


@pytest.fixture(scope="module")
def browser():
    b = chromium()
    yield b
    b.quit()


@pytest.fixture(scope="module")
def access_log(tmp_path_factory):
    return tmp_path_factory.mktemp("log") / "access.log"


@pytest.fixture(scope="module")
def site(store_path, access_log):
    process, url = start(
        store_path, "--access-log", str(access_log), env={**os.environ, "BUDGETKG_UPDATE_TOKEN": TOKEN}
    )
    yield url
    process.terminate()
    process.wait(timeout=10)


def csp_refusals(browser) -> list[str]:
    """The console's messages since the last call that say the Content-Security-Policy refused something."""
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_the_default_query_shows_labels_local_links_and_amounts(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    csp_refusals(browser)
    browser.get(site + "/sparql")
    wait = WebDriverWait(browser, 60)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".yasqe")))  # the editor took the text area's place
    assert "kjc-relocation" in browser.execute_script("return window.budgetkgYasqe.getValue()")
    browser.find_element(By.CSS_SELECTOR, "#query-form button[type=submit]").click()
    table = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "table.results")))
    screenshot(browser, "query-results")
    text = table.text
    # Labels, not IRIs: the college of line 845 and its project, the funding source's name.
    assert "广州市交通技师学院" in text and "市交通技师学院入驻科教城购置项目" in text and "一般公共预算" in text
    assert "5,470.45 万元" in text  # line 845: 5,470.45
    assert "%E5" not in text and "https://" not in text  # no IRI, percent-encoded or not, is shown
    hrefs = [a.get_attribute("href") for a in table.find_elements(By.TAG_NAME, "a")]
    assert hrefs and all(h.startswith(site + "/") for h in hrefs)  # the server's own pages, not w3id.org
    # The table fits the window: nothing is wider than the page.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    # Its first unit link opens the unit's page, labelled.
    unit = table.find_element(By.LINK_TEXT, "广州市交通技师学院")
    unit.click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "广州市交通技师学院"
    assert csp_refusals(browser) == []  # the server's Content-Security-Policy lets the pages do all they do


def test_results_work_without_javascript_and_in_english(site):
    # What a browser without JavaScript gets: the form's GET, answered as a page.
    r = httpx.get(
        site + "/sparql",
        params={"query": f"SELECT ?f WHERE {{ VALUES ?f {{ <{FUND}> }} }}", "lang": "en"},
        headers={"Accept": "text/html"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<html lang="en">' in r.text and "General public budget" in r.text
    assert 'href="/codelist/fund/2024/general-public-budget?lang=en"' in r.text
    # The query is printed back into the editor escaped: it cannot close the text area.
    hostile = "ASK {} # </textarea><script>alert(1)</script>"
    r = httpx.get(site + "/sparql", params={"query": hostile}, headers={"Accept": "text/html"})
    assert r.status_code == 200 and "# &lt;/textarea&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in r.text
    assert "<script>alert(1)" not in r.text


def test_the_editor_s_examples_run_from_a_link(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + "/sparql?example=01-kjc-relocation-by-college")
    assert "12,944.22 万元" in browser.find_element(By.CSS_SELECTOR, "table.results").text  # line 869


PAGES = {
    "query-editor": "/sparql",
    "query-results": "/sparql?example=01-kjc-relocation-by-college",
    "catalogue": "/catalog",
    "void": "/.well-known/void",
    "error": "/org/no-such-unit",
}


@pytest.mark.parametrize("name", [*PAGES, "resource"])
def test_pages_have_no_serious_accessibility_violations(browser, site, name):
    from selenium.webdriver.common.by import By

    path = PAGES.get(name) or resource_path(site, "广州市工贸技师学院入驻科教城购置项目")  # line 776
    browser.get(site + path)
    assert browser.find_element(By.TAG_NAME, "h1").text
    assert accessibility_violations(browser, name) == []


def test_the_ontology_page_is_styled_under_the_policy_and_links_back(browser, site):
    from selenium.webdriver.common.by import By

    csp_refusals(browser)
    browser.get(site + "/ontology")
    assert "AccountingIdentity" in browser.find_element(By.TAG_NAME, "body").text
    titles = browser.find_elements(By.CSS_SELECTOR, "h1 span[lang]")
    assert [t.text for t in titles] == ["budgetkg 部门预算本体", "budgetkg ontology of department budgets"]
    assert browser.find_element(By.LINK_TEXT, "budgetkg").get_attribute("href") == site + "/"
    assert csp_refusals(browser) == []


def test_project_page_links_to_its_unit(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + resource_path(site, "广州市工贸技师学院入驻科教城购置项目"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "广州市工贸技师学院入驻科教城购置项目"
    browser.find_element(By.LINK_TEXT, "广州市工贸技师学院").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "广州市工贸技师学院"


def test_machines_still_get_json_and_rdf(site):
    curl = {"User-Agent": "curl/8.5.0", "Accept": "*/*"}
    query = {"query": "SELECT ?s WHERE { ?s a <https://w3id.org/budgetkg/ontology#Project> } LIMIT 2"}
    r = httpx.get(site + "/sparql", params=query, headers=curl)
    assert r.headers["content-type"].startswith("application/sparql-results+json")
    assert len(r.json()["results"]["bindings"]) == 2
    for path in ("/sparql", "/catalog", "/.well-known/void", resource_path(site, "广州市工贸技师学院")):
        r = httpx.get(site + path, headers={**curl, "Accept": "text/turtle"}, timeout=120)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle"), path
    missing = httpx.get(site + "/org/no-such-unit", headers=curl)
    assert missing.status_code == 404 and missing.json()["ok"] is False  # the one JSON error shape


# One line of the Combined Log Format; a quoted field holds \" and \\ escaped, no other quote.
QUOTED = r'"(?:[^"\\]|\\.)*"'
CLF = re.compile(
    rf"^\S+ - - \[\d\d/\w{{3}}/\d{{4}}:\d\d:\d\d:\d\d [+-]\d{{4}}\] {QUOTED} \d{{3}} (\d+|-) {QUOTED} {QUOTED}$"
)


def test_the_access_log_has_a_line_a_request_and_never_the_token(site, access_log):
    hostile = b'agent" \xe9\\ "-" [forged]'  # a quote to end the field early, a byte no log should hold
    r = httpx.get(site + "/sparql", params={"query": "ASK {}"}, headers={"User-Agent": hostile})
    assert r.status_code == 200
    update = httpx.post(
        site + "/sparql",
        data={"update": "NOT AN UPDATE"},  # the token is right, the update refused: the store stays as built
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert update.status_code == 400
    lines = access_log.read_text(encoding="ascii").splitlines()
    assert lines and all(CLF.match(line) for line in lines), [x for x in lines if not CLF.match(x)][:3]
    assert any(' "GET /sparql?query=ASK+%7B%7D HTTP/1.1" 200 ' in line for line in lines)
    assert any(line.endswith('"agent\\" \\xe9\\\\ \\"-\\" [forged]"') for line in lines)  # escaped
    assert any('"POST /sparql HTTP/1.1" 400 ' in line for line in lines)
    assert TOKEN not in access_log.read_text(encoding="ascii")
