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

from ..errors import BudgetkgError
from .export import export_file

__all__ = ["wait_until_answers", "free_port", "oxigraph_binary", "oxigraph_server"]


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


def wait_until_answers(url: str, process: subprocess.Popen, *, timeout: float = 60.0, log: Path | None = None) -> None:
    """Wait until ``url`` answers 200 (a server just started by ``process``).

    :raises BudgetkgError: when the process exits or ``timeout`` seconds pass first (the
        process is killed; the message ends with its log, or its standard error when piped).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                detail = (
                    log.read_text(errors="replace")
                    if log and log.exists()
                    else process.stderr.read().decode(errors="replace")
                    if process.stderr
                    else ""
                )
                raise BudgetkgError(f"the server did not answer at {url}\n{detail[-2000:]}") from None
            time.sleep(0.05)


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
        export_file(store, "nq", dump)
        subprocess.run(
            [binary, "load", "--location", f"{tmp}/db", "--file", str(dump)], check=True, capture_output=True
        )
        process = subprocess.Popen(
            [
                binary,
                "serve-read-only",
                "--location",
                f"{tmp}/db",
                "--bind",
                f"127.0.0.1:{port}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}/query"
        try:
            wait_until_answers(f"{url}?query=ASK%7B%7D", process, timeout=timeout)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
