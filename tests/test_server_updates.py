"""SPARQL updates on a real server (issue 32, findings 6 and 8): each runs in a process of its own,
stopped at the time limit with the store unchanged; updates sent at once or during a build wait
their turn, and one that cannot have it in time gets 503 with Retry-After, never a 500."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from budgetkg.load.graph import build
from budgetkg.load.store import generations
from servers import start

TOKEN = "s3cret-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# Every pair of quads of the store (about 10¹⁰), kept by none: it runs for hours in a steady memory.
CROSS_JOIN = (
    "INSERT { GRAPH <http://example.org/g> { ?a <http://example.org/p> ?f } } WHERE { GRAPH ?x { ?a ?b ?c } "
    "GRAPH ?y { ?d ?e ?f } FILTER(STRLEN(STR(?c)) + STRLEN(STR(?f)) < 0) }"
)


def serve(store, *args):
    """The server, given the token in its environment (never on its command line)."""
    return start(store, *args, env={**os.environ, "BUDGETKG_UPDATE_TOKEN": TOKEN})


def insert(url, n):
    update = (
        f'INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/s{n}> <http://example.org/p> "{n}" }} }}'
    )
    return httpx.post(url + "/sparql", data={"update": update}, headers=AUTH, timeout=120)


def asks(url, n) -> bool:
    r = httpx.get(
        url + "/sparql",
        params={"query": f'ASK {{ <http://example.org/s{n}> ?p "{n}" }}'},
        headers={"Accept": "application/json"},
        timeout=30,
    )
    return r.json()["boolean"]


def leftovers(store):
    live = int(os.readlink(store / "current")[5:])
    return [p.name for p in generations(store) if int(p.name[5:]) > live]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    path = tmp_path_factory.mktemp("updates") / "store"
    build(store=path)
    return path


def test_ten_updates_at_once_are_all_applied(store):
    # Two server processes: updates meet in each and across them.  A generous time limit: each
    # update waits for those before it, and the machine running the tests may be busy.
    process, url = serve(store, "--timeout", "120")
    try:
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(lambda n: insert(url, n), range(10)))
        assert [r.status_code for r in answers] == [204] * 10, [r.text for r in answers]
        assert all(asks(url, n) for n in range(10))
        assert leftovers(store) == []
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_update_while_a_build_holds_the_store_gets_503_then_applies(store):
    process, url = serve(store, "--timeout", "2")
    try:
        with open(store / "build.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # as a build does
            r = insert(url, 100)
            fcntl.flock(lock, fcntl.LOCK_UN)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        body = r.json()
        assert body["ok"] is False and body["status"] == 503 and "busy" in body["error"]
        assert str(store) not in r.text
        assert not asks(url, 100)
        assert insert(url, 100).status_code == 204 and asks(url, 100)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_an_update_past_the_time_limit_is_stopped_and_the_store_kept(store):
    process, url = serve(store, "--timeout", "2", "--workers", "1")
    try:
        before = os.readlink(store / "current")
        answered: list[float] = []

        def cheap_queries_meanwhile():
            time.sleep(0.5)
            for _ in range(3):  # the one server process answers while its update runs
                t = time.monotonic()
                assert asks(url, -1) is False
                answered.append(time.monotonic() - t)

        meanwhile = threading.Thread(target=cheap_queries_meanwhile)
        meanwhile.start()
        started = time.monotonic()
        r = httpx.post(url + "/sparql", data={"update": CROSS_JOIN}, headers=AUTH, timeout=120)
        took = time.monotonic() - started
        meanwhile.join()
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert r.json()["error"].startswith("the update was stopped after 2 s")
        assert took < 30  # stopped, not run to its end (over a minute)
        assert len(answered) == 3 and max(answered) < took  # never held up by the update
        assert os.readlink(store / "current") == before and leftovers(store) == []
        assert insert(url, 200).status_code == 204  # and updates still run after it
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_update_errors_are_400_in_the_one_shape(store):
    process, url = serve(store, "--workers", "1")
    try:
        r = httpx.post(url + "/sparql", data={"update": "INSERT DATA { oops"}, headers=AUTH, timeout=60)
        assert r.status_code == 400 and r.json()["error"].startswith("SPARQL syntax error")
        # The engine refuses a graph made twice: the client is told why, in the one shape.
        twice = "CREATE GRAPH <http://example.org/twice> ; CREATE GRAPH <http://example.org/twice>"
        r = httpx.post(url + "/sparql", data={"update": twice}, headers=AUTH, timeout=60)
        body = r.json()
        assert r.status_code == 400 and body["error"].startswith("the update could not be applied: "), body
        assert "twice" in body["error"] and leftovers(store) == []
    finally:
        process.terminate()
        process.wait(timeout=10)
