"""The site's pages against what a stranger sends them: numbers past every bound, duplicate
addresses, a flood of page images, and errors in the one shape for programs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

import pytest

DEPARTMENT = "广州市人力资源和社会保障局"
DATASET = f"/dataset/{quote(DEPARTMENT)}/2024"
DOC = "/browse/" + quote(f"{DEPARTMENT}-2024") + "/"


@pytest.fixture(scope="module")
def client(store_path):
    from budgetkg.server.app import ServerOptions, create_app
    from starlette.testclient import TestClient

    with TestClient(create_app(ServerOptions(store=Path(store_path)))) as c:
        yield c


@pytest.mark.parametrize("page", ["9" * 5000, "10001", "0", "-1", "١"])
def test_an_incoming_page_past_the_bounds_is_refused_400(client, page):
    # 5,000 digits: past what Python converts to an int, which raised before it was checked.
    r = client.get(DATASET, params={"incoming": page}, headers={"Accept": "text/turtle"})
    assert r.status_code == 400 and r.json()["status"] == 400


def test_a_path_with_two_slashes_goes_to_its_one_address(client):
    r = client.get("http://testserver/" + DATASET + "?lang=en", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == DATASET + "?lang=en"
    page = client.get(r.headers["location"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'href="//' not in page.text


def test_a_search_page_past_the_last_is_refused(client):
    # 科教城 finds a few dozen entries at most: page 99 has none.
    assert client.get("/search", params={"q": "科教城", "page": "99"}).status_code == 400
    assert client.get("/search", params={"q": "科教城", "page": "1"}).status_code == 200


@pytest.mark.parametrize("path", [DOC.replace("2024", "1999"), DOC + "table-13", DOC + "table-12.csv?sort=nothing"])
def test_a_browse_error_is_json_for_a_program_and_a_page_for_a_browser(client, path):
    program = client.get(path, headers={"Accept": "application/json"})
    assert program.status_code in (400, 404) and program.json()["ok"] is False
    browser = client.get(path, headers={"Accept": "text/html"})
    assert browser.status_code == program.status_code and browser.headers["content-type"].startswith("text/html")


def test_page_images_past_the_queue_are_answered_503_at_once():
    from budgetkg.server import source

    release = asyncio.Event()

    async def scenario():
        loop = asyncio.get_running_loop()
        started = []

        def slow():
            started.append(1)
            asyncio.run_coroutine_threadsafe(release.wait(), loop).result()

        waiting = [asyncio.ensure_future(source._rendered(slow)) for _ in range(source.MAX_RENDERS_WAITING)]
        await asyncio.sleep(0)
        with pytest.raises(source.RenderingBusy):
            await source._rendered(slow)
        release.set()
        await asyncio.gather(*waiting)
        return len(started)

    assert asyncio.run(scenario()) == source.MAX_RENDERS_WAITING
    assert source._waiting == 0
