"""Queries run in worker processes that can be stopped.

pyoxigraph has no query timeout in Python, so every query runs in a worker process
holding its own read-only handle on the store, or its own copy of a small store in memory
(see :func:`budgetkg.store.open_store`); a query that outlives the time limit is
stopped by killing its worker, which is replaced at once.  An idle worker looks every
second whether a rebuild swapped the database, and opens the new one.  The server's own process
never runs a query, so it keeps answering other clients meanwhile (it only looks up the
triples of one subject for a resource page in RDF, :mod:`budgetkg.server.descriptions`).  Workers serialize
results themselves, at most ``max_rows`` rows, and say when they cut a result short:
pyoxigraph writes graphs and every table that fits (10-50× faster than Python); a table
longer than ``max_rows`` rows is cut and written in Python (rdflib for XML and CSV).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import pickle
import select
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import NamedTuple

__all__ = ["QueryOutcome", "QueryPool", "QueryTimeout", "QueryFailed", "TABLE_FORMATS", "GRAPH_FORMATS"]

# format name → (media type, pyoxigraph QueryResultsFormat attribute)
TABLE_FORMATS = {
    "json": ("application/sparql-results+json", "JSON"),
    "xml": ("application/sparql-results+xml", "XML"),
    "csv": ("text/csv", "CSV"),
    "tsv": ("text/tab-separated-values", "TSV"),
}
# format name → (media type, pyoxigraph RdfFormat attribute)
GRAPH_FORMATS = {
    "ttl": ("text/turtle", "TURTLE"),
    "nt": ("application/n-triples", "N_TRIPLES"),
    "jsonld": ("application/ld+json", "JSON_LD"),
    "rdfxml": ("application/rdf+xml", "RDF_XML"),
}


# pyoxigraph writes a table whole; past this many bytes a row on average it is stopped (so a
# huge answer cannot fill the worker's memory) and the rows are cut in Python instead.
NATIVE_BYTES_PER_ROW = 1024
# The fewest bytes pyoxigraph writes for a row: `{},` in JSON, `<result></result>` in XML, a
# line end in CSV and TSV.  A table shorter than max_rows times this cannot have too many rows.
_LEAST_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}

# How long a worker waits for a query before it looks whether a rebuild swapped the database.
IDLE_CHECK_SECONDS = 1.0

_READY = b"ready"  # what a worker says once it has opened the store


class QueryTimeout(Exception):
    """The query ran longer than the limit and was stopped."""


class QueryFailed(Exception):
    """The worker running the query died (it has been replaced)."""


class QueryOutcome(NamedTuple):  # a tuple: it crosses the pipe as one
    kind: str  # "table", "graph", "syntax-error", "error"
    content: bytes = b""
    media_type: str = ""
    truncated: bool = False
    message: str = ""


def _rdflib_term(term):
    import rdflib
    from pyoxigraph import BlankNode, Literal, NamedNode

    if term is None:
        return None
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return rdflib.Literal(str(term))


def _tsv(names: list[str], rows: list) -> bytes:
    """SPARQL 1.1 TSV results: terms in their N-Triples form, which is how pyoxigraph prints them."""
    lines = ["\t".join(f"?{n}" for n in names)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json(kind: str, names: list[str], rows: list, boolean: bool, truncated: bool, max_rows: int) -> bytes:
    """SPARQL 1.1 JSON results, written with the json module (rdflib's writer costs ~1 ms a request)."""
    from ..queries import json_term

    if kind == "ASK":
        data: dict = {"head": {}, "boolean": boolean}
    else:
        data = {"head": {"vars": names},
                "results": {"bindings": [{n: json_term(t) for n, t in zip(names, row) if t is not None}
                                         for row in rows]}}
    if truncated:
        data["budgetkg"] = {"truncated": True, "maxRows": max_rows}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _table(kind: str, names: list[str], rows: list, boolean: bool, fmt: str, truncated: bool, max_rows: int) -> bytes:
    import rdflib
    from rdflib.query import Result

    if fmt == "json":
        return _json(kind, names, rows, boolean, truncated, max_rows)
    if kind == "ASK" and fmt in ("csv", "tsv"):
        # The CSV and TSV results formats define no boolean: answer the bare word, as Oxigraph does.
        return b"true" if boolean else b"false"
    if fmt == "tsv":
        return _tsv(names, rows)
    result = Result(kind)
    if kind == "ASK":
        result.askAnswer = boolean
    else:
        result.vars = [rdflib.Variable(n) for n in names]
        result.bindings = [{rdflib.Variable(n): _rdflib_term(t) for n, t in zip(names, row) if t is not None}
                           for row in rows]
    content = result.serialize(format=fmt, encoding="utf-8")  # rdflib's names: xml, csv
    assert content is not None  # without a destination, serialize returns the bytes
    return content


class _TooLong(Exception):
    """Raised by _CappedBuffer to stop pyoxigraph's writing."""


class _CappedBuffer:
    """A binary writer for pyoxigraph that stops the writing past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLong()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _rows(content: bytes, fmt: str) -> int:
    """How many rows a table written by pyoxigraph holds."""
    if fmt == "json":
        return len(json.loads(content)["results"]["bindings"])
    if fmt == "xml":  # markup in values is escaped, so every <result> is a row
        return content.count(b"<result>")
    if fmt == "tsv":  # line ends in values are escaped (\n)
        return content.count(b"\n") - 1
    import csv
    import io

    # A quoted CSV value may hold line ends: count records, less the header.
    return sum(1 for _ in csv.reader(io.StringIO(content.decode("utf-8"), newline=""))) - 1


def _native_table(solutions, fmt: str, max_rows: int) -> bytes | None:
    """The table as pyoxigraph writes it; None when it has more than ``max_rows`` rows or is too large."""
    from pyoxigraph import QueryResultsFormat

    buffer = _CappedBuffer(max_rows * NATIVE_BYTES_PER_ROW)
    try:
        solutions.serialize(buffer, format=getattr(QueryResultsFormat, TABLE_FORMATS[fmt][1]))
    except _TooLong:
        return None
    content = b"".join(buffer.parts)
    if len(content) > max_rows * _LEAST_ROW_BYTES[fmt] and _rows(content, fmt) > max_rows:
        return None
    return content


def _run(store, query: str, max_rows: int, table_format: str, graph_format: str,
         dataset: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())) -> QueryOutcome:
    from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, RdfFormat, serialize

    from ..queries import union_default_graph

    default_graphs, named_graphs = dataset

    def evaluate():
        if default_graphs or named_graphs:  # the protocol's dataset: these graphs only, none where none is named
            return store.query(query, default_graph=[NamedNode(g) for g in default_graphs],
                               named_graphs=[NamedNode(g) for g in named_graphs])
        return store.query(query, use_default_graph_as_union=union_default_graph(query))

    try:
        result = evaluate()
        if isinstance(result, QueryBoolean):
            content = _table("ASK", [], [], bool(result), table_format, False, max_rows)
            return QueryOutcome("table", content, TABLE_FORMATS[table_format][0])
        if isinstance(result, QuerySolutions):
            native = _native_table(result, table_format, max_rows)
            if native is not None:
                return QueryOutcome("table", native, TABLE_FORMATS[table_format][0])
            result = evaluate()  # too many rows: again, to cut them in Python
            names = [v.value for v in result.variables]
            rows = [[s[n] for n in names] for s in islice(result, max_rows + 1)]
            truncated = len(rows) > max_rows
            content = _table("SELECT", names, rows[:max_rows], False, table_format, truncated, max_rows)
            return QueryOutcome("table", content, TABLE_FORMATS[table_format][0], truncated)
        triples = list(islice(result, max_rows + 1))
        media, name = GRAPH_FORMATS[graph_format]
        content = serialize(triples[:max_rows], format=getattr(RdfFormat, name)) or b""
        return QueryOutcome("graph", content, media, len(triples) > max_rows)
    except SyntaxError as exc:
        return QueryOutcome("syntax-error", message=str(exc))
    except Exception as exc:  # a worker answers every query, whatever goes wrong in it
        return QueryOutcome("error", message=f"{type(exc).__name__}: {exc}")


# Requests and answers cross the pipe as plain tuples pickled by `pickle` itself: through
# Connection.send and recv, ForkingPickler took 9 % of a worker's samples on a cheap query
# (py-spy), and a dataclass pickles 6× slower than a tuple.
def _encode(message: tuple) -> bytes:
    return pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)


def _worker(conn: Connection, store_dir: str, in_memory: bool | None) -> None:
    from ..store import LiveStore

    live = LiveStore(Path(store_dir), in_memory=in_memory)
    live.get()  # opened (or copied into memory) before the worker says it is ready, and again after a swap
    conn.send_bytes(_READY)
    # One poll object for the worker's life: Connection.poll makes a selector at each call
    # (8 % of the worker's samples).
    waiting = select.poll()
    waiting.register(conn.fileno(), select.POLLIN)
    while True:
        if not waiting.poll(IDLE_CHECK_SECONDS * 1000):
            # Idle: take up a rebuild now, so that the next query does not wait for the reload
            # (a copy in memory takes seconds).  If the store cannot be opened just now, the
            # next query tries again.
            try:
                live.get()
            except Exception:
                pass
            continue
        try:
            request = pickle.loads(conn.recv_bytes())
        except EOFError:
            return
        conn.send_bytes(_encode(tuple(_run(live.get(), *request))))


class _Worker:
    def __init__(self, store_dir: str, in_memory: bool | None) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker, args=(child, store_dir, in_memory), daemon=True)
        self.process.start()
        child.close()

    def ready(self) -> _Worker:
        """Wait until the worker has opened the store (a copy in memory takes seconds)."""
        try:
            if self.conn.recv_bytes() == _READY:
                return self
        except EOFError:
            pass
        self.stop()
        raise QueryFailed(f"a query worker could not open the store (exit code {self.process.exitcode})")

    def stop(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class QueryPool:
    """A fixed number of query workers; a query waits for a free one."""

    def __init__(self, store_dir: Path, *, size: int = 2, timeout: float = 30.0, in_memory: bool | None = None) -> None:
        self.store_dir = str(store_dir)
        self.in_memory = in_memory
        self.timeout = timeout
        self.size = size
        self._idle: asyncio.LifoQueue[_Worker] | None = None
        self._workers: list[_Worker] = []
        self._replacing: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Start the workers and wait until each has opened the store."""
        # The worker that answered last answers next: with few clients one worker does the work,
        # with its caches warm (taking them in turn made a cheap query 1.4× slower).
        self._idle = asyncio.LifoQueue()
        starting = [_Worker(self.store_dir, self.in_memory) for _ in range(self.size)]
        self._workers.extend(starting)
        for worker in await asyncio.gather(*(asyncio.to_thread(w.ready) for w in starting)):
            self._idle.put_nowait(worker)

    async def close(self) -> None:
        for task in list(self._replacing):
            task.cancel()
        await asyncio.gather(*self._replacing, return_exceptions=True)
        for worker in self._workers:
            await asyncio.to_thread(worker.stop)
        self._workers.clear()

    def _replace_soon(self, worker: _Worker) -> None:
        """Kill a worker and put a fresh one in the pool once it is ready, without keeping the caller waiting."""
        async def replace() -> None:
            self._workers.remove(worker)
            await asyncio.to_thread(worker.stop)
            while True:  # until a worker opens the store: a pool that shrank would leave queries waiting
                fresh = _Worker(self.store_dir, self.in_memory)
                self._workers.append(fresh)
                try:
                    ready = await asyncio.to_thread(fresh.ready)
                except QueryFailed:  # stopped by ready(); the store may be in the middle of a swap
                    self._workers.remove(fresh)
                    await asyncio.sleep(1)
                    continue
                assert self._idle is not None
                self._idle.put_nowait(ready)
                return

        task = asyncio.get_running_loop().create_task(replace())
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def run(self, query: str, *, max_rows: int, table_format: str = "json", graph_format: str = "ttl",
                  default_graphs: tuple[str, ...] = (), named_graphs: tuple[str, ...] = ()) -> QueryOutcome:
        """Run a query in a worker; QueryTimeout when it is stopped at the limit.

        Without ``default_graphs`` or ``named_graphs``, the default graph is the union of all graphs.
        """
        assert self._idle is not None, "QueryPool.start() first"
        worker = await self._idle.get()
        try:
            worker.conn.send_bytes(_encode((query, max_rows, table_format, graph_format,
                                            (default_graphs, named_graphs))))
            if await _readable(worker.conn, self.timeout):
                # The answer is there (or the worker died): reading it does not wait on the query.
                outcome = QueryOutcome(*pickle.loads(worker.conn.recv_bytes()))
                self._idle.put_nowait(worker)
                return outcome
        except (EOFError, OSError):  # the worker died
            self._replace_soon(worker)
            raise QueryFailed() from None
        except BaseException:  # the request was cancelled: the worker may still be busy with the query
            self._replace_soon(worker)
            raise
        self._replace_soon(worker)
        raise QueryTimeout()


async def _readable(conn: Connection, timeout: float) -> bool:
    """Wait until the worker answers, in the event loop rather than a thread per wait; False on timeout."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[bool] = loop.create_future()

    def settle(answered: bool) -> None:
        if not ready.done():
            ready.set_result(answered)

    # A timer rather than asyncio.wait_for, which wraps the wait in a task of its own.
    loop.add_reader(conn.fileno(), settle, True)
    timer = loop.call_later(timeout, settle, False)
    try:
        return await ready
    finally:
        timer.cancel()
        loop.remove_reader(conn.fileno())
        # uvloop (which uvicorn uses when it is installed) leaves the socket non-blocking; the
        # answer is read whole with recv(), which needs it blocking, or a large answer that has
        # not fully arrived fails with BlockingIOError.
        os.set_blocking(conn.fileno(), True)
