"""``budgetkg serve``'s processes: several server processes on one socket, kept running by uvicorn's supervisor.

Each server process answers HTTP and runs its own queries (:mod:`budgetkg.server.runner`).
The command's process binds the socket, starts ``workers`` server processes on it and
watches them (uvicorn's ``Multiprocess``): it starts a fresh process when one ends, which
is how a query past the time limit is stopped, and kills one that stops answering its
health checks.  A connection waiting to be accepted is taken by whichever process is free.
"""

from __future__ import annotations

import functools
import shutil
import socket
import tempfile
from dataclasses import replace
from pathlib import Path

from ..errors import BudgetkgError
from .app import ServerOptions, create_app
from .egress import warn_if_unavailable

__all__ = ["listen", "run_server"]


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


def run_server(options: ServerOptions, sock: socket.socket) -> bool:
    """Serve on ``sock`` (see :func:`listen`) until SIGINT or SIGTERM; False when a server
    process could not start (the supervisor then stops, and the reason is in the log)."""
    import uvicorn
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    warn_if_unavailable()  # once here, not in each server process
    dumps_dir = Path(tempfile.mkdtemp(prefix="budgetkg-dumps-"))
    try:
        supervised = replace(options, supervised=True, dumps_dir=dumps_dir)
        config = uvicorn.Config(
            # Made in each server process (they are spawned): the options travel pickled.
            functools.partial(create_app, supervised), factory=True, workers=options.workers,
            # No access log: at the warning level it is never shown, yet uvicorn would still make each line's parts.
            log_level="warning", access_log=False,
            h11_max_incomplete_event_size=options.max_request_bytes + 16_384,
            # A stopping process answers what it holds: each query within the time limit.
            timeout_graceful_shutdown=int(options.timeout) + 5)
        supervisor = Multiprocess(config, sockets=[sock])
        supervisor.run()
        return not any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    finally:
        shutil.rmtree(dumps_dir, ignore_errors=True)
