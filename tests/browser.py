"""A real browser for the tests: Debian's headless Chromium driven by Selenium (the system
chromedriver), with axe-core (from npm) to check a page's accessibility, and a screenshot of
each page checked, at a fixed window size, under tests/artifacts/screenshots/ (git-ignored)
for a person to look at after a run.

axe-core is found at $BUDGETKG_AXE (the path of axe.min.js; .ci/run installs it and sets it),
else at .node/node_modules/axe-core/axe.min.js in the repository (``npm install --prefix .node
axe-core@4``).  Set, the variable must name the file: CI fails rather than skip the check.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPOSITORY / "tests" / "artifacts" / "screenshots"
AXE_VARIABLE = "BUDGETKG_AXE"
# The window every page is checked and photographed in: a laptop's.
WINDOW = (1280, 900)
# What axe reports that fails a test (its "moderate" and "minor" are left to a person).
FAILING_IMPACTS = ("serious", "critical")


def chromium():
    """A headless Chromium at :data:`WINDOW` (the test is skipped when it is not installed)."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not binary or not driver:
        pytest.skip(
            "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver; .ci/run does)"
        )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = binary
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
        f"--window-size={WINDOW[0]},{WINDOW[1]}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the console, read for CSP refusals
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.set_page_load_timeout(60)
    browser.set_script_timeout(60)
    browser.set_window_size(*WINDOW)
    return browser


def axe_source() -> str:
    """axe-core's script (the test is skipped when it is not installed here and not asked for)."""
    given = os.environ.get(AXE_VARIABLE)
    path = Path(given) if given else REPOSITORY / ".node" / "node_modules" / "axe-core" / "axe.min.js"
    if not path.is_file():
        if given:
            pytest.fail(f"${AXE_VARIABLE} names no file: {given}")
        pytest.skip(f"axe-core is not installed (npm install --prefix .node axe-core@4, or set ${AXE_VARIABLE})")
    return path.read_text(encoding="utf-8")


def screenshot(browser, name: str) -> Path:
    """Save what the browser shows as ``name``.png under :data:`SCREENSHOTS`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def accessibility_violations(browser, name: str) -> list[str]:
    """Check the page the browser shows with axe-core (WCAG 2.1 A and AA, and best practices),
    after saving its screenshot as ``name``: one line per serious or critical violation, naming
    the rule and the elements."""
    screenshot(browser, name)
    # Run as the test's script, not the page's: the server's Content-Security-Policy runs no other.
    browser.execute_script(axe_source())
    found = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]}).then(r => done(r.violations), e => done(String(e)));"""
    )
    if isinstance(found, str):
        pytest.fail(f"axe-core failed on {name}: {found}")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"][:5])
        for v in found
        if v["impact"] in FAILING_IMPACTS
    ]
