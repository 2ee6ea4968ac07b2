"""Queries run in threads of the process that read the request, and the time limit.

A query runs in the server process that read its request, in one of a few threads
(pyoxigraph lets go of the GIL while it evaluates and writes, so the event loop keeps
answering other requests meanwhile).  Sending each query to a worker process instead cost two
process wake-ups and their cold caches, about twice the server CPU a cheap query takes here.
The threads are fed by one ``queue.SimpleQueue``, which costs less than ``asyncio.to_thread``
(docs/benchmarks.md).

pyoxigraph cannot stop a query once it runs.  A query still running at the time limit is
answered 503 all the same, and its thread is lost: the process then stops itself
(``on_runaway``), after it has answered the requests it holds, and the supervisor that
started it (:mod:`budgetkg.server.run`) starts a fresh one.  A query that has waited for a
thread until the limit is answered 503 and never runs.

Memory is bounded the same way: while queries run, a watchdog thread reads the process's
resident memory every few tens of milliseconds; past ``max_memory`` bytes, the queries held are
answered 503 and the process stops itself as above, but at once (``on_runaway`` is told to
hurry): the query cannot be stopped and keeps allocating.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyoxigraph import Store

from .answers import QueryOutcome, answer

__all__ = ["QueryRunner", "QueryStopped", "QueryTimeout", "QueryOverMemory", "ProcessStopping", "QUERY_THREADS"]

# Queries a server process runs at once.  Three: admission control (budgetkg.server.admission)
# gives clients without good standing two of them, one each, and keeps the third for clients
# in good standing, so that neither one slow client nor a flood of them shuts out the others.
QUERY_THREADS = 3
# How often the memory watchdog reads the process's resident memory while queries run: a
# runaway query allocates some 200 MB a second, so it overshoots the limit by a few MB.
WATCH_SECONDS = 0.02


class QueryStopped(Exception):
    """The query was answered 503 without its result; the message says why, for the client.

    ``limit`` names the limit ("time", "memory") that this very query passed, when it did.
    """

    def __init__(self, message: str, limit: str | None = None) -> None:
        super().__init__(message)
        self.limit = limit


class QueryTimeout(QueryStopped):
    """The query was not answered within the time limit."""


class QueryOverMemory(QueryStopped):
    """The server process passed its memory limit while the query ran."""


class ProcessStopping(QueryStopped):
    """The server process is stopping (another query passed a limit) before this query ran."""

    def __init__(self) -> None:
        super().__init__("this server process is being replaced (another query passed a limit); try again")


def resident_bytes() -> int | None:
    """The process's resident memory (Linux: /proc/self/statm); None where it cannot be read."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@dataclass(eq=False)
class _Job:
    args: tuple
    future: asyncio.Future[QueryOutcome]
    timer: asyncio.TimerHandle | None = None
    started_at: float = 0.0
    # Both set under the runner's lock: a thread takes up a job only if it was not dropped.
    started: bool = False
    dropped: bool = False
    finished: bool = False


class QueryRunner:
    """``threads`` query threads; a query waits for a free one, and is answered within ``timeout`` seconds,
    in at most ``max_answer_bytes`` bytes, while the process holds at most ``max_memory`` bytes.

    ``on_runaway(reason, hurry)`` is called in the event loop when a query outlives the time limit
    (each time: each such query holds a thread for good), and once when the process passes its
    memory limit: the process should stop (at once when ``hurry``: the query keeps allocating).
    """

    def __init__(
        self,
        *,
        timeout: float,
        on_runaway: Callable[[str, bool], None],
        threads: int = QUERY_THREADS,
        max_memory: int | None = None,
        max_answer_bytes: int = 16_000_000,
    ) -> None:
        self.timeout = timeout
        self.threads = threads
        self.max_memory = max_memory
        self.max_answer_bytes = max_answer_bytes
        self._on_runaway = on_runaway
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started: list[threading.Thread] = []
        self._held: set[_Job] = set()  # jobs not yet answered (the event loop's own)
        self._running = 0  # under the lock
        self._busy = threading.Event()  # set while a query runs: the watchdog reads memory only then
        self._loop: asyncio.AbstractEventLoop | None = None
        self._hurry = False  # the process stops at once: no query is taken up any more
        #: Whether a query outlived a limit: its thread still runs it, and nothing can stop it.
        self.runaway = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        # Daemon threads: a process that stops with a runaway query must not wait for it.
        for n in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"budgetkg-query-{n}", daemon=True)
            thread.start()
            self._started.append(thread)
        if self.max_memory is not None and resident_bytes() is not None:
            threading.Thread(target=self._watch, args=(self.max_memory,), name="budgetkg-memory", daemon=True).start()

    def close(self) -> None:
        """Let the threads end once they are done with what they run (a runaway query is not waited for)."""
        for _ in self._started:
            self._jobs.put(None)
        self._started.clear()

    async def run(
        self,
        store: Store,
        query: str,
        *,
        max_rows: int,
        table_format: str = "json",
        graph_format: str = "ttl",
        default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
    ) -> QueryOutcome:
        """The answer of ``query`` on ``store`` (see :func:`budgetkg.server.answers.answer`).

        :raises QueryTimeout: when it is not answered within the time limit.
        :raises QueryOverMemory: when the process passed its memory limit while it ran.
        :raises ProcessStopping: when the process is stopping and it did not run.
        """
        if self._hurry:
            raise ProcessStopping()
        loop = asyncio.get_running_loop()
        job = _Job(
            (store, query, max_rows, table_format, graph_format, (default_graphs, named_graphs), self.max_answer_bytes),
            loop.create_future(),
        )
        # Armed for the job, not for this coroutine: when the client goes away, a query that
        # runs on still has to be found at the limit.
        job.timer = loop.call_later(self.timeout, self._expire, job)
        self._held.add(job)
        self._jobs.put(job)
        try:
            return await job.future
        except asyncio.CancelledError:  # the request was cancelled (its client went away)
            with self._lock:
                if not job.started:
                    job.dropped = True
                    job.timer.cancel()
                    self._held.discard(job)
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
                job.started_at = time.monotonic()
                self._running += 1
                self._busy.set()
            try:
                outcome = answer(*job.args)
            except BaseException as exc:  # answer() turns errors into outcomes: this is a bug, reported as one
                outcome = QueryOutcome("error", message=f"{type(exc).__name__}: {exc}")
            with self._lock:
                job.finished = True
                self._running -= 1
                if not self._running:
                    self._busy.clear()
            job.future.get_loop().call_soon_threadsafe(self._settle, job, outcome)

    def _settle(self, job: _Job, outcome: QueryOutcome) -> None:
        assert job.timer is not None
        job.timer.cancel()
        self._held.discard(job)
        if not job.future.done():
            job.future.set_result(outcome)

    def _expire(self, job: _Job) -> None:
        """The time limit of ``job`` is up: answer it 503, and stop the process if its query still runs."""
        with self._lock:
            running = job.started and not job.finished
            job.dropped = not job.started
        self._held.discard(job)
        if not job.future.done():
            job.future.set_exception(
                QueryTimeout(
                    f"the query was stopped after {self.timeout:g} s, this endpoint's time limit",
                    "time" if running else None,
                )
            )
        if running:  # told each time: each such query holds a thread for good
            self.runaway = True
            self._on_runaway(f"a query ran past the {self.timeout:g} s limit", False)

    def _watch(self, limit: int) -> None:
        """The memory watchdog's thread: past ``limit`` bytes while queries run, stop them all (once)."""
        while True:
            self._busy.wait()
            size = resident_bytes()
            if size is not None and size > limit:
                assert self._loop is not None
                self._loop.call_soon_threadsafe(self._over_memory, limit)
                return
            time.sleep(WATCH_SECONDS)

    def _over_memory(self, limit: int) -> None:
        """The process passed ``limit`` bytes: every query it holds is answered 503, and it stops at once.

        The query that has run longest is the likeliest to have taken the memory: it is told so;
        the others that ran beside it are told to try again, as are those that waited.
        """
        with self._lock:
            for job in self._held:
                job.dropped = not job.started
            running = sorted(
                (job for job in self._held if job.started and not job.finished), key=lambda job: job.started_at
            )
        mib = limit // 2**20
        for job in self._held:
            assert job.timer is not None
            job.timer.cancel()
            if job.future.done():
                continue
            if running and job is running[0]:
                job.future.set_exception(
                    QueryOverMemory(f"the query needed more than {mib} MiB of memory, this endpoint's limit", "memory")
                )
            elif job in running:
                job.future.set_exception(
                    QueryOverMemory(
                        f"this server process passed its {mib} MiB memory limit (another query took it) while "
                        "this query ran; try again"
                    )
                )
            else:
                job.future.set_exception(ProcessStopping())
        self._held.clear()
        self._hurry = True
        if not self.runaway:
            self.runaway = True
            self._on_runaway(f"the server process passed its {mib} MiB memory limit", True)
