"""Serving a budgetkg store with the real Oxigraph server (PyPI ``oxigraph``), for SPARQLWrapper clients.

The server gets its own copy of the data (``oxigraph load`` of an N-Quads export) so it
never shares a RocksDB folder with budgetkg, and it serves the union of the named graphs
as the default graph, as ``budgetkg query`` does.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyoxigraph import Store

from .errors import BudgetkgError
from .export import export_bytes

__all__ = ["free_port", "oxigraph_binary", "oxigraph_server"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` command: on PATH, or beside the interpreter in a virtual environment
    that is not activated."""
    beside = Path(sys.executable).parent / "oxigraph"
    return shutil.which("oxigraph") or (str(beside) if beside.exists() else None)


@contextmanager
def oxigraph_server(store: Store, *, port: int | None = None, timeout: float = 20.0) -> Iterator[str]:
    """Start ``oxigraph serve-read-only`` on 127.0.0.1 with the store's data; yield its SPARQL query URL.

    :raises BudgetkgError: when the ``oxigraph`` command is not installed or does not start.
    """
    binary = oxigraph_binary()
    if binary is None:
        raise BudgetkgError("the `oxigraph` command is not installed: pip install oxigraph")
    port = port or free_port()
    with tempfile.TemporaryDirectory(prefix="budgetkg-oxigraph-") as tmp:
        dump = Path(tmp) / "data.nq"
        dump.write_bytes(export_bytes(store, "nq"))
        subprocess.run([binary, "load", "--location", f"{tmp}/db", "--file", str(dump)], check=True,
                       capture_output=True)
        process = subprocess.Popen([binary, "serve-read-only", "--location", f"{tmp}/db", "--bind",
                                    f"127.0.0.1:{port}", "--union-default-graph"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}/query"
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    urllib.request.urlopen(f"{url}?query=ASK%7B%7D", timeout=1).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        process.kill()
                        raise BudgetkgError(f"oxigraph server did not start: {process.stderr.read().decode()[:500]}")
                    time.sleep(0.05)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
