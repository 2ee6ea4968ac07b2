"""Mapping documents in worker processes while the build process loads the store.

A build of many documents spends about as long mapping a document (reading, checking,
making its quads) as loading it; done in turn, the store waits while Python maps.
Here worker processes map the next documents while the build process loads the
current ones.  A worker sends a document back as N-Quads bytes (pyoxigraph writes and
reads them in Rust; pickling 30,000 quads costs more than mapping them), and at most
a few documents are in flight, so memory does not grow with their number.

The build process loads documents in groups (:func:`in_groups`): whatever the workers
finished while the last group loaded goes into one bulk load, up to a count and a size
of N-Quads, read in turn from each document's bytes (:func:`read_in_turn`).  A bulk load
writes its own RocksDB files, so fewer, larger loads write and ingest fewer files; the
bounds keep the build's memory the same whatever the number and size of the documents.
Two groups load at a time (:data:`budgetkg.load.store.LOADS_AT_ONCE`): pyoxigraph loads a
group on one core.

Workers are plain ``python -m budgetkg.load.pipeline`` processes talking over their standard
input and output, not :mod:`multiprocessing` ones: those re-import the caller's main
module, which breaks a user's script that lacks an ``if __name__ == "__main__"`` guard,
and forking would copy the build process's open RocksDB store.  A worker ends when its
input closes, so a killed build leaves none behind.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any, BinaryIO, Literal, TypeVar, cast

from pyoxigraph import NamedNode, RdfFormat, serialize

from ..errors import BudgetkgError
from .documents import DocumentSummary, document_graph, graph_name, summarize

__all__ = ["mapped_in_workers", "in_groups", "read_in_turn"]

_HEADER = struct.Struct("!Q")

T = TypeVar("T")
# What in_groups' drawing thread holds: an item, the end of the items, or the error drawing one.
_Held = Literal["item", "end", "error"]


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


def mapped_in_workers(
    sources: Sequence, base: str, *, workers: int | None = None
) -> Iterator[tuple[NamedNode, bytes, DocumentSummary]]:
    """(graph, its N-Quads, its summary) for each source, in order, mapped in worker processes.

    An error reading a document is raised here, as it would be in the build process.
    """
    workers = workers or max(1, (os.cpu_count() or 2) - 1)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "budgetkg.load.pipeline"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        for _ in range(min(workers, len(sources)))
    ]
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


def in_groups(
    items: Iterator[T], *, most: int, budget: int | None = None, weight: Callable[[T], int] | None = None
) -> Iterator[list[T]]:
    """The items, drawn by a thread of their own, in lists of whatever arrived meanwhile (1 to ``most``).

    The thread keeps drawing while the caller works on a list, as long as that work
    releases the GIL (pyoxigraph's ``bulk_load`` of bytes does).  It holds at most
    ``most`` items besides, and, given a ``budget``, draws no more once the items it holds
    weigh that much; a list ends once it weighs the ``budget`` too (so the items held, and
    a list, exceed it by one item at most).  An error drawing an item is raised here, after
    the items drawn before it; when the caller stops early, the thread closes ``items``.
    """
    held: deque[tuple[_Held, Any, int]] = deque()  # (kind, item or error, weight)
    changed = threading.Condition()
    stop = threading.Event()

    def full() -> bool:  # at most `most` items are held: summing their weights costs nothing
        return len(held) >= most or (budget is not None and sum(w for _, _, w in held) >= budget)

    def hold(kind: _Held, value: Any, w: int = 0) -> None:
        with changed:
            held.append((kind, value, w))
            changed.notify_all()

    def room() -> bool:  # wait, before drawing the next item, until there is room for it
        with changed:
            while full() and not stop.is_set():
                changed.wait()
            return not stop.is_set()

    def draw() -> None:
        try:
            while room():
                try:
                    item = next(items)
                except StopIteration:
                    hold("end", None)
                    return
                hold("item", item, weight(item) if weight is not None else 0)
        except BaseException as exc:  # raised to the caller, in its thread
            hold("error", exc)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=draw, name="budgetkg-in-groups", daemon=True)
    thread.start()
    try:
        while True:
            group: list[T] = []
            with changed:
                while not held:
                    changed.wait()
                weighs = 0
                while held and held[0][0] == "item" and len(group) < most and (budget is None or weighs < budget):
                    # No local names the item: once the caller is done with the group, nothing here holds it.
                    group.append(held[0][1])
                    weighs += held.popleft()[2]
                if not group:
                    kind, value, _ = held.popleft()  # the end, or an error
                changed.notify_all()
            if group:
                yield group
            elif kind == "error":
                raise value
            else:
                return
    finally:
        stop.set()
        with changed:
            changed.notify_all()
        thread.join()


class _Parts(io.RawIOBase):
    """Byte strings read one after another, as one raw binary file; each is let go once read."""

    def __init__(self, parts: list[bytes]) -> None:
        self.parts, self.i, self.at = parts, 0, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while self.i < len(self.parts):
            part = self.parts[self.i]
            n = min(len(buffer), len(part) - self.at)
            if n > 0:
                buffer[:n] = memoryview(part)[self.at : self.at + n]
                self.at += n
                return n
            self.parts[self.i] = b""
            self.i, self.at = self.i + 1, 0
        return 0


def read_in_turn(parts: list[bytes]) -> BinaryIO:
    """The parts (the N-Quads of a group's documents) as one binary file, without copying
    them into one: joined, a group's N-Quads would be held twice while it loads.  pyoxigraph
    reads such a file as fast as bytes, and releases the GIL between reads.  The file takes
    the list over and empties each entry once read, so that, held nowhere else, each
    document's N-Quads leave memory as soon as pyoxigraph has parsed them."""
    return cast(BinaryIO, io.BufferedReader(_Parts(parts), 1 << 16))


if __name__ == "__main__":
    _work()
