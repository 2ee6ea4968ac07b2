"""Hostile queries and requests against `budgetkg serve`: each gets a clear refusal or a bounded
answer, and the server keeps answering others (the quick version; bench/load.py is the long one)."""

import socket
import subprocess
import sys

import httpx
import pytest
from servers import post_heeding_retry_after, start

ASK = {"query": "ASK { ?s ?p ?o }"}


@pytest.fixture(scope="module")
def hostile(store_path):
    process, url = start(store_path, "--timeout", "2", "--max-rows", "1000")
    yield url
    process.terminate()
    process.wait(timeout=10)


def alive(url):
    """Whether another client's query is answered.  A server process whose query passed the time
    limit serves on until its replacement is ready; meanwhile a query it has no thread for is
    answered 503 with Retry-After at once, which a client heeds (a few times, at most)."""
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"), timeout=10) as other:
        r = post_heeding_retry_after(other, url, ASK, tries=5)
    return r.status_code == 200 and r.json()["boolean"] is True


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",  # cross product
        (
            "SELECT (COUNT(*) AS ?n) WHERE { ?s"
            " (<http://www.w3.org/2004/02/skos/core#broader>|^<http://www.w3.org/2004/02/skos/core#broader>|"
            "<http://purl.org/linked-data/cube#dataSet>|^<http://purl.org/linked-data/cube#dataSet>)* ?o }"
        ),
    ],
)
def test_queries_that_would_run_for_hours_are_stopped(hostile, query):
    r = httpx.post(hostile + "/sparql", data={"query": query}, timeout=60)
    assert r.status_code in (200, 503)
    if r.status_code == 503:
        assert "stopped after 2 s" in r.json()["error"]
    assert alive(hostile)


def test_deeply_nested_expression(hostile):
    for depth in (3000, 40000):  # the second is larger than the request limit
        expression = "(" * depth + "1" + ")" * depth
        r = httpx.post(
            hostile + "/sparql",
            data={"query": f"SELECT ({expression} AS ?x) WHERE {{}}"},
            timeout=60,
            headers={"Accept": "application/json"},
        )
        assert r.status_code in (200, 400, 413, 500, 503)  # an answer, or a refusal in the one error shape
        if r.status_code != 200:
            assert r.json()["ok"] is False
    assert r.status_code == 413
    assert alive(hostile)


def test_huge_result_is_bounded(hostile):
    r = httpx.post(
        hostile + "/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers={"Accept": "text/csv"}, timeout=60
    )
    assert r.status_code == 200 and r.headers["x-budgetkg-truncated"] == "max-rows=1000"
    assert len(r.text.splitlines()) == 1001


def test_malformed_http_and_encodings(hostile):
    host, port = hostile.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"NONSENSE \x00\xff HTTP/9.9\r\n\r\n")
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 400") or answer == b""
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: many\r\n\r\nquery=ASK+%7B%7D")
        answer = s.recv(200)
    assert answer.startswith(b"HTTP/1.1 400")
    r = httpx.post(
        hostile + "/sparql", content=b"query=\xff\xfe", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 400
    r = httpx.post(hostile + "/sparql", content=b"\xff\xfe", headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400
    assert alive(hostile)


def test_update_forms_without_token(hostile):
    for body, kind in (
        ("update=DELETE WHERE { ?s ?p ?o }", "application/x-www-form-urlencoded"),
        ("DROP ALL", "application/sparql-update"),
    ):
        r = httpx.post(hostile + "/sparql", content=body.encode(), headers={"Content-Type": kind})
        assert r.status_code == 403
    assert alive(hostile)


def test_load_script_runs(store_path):
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--store", str(store_path), "--clients", "4", "--requests", "40"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parent.parent),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"errors": 0' in result.stdout and '"wrong_answers": 0' in result.stdout
