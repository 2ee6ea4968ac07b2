"""Real SPARQL servers for the tests, each on 127.0.0.1 and a free port (see shared/SERVERS.md)."""

from __future__ import annotations

import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from budgetkg.oxigraph_server import free_port, wait_until_answers
from budgetkg.oxigraph_server import oxigraph_binary as installed_oxigraph


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
    process = subprocess.Popen(command + (["--union-default-graph"] if union else []),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    isql, http = free_port(), free_port()
    (folder / "virtuoso.ini").write_text(VIRTUOSO_INI.format(db=db, isql=isql, http=http, max_rows=max_rows))
    log = folder / "stdout.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "+configfile", str(folder / "virtuoso.ini"), "+foreground"],
                                   stdout=out, stderr=subprocess.STDOUT, cwd=folder)
    base = f"http://127.0.0.1:{http}"
    try:
        wait_until_answers(f"{base}/sparql?query=ASK%7B%7D", process, timeout=60, log=db / "virtuoso.log")
        yield f"{base}/sparql", f"{base}/sparql-graph-crud-auth", "dba", "dba"
    finally:
        isql_binary = shutil.which("isql-vt")
        if isql_binary and process.poll() is None:
            subprocess.run([isql_binary, f"127.0.0.1:{isql}", "dba", "dba", "exec=shutdown;"], capture_output=True,
                           timeout=30)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
