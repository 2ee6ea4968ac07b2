"""Queries run in threads of the process that read the request, and the time limit.

A query runs in the server process that read its request, in one of a few threads
(pyoxigraph lets go of the GIL while it evaluates and writes, so the event loop keeps
answering other requests meanwhile).  Sending each query to a worker process instead cost two
process wake-ups and their cold caches: the bundled store's cheap library query took 2.5-2.7 ms
of server CPU a request that way, against 1.0-1.35 ms here (the Oxigraph server: 0.8-1.1 ms).
The threads are fed by one ``queue.SimpleQueue``: with ``asyncio.to_thread`` the same server
took 1.4-1.8 ms (docs/benchmarks.md, serving).

pyoxigraph cannot stop a query once it runs.  A query still running at the time limit is
answered 503 all the same, and its thread is lost: the process then stops itself
(``on_runaway``), after it has answered the requests it holds, and the supervisor that
started it (:mod:`budgetkg.server.run`) starts a fresh one.  A query that has waited for a
thread until the limit is answered 503 and never runs.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pyoxigraph import Store

from .answers import QueryOutcome, answer

__all__ = ["QueryRunner", "QueryTimeout", "QUERY_THREADS"]

# Queries a server process runs at once.  Two: one long query leaves the process a thread
# for the others, and with two processes (`serve --workers 2`) four queries share two cores.
QUERY_THREADS = 2


class QueryTimeout(Exception):
    """The query was not answered within the time limit."""


@dataclass(eq=False)
class _Job:
    args: tuple
    future: asyncio.Future[QueryOutcome]
    timer: asyncio.TimerHandle | None = None
    # Both set under the runner's lock: a thread takes up a job only if it was not dropped.
    started: bool = False
    dropped: bool = False
    finished: bool = False


class QueryRunner:
    """``threads`` query threads; a query waits for a free one, and is answered within ``timeout`` seconds."""

    def __init__(self, *, timeout: float, on_runaway: Callable[[], None], threads: int = QUERY_THREADS) -> None:
        self.timeout = timeout
        self.threads = threads
        self._on_runaway = on_runaway
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started: list[threading.Thread] = []
        #: Whether a query outlived the time limit: its thread still runs it, and nothing can stop it.
        self.runaway = False

    def start(self) -> None:
        # Daemon threads: a process that stops with a runaway query must not wait for it.
        for n in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"budgetkg-query-{n}", daemon=True)
            thread.start()
            self._started.append(thread)

    def close(self) -> None:
        """Let the threads end once they are done with what they run (a runaway query is not waited for)."""
        for _ in self._started:
            self._jobs.put(None)
        self._started.clear()

    async def run(self, store: Store, query: str, *, max_rows: int, table_format: str = "json",
                  graph_format: str = "ttl", default_graphs: tuple[str, ...] = (),
                  named_graphs: tuple[str, ...] = ()) -> QueryOutcome:
        """The answer of ``query`` on ``store`` (see :func:`budgetkg.server.answers.answer`).

        :raises QueryTimeout: when it is not answered within the time limit.
        """
        loop = asyncio.get_running_loop()
        job = _Job((store, query, max_rows, table_format, graph_format, (default_graphs, named_graphs)),
                   loop.create_future())
        # Armed for the job, not for this coroutine: when the client goes away, a query that
        # runs on still has to be found at the limit.
        job.timer = loop.call_later(self.timeout, self._expire, job)
        self._jobs.put(job)
        try:
            return await job.future
        except asyncio.CancelledError:  # the request was cancelled (its client went away)
            with self._lock:
                if not job.started:
                    job.dropped = True
                    job.timer.cancel()
            raise

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            with self._lock:
                if job.dropped:
                    continue
                job.started = True
            try:
                outcome = answer(*job.args)
            except BaseException as exc:  # answer() turns errors into outcomes: this is a bug, reported as one
                outcome = QueryOutcome("error", message=f"{type(exc).__name__}: {exc}")
            with self._lock:
                job.finished = True
            job.future.get_loop().call_soon_threadsafe(self._settle, job, outcome)

    @staticmethod
    def _settle(job: _Job, outcome: QueryOutcome) -> None:
        assert job.timer is not None
        job.timer.cancel()
        if not job.future.done():
            job.future.set_result(outcome)

    def _expire(self, job: _Job) -> None:
        """The time limit of ``job`` is up: answer it 503, and stop the process if its query still runs."""
        with self._lock:
            running = job.started and not job.finished
            job.dropped = not job.started
        if not job.future.done():
            job.future.set_exception(QueryTimeout())
        if running and not self.runaway:
            self.runaway = True
            self._on_runaway()
