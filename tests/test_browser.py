"""A real browser (Debian's headless Chromium, driven by Selenium with the system chromedriver)
uses the query UI and follows links between resource pages."""

import shutil

import pytest
from servers import resource_path, start


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        pytest.skip(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read by csp_refusals
    b = webdriver.Chrome(service=Service(driver), options=options)
    b.set_page_load_timeout(60)
    yield b
    b.quit()


@pytest.fixture(scope="module")
def site(store_path):
    process, url = start(store_path)
    yield url
    process.terminate()
    process.wait(timeout=10)


def test_query_ui_runs_an_example(browser, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(site + "/")
    wait = WebDriverWait(browser, 60)
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".yasqe")))
    Select(browser.find_element(By.ID, "examples")).select_by_index(1)  # 01-kjc-relocation-by-college
    wait.until(lambda b: "12944.22" in b.find_element(By.CSS_SELECTOR, ".yasr").text)  # line 869
    text = browser.find_element(By.CSS_SELECTOR, ".yasr").text
    assert "5470.45" in text  # line 845
    assert csp_refusals(browser) == []  # the server's Content-Security-Policy lets the page do all it does


def csp_refusals(browser) -> list[str]:
    """The console's messages since the last call that say the Content-Security-Policy refused something."""
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_the_ontology_page_is_styled_under_the_policy(browser, site):
    from selenium.webdriver.common.by import By

    csp_refusals(browser)
    browser.get(site + "/ontology")
    assert "AccountingIdentity" in browser.find_element(By.TAG_NAME, "body").text
    assert csp_refusals(browser) == []


def test_project_page_links_to_its_unit(browser, site):
    from selenium.webdriver.common.by import By

    browser.get(site + resource_path(site, "广州市工贸技师学院入驻科教城购置项目"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "广州市工贸技师学院入驻科教城购置项目"
    browser.find_element(By.LINK_TEXT, "广州市工贸技师学院").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "广州市工贸技师学院"
