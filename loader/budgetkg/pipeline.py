"""Mapping documents in worker processes while the build process loads the store.

A build of many documents spends about as long mapping a document (reading, checking,
making its quads) as loading it; done in turn, the store waits while Python maps.
Here worker processes map the next documents while the build process loads the
current one.  A worker sends a document back as N-Quads bytes (pyoxigraph writes and
reads them in Rust; pickling 30,000 quads costs more than mapping them), and at most
a few documents are in flight, so memory does not grow with their number.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

from typing import TYPE_CHECKING

from pyoxigraph import NamedNode, RdfFormat, serialize

if TYPE_CHECKING:
    from .graph import DocumentSummary

__all__ = ["mapped_in_workers"]


def _exit_with_parent(parent: int) -> None:
    """Stop the worker when the build process dies (a killed build must not leave workers behind)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _map_document(source, base: str):  # runs in a worker process
    from .graph import document_graph, summarize

    report, quads = document_graph(source, base=base)
    return quads[0].graph_name.value, serialize(quads, format=RdfFormat.N_QUADS), summarize(report, quads)


def mapped_in_workers(sources: Sequence, base: str, *, workers: int | None = None
                      ) -> Iterator[tuple[NamedNode, bytes, DocumentSummary]]:
    """(graph, its N-Quads, its summary) for each source, in order, mapped in worker processes.

    An error reading a document is raised here, as it would be in the build process.
    """
    workers = workers or max(1, (os.cpu_count() or 2) - 1)
    ctx = multiprocessing.get_context("spawn")  # the build process holds a RocksDB store: never fork it
    pool = ProcessPoolExecutor(workers, mp_context=ctx, initializer=_exit_with_parent, initargs=(os.getpid(),))
    waiting = deque(sources)
    pending: deque[Future] = deque()

    def submit() -> None:
        if waiting:
            pending.append(pool.submit(_map_document, waiting.popleft(), base))

    try:
        for _ in range(workers + 1):  # one more than the workers, so none waits for the loader
            submit()
        while pending:
            graph, nquads, summary = pending.popleft().result()
            submit()
            yield NamedNode(graph), nquads, summary
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
