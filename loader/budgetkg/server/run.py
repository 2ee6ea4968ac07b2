"""``budgetkg serve``'s processes: several server processes on one socket, kept running by uvicorn's supervisor.

Each server process answers HTTP and runs its own queries (:mod:`budgetkg.server.runner`).
The command's process binds the socket, starts ``workers`` server processes on it and
watches them (uvicorn's ``Multiprocess``): it starts a fresh process when one ends, which
is how a query past the time limit is stopped, and kills one that stops answering its
health checks.  A connection waiting to be accepted is taken by whichever process is free.

A process whose query passed the time limit keeps serving on its other threads until its
replacement is ready (:class:`Supervisor`): under a flood of slow queries every process
meets that limit about at once, and were each to stop taking connections as soon as it did,
none would be taking any while their replacements start.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import socket
import string
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from pyoxigraph import NamedNode
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from ..errors import BudgetkgError
from .admission import Standing
from .app import create_app
from .connections import ConnectionLimits
from .egress import warn_if_unavailable
from .options import ServerOptions
from .security import security_headers

__all__ = ["listen", "run_server", "public_url", "Supervisor", "ask_for_replacement", "REPLACED_SIGNAL"]

_HOST_CHARACTERS = frozenset(string.ascii_letters + string.digits + ".-:[]")
# A server process asks the supervisor for its replacement with SIGUSR1 (after writing a note
# naming itself, see ask_for_replacement); the supervisor tells it with SIGUSR2 that its
# replacement is ready, and it then stops as on SIGTERM.
_ASK_SIGNAL = signal.SIGUSR1
REPLACED_SIGNAL = signal.SIGUSR2
# Seconds a server process may take to answer the supervisor's health check before it is killed as hung.
HEALTH_CHECK_SECONDS = 60


def ask_for_replacement(folder: Path) -> None:
    """Ask the supervisor (this process's parent) to start this server process's replacement."""
    (folder / f"stopping-{os.getpid()}").touch()
    os.kill(os.getppid(), _ASK_SIGNAL)


class Supervisor(Multiprocess):
    """uvicorn's supervisor, which also starts a process's replacement as soon as the process
    asks (:func:`ask_for_replacement`), and tells the process when the replacement is ready."""

    def __init__(self, config, sockets, folder: Path) -> None:
        super().__init__(config, sockets)
        self.folder = folder
        self.retiring: list[tuple[Process, Process]] = []  # (old, its replacement)

    def handle_usr1(self) -> None:
        for note in self.folder.glob("stopping-*"):
            note.unlink(missing_ok=True)
            pid = int(note.name.removeprefix("stopping-"))
            old = next((p for p in self.processes if p.pid == pid), None)
            if old is None or self.should_exit.is_set():
                continue
            new = Process(self.config, self.sockets)
            new.start()
            self.processes[self.processes.index(old)] = new
            self.retiring.append((old, new))

    def keep_subprocess_alive(self) -> None:
        for old, new in list(self.retiring):
            if not old.process.is_alive():
                old.join()
                self.retiring.remove((old, new))
            elif not new.process.is_alive() or new.is_ready(timeout=0.1):
                os.kill(old.process.pid, REPLACED_SIGNAL)  # type: ignore[arg-type]  # started, so it has one
        super().keep_subprocess_alive()

    def terminate_all(self) -> None:
        for old, _ in self.retiring:
            old.terminate()
        super().terminate_all()

    def join_all(self) -> None:
        for old, _ in self.retiring:
            old.join()
        super().join_all()


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound as uvicorn binds one.

    Bound here rather than by uvicorn, which logs the reason and exits with its own code.

    :raises BudgetkgError: when the port is taken or the host cannot be bound.
    """
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise BudgetkgError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def public_url(url: str | None, host: str, port: int) -> str:
    """The address clients reach the server at, ending in ``/``: ``url`` (a proxy's, say),
    else ``http://HOST:PORT/`` as the server listens.

    :raises ValueError: when ``url`` is not an absolute http(s) URL of a host, or carries a
        user, a query or a fragment.
    """
    if url is None:
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"  # an IPv6 address is bracketed
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 (read for the ValueError of a port that is not a number)
    except ValueError:
        raise ValueError(f"{url!r} has a port that is not a number") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or not _HOST_CHARACTERS.issuperset(parts.netloc):
        raise ValueError(f"{url!r} is not an http:// or https:// URL of a host")
    if parts.username is not None or parts.query or parts.fragment or "?" in url or "#" in url:
        raise ValueError(f"{url!r} has a user, a query or a fragment; give the address of the server only")
    url = url if url.endswith("/") else url + "/"
    try:
        NamedNode(url)  # the endpoint's IRI in the descriptions
    except ValueError as exc:
        raise ValueError(f"{url!r} is not an absolute IRI ({exc})") from None
    return url


def run_server(options: ServerOptions, sock: socket.socket) -> bool:
    """Serve on ``sock`` (see :func:`listen`) until SIGINT or SIGTERM; False when a server
    process could not start (the supervisor then stops, and the reason is in the log)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE

    warn_if_unavailable()  # once here, not in each server process
    dumps_dir = Path(tempfile.mkdtemp(prefix="budgetkg-dumps-"))
    # The clients' standing (budgetkg.server.admission), which outlives the processes a flood
    # gets replaced, and the notes of processes asking for their replacement.
    supervisor_dir = Path(tempfile.mkdtemp(prefix="budgetkg-supervisor-"))
    try:
        Standing.create(supervisor_dir / "clients")
        supervised = replace(options, supervised=True, dumps_dir=dumps_dir, supervisor_dir=supervisor_dir)
        limits = ConnectionLimits(
            max_request_bytes=options.max_request_bytes,
            max_header_bytes=options.max_header_bytes,
            request_timeout=options.request_timeout,
            max_connections=options.max_connections,
            headers=tuple(security_headers(options.public_url)),
        )
        config = uvicorn.Config(
            # Made in each server process (they are spawned): the options travel pickled.
            functools.partial(create_app, supervised),
            factory=True,
            workers=options.workers,
            # No access log: at the warning level it is never shown, yet uvicorn would still make each line's parts.
            log_level="warning",
            access_log=False,
            # Each connection's protocol bounds the request's head, the time it takes to arrive, and
            # the connections held (see budgetkg.server.connections); h11's own bound on a head, where
            # uvicorn reads with h11, is the same.
            http=limits,  # type: ignore[arg-type]  # uvicorn calls it as it calls a protocol class
            h11_max_incomplete_event_size=limits.max_head_bytes,
            # A stopping process answers what it holds: each query within the time limit.
            timeout_graceful_shutdown=int(options.timeout) + 5,
        )
        # uvicorn kills a process that does not answer its health check within 5 s; the
        # thread that answers it needs the GIL, which pyoxigraph holds while it copies the
        # store into memory (bulk_extend): on a loaded machine that took longer, and every
        # process started meanwhile was killed as hung, and its replacement too.
        config.timeout_worker_healthcheck = HEALTH_CHECK_SECONDS
        supervisor = Supervisor(config, [sock], supervisor_dir)
        supervisor.run()
        return not any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    finally:
        shutil.rmtree(dumps_dir, ignore_errors=True)
        shutil.rmtree(supervisor_dir, ignore_errors=True)
