"""Real SPARQL servers for the tests, each on 127.0.0.1 and a free port (see shared/SERVERS.md)."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from budgetkg.publish.oxigraph_server import oxigraph_binary as installed_oxigraph
from budgetkg.publish.oxigraph_server import wait_until_answers


def free_port() -> int:
    """A port free on 127.0.0.1 now, from a range of this pytest-xdist worker's own below the
    kernel's ephemeral ports (32768 and up).

    A port the kernel hands out (bind to port 0) is free only until the server binds it: a
    server that another worker starts meanwhile could take it, and the test would then speak
    to that server.  Ranges of their own keep the workers, and every client socket, apart.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    low = 20_000 + 1_000 * (int(worker) % 12 if worker.isdigit() else 0)
    for port in random.sample(range(low, low + 1_000), 1_000):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:  # taken, or a closed connection's port still waiting (TIME_WAIT)
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 in {low}-{low + 999}")


def dumped(store: Path) -> None:
    """Write the dumps of the store's live database, as `budgetkg build` does, unless they are written."""
    from budgetkg.load.store import live_database
    from budgetkg.publish.dumps import DUMPS_FOLDER, write_generation

    write_generation(live_database(store), store / DUMPS_FOLDER)


def oxigraph_binary() -> str:
    found = installed_oxigraph()
    if found is None:
        pytest.skip("the oxigraph server is not installed (pip install oxigraph)")
    return found


@contextmanager
def oxigraph(folder: Path, *, union: bool = False):
    """A writable Oxigraph server; yields (query URL, Graph Store URL, update URL).

    ``union``: serve the union of the named graphs as the default graph, as an endpoint
    named in a SERVICE clause must (SERVICE cannot say FROM).
    """
    port = free_port()
    command = [oxigraph_binary(), "serve", "--location", str(folder), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command + (["--union-default-graph"] if union else []), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(f"{base}/query?query=ASK%7B%7D", process, timeout=20)
        yield f"{base}/query", f"{base}/store", f"{base}/update"
    finally:
        process.terminate()
        process.wait(timeout=10)


VIRTUOSO_INI = """[Database]
DatabaseFile    = {db}/virtuoso.db
ErrorLogFile    = {db}/virtuoso.log
LockFile        = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
[TempDatabase]
DatabaseFile    = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort      = 127.0.0.1:{isql}
DisableUnixSocket = 1
DirsAllowed     = ., {db}
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
CaseMode        = 2
[HTTPServer]
ServerPort      = 127.0.0.1:{http}
ServerRoot      = /var/lib/virtuoso-opensource-7/vsp
ServerThreads   = 10
[SPARQL]
ResultSetMaxRows      = {max_rows}
MaxQueryExecutionTime = 120
"""


@contextmanager
def virtuoso(folder: Path, *, max_rows: int = 100_000):
    """A Virtuoso 7 instance of our own; yields (query URL, Graph Store URL with digest auth, user, password).

    :param max_rows: where Virtuoso cuts a SELECT answer (``ResultSetMaxRows``).
    """
    binary = shutil.which("virtuoso-t")
    if binary is None:
        pytest.skip("Virtuoso is not installed (apt-get install virtuoso-opensource; .ci/run does)")
    db = folder / "db"
    db.mkdir(parents=True)
    isql = free_port()
    http = next(p for p in iter(free_port, None) if p != isql)
    (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(db=db, isql=isql, http=http, max_rows=max_rows))
    log = folder / "stdout.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [binary, "+configfile", str(folder / "virtuoso.ini"), "+foreground"],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=folder,
        )
    base = f"http://127.0.0.1:{http}"
    try:
        wait_until_answers(f"{base}/sparql?query=ASK%7B%7D", process, timeout=60, log=db / "virtuoso.log")
        yield f"{base}/sparql", f"{base}/sparql-graph-crud-auth", "dba", "dba"
    finally:
        isql_binary = shutil.which("isql-vt")
        if isql_binary and process.poll() is None:
            subprocess.run(
                [isql_binary, f"127.0.0.1:{isql}", "dba", "dba", "exec=shutdown;"], capture_output=True, timeout=30
            )
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# `budgetkg serve` for real, for every test file that speaks to it over HTTP.
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def start(store: Path, *args: str, env: dict[str, str] | None = None):
    """`budgetkg serve` on a free port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "budgetkg", "serve", "--store", str(store), "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(url + "/sparql", process, timeout=60)
    return process, url


def server_processes(pid: int) -> list[int]:
    """The server processes that `budgetkg serve` (process ``pid``) runs: its spawned children."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def sandboxes(pid: int) -> set[int]:
    """The sandboxes of the server processes of `budgetkg serve` (process ``pid``): their children
    (see budgetkg.server.sandbox)."""
    found: set[int] = set()
    for server in server_processes(pid):
        try:
            found.update(int(c) for c in Path(f"/proc/{server}/task/{server}/children").read_text().split())
        except OSError:  # it ended meanwhile
            pass
    return found


def pid_maps_no(pid: int, *names: str) -> bool:
    """Whether process ``pid`` has loaded no library or module file whose name starts with one of ``names``."""
    maps = Path(f"/proc/{pid}/maps").read_text()
    return not any(f"/{name}" in maps for name in names)


def resource_path(server, label):
    r = httpx.post(
        server + "/sparql",
        data={"query": f'SELECT ?x WHERE {{ ?x <http://www.w3.org/2000/01/rdf-schema#label> "{label}"@zh }}'},
        headers={"Accept": "application/sparql-results+json"},
    )
    iri = r.json()["results"]["bindings"][0]["x"]["value"]
    return iri.removeprefix("https://w3id.org/budgetkg/data")


def post_heeding_retry_after(client: httpx.Client, url: str, data: dict[str, str], *, tries: int) -> httpx.Response:
    """The endpoint's answer to ``data``, asked again as a 503's Retry-After says, ``tries``
    times at most (a server process being replaced answers so until its successor is ready)."""
    for _ in range(tries):
        r = client.post(url + "/sparql", data=data, headers={"Accept": "application/json"})
        if r.status_code != 503 or "retry-after" not in r.headers:
            return r
        time.sleep(float(r.headers["retry-after"]))
    return r


async def use_for_a_while(ask: Callable[[], Awaitable[httpx.Response]], seconds: float) -> None:
    """Be a client that has used the endpoint for ``seconds``: ``ask()`` (a cheap query) every 0.5 s,
    answered 200 each time and quickly (within 0.5 s) over ``seconds`` at least (the first
    answers may wait for the server's processes to settle), 4 × ``seconds`` in all at most."""
    quick_since = None
    for _ in range(int(8 * seconds)):
        started = time.monotonic()
        r = await ask()
        assert r.status_code == 200, r.text
        if quick_since is None and time.monotonic() - started <= 0.5:
            quick_since = started
        if quick_since is not None and time.monotonic() - quick_since >= seconds:
            return
        await asyncio.sleep(0.5)
    pytest.fail(f"a cheap query was not answered quickly for {seconds:g} s")
