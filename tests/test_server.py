"""`budgetkg serve` for real: the server runs as a subprocess on 127.0.0.1 and is spoken to over HTTP."""

import asyncio
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from budgetkg.cli import cli
from budgetkg.load.graph import build
from budgetkg.rdf.iri import DEFAULT_BASE
from budgetkg.resources import default_document
from click.testing import CliRunner
from pyoxigraph import RdfFormat, parse
from servers import SLOW, dumped, pid_maps_no, resource_path, sandboxes, server_processes, start
from SPARQLWrapper import CSV, JSON, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

KJC = (
    "SELECT ?p ?t WHERE { ?p <https://w3id.org/budgetkg/ontology#theme>/<http://www.w3.org/2004/02/skos/core#notation> "
    '"kjc-relocation" ; <https://w3id.org/budgetkg/ontology#totalAmount> ?t } ORDER BY DESC(?t)'
)


@pytest.fixture(scope="module")
def server(store_path):
    dumped(store_path)  # as `budgetkg build` leaves the store
    process, url = start(store_path, "--timeout", "3", "--max-rows", "100", "--max-request-bytes", "20000")
    yield url
    process.terminate()
    process.wait(timeout=10)
    print(process.stderr.read().decode()[-3000:])


def sparql(url, query, fmt):
    client = SPARQLWrapper(url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    return client.query().convert()


def test_select_in_every_result_format(server):
    data = sparql(server, KJC, JSON)
    totals = [b["t"]["value"] for b in data["results"]["bindings"]]
    assert len(totals) == 8 and float(totals[0]) == 12944.22  # line 869
    assert b"12944.22" in sparql(server, KJC, CSV)
    assert b"12944.22" in sparql(server, KJC, TSV)
    xml = sparql(server, KJC, XML)
    assert "12944.22" in xml.toxml()


def test_workers_on_disk_answer_as_workers_with_a_copy_in_memory(server, store_path):
    # The module's server copies this small store into memory (the default); this one reads it on disk.
    process, url = start(store_path, "--on-disk", "--workers", "1")
    try:
        on_disk = sparql(url, KJC, JSON)["results"]["bindings"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert on_disk == sparql(server, KJC, JSON)["results"]["bindings"]
    assert on_disk[0]["t"]["value"] == "12944.22"  # line 869


# Values with what could fool a count of rows in each format: line ends (CSV, TSV), markup
# (XML), quotes, braces and commas (JSON, CSV).
TRICKY = ['a "quoted"\nsecond line\r\n}},{"x":{', "<result><binding>&lt;", "plain"]


def tricky_store(rows: int):
    from pyoxigraph import Literal, NamedNode, Quad, Store

    store = Store()
    for i in range(rows):
        store.add(
            Quad(
                NamedNode(f"http://example.org/s{i:03}"),
                NamedNode("http://example.org/p"),
                Literal(TRICKY[i % len(TRICKY)] * (1 + i % 2), language="zh"),
            )
        )
    return store


def parsed_rows(content: bytes, fmt: str) -> list[tuple[str, str]]:
    from rdflib.query import Result

    result = Result.parse(io.BytesIO(content), format=fmt)
    return [(str(row[0]), str(row[1])) for row in result]


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("rows, max_rows", [(12, 12), (13, 12), (12, 400)])
def test_tables_are_cut_at_the_row_cap_in_every_format(fmt, rows, max_rows, monkeypatch):
    from budgetkg.server import answers

    if rows <= max_rows:  # a table that fits is written by pyoxigraph, not row by row in Python
        monkeypatch.setattr(answers, "_table", lambda *args: pytest.fail("written in Python"))
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    outcome = answers.answer(tricky_store(rows), query, max_rows, fmt, "ttl")
    assert outcome.kind == "table", outcome.message
    expected = [(f"http://example.org/s{i:03}", TRICKY[i % len(TRICKY)] * (1 + i % 2)) for i in range(rows)]
    if fmt == "xml":  # an XML reader reads a line end written as \r\n as \n
        expected = [(s, o.replace("\r\n", "\n")) for s, o in expected]
    assert parsed_rows(outcome.content, fmt) == expected[:max_rows]
    assert outcome.truncated == (rows > max_rows)


def test_a_table_too_large_for_pyoxigraph_s_buffer_is_written_whole(monkeypatch):
    from budgetkg.server import answers

    monkeypatch.setattr(answers, "NATIVE_BYTES_PER_ROW", 16)  # every row is longer: the writing is stopped
    outcome = answers.answer(tricky_store(5), "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s", 5, "json", "ttl")
    assert len(parsed_rows(outcome.content, "json")) == 5 and not outcome.truncated


def blocking_runner(monkeypatch, timeout: float):
    """A QueryRunner of one thread whose query "long" runs until ``release`` is set; ``runaways``
    counts on_runaway's calls."""
    from budgetkg.server import runner

    release = threading.Event()
    ran: list[str] = []

    def answer(store, query, *args):
        ran.append(query)
        if query == "long":
            release.wait(60)
        return runner.QueryOutcome("table", query.encode(), "text/plain")

    monkeypatch.setattr(runner, "answer", answer)
    runaways: list[int] = []
    return (
        runner.QueryRunner(timeout=timeout, on_runaway=lambda reason, hurry: runaways.append(1), threads=1),
        release,
        ran,
        runaways,
    )


def test_a_query_past_the_limit_is_answered_503_and_stops_its_process_once(monkeypatch):
    import uvloop
    from budgetkg.server.runner import QueryTimeout

    queries, release, ran, runaways = blocking_runner(monkeypatch, timeout=0.5)

    async def scenario():
        queries.start()
        long = asyncio.ensure_future(queries.run(None, "long", max_rows=1))
        waiting = asyncio.ensure_future(queries.run(None, "waiting", max_rows=1))  # no thread is free for it
        results = await asyncio.gather(long, waiting, return_exceptions=True)
        runaway = queries.runaway
        release.set()
        again = await queries.run(None, "again", max_rows=1)  # the thread is free once the long query ends
        queries.close()
        return results, runaway, again

    started = time.monotonic()
    (long, waiting), runaway, again = uvloop.run(scenario())
    assert isinstance(long, QueryTimeout) and isinstance(waiting, QueryTimeout)
    assert time.monotonic() - started < 5
    assert runaway and runaways == [1]  # the process is stopped once, for the query still running
    assert ran == ["long", "again"]  # the query that waited until the limit never ran
    assert again.content == b"again"


def test_a_query_whose_client_went_away_is_still_watched_at_the_limit(monkeypatch):
    queries, release, ran, runaways = blocking_runner(monkeypatch, timeout=0.5)

    async def scenario():
        queries.start()
        client = asyncio.ensure_future(queries.run(None, "long", max_rows=1))
        dropped = asyncio.ensure_future(queries.run(None, "dropped", max_rows=1))
        await asyncio.sleep(0.1)
        client.cancel()  # both clients disconnected: the query that runs runs on, the other is dropped
        dropped.cancel()
        await asyncio.sleep(1)
        runaway = queries.runaway
        release.set()
        await asyncio.sleep(0.2)
        queries.close()
        return runaway

    assert asyncio.run(scenario()) is True
    assert ran == ["long"] and runaways == [1]


def test_serves_without_uvloop_and_httptools(store_path, tmp_path):
    # Where they are not installed (uvloop has no Windows build), uvicorn falls back to asyncio
    # and h11.  Hidden from the server processes too: they are spawned, and read PYTHONPATH.
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    for name in ("uvloop", "httptools"):
        (hidden / f"{name}.py").write_text(f"raise ImportError('{name} is hidden by the test')\n")
    process, url = start(
        store_path, "--workers", "1", env={**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), *sys.path])}
    )
    assert all(pid_maps_no(pid, "uvloop", "httptools") for pid in server_processes(process.pid))
    try:
        big = httpx.post(
            url + "/sparql",
            data={"query": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 5000"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        )
        assert big.status_code == 200 and len(big.json()["results"]["bindings"]) == 5000
        assert sparql(url, KJC, JSON)["results"]["bindings"][0]["t"]["value"] == "12944.22"  # line 869
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert b"uvloop" not in process.stderr.read()


def test_ask_construct_describe(server):
    assert sparql(server, "ASK { ?s a <https://w3id.org/budgetkg/ontology#Department> }", JSON)["boolean"] is True
    q = "CONSTRUCT { ?u ?p ?o } WHERE { ?u a <https://w3id.org/budgetkg/ontology#Department> ; ?p ?o }"
    assert len(sparql(server, q, TURTLE)) > 100
    assert len(sparql(server, q, RDFXML)) > 20
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery("DESCRIBE ?u WHERE { ?u a <https://w3id.org/budgetkg/ontology#Department> }")
    client.setReturnFormat(N3)
    assert client.query().convert()
    for accept in ("application/n-triples", "application/ld+json"):
        r = httpx.post(server + "/sparql", data={"query": q}, headers={"Accept": accept})
        assert r.status_code == 200 and r.headers["content-type"].startswith(accept)


def test_ask_in_csv_and_tsv_is_the_bare_word(server):
    # CSV and TSV results define no boolean; the Oxigraph server answers the word, and so does budgetkg.
    for accept in ("text/csv", "text/tab-separated-values"):
        yes = httpx.post(
            server + "/sparql",
            data={"query": "ASK { ?s a <https://w3id.org/budgetkg/ontology#Department> }"},
            headers={"Accept": accept},
        )
        no = httpx.post(
            server + "/sparql", data={"query": "ASK { ?s a <https://example.org/Nothing> }"}, headers={"Accept": accept}
        )
        assert (yes.status_code, yes.text, no.status_code, no.text) == (200, "true", 200, "false")
        assert yes.headers["content-type"].startswith(accept)


VOCABULARY = "https://w3id.org/budgetkg/graph/vocabulary"
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
RESULTS_JSON = "application/sparql-results+json"


def values(server, query, **params):
    """The rows of a SELECT asked with GET (params: protocol parameters), each as {variable: value}."""
    r = httpx.get(server + "/sparql", params={"query": query, **params}, headers={"Accept": RESULTS_JSON})
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def test_the_protocol_dataset_parameters_choose_the_graphs(server):
    everything = int(values(server, COUNT)[0]["n"])
    vocabulary = int(values(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}")[0]["n"])
    assert 0 < vocabulary < everything
    assert values(server, COUNT, **{"default-graph-uri": VOCABULARY}) == [{"n": str(vocabulary)}]
    by_graph = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    assert values(server, by_graph, **{"default-graph-uri": VOCABULARY}) == []  # and no named graphs
    # Named graphs alone: the default graph is empty, and GRAPH sees only those named.
    assert values(server, COUNT, **{"named-graph-uri": VOCABULARY}) == [{"n": "0"}]
    assert values(server, by_graph, **{"named-graph-uri": VOCABULARY}) == [{"g": VOCABULARY, "n": str(vocabulary)}]
    # In a form POST too, and through SPARQLWrapper, which sends default-graph-uri.
    form = httpx.post(
        server + "/sparql", data={"query": COUNT, "default-graph-uri": VOCABULARY}, headers={"Accept": RESULTS_JSON}
    )
    assert form.json()["results"]["bindings"][0]["n"]["value"] == str(vocabulary)
    client = SPARQLWrapper(server + "/sparql")
    client.setQuery(COUNT)
    client.addDefaultGraph(VOCABULARY)
    client.setReturnFormat(JSON)
    assert client.query().convert()["results"]["bindings"][0]["n"]["value"] == str(vocabulary)
    bad = httpx.get(server + "/sparql", params={"query": COUNT, "default-graph-uri": "not an IRI"})
    assert bad.status_code == 400 and "default-graph-uri" in bad.json()["error"]


def test_a_query_naming_its_dataset_with_from_gets_it(server):
    vocabulary = values(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{VOCABULARY}> {{ ?s ?p ?o }} }}")
    assert values(server, f"SELECT (COUNT(*) AS ?n) FROM <{VOCABULARY}> WHERE {{ ?s ?p ?o }}") == vocabulary
    assert values(server, f"SELECT DISTINCT ?g FROM NAMED <{VOCABULARY}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}") == [
        {"g": VOCABULARY}
    ]
    assert values(server, COUNT) != vocabulary  # without FROM: the union of every graph


def test_the_format_parameter_takes_a_media_type_too(server):
    for fmt, media in (
        ("application/sparql-results+json", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("csv", "text/csv"),
    ):
        r = httpx.get(server + "/sparql", params={"query": KJC, "format": fmt})
        assert r.status_code == 200 and r.headers["content-type"].startswith(media), (fmt, r.text[:200])
    assert httpx.get(server + "/sparql", params={"query": KJC, "format": "image/png"}).status_code == 406


def test_a_graph_is_read_whole_through_an_endpoint_that_cuts_answers(server, store_path):
    # This server cuts answers at 100 rows (--max-rows), as Virtuoso cuts them at 10,000.
    from budgetkg.load.store import open_store
    from budgetkg.query.remote import Endpoint, RemoteStore
    from pyoxigraph import NamedNode

    vocabulary = NamedNode(VOCABULARY)
    remote = RemoteStore(Endpoint(server + "/sparql")).quads_for_pattern(graph=vocabulary)
    local = list(open_store(store_path).quads_for_pattern(None, None, None, vocabulary))
    assert len(local) > 1000 and sorted(map(str, remote)) == sorted(map(str, local))


def test_an_answer_the_endpoint_cut_is_an_error_not_a_short_table(server):
    # 214 projects, and this server cuts answers at 100 rows.
    result = CliRunner().invoke(
        cli, ["query", "largest-projects", "-p", "limit=1000", "--endpoint", server + "/sparql"]
    )
    assert result.exit_code == 2
    assert "the endpoint cut the answer at its row limit (x-budgetkg-truncated)" in result.output
    few = CliRunner().invoke(cli, ["query", "largest-projects", "-p", "limit=5", "--endpoint", server + "/sparql"])
    assert few.exit_code == 0 and "(5 rows)" in few.output


def test_get_post_form_and_direct(server):
    get = httpx.get(server + "/sparql", params={"query": KJC}, headers={"Accept": "text/csv"})
    direct = httpx.post(
        server + "/sparql",
        content=KJC.encode(),
        headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"},
    )
    browser = httpx.get(server + "/sparql", params={"query": KJC, "format": "csv"})
    assert get.text == direct.text == browser.text and "12944.22" in get.text


@pytest.mark.parametrize(
    "data",
    [
        b"query=SELECT+%3Fx+WHERE+%7B+%3Fx+%3Fp+%22a%5Cnb%22+%7D",  # an escaped backslash, percent-encoded
        b'query=SELECT * { ?s ?p "C:\\x41\\\\u0042\\n" }',  # raw backslashes and \x that must stay
        "query=科教城+%E7%A7%91%E6%95%99%E5%9F%8E".encode(),  # raw UTF-8 and percent-encoded UTF-8
        b"a=100%25&b=50%&c=%zz&d=%4&e=%",  # a percent sign not followed by two hex digits stays as it is
        b"a=%FF%FE&b=ok",  # percent-encoded bytes that are not UTF-8: replacement characters, as urllib
        b"&&format&x=&=y&x=2&x==3",  # empty pairs, a name without =, an empty name, = in a value
        b"",
    ],
)
def test_forms_are_read_as_urllib_reads_them(data):
    from urllib.parse import parse_qs

    from budgetkg.server.sparql import read_form

    assert read_form(data) == parse_qs(data.decode("utf-8"), keep_blank_values=True)


def test_a_query_with_backslashes_and_percent_signs_arrives_unchanged(server):
    query = 'SELECT ?a ?b ?c WHERE { BIND("C:\\\\x41 100% \\u79D1" AS ?a) BIND("a+b" AS ?b) BIND("\\\\%41" AS ?c) }'
    for answer in (
        httpx.post(server + "/sparql", data={"query": query}, headers={"Accept": "text/csv"}),
        httpx.get(server + "/sparql", params={"query": query}, headers={"Accept": "text/csv"}),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.text.splitlines()[1] == "C:\\x41 100% 科,a+b,\\%41"


def test_service_description_and_cors(server):
    r = httpx.get(server + "/sparql", headers={"Accept": "text/turtle", "Origin": "http://example.org"})
    assert r.status_code == 200 and "sd:Service" in r.text and "sd:UnionDefaultGraph" in r.text
    assert r.headers["access-control-allow-origin"] == "*"


def test_cors_on_every_answer_of_the_endpoint_and_preflight(server):
    origin = {"Origin": "http://example.org"}
    for path in ("/sparql", "/query"):
        answer = httpx.post(server + path, data={"query": KJC}, headers={"Accept": "text/csv", **origin})
        assert answer.status_code == 200 and answer.headers["access-control-allow-origin"] == "*"
        assert "12944.22" in answer.text  # line 869
        refused = httpx.post(server + path, data={"query": "SELECT WHERE {"}, headers=origin)
        assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"
        # A browser asks first whether it may POST a query from another site.
        preflight = httpx.options(
            server + path,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "Content-Type",
            },
        )
        assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
        assert "POST" in preflight.headers["access-control-allow-methods"]


def test_head_is_answered_as_get_without_a_body(server):
    head = httpx.head(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("application/sparql-results+json")


def test_updates_and_service_refused(server):
    r = httpx.post(server + "/sparql", data={"update": "DROP ALL"})
    assert r.status_code == 403 and "read-only" in r.json()["error"]
    r = httpx.post(
        server + "/sparql", data={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"}
    )
    assert r.status_code == 403 and "allow-list" in r.json()["error"]
    r = httpx.post(server + "/sparql", data={"query": "SELECT * WHERE { SERVICE ?x { ?s ?p ?o } }"})
    assert r.status_code == 403


def test_long_query_stopped_while_others_are_answered(server):
    outcome = {}

    def slow():
        started = time.monotonic()
        outcome["response"] = httpx.post(server + "/sparql", data={"query": SLOW}, timeout=60)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.5)
    # From another address: admission control runs one query at a time of a client not in good standing.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.3"), timeout=10) as other:
        quick = other.get(
            server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"}
        )
    assert quick.status_code == 200 and quick.json()["boolean"] is True
    thread.join()
    r = outcome["response"]
    assert r.status_code == 503 and "stopped after 3 s" in r.json()["error"]
    assert outcome["seconds"] < 20
    again = httpx.get(server + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"})
    assert again.json()["boolean"] is True


def test_a_runaway_query_s_process_is_replaced_and_lets_go_of_the_cpu(store_path):
    process, url = start(store_path, "--timeout", "2", "--workers", "1")
    try:
        servers = server_processes(process.pid)
        for _ in range(300):  # the server process starts its sandbox, where a new client's query runs
            if sandboxes(process.pid):
                break
            time.sleep(0.1)
        [first] = sandboxes(process.pid)
        r = httpx.post(url + "/sparql", data={"query": SLOW}, timeout=60)
        assert r.status_code == 503 and "stopped after 2 s" in r.json()["error"]
        for _ in range(150):  # the sandbox that ran it stops, and its server process starts a fresh one
            if not Path(f"/proc/{first}").exists() and sandboxes(process.pid):
                break
            time.sleep(0.2)
        assert not Path(f"/proc/{first}").exists()
        assert server_processes(process.pid) == servers  # the server process itself never stopped
        ask = httpx.get(
            url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"}, timeout=60
        )
        assert ask.json()["boolean"] is True
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert b"in the sandbox of server process" in process.stderr.read()


def test_a_port_in_use_is_an_error_before_any_server_process_starts(store_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "budgetkg", "serve", "--store", str(store_path), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr == f"error: cannot listen on 127.0.0.1:{port}: Address already in use\n"


def test_row_cap_is_reported(server):
    r = httpx.post(
        server + "/sparql",
        data={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert r.status_code == 200
    assert r.headers["x-budgetkg-truncated"] == "max-rows=100"
    body = r.json()
    assert len(body["results"]["bindings"]) == 100 and body["budgetkg"] == {"truncated": True, "maxRows": 100}


def test_syntax_error_and_limits(server):
    r = httpx.post(server + "/sparql", data={"query": "SELECT WHERE {"})
    assert r.status_code == 400 and "1:" in r.json()["error"]
    r = httpx.post(server + "/sparql", data={"query": "SELECT * WHERE { ?s ?p ?o } #" + "x" * 30000})
    assert r.status_code == 413
    # Sent in chunks, without a Content-Length to refuse it by: it is refused once read past the limit.
    r = httpx.post(
        server + "/sparql",
        content=iter([b"query=ASK+%7B%7D+%23", b"x" * 15000, b"x" * 15000]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 413 and "20000 bytes" in r.json()["error"]
    r = httpx.post(server + "/sparql", content=b"x", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415
    r = httpx.get(server + "/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert r.status_code == 406


def test_every_error_has_the_json_shape(server):
    # Starlette's own answers too: an unknown static file, a method the endpoint does not take.
    missing = httpx.get(server + "/static/no-such-file.js")
    assert missing.status_code == 404 and missing.json() == {
        "ok": False,
        "status": 404,
        "error": "Not Found",
        "errors": ["Not Found"],
    }
    for refused in (httpx.put(server + "/sparql", content=b"ASK {}"), httpx.options(server + "/query")):
        assert refused.status_code == 405 and refused.json()["status"] == 405  # an OPTIONS that is no CORS preflight
        assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_resource_pages_with_content_negotiation(server):
    path = resource_path(server, "广州市工贸技师学院入驻科教城购置项目")  # line 776
    html = httpx.get(server + path, headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.headers["vary"].startswith("Accept")
    assert "<h1>广州市工贸技师学院入驻科教城购置项目</h1>" in html.text and "line 776" in html.text
    unit_link = (
        "/org/%E5%B9%BF%E5%B7%9E%E5%B8%82%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E5%92%8C%E7%A4%BE%E4%BC%9A%E4"
        "%BF%9D%E9%9A%9C%E5%B1%80/unit/%E5%B9%BF%E5%B7%9E%E5%B8%82%E5%B7%A5%E8%B4%B8%E6%8A%80%E5%B8%88%E5%AD%A6%E9%99%A2"
    )
    assert f'href="{unit_link}"' in html.text
    unit = httpx.get(server + unit_link, headers={"Accept": "text/html"})
    assert "<h1>广州市工贸技师学院</h1>" in unit.text
    ttl = httpx.get(server + path, headers={"Accept": "text/turtle"})
    assert ttl.headers["content-type"].startswith("text/turtle")
    described = set(parse(ttl.content, format=RdfFormat.TURTLE))
    total = [t.object.value for t in described if t.predicate.value.endswith("#totalAmount")]
    assert total == ["6924.61"]  # line 776: 6,924.61
    # The page is read in the server's own process: the same triples as the CONSTRUCT a worker runs.
    iri = "https://w3id.org/budgetkg/data" + path
    construct = httpx.post(
        server + "/sparql",
        data={"query": f"CONSTRUCT {{ <{iri}> ?p ?o }} WHERE {{ <{iri}> ?p ?o }}"},
        headers={"Accept": "text/turtle"},
    )
    assert described == set(parse(construct.content, format=RdfFormat.TURTLE))
    jsonld = httpx.get(server + path, headers={"Accept": "application/ld+json"})
    assert json.loads(jsonld.text)
    nt = httpx.get(server + path + "?format=nt")
    assert nt.headers["content-type"].startswith("application/n-triples")
    code = httpx.get(server + "/codelist/functional/2024/2080101", headers={"Accept": "text/html"})
    assert code.status_code == 200 and "行政运行" in code.text
    missing = httpx.get(server + "/org/nobody", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and missing.json()["ok"] is False


def test_path_traversal_finds_nothing(server):
    for path in (
        "/../../../etc/passwd",
        "/static/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e/server/app.py",
    ):
        r = httpx.get(server + path, headers={"Accept": "text/html"})
        assert r.status_code in (400, 404) and "root:" not in r.text and "import" not in r.text


def test_query_ui_examples_void_catalogue_dumps(server):
    index = httpx.get(server + "/")
    assert "/static/yasgui/yasgui.min.js" in index.text and "kjc-relocation-by-college" in index.text
    assert httpx.get(server + "/static/yasgui/yasgui.min.js").status_code == 200
    examples = httpx.get(server + "/.well-known/sparql-examples", headers={"Accept": "text/turtle"})
    assert "sh:SPARQLExecutable" in examples.text and examples.text.count("sh:select") >= 25
    void = httpx.get(server + "/.well-known/void")
    assert "void:sparqlEndpoint" in void.text and "void:triples" in void.text
    # RDF dumps only: the Fiscal Data Package's files are not RDF
    assert "budgetkg.nt.gz>" in void.text and ".csv>" not in void.text and "datapackage.json" not in void.text
    catalogue = httpx.get(server + "/catalog")
    assert "dcat:byteSize" in catalogue.text and "spdx:checksumValue" in catalogue.text
    dump = httpx.get(server + "/dumps/budgetkg.nt.gz")
    lines = gzip.decompress(dump.content).decode("utf-8").splitlines()
    assert len(lines) > 90_000 and lines == sorted(lines)
    assert str(len(dump.content)) in catalogue.text
    quads = gzip.decompress(httpx.get(server + "/dumps/budgetkg.nq.gz").content).decode("utf-8").splitlines()
    for name, syntax, count in (
        ("budgetkg.ttl", RdfFormat.TURTLE, len(lines)),
        ("budgetkg.trig", RdfFormat.TRIG, len(quads)),
        ("budgetkg.jsonld", RdfFormat.JSON_LD, len(lines)),
        ("budgetkg.rdf", RdfFormat.RDF_XML, len(lines)),
    ):
        dumped = httpx.get(server + "/dumps/" + name)
        assert len(list(parse(dumped.content, format=syntax))) == count, name
        assert str(len(dumped.content)) in catalogue.text, name
    package = httpx.get(server + "/dumps/datapackage.json").json()
    assert package["profile"] == "tabular-data-package" and package["countryCode"] == "CN"
    ontology = httpx.get(server + "/ontology", headers={"Accept": "text/html"})
    assert ontology.status_code == 200 and "AccountingIdentity" in ontology.text
    assert "@prefix" in httpx.get(server + "/ontology", headers={"Accept": "text/turtle"}).text


def test_the_ontology_page_leaves_the_server_logging_alone(store_path):
    # In a fresh process, as a server is: pyLODE configures the root logger when imported.
    result = subprocess.run(
        [sys.executable, "-m", "budgetkg", "serve", "--store", str(store_path), "--get", "/ontology"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "AccountingIdentity" in result.stdout
    assert result.stderr == ""


def test_labels_are_escaped_in_html(tmp_path, seed_lines):
    lines = list(seed_lines)
    lines[776 - 1] = lines[776 - 1].replace(
        "广州市工贸技师学院入驻科教城购置项目", "<script>alert(1)</script>购置项目", 1
    )
    doc = tmp_path / "hostile.txt"
    doc.write_text("\n".join(lines), encoding="utf-8")
    store = tmp_path / "store"
    build([doc], store=store)
    runner = CliRunner()
    found = runner.invoke(
        cli,
        [
            "query",
            "SELECT (STR(?p) AS ?iri) WHERE { ?p a <https://w3id.org/budgetkg/ontology#Project> ; "
            '<http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(CONTAINS(?l, "<script>")) }',
            "--format",
            "csv",
            "--store",
            str(store),
        ],
    )
    iri = found.output.splitlines()[1]
    page = runner.invoke(
        cli, ["serve", "--store", str(store), "--get", iri.removeprefix("https://w3id.org/budgetkg/data")]
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;购置项目" in page.output
    assert "<script>alert(1)</script>" not in page.output


def test_updates_with_the_token(tmp_path):
    store = tmp_path / "store"
    build(store=store)
    process, url = start(store, env={**os.environ, "BUDGETKG_UPDATE_TOKEN": "s3cret"})
    try:
        department = (
            "org/%E5%B9%BF%E5%B7%9E%E5%B8%82%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E5%92%8C%E7%A4%BE%E4%BC%9A"
            "%E4%BF%9D%E9%9A%9C%E5%B1%80"
        )
        page = httpx.get(f"{url}/{department}", headers={"Accept": "text/turtle"}, timeout=30)
        assert "广州市人力资源和社会保障局" in page.text and "http://example.org/b" not in page.text
        insert = (
            'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> "c" . '
            f'<{DEFAULT_BASE}{department}> <http://example.org/b> "c" }} }}'
        )
        # Generous timeouts: the update and the server's fresh copy of the store that follows it
        # take seconds on a loaded machine.
        assert httpx.post(url + "/sparql", data={"update": insert}, timeout=60).status_code == 401
        ok = httpx.post(
            url + "/sparql", data={"update": insert}, headers={"Authorization": "Bearer s3cret"}, timeout=60
        )
        assert ok.status_code == 204
        ask = httpx.get(
            url + "/sparql",
            params={"query": 'ASK { <http://example.org/a> ?p "c" }'},
            headers={"Accept": "application/json"},
            timeout=60,
        )
        assert ask.json()["boolean"] is True
        # the server's own copy of the store, which RDF pages read, follows the update too
        page = httpx.get(f"{url}/{department}", headers={"Accept": "text/turtle"}, timeout=30)
        assert "<http://example.org/b>" in page.text and '"c"' in page.text
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_behind_a_proxy_for_a_public_base(tmp_path):
    store = tmp_path / "store"
    build(store=store, base="https://data.example.org/budget/")
    runner = CliRunner()
    found = runner.invoke(
        cli,
        [
            "query",
            'SELECT (STR(?u) AS ?iri) WHERE { ?u <http://www.w3.org/2004/02/skos/core#prefLabel> "广州市技师学院"@zh }',
            "--format",
            "csv",
            "--store",
            str(store),
        ],
    )
    iri = found.output.splitlines()[1]
    assert iri.startswith("https://data.example.org/budget/org/")
    page = runner.invoke(
        cli,
        [
            "serve",
            "--store",
            str(store),
            "--base",
            "https://data.example.org/budget/",
            "--get",
            iri.removeprefix("https://data.example.org/budget"),
        ],
    )
    assert page.exit_code == 0 and "<h1>广州市技师学院</h1>" in page.output
    # Served without --base, the store's own base (recorded by the build) is used.
    path = iri.removeprefix("https://data.example.org/budget")
    page = runner.invoke(cli, ["serve", "--store", str(store), "--get", path])
    assert page.exit_code == 0 and "<h1>广州市技师学院</h1>" in page.output
    # A store of documents built under two bases has no one base: serve asks for --base.
    other = tmp_path / "other.txt"
    other.write_bytes(default_document().read_bytes().replace("2024年".encode(), "2025年".encode()))
    build([other], store=store, base="https://elsewhere.example.org/")
    refused = runner.invoke(cli, ["serve", "--store", str(store), "--get", path])
    assert refused.exit_code == 2 and "give --base" in refused.output
    assert "https://data.example.org/budget/" in refused.output


def test_a_database_that_cannot_be_opened_is_let_go_of_and_tried_again(tmp_path, store_path):
    import shutil

    from budgetkg.load.store import apply_update
    from budgetkg.server.database import Database

    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    database = Database(store, in_memory=False)
    first = os.readlink(store / "current")

    async def scenario():
        assert len(await database.store()) > 0
        apply_update(
            'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> "c" } }',
            path=store,
        )
        (store / "current").rename(store / "away")  # the store is gone while the server follows the rebuild
        await database.follow()
        held = databases_open(os.getpid(), store)
        with pytest.raises(OSError):
            await database.store()
        (store / "away").rename(store / "current")
        await database.follow()
        answer = (await database.store()).query(
            'ASK { <http://example.org/a> ?p "c" }', use_default_graph_as_union=True
        )
        return held, bool(answer)

    held, found = asyncio.run(scenario())
    assert first not in held and found


@pytest.mark.parametrize("in_memory", [False, True], ids=["on-disk", "in-memory"])
def test_a_description_reads_the_union_of_graphs_cut_at_max_rows_and_follows_a_rebuild(tmp_path, in_memory):
    from budgetkg.load.store import rebuild
    from budgetkg.server.database import Database
    from budgetkg.server.descriptions import describe
    from pyoxigraph import Literal, NamedNode, Quad

    store = tmp_path / "store"
    x, p = NamedNode("http://example.org/x"), NamedNode("http://example.org/p")
    a, b = NamedNode("http://example.org/a"), NamedNode("http://example.org/b")

    def stated(graph: NamedNode, *values: str) -> list[Quad]:
        return [Quad(x, p, Literal(v), graph) for v in values]

    rebuild([((a,), stated(a, "1", "2")), ((b,), stated(b, "2", "3"))], path=store)
    database = Database(store, in_memory=in_memory)

    def described(node: NamedNode, rdf_format: RdfFormat, max_rows: int) -> bytes:
        return describe(asyncio.run(database.store()), node, rdf_format, max_rows)

    def values(max_rows: int = 100) -> list[str]:
        return sorted(
            t.object.value for t in parse(described(x, RdfFormat.N_TRIPLES, max_rows), format=RdfFormat.N_TRIPLES)
        )

    assert values() == ["1", "2", "3"]  # "2" is stated in both graphs: one triple of the union
    # a copy in memory keeps no file of the database open; a read-only handle does
    assert (os.readlink(store / "current") in databases_open(os.getpid(), store)) is not in_memory
    assert len(values(max_rows=2)) == 2
    assert described(NamedNode("http://example.org/nobody"), RdfFormat.TURTLE, 100) == b""
    rebuild([((b,), stated(b, "4"))], path=store)  # swaps the database; graph a is kept
    assert values() == ["1", "2", "4"]


def databases_open(pid: int, store: Path) -> set[str]:
    """The database folders of ``store`` whose files process ``pid`` has open (an on-disk store keeps them open)."""
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = Path(os.readlink(fd).removesuffix(" (deleted)"))
        except OSError:
            continue
        if target.is_relative_to(store):
            found.add(target.relative_to(store).parts[0])
    return found


def test_following_a_rebuild_lets_go_of_the_swapped_database(tmp_path):
    from budgetkg.load.store import apply_update, rebuild
    from budgetkg.server.database import Database
    from pyoxigraph import Literal, NamedNode, Quad

    store = tmp_path / "store"
    x, g = NamedNode("http://example.org/x"), NamedNode("http://example.org/g")
    rebuild([((g,), [Quad(x, NamedNode("http://example.org/p"), Literal("1"), g)])], path=store)
    database = Database(store)
    first = os.readlink(store / "current")
    asyncio.run(database.store())
    asyncio.run(database.follow())  # nothing moved: the handle stays
    assert first in databases_open(os.getpid(), store)
    for n in (2, 3):  # the second swap deletes the first database
        apply_update(f"INSERT DATA {{ GRAPH <{g.value}> {{ <{x.value}> <http://example.org/p> {n} }} }}", path=store)
    assert not (store / first).exists() and first in databases_open(os.getpid(), store)
    asyncio.run(database.follow())
    held = databases_open(os.getpid(), store)
    assert first not in held and os.readlink(store / "current") in held


def test_the_server_takes_up_a_rebuild_without_waiting_for_a_request(tmp_path, store_path):
    import shutil

    from budgetkg.load.store import apply_update

    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    process, url = start(store, "--on-disk", "--workers", "1")
    try:
        [server] = server_processes(process.pid)
        first = os.readlink(store / "current")
        unit = (
            "/org/%E5%B9%BF%E5%B7%9E%E5%B8%82%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E5%92%8C%E7%A4%BE%E4%BC"
            "%9A%E4%BF%9D%E9%9A%9C%E5%B1%80"
        )
        page = httpx.get(url + unit, headers={"Accept": "text/turtle"}, timeout=30)
        assert "广州市人力资源和社会保障局" in page.text and first in databases_open(server, store)
        for n in (1, 2):  # the second swap deletes the first database
            apply_update(
                (
                    f"INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/a>"
                    f" <http://example.org/b> {n} }} }}"
                ),
                path=store,
            )
        assert not (store / first).exists()
        last = os.readlink(store / "current")
        for _ in range(50):  # no request is sent: the server must take up the rebuild itself
            if databases_open(server, store) == {last}:
                break
            time.sleep(0.2)
        assert databases_open(server, store) == {last}
        ask = httpx.get(
            url + "/sparql",
            params={"query": "ASK { <http://example.org/a> <http://example.org/b> 2 }"},
            headers={"Accept": "application/json"},
        )
        assert ask.json()["boolean"] is True
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_dumps_of_the_previous_database_stay_until_the_next_swap(tmp_path):
    from budgetkg.load.store import apply_update, rebuild
    from budgetkg.server.dumps import DumpFolders
    from pyoxigraph import Literal, NamedNode, Quad

    store = tmp_path / "store"  # a small store: writing the bundled document's dumps takes seconds
    g = NamedNode("http://example.org/g")
    rebuild(
        [((g,), [Quad(NamedNode("http://example.org/x"), NamedNode("http://example.org/b"), Literal("0"), g)])],
        path=store,
    )
    folders = DumpFolders(store)
    assert folders.current() is None  # not written by this build: written in the background
    first = folders.wait(60)
    assert first is not None and folders.current() is first  # no swap, nothing rewritten
    assert all(d.path.parent == store / "dumps" / "data-1" for d in first.values())  # in the store's folder

    def insert(n: int) -> None:
        apply_update(
            f"INSERT DATA {{ GRAPH <http://example.org/g> {{ <http://example.org/a> <http://example.org/b> {n} }} }}",
            path=store,
        )

    insert(1)
    second = folders.wait(60)
    assert second is not None
    assert b"<http://example.org/a>" in gzip.decompress(second["budgetkg.nq.gz"].path.read_bytes())
    # A request that looked up a dump just before the swap still finds its file.
    assert all(d.path.exists() for d in first.values())
    insert(2)
    third = folders.wait(60)
    assert third is not None
    assert not any(d.path.exists() for d in first.values())  # its database is gone from the store
    assert all(d.path.exists() for d in [*second.values(), *third.values()])


def test_the_server_processes_share_the_dumps_written_once(tmp_path):
    from budgetkg.load.store import rebuild
    from budgetkg.server.dumps import DumpFolders
    from pyoxigraph import Literal, NamedNode, Quad

    store = tmp_path / "store"
    g = NamedNode("http://example.org/g")
    rebuild(
        [((g,), [Quad(NamedNode("http://example.org/x"), NamedNode("http://example.org/b"), Literal("0"), g)])],
        path=store,
    )
    one, two = DumpFolders(store), DumpFolders(store)
    assert one.current() is None
    first = one.wait(60)
    assert first is not None
    written = {name: d.path.stat().st_mtime_ns for name, d in first.items()}
    found = two.current()  # found, not written again
    assert found is not None and {name: d.path for name, d in found.items()} == {n: d.path for n, d in first.items()}
    assert {name: d.path.stat().st_mtime_ns for name, d in first.items()} == written


def test_a_store_that_cannot_be_read_just_now_is_answered_503_until_it_can(tmp_path, store_path):
    import shutil

    from budgetkg.server import ServerOptions, create_app

    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    app = create_app(ServerOptions(store=store, in_memory=False))
    unit = (
        "/org/%E5%B9%BF%E5%B7%9E%E5%B8%82%E4%BA%BA%E5%8A%9B%E8%B5%84%E6%BA%90%E5%92%8C%E7%A4%BE%E4%BC%9A%E4"
        "%BF%9D%E9%9A%9C%E5%B1%80"
    )

    async def scenario():
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client,
        ):

            async def ask() -> httpx.Response:
                return await client.get(
                    "/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers={"Accept": "application/json"}
                )

            (store / "current").rename(store / "away")  # removed, or in the middle of a swap
            gone = [
                await ask(),
                await client.get(unit, headers={"Accept": "text/turtle"}),
                await client.get(unit, headers={"Accept": "text/html"}),
                await client.get("/sparql", headers={"Accept": "text/turtle"}),  # the service description
                await client.get("/.well-known/void"),
                await client.get("/catalog"),
                await client.get("/dumps/budgetkg.ttl"),
            ]
            (store / "away").rename(store / "current")
            return gone, await ask()

    gone, back = asyncio.run(scenario())
    for r in gone:
        assert r.status_code == 503 and r.headers["retry-after"] == "1"
        assert r.json()["error"].startswith("the store cannot be read just now")
    assert back.json()["boolean"] is True


def test_a_figure_page_names_the_place_in_its_form(rendered, tmp_path):
    """A store built from the workbook: each figure's page says the sheet and cell it was printed
    in (the place the graph records), beside the line of the text form."""
    workbook = tmp_path / "budget.xlsx"
    workbook.write_bytes(rendered("xlsx"))
    store = tmp_path / "store"
    build([workbook], store=store)
    runner = CliRunner()
    found = runner.invoke(
        cli,
        [
            "query",
            "SELECT (STR(?o) AS ?iri) ?cell WHERE { ?o <https://w3id.org/budgetkg/ontology#sourceCell> ?cell ; "
            '<https://w3id.org/budgetkg/ontology#printedAmount> "797,407.58" } LIMIT 1',
            "--format",
            "csv",
            "--store",
            str(store),
        ],
    )
    iri, cell = found.output.splitlines()[1].split(",")
    assert cell.split("!")[0] in ("表1", "表4")  # printed in 收支总体情况表 and 财政拨款收支总体情况表
    page = runner.invoke(
        cli, ["serve", "--store", str(store), "--get", iri.removeprefix("https://w3id.org/budgetkg/data")]
    )
    assert page.exit_code == 0 and f"{cell} (line " in page.output
