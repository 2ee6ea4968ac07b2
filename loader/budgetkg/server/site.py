"""What one server process holds while it serves: :class:`Site`, the state every handler reads.

The handlers (:mod:`.endpoint`, :mod:`.catalogue`, :mod:`.pages`) are plain functions of a
request; they find the process's :class:`Site` with :func:`site_of`.  Its parts are made here
and started and closed by the application's lifespan (:mod:`.app`).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.requests import Request

from .access_log import AccessLog
from .admission import Admission, Standing
from .database import FOLLOW_SECONDS, Database
from .describe import Dump
from .dumps import DumpFolders
from .egress import guard as guard_egress
from .options import ServerOptions
from .runner import QueryRunner, resident_bytes
from .sandbox import START_SECONDS, Sandbox, SandboxOptions
from .updates import UpdateRunner

__all__ = ["Site", "site_of"]

# Seconds a server process past its memory limit has to write its 503s before it ends.
HURRY_SECONDS = 0.5
# Seconds a server process with a query past the time limit waits at most for its replacement.
REPLACE_SECONDS = 30.0


class Site:
    """The options, the store, the query and update runners, admission control and the dumps of one server process."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.templates = Environment(
            loader=PackageLoader("budgetkg.server", "templates"), autoescape=select_autoescape(["html"])
        )
        # A process that embeds the app (a test's, `serve --get`'s) held memory of its own before:
        # there the limit counts what queries add to it.  A server process holds its store alone.
        before = 0 if options.supervised else resident_bytes() or 0
        self.queries = QueryRunner(
            timeout=options.timeout,
            max_memory=options.max_memory * 2**20 + before,
            max_answer_bytes=options.max_answer_bytes,
            on_runaway=self._stop_this_process if options.supervised else lambda reason, hurry: None,
        )
        self.admission = Admission(
            threads=self.queries.threads,
            per_client=options.max_client_queries,
            wait=options.timeout,
            standing=Standing(options.supervisor_dir / "clients" if options.supervisor_dir else None),
        )
        self.updates = UpdateRunner(
            options.store,
            timeout=options.timeout,
            allow_service=options.allow_service,
            max_memory=options.max_memory * 2**20,
            base_iri=options.endpoint,  # the protocol's base: "which MAY be the service endpoint"
        )
        # Where the queries of clients not in good standing run under `budgetkg serve`: one that
        # passes a limit there ends the sandbox, not this process (see budgetkg.server.sandbox).
        # On disk: a fresh sandbox (after each query past a limit) and one taking up a rebuild
        # start in a fraction of a second, where a copy in memory took seconds with the GIL held;
        # strangers' queries run slower for it.
        self.sandbox = Sandbox(_sandbox_options(options, in_memory=False)) if options.supervised else None
        # Where the queries of clients in good standing run under `budgetkg serve`: no query
        # of any client runs in this process, so none can end it (see budgetkg.server.sandbox).
        # In memory as the process's own copy (the regulars' quick answers), as many threads, and a
        # spare started and ready to take over when one stops.
        trusted = _sandbox_options(options, in_memory=options.in_memory)
        trusted = replace(trusted, threads=self.queries.threads, spare=True)
        self.trusted = Sandbox(trusted) if options.supervised else None
        self.database = Database(options.store, in_memory=options.in_memory)
        self.dump_folders = DumpFolders(options.store, shared=options.dumps_dir)
        self._replaced = False
        self._watcher: asyncio.Task | None = None
        # Opened here, in each server process (they are spawned): see budgetkg.server.access_log.
        self.access_log = AccessLog(options.access_log) if options.access_log else None
        # Pages made once per process, each by one task that a burst of requests awaits: each
        # request of a burst rendering the ontology's page itself (1.5 s of CPU, the GIL held
        # most of it) kept a stopping server past its grace, which printed their tracebacks.
        self._made: dict[str, asyncio.Future[str]] = {}

    async def made_once(self, name: str, make: Callable[[], str]) -> str:
        """The page ``name``, made by ``make()`` in a thread the first time it is asked for in
        this process; the requests that come meanwhile wait for that one making.

        :raises Exception: what ``make`` raised (to every request that waited; the next one makes it again).
        """
        made = self._made.get(name)
        if made is None or (made.done() and made.exception() is not None):
            made = self._made[name] = asyncio.ensure_future(asyncio.to_thread(make))
        # Shielded: a request whose client went away must not cancel the making the others wait for.
        return await asyncio.shield(made)

    async def dumps(self) -> dict[str, Dump] | None:
        """The store's dumps, or None while a background thread writes them: never waited for
        (see :class:`budgetkg.server.dumps.DumpFolders`)."""
        return self.dump_folders.current()

    async def start(self) -> None:
        """Make the process ready to answer: the store opened, the query threads and the sandbox started."""
        options = self.options
        if options.supervised:  # before any query runs; never in a test's process or `serve --get`
            guard_egress(options.allow_service)
        try:
            await self.database.store()  # the first request need not wait for the copy into memory
        except Exception:
            # A process started while a rebuild swaps the store: its first request opens the
            # database (and answers the error if it still cannot), rather than the supervisor
            # giving up on a process that failed to start.
            pass
        self.queries.start()
        for sandbox in (self.sandbox, self.trusted):
            if sandbox is not None:
                sandbox.start()
        for sandbox in (self.sandbox, self.trusted):
            if sandbox is not None:
                # Serving before it is ready, a client's first query would wait for it.
                await sandbox.started(START_SECONDS)
        held = resident_bytes() if options.supervised else None
        if held is not None and held > options.max_memory * 2**20 // 2:
            # Every query would find the process near its limit, and a second copy of the store
            # (taken up after a rebuild) would pass it.
            print(
                f"budgetkg: server process {os.getpid()} holds {held // 2**20} MiB with the store open, over half "
                f"of --max-memory {options.max_memory}: raise it, or serve the store --on-disk",
                file=sys.stderr,
                flush=True,
            )
        if options.supervised:
            from .run import REPLACED_SIGNAL

            asyncio.get_running_loop().add_signal_handler(REPLACED_SIGNAL, self._stop_now)
        self._watcher = asyncio.create_task(self._follow_rebuilds())

    async def close(self) -> None:
        """Stop what :meth:`start` started; a process with a runaway query ends here."""
        if self._watcher is not None:
            self._watcher.cancel()
        for sandbox in (self.sandbox, self.trusted):
            if sandbox is not None:
                await sandbox.close()
        self.queries.close()
        self.dump_folders.remove()
        if self.access_log is not None:
            self.access_log.close()
        if self.queries.runaway and self.options.supervised:
            # Python would wait at exit for the dumps' threads, and a runaway query can hold
            # anything: the process ends here, and the supervisor starts a fresh one.
            sys.stderr.flush()
            os._exit(0)

    async def _follow_rebuilds(self) -> None:
        # Without a request for a while, this process would keep a swapped database's files
        # (and disk space) after a later build deletes them, and the next request would wait
        # for the new copy in memory.
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            await self.database.follow()

    def _stop_now(self) -> None:
        # A graceful stop, as on SIGTERM: no new connection, the requests held are answered
        # (uvicorn waits for them, up to timeout_graceful_shutdown), then the lifespan's end;
        # the queries waiting for a thread are answered 503 at once, to try again elsewhere.
        self.admission.stop()
        signal.raise_signal(signal.SIGTERM)

    def _stop_this_process(self, reason: str, hurry: bool) -> None:
        from .run import ask_for_replacement

        if hurry:
            print(
                f"budgetkg: {reason} and cannot be stopped; server process {os.getpid()} stops, and a fresh one "
                "takes its place",
                file=sys.stderr,
                flush=True,
            )
            self._stop_now()
            # The query still allocates: the 503s just set are written within the grace, and
            # the process ends then, whatever the graceful stop still waits for.
            threading.Timer(HURRY_SECONDS, os._exit, (0,)).start()
            return
        self.admission.lose_thread()
        if not self._replaced:
            self._replaced = True
            print(
                f"budgetkg: {reason} and cannot be stopped; server process {os.getpid()} stops once a fresh one "
                "is ready to take its place",
                file=sys.stderr,
                flush=True,
            )
            if self.options.supervisor_dir is None:
                raise RuntimeError("a supervised server process has no supervisor folder")
            # It serves on its other threads until the supervisor says the fresh one is ready
            # (REPLACED_SIGNAL), or at most REPLACE_SECONDS.
            ask_for_replacement(self.options.supervisor_dir)
            asyncio.get_running_loop().call_later(REPLACE_SECONDS, self._stop_now)


def _sandbox_options(options: ServerOptions, *, in_memory: bool | None) -> SandboxOptions:
    """A sandbox's options, from the server's."""
    return SandboxOptions(
        store=str(options.store),
        timeout=options.timeout,
        max_memory=options.max_memory * 2**20,
        max_answer_bytes=options.max_answer_bytes,
        in_memory=in_memory,
        allow_service=options.allow_service,
        max_line=8 * options.max_request_bytes + 65_536,
    )


def site_of(request: Request) -> Site:
    """The :class:`Site` of the process answering ``request``."""
    site = request.app.state.site
    if not isinstance(site, Site):
        raise TypeError("the application has no budgetkg Site")
    return site
