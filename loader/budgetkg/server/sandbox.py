"""The sandbox: a process of its own in which a server process runs the queries of clients not in good standing.

pyoxigraph cannot stop a query, so a query past the time or memory limit ends the process
that runs it.  Run in the server process, each such query took that process down, with the
queries of every other client it held, and left the endpoint a process short until a fresh
one had started and copied the store (issue 32, F2: fresh addresses sent memory bombs, one
each, and a well-behaved client's queries failed 6 times in 10).  So each server process
(:mod:`budgetkg.server.app`) starts a child, its sandbox, which opens the same store and
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .answers import QueryOutcome
from .runner import QueryRunner, QueryStopped, QueryTimeout

__all__ = ["Sandbox", "SandboxOptions", "SANDBOX_THREADS", "main"]

# Queries a sandbox runs at once: admission control gives clients not in good standing two
# threads a server process (budgetkg.server.admission), which are these.
SANDBOX_THREADS = 2
# Seconds past the time limit after which the server process stops waiting for an answer of
# the sandbox (which gives its own at the limit) and kills it.
GRACE_SECONDS = 5.0
# Seconds the sandbox waits at most, once a query passed a limit, for its answers to be written.
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


class Sandbox:
    """A server process's sandbox (see the module): started by :meth:`start`, started again
    whenever it ends, until :meth:`close`."""

    def __init__(self, options: SandboxOptions) -> None:
        self.options = options
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.WriteTransport | None = None
        self._ready = asyncio.Event()
        self._pending: dict[int, asyncio.Future[QueryOutcome]] = {}
        self._next_id = 0
        self._closing = False
        self._task: asyncio.Task[None] | None = None
        #: How many times the sandbox ended and was started again.
        self.restarts = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep())

    async def close(self) -> None:
        self._closing = True
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _keep(self) -> None:
        """Start the sandbox, read its answers, and start it again when it ends, until closed."""
        loop = asyncio.get_running_loop()
        while not self._closing:
            # Popen rather than the event loop's subprocesses: their child watching was seen
            # to miss a child's end in uvicorn's server processes (budgetkg.server.updates).
            process = subprocess.Popen(
                [sys.executable, "-m", "budgetkg.server.sandbox", json.dumps(asdict(self.options))],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=None,  # its log is the server's
            )
            assert process.stdin is not None and process.stdout is not None
            self._process = process
            reader = asyncio.StreamReader()
            try:
                await loop.connect_read_pipe(functools.partial(asyncio.StreamReaderProtocol, reader), process.stdout)
                self._writer, _ = await loop.connect_write_pipe(asyncio.Protocol, process.stdin)
                await self._read(reader)
            except (OSError, ValueError, KeyError, TypeError, asyncio.IncompleteReadError):
                pass  # it ended mid-answer, or said something that is not the protocol: a fresh one
            finally:
                self._ready.clear()
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
                if process.poll() is None:
                    process.kill()
                await asyncio.to_thread(process.wait)
                process.stdout.close()
                self._process = None
                for future in self._pending.values():
                    if not future.done():
                        future.set_exception(QueryStopped(_RESTARTED))
                self._pending.clear()
            if not self._closing:
                self.restarts += 1
                await asyncio.sleep(0.1)  # one that cannot start is not started in a busy loop

    async def _read(self, reader: asyncio.StreamReader) -> None:
        if await reader.readline() != b"ready\n":
            return
        self._ready.set()
        while line := await reader.readline():
            head = json.loads(line)
            content = await reader.readexactly(int(head["length"]))
            future = self._pending.pop(int(head["id"]), None)
            if future is None or future.done():  # its client went away, or it was given up
                continue
            if "stopped" in head:
                future.set_exception(QueryStopped(str(head["stopped"]), head.get("limit")))
            else:
                kind, media_type, message = str(head["kind"]), str(head["media_type"]), str(head["message"])
                future.set_result(QueryOutcome(kind, content, media_type, bool(head["truncated"]), message))

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
        sent = False
        ident = self._next_id = self._next_id + 1
        try:
            async with asyncio.timeout(self.options.timeout + GRACE_SECONDS):
                await self._ready.wait()  # a fresh sandbox is starting
                assert self._writer is not None
                future: asyncio.Future[QueryOutcome] = loop.create_future()
                self._pending[ident] = future
                request = {
                    "id": ident,
                    "query": query,
                    "max_rows": max_rows,
                    "table_format": table_format,
                    "graph_format": graph_format,
                    "default_graphs": default_graphs,
                    "named_graphs": named_graphs,
                }
                self._writer.write(json.dumps(request, ensure_ascii=False).encode() + b"\n")
                sent = True
                return await future
        except TimeoutError:
            if sent and self._process is not None and self._process.poll() is None:
                self._process.kill()  # it gives its own answer at the limit: it hangs
            raise QueryTimeout(
                f"the query was stopped after {self.options.timeout:g} s, this endpoint's time limit",
                "time" if sent else None,
            ) from None
        finally:
            self._pending.pop(ident, None)


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
    from .database import Database

    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()  # the answers being given
    database = Database(Path(options.store), in_memory=options.in_memory)
    try:
        await database.store()  # copied before it says it is ready
    except OSError:
        pass  # each query answers it

    def stop(reason: str, hurry: bool) -> None:
        print(
            f"budgetkg: {reason} in the sandbox of server process {os.getppid()}; the sandbox stops and a fresh one "
            "takes its place",
            file=sys.stderr,
            flush=True,
        )
        # The answers just set are written first (those of queries that run on, past the time
        # limit, are not waited for: their server process answers them).
        settled = asyncio.wait(set(tasks), timeout=_EXIT_SECONDS)
        asyncio.ensure_future(settled).add_done_callback(lambda _: os._exit(0))

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
