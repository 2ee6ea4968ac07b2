"""What a request may make the server reach (issue 32, findings 1, 5 and 8's LOAD): the
SERVICE allow-list decided on the parsed request (wall 1, budgetkg.server.reach), and the
egress guard of the server processes (wall 2, budgetkg.server.egress).

Every attack is sent to a real `budgetkg serve` on 127.0.0.1; listeners on loopback record
any connection the server makes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import start

TOKEN = "t0ken-for-the-reach-tests"
TABLE_NUMBER = "https://w3id.org/budgetkg/ontology#tableNumber"
ROW = {"s": {"type": "uri", "value": "http://example.org/from-the-allowed-endpoint"}}


class Recorder(ThreadingHTTPServer):
    """An endpoint on loopback that records every connection made to it and answers any
    request with a SPARQL JSON result of ``rows``."""

    daemon_threads = True

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.connections: list[tuple[str, int]] = []
        self.paths: list[str] = []

        class Answer(BaseHTTPRequestHandler):
            def do_POST(handler) -> None:
                self.paths.append(handler.path)
                handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
                variables = sorted({name for row in self.rows for name in row})
                body = httpx.Response(
                    200, json={"head": {"vars": variables}, "results": {"bindings": self.rows}}
                ).content
                handler.send_response(200)
                handler.send_header("Content-Type", "application/sparql-results+json")
                handler.send_header("Content-Length", str(len(body)))
                handler.end_headers()
                handler.wfile.write(body)

            do_GET = do_POST

            def log_message(handler, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Answer)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def verify_request(self, request, client_address) -> bool:
        self.connections.append(client_address)  # any connection, before a byte is read
        return True

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_port}"


@pytest.fixture(scope="module")
def listeners():
    attacked, allowed = Recorder([{}]), Recorder([ROW])
    yield attacked, allowed
    for listener in (attacked, allowed):
        listener.shutdown()
        listener.server_close()


def seccomp_mode(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("Seccomp:")[1].split()[0])


@pytest.fixture(scope="module")
def served(store_path, tmp_path_factory, listeners):
    """`budgetkg serve` on a copy of the bundled store, with updates and one allowed endpoint."""
    _, allowed = listeners
    store = tmp_path_factory.mktemp("reach") / "store"
    shutil.copytree(store_path, store, symlinks=True)
    process, url = start(
        store, "--allow-service", f"{allowed.base}/sparql", env={**os.environ, "BUDGETKG_UPDATE_TOKEN": TOKEN}
    )
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=20)
        print(process.stderr.read().decode()[-3000:])


# Each attack: (name, "query" or "update", text); A is the attacked listener's base URL,
# P its port, OK the allowed endpoint's base.  The engine reads every one of them (or, for a
# few, refuses it itself): each must be refused before it runs, and no listener may hear of it.
ATTACKS = [
    ("plain", "query", "SELECT * WHERE { SERVICE <{A}/plain> { ?s ?p ?o } }"),
    ("lower case", "query", "select * where { service <{A}/lower> { ?s ?p ?o } }"),
    ("mixed case", "query", "SELECT * WHERE { SeRvIcE <{A}/mixed> { ?s ?p ?o } }"),
    ("comment before the IRI", "query", "SELECT * WHERE { SERVICE # a comment\n <{A}/comment> { ?s ?p ?o } }"),
    # the engine ends a comment at a carriage return, rdflib only at a line feed
    ("comment ended by a carriage return", "query", "SELECT * WHERE { # a comment\rSERVICE <{A}/cr> { ?s ?p ?o } \n}"),
    ("line breaks and tabs", "query", "SELECT * WHERE {\nSERVICE\n\t<{A}/lines>\r\n{ ?s ?p ?o }\n}"),
    ("glued to the IRI", "query", "SELECT * WHERE { SERVICE<{A}/glued>{ ?s ?p ?o } }"),
    ("\\u escape in the IRI", "query", "SELECT * WHERE { SERVICE <http://127.0.0.1\\u003a{P}/escaped> { ?s ?p ?o } }"),
    (
        "\\U escape in the IRI",
        "query",
        "SELECT * WHERE { SERVICE <http\\U0000003a//127.0.0.1:{P}/escaped8> { ?s ?p ?o } }",
    ),
    ("\\u escape in the keyword", "query", "SELECT * WHERE { \\u0053ERVICE <{A}/keyword> { ?s ?p ?o } }"),
    # rdflib decodes the escaped quotes first and reads a long string; the engine reads a SERVICE
    (
        "escaped quotes hide it",
        "query",
        'SELECT * WHERE { { BIND("\\u0022" AS ?x) } UNION { SERVICE <{A}/quote> { ?s ?p ?o } BIND("\\u0022" AS ?y) } }',
    ),
    ("prefixed name", "query", "PREFIX a: <{A}/> SELECT * WHERE { SERVICE a:pname { ?s ?p ?o } }"),
    (
        "prefix declared twice",
        "query",
        "PREFIX a: <{OK}/> PREFIX a: <{A}/> SELECT * WHERE { SERVICE a:sparql { ?s ?p ?o } }",
    ),
    ("glued to a prefixed name", "query", "PREFIX s: <{A}/> SELECT * WHERE { SERVICEs:gluedname { ?s ?p ?o } }"),
    ("BASE-relative IRI", "query", "BASE <{A}/> SELECT * WHERE { SERVICE <based> { ?s ?p ?o } }"),
    (
        "network-path reference",
        "query",
        "BASE <{OK}/> SELECT * WHERE { SERVICE <//127.0.0.1:{P}/netpath> { ?s ?p ?o } }",
    ),
    # rdflib resolves against BASE with urljoin, the engine as RFC 3986 says: another path of the allowed endpoint
    (
        "BASE with dot segments",
        "query",
        "BASE <{OK}/admin/delete/../../x> SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }",
    ),
    ("BASE and an empty query", "query", "BASE <{OK}/> SELECT * WHERE { SERVICE <sparql?> { ?s ?p ?o } }"),
    ("BASE and a double slash", "query", "BASE <{OK}/> SELECT * WHERE { SERVICE <.//sparql> { ?s ?p ?o } }"),
    ("BASE and a parameter", "query", "BASE <{OK}/> SELECT * WHERE { SERVICE <sparql;> { ?s ?p ?o } }"),
    (
        "BASE in an update",
        "update",
        "BASE <{OK}/internal/admin/../../x> INSERT { GRAPH <http://example.org/g> { ?s ?p ?o } } "
        "WHERE { SERVICE <sparql?> { ?s ?p ?o } }",
    ),
    ("SILENT", "query", "SELECT * WHERE { SERVICE SILENT <{A}/silent> { ?s ?p ?o } }"),
    ("in a sub-query", "query", "SELECT * WHERE { { SELECT ?s WHERE { SERVICE <{A}/sub> { ?s ?p ?o } } } }"),
    (
        "in FILTER EXISTS",
        "query",
        "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{A}/exists> { ?s ?p ?o } } } LIMIT 1",
    ),
    (
        "in FILTER NOT EXISTS",
        "query",
        "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <{A}/notexists> { ?s ?p ?o } } } LIMIT 1",
    ),
    ("in MINUS", "query", "SELECT * WHERE { ?s ?p ?o MINUS { SERVICE <{A}/minus> { ?s ?p ?o } } } LIMIT 1"),
    ("in OPTIONAL", "query", "SELECT * WHERE { OPTIONAL { SERVICE <{A}/optional> { ?s ?p ?o } } }"),
    ("in GRAPH", "query", "SELECT * WHERE { GRAPH ?g { SERVICE <{A}/graph> { ?s ?p ?o } } }"),
    ("in UNION", "query", "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <{A}/union> { ?s ?p ?o } } } LIMIT 1"),
    ("in BIND(EXISTS)", "query", "SELECT * WHERE { BIND(EXISTS { SERVICE <{A}/bind> { ?s ?p ?o } } AS ?e) }"),
    ("in a projection", "query", "SELECT (EXISTS { SERVICE <{A}/projection> { ?s ?p ?o } } AS ?e) WHERE { }"),
    (
        "inside an allowed SERVICE",
        "query",
        "SELECT * WHERE { SERVICE <{OK}/sparql> { SERVICE <{A}/nested> { ?s ?p ?o } } }",
    ),
    ("variable bound by BIND", "query", "SELECT * WHERE { BIND(<{A}/var> AS ?e) SERVICE ?e { ?s ?p ?o } }"),
    ("variable bound by VALUES", "query", "SELECT * WHERE { VALUES ?e { <{A}/values> } SERVICE ?e { ?s ?p ?o } }"),
    (
        "after a literal that matches",
        "query",
        f"SELECT ?x WHERE {{ ?s <{TABLE_NUMBER}> 1SERVICE <{{A}}/x> {{ ?x ?y ?z }} }}",
    ),
    (
        "after a decimal that matches",
        "query",
        f"SELECT ?x WHERE {{ ?s <{TABLE_NUMBER}> 1.0SERVICE <{{A}}/decimal> {{ ?x ?y ?z }} }}",
    ),
    ("ASK", "query", "ASK { SERVICE <{A}/ask> { ?s ?p ?o } }"),
    ("CONSTRUCT", "query", "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{A}/construct> { ?s ?p ?o } }"),
    ("DESCRIBE", "query", "DESCRIBE ?s WHERE { SERVICE <{A}/describe> { ?s ?p ?o } }"),
    ("another path of the allowed host", "query", "SELECT * WHERE { SERVICE <{OK}/other> { ?s ?p ?o } }"),
    ("localhost", "query", "SELECT * WHERE { SERVICE <http://localhost:{P}/localhost> { ?s ?p ?o } }"),
    ("too long to check", "query", "SELECT * WHERE { SERVICE <{A}/long> { ?s ?p ?o } } #" + "x" * 6000),
    (
        "update's WHERE",
        "update",
        "INSERT { GRAPH <http://example.org/g> { ?s ?p ?o } } WHERE { SERVICE <{A}/update> { ?s ?p ?o } }",
    ),
    (
        "WITH … DELETE's WHERE",
        "update",
        "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { SERVICE <{A}/delete> { ?s ?p ?o } }",
    ),
    (
        "second operation",
        "update",
        "PREFIX a: <{A}/> INSERT DATA { GRAPH <http://example.org/g> { "
        "<http://example.org/a> <http://example.org/b> 1 } } ; "
        "INSERT { GRAPH <http://example.org/g> { ?s ?p ?o } } WHERE { SERVICE a:second { ?s ?p ?o } }",
    ),
    (
        "update after a literal",
        "update",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ ?s <{TABLE_NUMBER}> 1SERVICE <{{A}}/update1> {{ ?s ?p ?o }} }}",
    ),
    ("LOAD loopback", "update", "LOAD <{A}/data.nt> INTO GRAPH <http://example.org/g>"),
    ("LOAD SILENT", "update", "LOAD SILENT <{A}/silent.nt>"),
    ("LOAD a file", "update", "LOAD <file:///etc/passwd>"),
    ("load, prefixed", "update", "PREFIX a: <{A}/> load a:prefixed.nt"),
    (
        "LOAD after an INSERT",
        "update",
        "INSERT DATA { <http://example.org/a> <http://example.org/b> 2 } ; LOAD <{A}/after.nt>",
    ),
    ("LOAD with a \\u escape", "update", "LOAD <http://127.0.0.1\\u003a{P}/escaped.nt>"),
]


def _text(template: str, attacked: Recorder, allowed: Recorder) -> str:
    return (
        template.replace("{A}", attacked.base).replace("{P}", str(attacked.server_port)).replace("{OK}", allowed.base)
    )


@pytest.mark.parametrize("kind, template", [a[1:] for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_every_spelling_of_service_and_load_is_refused_and_reaches_nothing(served, listeners, kind, template):
    url, _ = served
    attacked, allowed = listeners
    before = len(attacked.connections), len(allowed.connections)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/sparql-results+json"}
    response = httpx.post(url + "/sparql", data={kind: _text(template, attacked, allowed)}, headers=headers, timeout=60)
    assert (len(attacked.connections), len(allowed.connections)) == before, "the server made a connection"
    assert response.status_code in (400, 403), response.text
    body = response.json()
    assert body["ok"] is False and body["status"] == response.status_code and body["errors"] == [body["error"]]
    if "LOAD" in template.upper() and kind == "update":
        assert body["error"].startswith(("LOAD is refused", "this endpoint could not read"))


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?o WHERE { ?s ?p ?o FILTER(?o = "a service") } LIMIT 1',  # parsed, and it names no SERVICE
        "SELECT * WHERE { ?s <http://example.org/procurement-services> ?o } # SERVICE <http://127.0.0.1:1/x>",
        "ASK { ?s ?p ?o }",  # not parsed at all
    ],
)
def test_a_query_that_only_mentions_service_is_answered(served, listeners, query):
    url, _ = served
    before = [len(listener.connections) for listener in listeners]
    response = httpx.post(
        url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert [len(listener.connections) for listener in listeners] == before


def test_load_of_a_file_is_refused_403(served):
    url, _ = served
    response = httpx.post(
        url + "/sparql",
        data={"update": "LOAD <file:///etc/passwd>"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )
    assert response.status_code == 403 and response.json()["error"].startswith("LOAD is refused by this endpoint")


def test_an_allowed_endpoint_is_called_and_both_walls_stand(served, listeners):
    url, process = served
    attacked, allowed = listeners
    query = f"SELECT ?s WHERE {{ SERVICE <{allowed.base}/sparql> {{ ?s ?p ?o }} }}"
    before = len(allowed.paths)
    response = httpx.post(
        url + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [ROW]
    assert allowed.paths[before:] == ["/sparql"]
    # Wall 2: every server process runs under a seccomp filter (mode 2); this test's process does not.
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    servers = [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    assert servers and all(seccomp_mode(pid) == 2 for pid in servers)
    assert seccomp_mode(os.getpid()) == 0


# Wall 2 alone: the engine itself, in a process of its own under the guard.
GUARDED = """
import socket, sys
from pyoxigraph import Store
from budgetkg.server import egress

allowed, other = sys.argv[1], sys.argv[2]  # allowed by its host name, resolved when the guard is installed
reason = egress.install([allowed + "/sparql"])
if reason is not None:
    print("UNAVAILABLE", reason)
    sys.exit(0)
store = Store()
for base in (allowed, other):
    try:
        rows = list(store.query("SELECT * WHERE { SERVICE <" + base + "/sparql> { ?s ?p ?o } }"))
        print("ANSWERED", base, len(rows))
    except Exception as exc:
        print("FAILED", base, type(exc).__name__)
port = int(other.rsplit(":", 1)[1])
try:
    socket.create_connection(("127.0.0.1", port), timeout=10).close()
    print("CONNECTED", port)
except ConnectionRefusedError:
    print("REFUSED", port)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.sendto(b"x", ("127.0.0.1", port))
    print("SENT", port)
except ConnectionRefusedError:
    print("REFUSED", "udp")
a, b = socket.socketpair()
a.sendall(b"local")
print("LOCAL", b.recv(5).decode())
"""


def test_the_egress_guard_lets_the_engine_reach_only_allowed_endpoints():
    from budgetkg.server.egress import unavailable

    reason = unavailable()
    if reason is not None:
        pytest.skip(f"seccomp user notification is not available here: {reason}")
    allowed, other = Recorder([ROW]), Recorder([ROW])
    try:
        by_name = allowed.base.replace("127.0.0.1", "localhost")
        done = subprocess.run(
            [sys.executable, "-c", GUARDED, by_name, other.base], capture_output=True, text=True, timeout=120
        )
    finally:
        allowed.shutdown()
        other.shutdown()
    lines = done.stdout.splitlines()
    assert done.returncode == 0, done.stderr
    assert f"ANSWERED {by_name} 1" in lines and f"FAILED {other.base} ConnectionRefusedError" in lines
    assert f"REFUSED {other.server_port}" in lines and "REFUSED udp" in lines and "LOCAL local" in lines
    assert allowed.paths == ["/sparql"] and other.connections == []
    assert f"refused a connection to 127.0.0.1:{other.server_port}" in done.stderr


def test_an_update_s_own_process_reaches_only_allowed_endpoints(tmp_path, store_path):
    """Wall 2 in the process that applies an update (budgetkg.server.update_process), the parsed check left out."""
    from budgetkg.server.egress import unavailable

    reason = unavailable()
    if reason is not None:
        pytest.skip(f"seccomp user notification is not available here: {reason}")
    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    allowed, other = Recorder([ROW]), Recorder([ROW])
    try:
        said = {}
        for base in (allowed.base, other.base):
            update = (
                f"INSERT {{ ?s <http://example.org/seen> true }} WHERE {{ SERVICE <{base}/sparql> {{ ?s ?p ?o }} }}"
            )
            done = subprocess.run(
                [sys.executable, "-m", "budgetkg.server.update_process", str(store), "60", allowed.base + "/sparql"],
                input=update.encode(),
                capture_output=True,
                timeout=120,
            )
            said[base] = done.stdout.decode()
    finally:
        allowed.shutdown()
        other.shutdown()
    assert allowed.paths == ["/sparql"] and '"applied"' in said[allowed.base]
    assert other.connections == [] and '"applied"' not in said[other.base]


# The fuzz test: generated queries and updates, wall 1's verdict against what the engine does.
@pytest.fixture(scope="module")
def fuzz_listeners():
    pair = Recorder([{}]), Recorder([{}])  # one empty solution: what follows a SERVICE is evaluated too
    yield pair
    for listener in pair:
        listener.shutdown()
        listener.server_close()


# Spellings of SERVICE.  The last four have no "service" in any case: wall 1 lets them through
# unparsed (reach.may_reach), so the engine must call nothing for them either.
KEYWORDS = [
    "SERVICE",
    "service",
    "SeRvIcE",
    "\\u0053ERVICE",
    "SERVIC\\u0045",
    "SERVICE SILENT",
    "service silent",
    "\u017fERVICE",
    "\uff33ERVICE",
    "SERV\u200bICE",
    "SERVI CE",
]
GAPS = [" ", "\n", "\t", "", " # SERVICE <http://127.0.0.1:1/c>\n ", "\r\n  ", " #\r", "#\r\n"]
# What stands before SERVICE: nothing, a matching triple pattern, or one glued to a literal.
LEADS = [
    'BIND("\\u0022" AS ?q1)',
    "?s ?p ?o .",
    "",
    "?s ?p 1",
    "?s ?p 1.0",
    "?s ?p ?o",
    "?s ?p 'SERVICE <x:y> {}' .",
    "FILTER(?s != <x:y>)",
]
# Between that and SERVICE: the engine ends a comment at a carriage return, rdflib at a line feed only.
SEPARATORS = [" # a comment\r", " ", "", "\n", " # SERVICE\r", "#\n"]
# After it: a line end lets a comment that swallowed it (in rdflib's reading) end there; an
# escaped quote closes a long string that one before it opened (in rdflib's reading).
TAILS = ['\n BIND("\\u0022" AS ?q2)', "\n", "", ' BIND("\\u0022" AS ?q2)']
PATHS = ["/a", "/b/c", "/d%41", "/e?x=1"]
WRAPS = [
    "{}",
    "{{ SELECT * WHERE {{ {} }} }}",
    "FILTER EXISTS {{ {} }}",
    "FILTER NOT EXISTS {{ {} }}",
    "MINUS {{ {} }}",
    "OPTIONAL {{ {} }}",
    "GRAPH ?g {{ {} }}",
    "{{ {} }} UNION {{ ?s ?p ?o }}",
    "BIND(EXISTS {{ {} }} AS ?x)",
]


@st.composite
def requests(draw, listeners):
    """A query or an update with one or two SERVICE (or a LOAD), spelled in any of the ways above.

    Half of them have no codepoint escape at all: wall 1 refuses any request with one that
    names SERVICE, and would otherwise refuse most of them for that alone."""
    escapes = draw(st.booleans())

    def pick(options: list[str]) -> str:
        return draw(st.sampled_from([o for o in options if escapes or "\\u" not in o.lower()]))

    prologue, parts = "", []
    for _ in range(draw(st.integers(1, 2))):
        base, path = draw(st.sampled_from(listeners)).base, pick(PATHS)
        how = pick(["iri", "prefixed", "based", "variable", "\\u escaped"])
        declared, target, binding = "", f"<{base}{path}>", ""
        if how == "prefixed":
            declared, target = f"PREFIX p: <{base}/> ", f"p:{path[1:].replace('/', '_')}"
        elif how == "based":
            declared, target = f"BASE <{base}/> ", f"<{path[1:]}>"
        elif how == "variable":
            target, binding = "?e", f"BIND(<{base}{path}> AS ?e) "
        elif how != "iri":
            target = f"<{base.replace(':', chr(92) + 'u003a', 2)}{path}>"
        if declared not in prologue and not (declared.startswith("BASE") and "BASE" in prologue):
            prologue += declared
        service = f"{pick(KEYWORDS)}{pick(GAPS)}{target} {{ ?s ?p ?o }}"
        parts.append(pick(WRAPS).format(f"{pick(LEADS)}{pick(SEPARATORS)}{binding}{service}{pick(TAILS)}"))
    body = " ".join(parts)
    form = draw(st.sampled_from(["select", "ask", "insert", "load"]))
    if form == "load":
        keyword = pick(["LOAD", "load", "LOAD SILENT", "\\u004cOAD"])
        base = draw(st.sampled_from(listeners)).base
        return True, f"{prologue}INSERT DATA {{ <x:a> <x:b> 1 }} ; {keyword}{pick(GAPS)}<{base}{pick(PATHS)}>"
    if form == "insert":
        return True, f"{prologue}INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . {body} }}"
    return False, f"{prologue}{'ASK' if form == 'ask' else 'SELECT *'} WHERE {{ {body} }}"


def engine_calls(text: str, update: bool, listeners) -> set[str]:
    """The URLs the engine called for ``text``, run on a small store where ``?s ?p 1`` matches."""
    from pyoxigraph import Literal, NamedNode, Quad, Store

    store = Store()
    for graph in (None, NamedNode("http://example.org/g")):
        store.add(Quad(NamedNode("http://example.org/s"), NamedNode("http://example.org/p"), Literal(1), graph))
    before = [len(listener.paths) for listener in listeners]
    try:
        if update:
            store.update(text)
        else:
            result = store.query(text, use_default_graph_as_union=True)
            _ = bool(result) if type(result).__name__ == "QueryBoolean" else list(result)
    except Exception:  # a syntax error, a failed SERVICE or LOAD: what was called is what counts
        pass
    return {listener.base + path for listener, n in zip(listeners, before, strict=True) for path in listener.paths[n:]}


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_wall_one_names_every_endpoint_the_engine_calls(fuzz_listeners, data):
    from budgetkg.server.reach import Unreadable, reach

    update, text = data.draw(requests(list(fuzz_listeners)))
    called = engine_calls(text, update, fuzz_listeners)
    try:
        found = reach(text, update=update)
    except Unreadable:
        return  # refused, whatever the engine would have done
    if found.variables:
        return  # refused too
    assert called <= set(found.services) | set(found.loads), (text, found)


def test_a_verdict_is_kept_by_text_and_a_text_without_the_words_is_not_parsed(monkeypatch):
    from budgetkg.server import reach

    parsed = []
    monkeypatch.setattr(reach, "_parse", lambda text, update: parsed.append(text) or reach.Reach(services=("x:y",)))
    query = "SELECT * WHERE { SERVICE <x:y> { ?s ?p ?o } } # kept"
    assert reach.reach(query, update=False) == reach.reach(query, update=False) == reach.Reach(services=("x:y",))
    assert reach.reach("SELECT * WHERE { ?s ?p 'download' }", update=False) == reach.Reach()
    assert reach.reach("INSERT DATA { <x:a> <x:b> 'service' }", update=True).services == ("x:y",)
    assert parsed == [query, "INSERT DATA { <x:a> <x:b> 'service' }"]


def test_without_seccomp_the_server_process_runs_and_the_command_says_so_once(monkeypatch, capsys):
    from budgetkg.server import egress

    monkeypatch.setattr(egress, "unavailable", lambda: "no seccomp here")
    monkeypatch.setattr(egress, "install", lambda endpoints: pytest.fail("installed without seccomp"))
    egress.guard(["http://127.0.0.1:1/sparql"])  # a server process: quiet, the command said it
    egress.warn_if_unavailable()  # the command's process
    assert capsys.readouterr().err.count("the egress guard, is missing: no seccomp here") == 1
