"""`budgetkg serve` attacked over HTTP itself (issue 32): heads too large or too slow, many idle
connections, malformed Accept headers, a forged Host, pages without security headers, paths
in errors, the update token on the command line.  Each test is the attack, on a real server
on 127.0.0.1."""

import asyncio
import os
import select
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from budgetkg.cli import cli
from click.testing import CliRunner
from servers import dumped, pid_maps_no, resource_path, server_processes, start

ASK = {"query": "ASK { ?s ?p ?o }"}
JSON = {"Accept": "application/sparql-results+json"}
PUBLIC = "https://data.example.org/budget/"
CAP = 40  # --max-connections of the server below


@pytest.fixture(scope="module")
def server(store_path):
    dumped(store_path)  # as `budgetkg build` leaves the store
    process, url = start(
        store_path, "--workers", "1", "--request-timeout", "2", "--max-connections", str(CAP), "--public-url", PUBLIC
    )
    yield url, process
    process.terminate()
    process.wait(timeout=10)
    print(process.stderr.read().decode()[-3000:])


def raw(url: str, data: bytes, *, wait: float = 30) -> bytes:
    """What the server answers to ``data`` sent on a connection of its own, read until it closes
    the connection (or ``wait`` seconds pass); a reset after an answer keeps the answer."""
    host, port = url.removeprefix("http://").split(":")
    answer = b""
    with socket.create_connection((host, int(port)), timeout=wait) as sock:
        try:
            sock.sendall(data)
            while chunk := sock.recv(65536):
                answer += chunk
        except (ConnectionResetError, BrokenPipeError):  # closed before all was sent: the rest is refused
            pass
    return answer


def assert_responsive(url: str) -> None:
    assert httpx.get(url + "/sparql", params=ASK, headers=JSON, timeout=30).json()["boolean"] is True


def json_error(answer: bytes) -> dict:
    """The JSON error body of a raw HTTP answer, checked to have the server's one shape."""
    import json

    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower()
    found = json.loads(body)
    assert set(found) == {"ok", "status", "error", "errors"} and found["ok"] is False
    return found


# Finding 7: request heads are bounded, in bytes, in fields and in time.


def test_a_header_of_a_megabyte_is_refused_431_and_the_server_stays_responsive(server):
    url, _ = server
    answer = raw(url, b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
    assert not answer.startswith(b"HTTP/1.1 2")
    if answer:  # else the connection was closed (reset) before the answer could be read
        assert answer.startswith(b"HTTP/1.1 431 ") and json_error(answer)["status"] == 431
    assert_responsive(url)


def test_too_many_header_fields_or_too_many_bytes_of_them_are_refused_431(server):
    url, _ = server
    many = b"".join(b"X-%d: a\r\n" % i for i in range(150))
    answer = raw(url, b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and "100 header fields" in json_error(answer)["error"]
    # Fields under the head's limit, which also has room for a query in the request line, yet
    # over the fields' own limit (32768 bytes): refused as well.
    fields = b"".join(b"X-%d: %s\r\n" % (i, b"b" * 4000) for i in range(10))
    answer = raw(url, b"GET /sparql HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ") and "32768 bytes" in json_error(answer)["error"]
    # What clients send is read: a cookie of 8 KB, a query of 15 KB in the request line.
    ok = httpx.get(
        url + "/sparql", params={"query": "ASK { ?s ?p ?o } #" + "x" * 15_000}, headers={**JSON, "Cookie": "c" * 8_000}
    )
    assert ok.status_code == 200 and ok.json()["boolean"] is True


def connections_of(pid: int) -> int:
    """Sockets process ``pid`` holds open."""
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except FileNotFoundError:  # closed meanwhile
            pass
    return count


def test_slow_and_idle_connections_are_closed_and_cannot_shut_out_a_client(server):
    url, process = server
    [worker] = server_processes(process.pid)
    before = connections_of(worker)
    host, port = url.removeprefix("http://").split(":")
    slow = []
    try:
        for i in range(200):  # five times the server's limit of connections
            sock = socket.create_connection((host, int(port)), timeout=30)
            if i % 2:  # half send the start of a head and stop; half send nothing
                sock.sendall(b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(sock)
        # A client that sends its request at once is answered, the slow ones taking their turns out.
        assert_responsive(url)
        assert connections_of(worker) <= before + CAP + 5
        # Each is closed by the server: within its --request-timeout of 2 s, or sooner to make room.
        open_ = set(slow)
        deadline = time.monotonic() + 60
        answers = []
        while open_ and time.monotonic() < deadline:
            readable, _, _ = select.select(list(open_), [], [], 1)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except ConnectionResetError:
                    data = b""
                answers.append(data)
                open_.discard(sock)
        assert not open_, f"{len(open_)} of 200 slow connections still open after 60 s"
        # Part of a request came: 408 in the one error shape; nothing came: closed without a word.
        assert any(a.startswith(b"HTTP/1.1 408 ") for a in answers)
        assert all(a == b"" or a.startswith((b"HTTP/1.1 408 ", b"HTTP/1.1 503 ")) for a in answers)
    finally:
        for sock in slow:
            sock.close()
    assert_responsive(url)


def tcp_state(local_port: int, remote_port: int) -> str | None:
    """The state of the IPv4 TCP socket from ``local_port`` to ``remote_port`` on this machine
    (``01``: established), None when there is none."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if (int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)) == (local_port, remote_port):
            return fields[3]
    return None


def test_a_client_that_reads_nothing_of_an_answer_is_cut(server):
    url, _ = server
    host, port = url.removeprefix("http://").split(":")
    assert (
        httpx.get(url + "/dumps/budgetkg.rdf", timeout=120).status_code == 200
    )  # written, and larger than the buffers
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        sock.sendall(b"GET /dumps/budgetkg.rdf HTTP/1.1\r\nHost: x\r\n\r\n")
        mine = sock.getsockname()[1]
        deadline = time.monotonic() + 60
        while tcp_state(int(port), mine) == "01" and time.monotonic() < deadline:
            time.sleep(0.2)
        # The server let go of the connection (what its kernel still holds to send is the kernel's).
        assert tcp_state(int(port), mine) != "01"
    assert_responsive(url)


def test_a_request_with_too_many_form_fields_is_refused_400(server):
    url, _ = server
    r = httpx.post(
        url + "/sparql",
        content="&".join(["query=ASK%7B%7D"] + ["default-graph-uri=urn:x"] * 1_500),
        headers={**JSON, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400 and "1000 fields" in r.json()["error"]


# Finding 10: malformed Accept headers.

MALFORMED_ACCEPT = [
    "text/html;q=abc",
    "text/html;q=",
    "text/html;q=nan",
    "text/html;q=-1",
    "text/html;q=1e400",
    "text/turtle;q=0.5.5",
    ";;;",
    ",,,",
    "",
    "q=0.5",
    "text/html;;q=abc,,*/*;q=x",
    "/",
    "*/*;q==1",
    "text/html\xe9;q=1",
    "application/sparql-results+json;q=0;q=abc",
    # a thousand ranges: 26 KB, under the limit of header bytes
    ", ".join(f"application/x-{i};q=0.{i:03d}" for i in range(1_000)) + ", text/csv;q=0.999",
]


@pytest.mark.parametrize("accept", MALFORMED_ACCEPT, ids=range(len(MALFORMED_ACCEPT)))
def test_a_malformed_accept_header_is_never_a_500(server, accept):
    url, _ = server
    page = resource_path(url, "广州市工贸技师学院入驻科教城购置项目")  # line 776
    for path, params in (
        ("/sparql", ASK),
        ("/sparql", {}),
        (page, {}),
        ("/org/no-such-unit", {}),
        ("/catalog", {}),
        ("/.well-known/sparql-examples", {}),
        ("/ontology", {}),
        ("/", {}),
    ):
        r = httpx.get(url + path, params=params, headers={"Accept": accept.encode("latin-1")}, timeout=120)
        assert r.status_code < 500, (path, r.status_code, r.text[:200])
        if r.status_code >= 400:
            assert r.json()["ok"] is False and r.json()["status"] == r.status_code
    # The format parameter is read as Accept when it is a media type.
    r = httpx.get(url + "/sparql", params={**ASK, "format": accept}, timeout=60)
    assert r.status_code in (200, 406) and (r.status_code == 200 or r.json()["status"] == 406)


def test_accept_is_read_as_rfc_9110_says():
    from budgetkg.server.sparql import ProtocolError, negotiate

    assert negotiate("text/html;q=abc, text/csv;q=0.5", None) == ("csv", "ttl")  # a bad weight counts as 1
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml;q=0.9", None) == ("xml", "ttl")
    assert negotiate("*/*, application/sparql-results+json;q=0", None)[0] == "xml"  # q=0: not acceptable
    assert negotiate("nonsense, ,;", None) == ("json", "ttl")  # no valid range: as no Accept at all
    with pytest.raises(ProtocolError):
        negotiate("text/csv;q=0", None)
    with pytest.raises(ProtocolError) as refused:
        negotiate("image/png, " * 10_000, None)
    assert len(str(refused.value)) < 1_000  # what the client sent is not echoed whole


def test_reading_accept_grows_linearly_with_its_ranges():
    from budgetkg.server.sparql import negotiate

    def seconds(n: int) -> float:
        accept = ", ".join(f"application/x-{i};q=0.{i % 1000:03d}" for i in range(n)) + ", text/csv"
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            negotiate(accept, None)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(2_000), seconds(32_000)
    assert large / small < 64  # linear: 16 times the ranges, about 16 times the time (quadratic: 256)


# The one error shape for whatever raises.


def test_anything_that_raises_is_answered_in_the_one_error_shape(store_path, monkeypatch):
    import budgetkg.server.pages as pages_module
    from budgetkg.server import ServerOptions, create_app

    def broken():
        raise RuntimeError("/secret/path/in/a/traceback")

    monkeypatch.setattr(pages_module, "examples", broken)
    app = create_app(ServerOptions(store=store_path))

    async def scenario():
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
                return await client.get("/")

    r = asyncio.run(scenario())
    assert r.status_code == 500 and r.json() == {
        "ok": False,
        "status": 500,
        "error": "Internal Server Error",
        "errors": ["Internal Server Error"],
    }
    assert "secret" not in r.text and r.headers["x-content-type-options"] == "nosniff"


# Also noticed: the Host header copied into the endpoint's address.


def test_a_forged_host_is_never_written_into_an_answer(server):
    url, _ = server
    forged = {"Host": "evil.example"}
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 3"
    answers = [
        httpx.get(url + path, params=params, headers={**forged, "Accept": accept}, timeout=120)
        for path, params, accept in (
            ("/", {}, "text/html"),
            ("/catalog", {}, "text/turtle"),
            ("/.well-known/void", {}, "text/turtle"),
            ("/.well-known/sparql-examples", {}, "text/turtle"),
            ("/sparql", {}, "text/turtle"),
            ("/sparql", {}, "application/ld+json"),
            ("/sparql", {"query": construct}, "text/turtle"),
            ("/ontology", {}, "text/html"),
            ("/no/such/thing", {}, "text/html"),
            ("/static/no-such-file.js", {}, "*/*"),
            ("/sparql", {"query": "SELECT"}, "*/*"),
        )
    ]
    for r in answers:
        assert "evil.example" not in r.text and "evil.example" not in str(r.headers), r.url
    # The configured public URL is the endpoint's address instead.
    assert f"<{PUBLIC}sparql>" in answers[1].text and f"<{PUBLIC}catalog>" in answers[1].text
    assert f"<{PUBLIC}sparql>" in answers[2].text and f"{PUBLIC}sparql" in answers[0].text
    assert f"<{PUBLIC}sparql>" in answers[4].text


def test_the_public_url_defaults_to_where_the_server_listens():
    from budgetkg.server.run import public_url

    assert public_url(None, "127.0.0.1", 7878) == "http://127.0.0.1:7878/"
    assert public_url(None, "::1", 80) == "http://[::1]:80/"
    assert public_url("https://data.example.org/budget", "0.0.0.0", 80) == "https://data.example.org/budget/"
    for wrong in (
        "ftp://x/",
        "https://user:pw@x/",
        "https://x/?q=1",
        "https://x/#f",
        "data.example.org",
        "https://x:y/",
        "https://x y/",
        "https://x;y/",
    ):
        with pytest.raises(ValueError):
            public_url(wrong, "127.0.0.1", 7878)


# Also noticed: no security headers.


def test_every_kind_of_answer_carries_the_security_headers(server):
    url, _ = server
    answers = {
        "page": httpx.get(url + "/", headers={"Accept": "text/html"}),
        "error": httpx.get(url + "/static/no-such-file.js"),
        "SPARQL answer": httpx.get(url + "/sparql", params=ASK, headers=JSON),
        "SPARQL error": httpx.post(url + "/sparql", data={"query": "SELECT WHERE {"}),
        "static file": httpx.get(url + "/static/query.js"),
        "dump": httpx.get(url + "/dumps/datapackage.json", timeout=120),
        "resource page": httpx.get(url + "/org/no-such-unit", headers={"Accept": "text/html"}),
    }
    refused = raw(url, b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: a\r\n" % i for i in range(150)) + b"\r\n")
    for name, r in answers.items():
        assert r.headers["x-content-type-options"] == "nosniff", name
        assert r.headers["x-frame-options"] == "DENY", name
        policy = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy and "script-src 'self';" in policy, name
        assert "unsafe-eval" not in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
        assert r.headers["referrer-policy"], name
    assert answers["static file"].status_code == 200 and answers["dump"].status_code == 200
    head = refused.partition(b"\r\n\r\n")[0].lower()
    assert refused.startswith(b"HTTP/1.1 431 ") and b"x-content-type-options: nosniff" in head
    # The query page runs no script of its own inline: the policy would stop it.
    assert "<script>" not in answers["page"].text and '<script src="/static/query.js">' in answers["page"].text


# Also noticed: a store's path in a 503.


def test_a_store_that_cannot_be_read_is_answered_503_without_its_path(tmp_path, store_path):
    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    process, url = start(store, "--on-disk", "--workers", "1")
    try:
        (store / "current").rename(store / "away")  # removed, or in the middle of a swap
        answers = []
        for path, accept in (
            ("/sparql?query=ASK%7B%7D", "application/json"),
            ("/catalog", "text/turtle"),
            ("/sparql", "text/turtle"),
            ("/org/x", "text/turtle"),
        ):
            for _ in range(100):  # the server process notices on its next look (every second)
                r = httpx.get(url + path, headers={"Accept": accept}, timeout=60)
                if r.status_code == 503:
                    break
                time.sleep(0.1)
            answers.append(r)
        (store / "away").rename(store / "current")
    finally:
        process.terminate()
        process.wait(timeout=10)
    for r in answers:
        assert r.status_code == 503 and r.json()["error"].startswith("the store cannot be read just now")
        assert str(tmp_path) not in r.text and "/current" not in r.text and "No such file" not in r.text
    assert str(store) in process.stderr.read().decode()  # the detail is in the server's log


# Also noticed: the update token on the command line, where every local user reads it.


def test_the_update_token_is_refused_on_the_command_line(store_path):
    result = CliRunner().invoke(
        cli,
        ["serve", "--store", str(store_path), "--update-token", "s3cret", "--get", "/"],
        env={"BUDGETKG_UPDATE_TOKEN": None},
    )
    assert result.exit_code == 2
    assert "--update-token-file" in result.output and "BUDGETKG_UPDATE_TOKEN" in result.output


def token_in_command_lines(process: subprocess.Popen, token: bytes) -> bool:
    pids = [process.pid, *server_processes(process.pid)]
    assert len(pids) == 2
    return any(token in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in pids)


@pytest.mark.parametrize("given", ["file", "environment"])
def test_the_update_token_from_a_file_or_the_environment_is_in_no_command_line(tmp_path, store_path, given):
    store = tmp_path / "store"
    shutil.copytree(store_path, store, symlinks=True)
    token = "t0ken-" + os.urandom(8).hex()
    env = {k: v for k, v in os.environ.items() if k != "BUDGETKG_UPDATE_TOKEN"}
    if given == "file":
        secret = tmp_path / "token"
        secret.write_text(token + "\n")
        secret.chmod(0o600)
        process, url = start(store, "--workers", "1", "--update-token-file", str(secret), env=env)
    else:
        process, url = start(store, "--workers", "1", env={**env, "BUDGETKG_UPDATE_TOKEN": token})
    try:
        assert not token_in_command_lines(process, token.encode())
        insert = 'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/a> <http://example.org/b> "c" } }'
        assert (
            httpx.post(url + "/sparql", data={"update": insert}, headers={"Authorization": "Bearer wrong"}).status_code
            == 401
        )
        ok = httpx.post(
            url + "/sparql", data={"update": insert}, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
        assert ok.status_code == 204
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_token_given_twice_or_empty_is_a_usage_error(tmp_path, store_path):
    secret = tmp_path / "token"
    secret.write_text("\n")
    runner = CliRunner()
    empty = runner.invoke(
        cli,
        ["serve", "--store", str(store_path), "--update-token-file", str(secret), "--get", "/"],
        env={"BUDGETKG_UPDATE_TOKEN": None},
    )
    assert empty.exit_code == 2 and "empty" in empty.output
    secret.write_text("abc\n")
    twice = runner.invoke(
        cli,
        ["serve", "--store", str(store_path), "--update-token-file", str(secret), "--get", "/"],
        env={"BUDGETKG_UPDATE_TOKEN": "def"},
    )
    assert twice.exit_code == 2 and "twice" in twice.output


def test_the_bounds_hold_where_uvicorn_reads_with_h11(store_path, tmp_path):
    # Without httptools (no wheel for the platform), uvicorn reads requests with h11: the same bounds.
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "httptools.py").write_text("raise ImportError('httptools is hidden by the test')\n")
    process, url = start(
        store_path,
        "--workers",
        "1",
        "--request-timeout",
        "2",
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), *sys.path])},
    )
    try:
        assert all(pid_maps_no(pid, "httptools") for pid in server_processes(process.pid))
        big = raw(url, b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n")
        assert not big.startswith(b"HTTP/1.1 2") and (not big or json_error(big)["status"] == 431)
        slow = raw(url, b"GET /sparql HTTP/1.1\r\nHost: x\r\nX-Slow: ", wait=60)
        assert slow.startswith(b"HTTP/1.1 408 ") and json_error(slow)["status"] == 408
        assert raw(url, b"", wait=60) == b""  # an idle connection is closed too
        assert_responsive(url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_page_links_no_iri_of_another_scheme_than_http():
    # An update can put <javascript:alert(1)> in the store: its page shows it as text, not as a link.
    from budgetkg.server.pages import _href

    base = "https://w3id.org/budgetkg/data/"
    assert _href("javascript:alert(1)", base) == "" and _href("JavaScript:x", base) == ""
    assert _href("data:text/html,<script>", base) == ""
    assert _href(base + "unit/x", base) == "/unit/x" and _href("http://example.org/a", base) == "http://example.org/a"
