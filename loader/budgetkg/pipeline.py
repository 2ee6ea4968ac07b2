"""Mapping documents in worker processes while the build process loads the store.

A build of many documents spends about as long mapping a document (reading, checking,
making its quads) as loading it; done in turn, the store waits while Python maps.
Here worker processes map the next documents while the build process loads the
current ones.  A worker sends a document back as N-Quads bytes (pyoxigraph writes and
reads them in Rust; pickling 30,000 quads costs more than mapping them), and at most
a few documents are in flight, so memory does not grow with their number.

The build process loads documents in groups (:func:`in_groups`): whatever the workers
finished while the last group loaded goes into one bulk load.  A bulk load writes its
own RocksDB files, so fewer, larger loads write and ingest fewer files.

Workers are plain ``python -m budgetkg.pipeline`` processes talking over their standard
input and output, not :mod:`multiprocessing` ones: those re-import the caller's main
module, which breaks a user's script that lacks an ``if __name__ == "__main__"`` guard,
and forking would copy the build process's open RocksDB store.  A worker ends when its
input closes, so a killed build leaves none behind.
"""

from __future__ import annotations

import os
import pickle
import queue
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any, TypeVar

from pyoxigraph import NamedNode, RdfFormat, serialize

from .errors import BudgetkgError

if TYPE_CHECKING:
    from .graph import DocumentSummary

__all__ = ["mapped_in_workers", "in_groups"]

_HEADER = struct.Struct("!Q")

T = TypeVar("T")


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)  # a document's N-Quads are megabytes: not copied into one buffer with the header
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:  # whatever the other side sent
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    (size,) = _HEADER.unpack(header)
    return pickle.loads(stream.read(size))


def _map_document(source, base: str) -> tuple[str, bytes, DocumentSummary]:
    from .graph import document_graph, graph_name, summarize

    report, quads = document_graph(source, base=base)
    nquads = serialize(quads, format=RdfFormat.N_QUADS)
    assert nquads is not None  # without an output, serialize returns the bytes
    return graph_name(quads).value, nquads, summarize(report, quads)


def _work() -> None:
    """A worker: map each (source, base) read from standard input, answer on standard output."""
    inbox, outbox = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the answers
    while True:
        try:
            source, base = _receive(inbox)
        except EOFError:
            return
        try:
            answer: tuple[str, object] = ("ok", _map_document(source, base))
        except Exception as exc:  # the build process raises it, as if it had mapped the document itself
            try:
                pickle.dumps(exc)
                answer = ("error", exc)
            except Exception:
                answer = ("error", BudgetkgError(f"{type(exc).__name__}: {exc}"))
        _send(outbox, answer)


def mapped_in_workers(sources: Sequence, base: str, *, workers: int | None = None
                      ) -> Iterator[tuple[NamedNode, bytes, DocumentSummary]]:
    """(graph, its N-Quads, its summary) for each source, in order, mapped in worker processes.

    An error reading a document is raised here, as it would be in the build process.
    """
    workers = workers or max(1, (os.cpu_count() or 2) - 1)
    procs = [subprocess.Popen([sys.executable, "-m", "budgetkg.pipeline"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE) for _ in range(min(workers, len(sources)))]
    waiting = deque(enumerate(sources))
    sent: deque[int] = deque()  # the worker of each document sent, in order; a worker answers in order

    def send() -> None:
        if waiting:
            i, source = waiting.popleft()
            _send(procs[i % len(procs)].stdin, (source, base))  # type: ignore[arg-type]
            sent.append(i % len(procs))

    try:
        for _ in range(len(procs) + 1):  # one more than the workers, so none waits for the loader
            send()
        while sent:
            try:
                status, answer = _receive(procs[sent.popleft()].stdout)  # type: ignore[arg-type]
            except EOFError:
                raise BudgetkgError("a worker process mapping documents died (out of memory?)") from None
            if status == "error":
                raise answer
            send()
            graph, nquads, summary = answer
            yield NamedNode(graph), nquads, summary
    finally:
        for proc in procs:
            if sent:  # stopped early (an error, or the build was abandoned): their work is not wanted
                proc.kill()
            proc.stdin.close()  # type: ignore[union-attr]
            proc.wait()
            proc.stdout.close()  # type: ignore[union-attr]


def in_groups(items: Iterator[T], *, most: int) -> Iterator[list[T]]:
    """The items, drawn by a thread of their own, in lists of whatever arrived meanwhile (1 to ``most``).

    The thread keeps drawing while the caller works on a list, as long as that work
    releases the GIL (pyoxigraph's ``bulk_load`` of bytes does), and holds at most
    ``most`` items besides.  An error drawing an item is raised here, after the items
    drawn before it; when the caller stops early, the thread closes ``items``.
    """
    waiting: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=most)
    stop = threading.Event()

    def offer(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                waiting.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def draw() -> None:
        try:
            for item in items:
                if not offer("item", item):
                    return
            offer("end", None)
        except BaseException as exc:  # raised to the caller, in its thread
            offer("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=draw, name="budgetkg-in-groups", daemon=True)
    thread.start()
    try:
        while True:
            group: list[T] = []
            kind, value = waiting.get()
            while kind == "item":
                group.append(value)
                if len(group) == most:
                    break
                try:
                    kind, value = waiting.get_nowait()
                except queue.Empty:
                    break
            if group:
                yield group
            if kind == "error":
                raise value
            if kind == "end":
                return
    finally:
        stop.set()
        thread.join()


if __name__ == "__main__":
    _work()
