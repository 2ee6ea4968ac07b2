"""The browsing pages in a real browser (headless Chromium through Selenium): 表12 sorted and
filtered with JavaScript off, its filtered CSV compared with the document's text and with a
SPARQL query's figures, and an accessibility check of the pages with axe-core.

Screenshots of the pages go to tests/artifacts/screenshots/ (not committed), for a person to
look at after a run."""

from __future__ import annotations

import csv
import io
import shutil
from decimal import Decimal
from urllib.parse import quote

import httpx
import pytest
from browser import accessibility_violations
from browser import screenshot as shot
from servers import start
from test_browse import DOC, T12, amount, table12_lines
from test_browser import browser  # noqa: F401  (the fixture: Chromium with JavaScript on)

WINDOW = (1280, 900)


def chromium(javascript: bool):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip("Chromium and chromedriver are not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={WINDOW[0]},{WINDOW[1]}")
    if not javascript:
        options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    b = webdriver.Chrome(service=Service(driver), options=options)
    b.set_page_load_timeout(60)
    return b


@pytest.fixture(scope="module")
def no_js():
    b = chromium(javascript=False)
    yield b
    b.quit()


@pytest.fixture(scope="module")
def site(store_path):
    process, url = start(store_path)
    yield url
    process.terminate()
    process.wait(timeout=10)


def screenshot(b, name: str) -> None:
    shot(b, f"browse-{name}")


# 表12's rows with a figure from the government fund budget: each row's line, its 总计 and that figure.
GFB_ROWS = """PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?line ?total ?gfb WHERE {
  ?table bkg:tableNumber 12 .
  ?fund skos:notation "government-fund-budget" .
  ?o qb:dataSet ?table ; bkg:fundingSource ?fund ; bkg:amount ?gfb ; bkg:sourceLine ?line FILTER(?gfb != 0)
  ?t qb:dataSet ?table ; bkg:sourceLine ?line ; bkg:sourceColumn "总计" ; bkg:amount ?total .
} ORDER BY DESC(?total)"""


def test_sort_and_filter_table_12_without_javascript_and_download_the_csv(no_js, site, seed_lines):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    # JavaScript is off in this browser: a script would have changed the text.
    no_js.get("data:text/html,<p id=p>off</p><script>document.getElementById('p').textContent='on'</script>")
    assert no_js.find_element(By.ID, "p").text == "off"

    no_js.get(site + "/")
    no_js.find_element(By.LINK_TEXT, "广州市人力资源和社会保障局2024年部门预算").click()
    no_js.find_element(By.PARTIAL_LINK_TEXT, "表12").click()
    assert no_js.find_element(By.ID, "row-count").text == "232"
    screenshot(no_js, "table-12")
    Select(no_js.find_element(By.ID, "f-source")).select_by_visible_text("政府性基金预算")
    no_js.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    header = no_js.find_element(By.CSS_SELECTOR, "thead a[data-sort=total]")
    header.click()  # ascending
    no_js.find_element(By.CSS_SELECTOR, "thead a[data-sort=total]").click()  # descending
    assert no_js.find_element(By.CSS_SELECTOR, "th[aria-sort]").get_attribute("aria-sort") == "descending"
    screenshot(no_js, "table-12-filtered")

    printed = [(line, cells) for line, cells in table12_lines(seed_lines) if amount(cells[4]) != 0]
    expected = sorted(printed, key=lambda lc: amount(lc[1][1]), reverse=True)
    rows = no_js.find_elements(By.CSS_SELECTOR, "#printed-table tbody tr")
    assert [r.get_attribute("data-line") for r in rows] == [str(line) for line, _ in expected]
    assert [r.find_element(By.CSS_SELECTOR, "td.num").text for r in rows] == [c[1] for _, c in expected]

    link = no_js.find_element(By.ID, "download-csv").get_attribute("href")
    assert link.startswith(site + DOC + "table-12.csv?")
    answer = httpx.get(link, timeout=30)
    assert answer.status_code == 200
    table = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert [(int(r["line"]), r["label"]) for r in table] == [(line, c[0]) for line, c in expected]
    for r, (_, cells) in zip(table, expected, strict=True):
        assert [Decimal(r[name]) for name in T12] == [amount(c) for c in cells[1:8]]

    # The same figures from the endpoint.
    sparql = httpx.post(
        site + "/sparql", data={"query": GFB_ROWS}, headers={"Accept": "application/sparql-results+json"}, timeout=30
    ).json()["results"]["bindings"]
    assert [(int(b["line"]["value"]), Decimal(b["total"]["value"]), Decimal(b["gfb"]["value"])) for b in sparql] == [
        (int(r["line"]), Decimal(r["总计"]), Decimal(r["财政拨款/政府性基金预算"])) for r in table
    ]


def test_a_page_link_of_the_table_works_without_javascript(no_js, site):
    from selenium.webdriver.common.by import By

    no_js.get(site + DOC + "table-12")
    no_js.find_element(By.CSS_SELECTOR, "nav.pager a[rel=next]").click()
    assert no_js.find_element(By.CSS_SELECTOR, "nav.pager b[aria-current=page]").text == "2"
    assert len(no_js.find_elements(By.CSS_SELECTOR, "#printed-table tbody tr")) == 50
    no_js.get(site + DOC)
    assert len(no_js.find_elements(By.CSS_SELECTOR, "svg[role=img] rect")) > 10  # the charts need no script
    screenshot(no_js, "document")


def test_the_browsing_pages_have_no_serious_accessibility_violations(browser, site):  # noqa: F811
    found = {}
    paths = ["/", DOC, DOC + "table-12", DOC + "table-1", DOC + "table-3?code=208"]
    for n, path in enumerate(paths):
        browser.get(site + path)
        violations = accessibility_violations(browser, f"browse-axe-{n}")
        if violations:
            found[path] = violations
    assert found == {}


def test_a_figure_page_shows_its_identities_in_the_browser(browser, site):  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(site + DOC + "table-1")
    browser.find_element(By.CSS_SELECTOR, "tr[data-line='87'] td.flag-rounding a").click()
    rows = browser.find_elements(By.CSS_SELECTOR, "table.identities tbody tr.status-rounding")
    assert len(rows) == 1 and "13,649.83" in rows[0].text
    screenshot(browser, "observation")
    assert quote("广州市人力资源和社会保障局") in browser.current_url


def test_a_new_user_finds_what_a_college_spends_on_moving_into_kjc_and_where_it_is_printed(browser, site, seed_lines):  # noqa: F811
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    expected = [
        (line, cells)
        for line, cells in table12_lines(seed_lines)
        if "科教城" in cells[0] and cells[0].startswith("广州市技师学院")
    ]
    assert [line for line, _ in expected] == [786, 791, 793]
    browser.get(site + "/")
    browser.find_element(By.PARTIAL_LINK_TEXT, "2024年部门预算").click()
    browser.find_element(By.PARTIAL_LINK_TEXT, "表12").click()
    Select(browser.find_element(By.ID, "f-unit")).select_by_visible_text("广州市技师学院")
    browser.find_element(By.ID, "f-q").send_keys("科教城")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()

    def shown(driver):
        # The filtered page replaces the table (a new page, or the script's update): read its
        # rows once they are there, whatever was read of the old table meanwhile.
        try:
            rows = driver.find_elements(By.CSS_SELECTOR, "#printed-table tbody tr")
            return rows if [int(r.get_attribute("data-line")) for r in rows] == [n for n, _ in expected] else None
        except StaleElementReferenceException:
            return None

    rows = WebDriverWait(browser, 60).until(shown)
    assert [r.find_element(By.CSS_SELECTOR, "td.num").text for r in rows] == [c[1] for _, c in expected]
    screenshot(browser, "table-12-kjc")
    rows[1].find_element(By.CSS_SELECTOR, "td.num a").click()  # 入驻科教城搬迁开办项目, 220.00
    printed = browser.find_element(By.CSS_SELECTOR, ".source").text
    assert "line 791" in printed and "220.00" in printed
