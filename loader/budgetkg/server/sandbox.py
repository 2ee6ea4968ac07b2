"""The sandbox: a process of its own in which a server process runs the queries of clients not in good standing.

pyoxigraph cannot stop a query, so a query past the time or memory limit ends the process
that runs it.  Run in the server process, each such query took that process down, with the
queries of every other client it held, and left the endpoint a process short until a fresh
one had started and copied the store (issue 32, F2: fresh addresses sent memory bombs, one
each, and a well-behaved client's queries failed 6 times in 10).  So each server process
(:mod:`budgetkg.server.site`) starts a child, its sandbox, which opens the same store and
runs, on ``SANDBOX_THREADS`` threads of a :class:`~budgetkg.server.runner.QueryRunner` of
its own, with the same limits, the queries of clients that admission control
(:mod:`budgetkg.server.admission`) does not count in good standing.  A query past a limit
there is answered 503 as before and ends the sandbox only; the server process starts a fresh
one at once, and the queries of clients in good standing, which run in the server process,
never wait for it.

The two speak over the sandbox's standard input and output: a request is one JSON line; an
answer is one JSON line (its id, and either the outcome's fields and the length of its
content, or why it was stopped) followed by the content's bytes.  The sandbox starts
without the server's web stack and is under its server process's egress guard
(:mod:`budgetkg.server.egress`), which a child inherits.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .answers import QueryOutcome, query_kind
from .runner import QueryRunner, QueryStopped, QueryTimeout

__all__ = ["Sandbox", "SandboxOptions", "SANDBOX_THREADS", "main"]

# Queries a sandbox runs at once: admission control gives clients not in good standing two
# threads a server process (budgetkg.server.admission), which are these.
SANDBOX_THREADS = 2
# Seconds past the time limit after which the server process stops waiting for an answer of
# the sandbox (which gives its own at the limit) and kills it.
GRACE_SECONDS = 5.0
# Seconds a server process that stops waits at most for its sandbox to be gone.
CLOSE_SECONDS = 5.0
# Seconds a server process that starts waits at most for its first sandbox before it serves.
START_SECONDS = 60.0
# Seconds the sandbox waits at most, once past its memory limit, for its answers to be written.
_EXIT_SECONDS = 0.5
_RESTARTED = "the sandbox that ran this query was restarted (another query passed a limit); try again"


@dataclass(frozen=True)
class SandboxOptions:
    """What a sandbox needs to know: the store and the limits of its server process."""

    store: str
    timeout: float
    max_memory: int  # bytes
    max_answer_bytes: int
    in_memory: bool | None
    allow_service: tuple[str, ...]
    # Bytes of a request's JSON line at most (the query escaped, and its dataset).
    max_line: int


@dataclass(eq=False)
class _Child:
    """One sandbox process, and the queries sent to it that it has not answered."""

    process: subprocess.Popen[bytes]
    writer: asyncio.WriteTransport | None = None
    pending: dict[int, asyncio.Future[QueryOutcome]] = field(default_factory=dict)
    # Set when it said it stops (a query passed a limit) or it ended: it takes no more queries.
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


class Sandbox:
    """A server process's sandbox (see the module): started by :meth:`start`, until :meth:`close`.

    A sandbox whose query passed the time limit says so, answers the other queries it holds
    (its query threads but the lost one go on), then ends; one past the memory limit ends at
    once.  As soon as it says so, a fresh one is started, and takes the queries that come.
    """

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._current: _Child | None = None  # the one that takes queries
        self._children: set[_Child] = set()  # those running, the current one and those stopping
        self._ready = asyncio.Event()  # the current one takes queries
        self._next_id = 0
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        #: How many times a sandbox stopped and a fresh one was started.
        self.restarts = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep())

    async def started(self, seconds: float) -> None:
        """Wait (``seconds`` at most) until the first sandbox takes queries."""
        await asyncio.wait([asyncio.ensure_future(self._ready.wait())], timeout=seconds)

    async def close(self) -> None:
        """End the sandboxes, and wait (a few seconds at most) for them to be gone."""
        self._closing = True
        for child in list(self._children):
            if child.process.poll() is None:
                child.process.kill()
        if self._task is not None:
            await asyncio.wait([self._task], timeout=CLOSE_SECONDS)
            self._task.cancel()

    async def _keep(self) -> None:
        """Start a sandbox, and a fresh one whenever the current one stops, until closed."""
        readers: set[asyncio.Task[None]] = set()
        while not self._closing:
            # Popen rather than the event loop's subprocesses: their child watching was seen
            # to miss a child's end in uvicorn's server processes (budgetkg.server.updates).
            child = _Child(
                subprocess.Popen(
                    [sys.executable, "-m", "budgetkg.server.sandbox", json.dumps(asdict(self.options))],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=None,  # its log is the server's
                )
            )
            self._current = child
            self._children.add(child)
            reader = asyncio.create_task(self._serve(child))
            readers.add(reader)
            reader.add_done_callback(readers.discard)
            await child.stopping.wait()
            if not self._closing:
                self.restarts += 1
                await asyncio.sleep(0.1)  # one that cannot start is not started in a busy loop
        await asyncio.gather(*readers, return_exceptions=True)

    def _stops(self, child: _Child) -> None:
        child.stopping.set()
        if child is self._current:
            self._ready.clear()

    async def _serve(self, child: _Child) -> None:
        """Read ``child``'s answers until it ends; then answer what it held 503 (to try again)."""
        loop = asyncio.get_running_loop()
        process = child.process
        assert process.stdin is not None and process.stdout is not None
        reader = asyncio.StreamReader()
        reading: asyncio.BaseTransport | None = None
        try:
            reading, _ = await loop.connect_read_pipe(
                functools.partial(asyncio.StreamReaderProtocol, reader), process.stdout
            )
            child.writer, _ = await loop.connect_write_pipe(asyncio.Protocol, process.stdin)
            if await reader.readline() == b"ready\n" and child is self._current and not child.stopping.is_set():
                self._ready.set()
            while line := await reader.readline():
                head = json.loads(line)
                if "stopping" in head:
                    self._stops(child)
                    continue
                content = await reader.readexactly(int(head["length"]))
                future = child.pending.pop(int(head["id"]), None)
                if future is None or future.done():  # its client went away, or it was given up
                    continue
                if "stopped" in head:
                    future.set_exception(QueryStopped(str(head["stopped"]), head.get("limit")))
                else:
                    kind, media_type, message = query_kind(head["kind"]), str(head["media_type"]), str(head["message"])
                    future.set_result(QueryOutcome(kind, content, media_type, bool(head["truncated"]), message))
        except (OSError, ValueError, KeyError, TypeError, asyncio.IncompleteReadError):
            pass  # it ended mid-answer, or said something that is not the protocol
        finally:
            self._stops(child)
            # The transports own the pipes: they close them (closed under them, a pipe could
            # be left registered with the event loop).
            for transport, pipe in ((child.writer, process.stdin), (reading, process.stdout)):
                if transport is not None:
                    transport.close()
                else:
                    pipe.close()
            if process.poll() is None:
                process.kill()
            await asyncio.to_thread(process.wait)
            self._children.discard(child)
            for future in child.pending.values():
                if not future.done():
                    future.set_exception(QueryStopped(_RESTARTED))
            child.pending.clear()

    async def run(
        self,
        query: str,
        *,
        max_rows: int,
        table_format: str = "json",
        graph_format: str = "ttl",
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
    ) -> QueryOutcome:
        """The answer of ``query``, run in the sandbox (see :meth:`budgetkg.server.runner.QueryRunner.run`).

        :raises QueryStopped: when it passed a limit, or the sandbox ended (another query passed one).
        """
        loop = asyncio.get_running_loop()
        child: _Child | None = None
        ident = self._next_id = self._next_id + 1
        try:
            async with asyncio.timeout(self.options.timeout + GRACE_SECONDS):
                await self._ready.wait()  # a fresh sandbox is starting
                child = self._current
                assert child is not None and child.writer is not None
                future: asyncio.Future[QueryOutcome] = loop.create_future()
                child.pending[ident] = future
                request = {
                    "id": ident,
                    "query": query,
                    "max_rows": max_rows,
                    "table_format": table_format,
                    "graph_format": graph_format,
                    "default_graphs": default_graphs,
                    "named_graphs": named_graphs,
                }
                child.writer.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
                return await future
        except TimeoutError:
            if child is not None and child.process.poll() is None:
                child.process.kill()  # it gives its own answer at the limit: it hangs
            raise QueryTimeout(
                f"the query was stopped after {self.options.timeout:g} s, this endpoint's time limit",
                "time" if child is not None else None,
            ) from None
        finally:
            if child is not None:
                child.pending.pop(ident, None)


def main(argv: list[str] | None = None) -> int:
    """The sandbox: ``python -m budgetkg.server.sandbox OPTIONS`` (:class:`SandboxOptions` as JSON)."""
    fields: dict[str, Any] = json.loads((argv or sys.argv[1:])[0])
    options = SandboxOptions(**{**fields, "allow_service": tuple(fields["allow_service"])})
    # The answers go out on a descriptor of their own; whatever a library prints goes to the log.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    from .egress import guard

    guard(options.allow_service)  # a no-op under the server process's guard, which it inherits
    asyncio.run(_serve(options, out))
    return 0


async def _serve(options: SandboxOptions, out) -> None:
    from .database import FOLLOW_SECONDS, Database

    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()  # the answers being given
    database = Database(Path(options.store), in_memory=options.in_memory)
    try:
        await database.store()  # copied before it says it is ready
    except OSError:
        pass  # each query answers it

    stopping: list[bool] = []  # whether it stops in a hurry, once it stops

    def stop(reason: str, hurry: bool) -> None:
        """A query passed a limit: take no more queries, answer those held, and end."""
        if not stopping:
            print(
                f"budgetkg: {reason} in the sandbox of server process {os.getppid()}; the sandbox stops and a fresh "
                "one takes its place",
                file=sys.stderr,
                flush=True,
            )
            send({"stopping": reason})
            asyncio.ensure_future(end(hurry))
        elif hurry and not stopping[0]:
            asyncio.ensure_future(end(hurry))
        stopping[:] = [hurry]

    async def end(hurry: bool) -> None:
        if hurry:  # past the memory limit: every query held is answered already, and the query allocates
            if tasks:
                await asyncio.wait(set(tasks), timeout=_EXIT_SECONDS)
        else:  # past the time limit: the other queries are answered, each within its own limit
            while tasks:
                await asyncio.wait(set(tasks))
        out.flush()
        os._exit(0)

    runner = QueryRunner(
        timeout=options.timeout,
        threads=SANDBOX_THREADS,
        max_memory=options.max_memory,
        max_answer_bytes=options.max_answer_bytes,
        on_runaway=stop,
    )
    runner.start()

    def send(head: dict[str, Any], content: bytes = b"") -> None:
        out.write(json.dumps({**head, "length": len(content)}).encode() + b"\n" + content)
        out.flush()

    async def answer(request: dict[str, Any]) -> None:
        try:
            outcome = await runner.run(
                await database.store(),
                request["query"],
                max_rows=request["max_rows"],
                table_format=request["table_format"],
                graph_format=request["graph_format"],
                default_graphs=tuple(request["default_graphs"]),
                named_graphs=tuple(request["named_graphs"]),
            )
        except QueryStopped as exc:
            send({"id": request["id"], "stopped": str(exc), "limit": exc.limit})
        except OSError as exc:  # the store cannot be read just now; the reason names its files: the log has it
            print(f"budgetkg: the store cannot be read just now: {exc}", file=sys.stderr, flush=True)
            send({"id": request["id"], "stopped": "the store cannot be read just now; try again shortly"})
        else:
            send(
                {
                    "id": request["id"],
                    "kind": outcome.kind,
                    "media_type": outcome.media_type,
                    "truncated": outcome.truncated,
                    "message": outcome.message,
                },
                outcome.content,
            )

    async def follow_rebuilds() -> None:  # as a server process does (budgetkg.server.site)
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            await database.follow()

    follower = asyncio.create_task(follow_rebuilds())  # noqa: F841 (kept: a task only weakly referenced could be collected)
    reader = asyncio.StreamReader(limit=options.max_line)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out.write(b"ready\n")
    out.flush()
    while line := await reader.readline():
        task = asyncio.create_task(answer(json.loads(line)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    # The server process closed the pipe, or ended: so does its sandbox, whatever it runs.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
