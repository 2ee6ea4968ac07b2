"""SPARQL updates, each in a process of its own that is stopped at the time limit.

pyoxigraph cannot stop an update once it runs (an ``INSERT … WHERE`` over a cross join ran
on long past its limit), and run in the server's event loop one blocked every request of
its process.  Each update runs in a child process (``python -m budgetkg.server.update_process``, the
update on its standard input) that is killed at the limit: the event loop stays free, and
the store stays as it was, since :func:`budgetkg.load.store.apply_update` writes a copy that only
a finished update swaps in (the copy a killed one leaves is removed at once, or by the next
build or update).

Updates to one store are applied one at a time.  In a server process they wait in a short
queue (at most ``MAX_WAITING`` of them) for their turn; the child then waits for the store's
lock, which a build or another server process's update may hold.  Waiting counts toward the
time limit: all of ten updates sent at once are applied if the limit allows, and one that
cannot start in time is answered 503 with ``Retry-After``, the store unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

__all__ = ["UpdateRunner", "UpdateKind", "UpdateOutcome", "MAX_WAITING"]

# How an update ended (see UpdateOutcome).
UpdateKind = Literal["applied", "syntax-error", "error", "busy", "timeout", "memory", "queue-full", "missing"]

# Updates a server process holds waiting for their turn, beyond the one running: a client
# sending more at once than this is told to come back (503, Retry-After) instead of holding
# their bodies (each up to --max-request-bytes) in memory.
MAX_WAITING = 32


@dataclass(frozen=True)
class UpdateOutcome:
    """How an update ended: ``applied``, ``syntax-error``, ``error`` (it could not be evaluated),
    ``busy`` (the store was held past the limit), ``timeout``, ``memory`` (past the memory
    limit), ``queue-full`` or ``missing`` (no store)."""

    kind: UpdateKind
    message: str = ""


class UpdateRunner:
    """Applies the updates of one server process to its store, one at a time, each in a child process.

    :param store: the store folder.
    :param timeout: the time limit of an update, in seconds, from its arrival (waiting included).
    :param allow_service: the endpoints the child may connect to (its egress guard: see
        :mod:`budgetkg.server.egress`), those an update's ``WHERE`` may call with SERVICE.
    :param max_memory: the bytes of resident memory the child may hold.
    """

    def __init__(
        self,
        store: Path,
        timeout: float,
        max_waiting: int = MAX_WAITING,
        allow_service: tuple[str, ...] = (),
        max_memory: int = 1024 * 2**20,
    ) -> None:
        self.store, self.timeout, self.max_waiting = store, timeout, max_waiting
        self.allow_service = allow_service
        self.max_memory = max_memory
        self._turn = asyncio.Lock()
        self._waiting = 0

    async def apply(self, update: str) -> UpdateOutcome:
        """Apply ``update``: the store is changed only when the outcome is ``applied``."""
        if self._waiting >= self.max_waiting:
            return UpdateOutcome("queue-full")
        deadline = asyncio.get_running_loop().time() + self.timeout
        self._waiting += 1
        try:
            if not await self._take_turn(self.timeout):
                return UpdateOutcome("busy")
        finally:
            self._waiting -= 1
        try:
            return await self._child(update, deadline)
        finally:
            self._turn.release()

    async def _take_turn(self, seconds: float) -> bool:
        """Take the process's turn within ``seconds``: True when taken (release it after)."""
        # Not wait_for(lock.acquire()): on Python 3.10 and 3.11 a lock taken just as the time is up
        # can be lost to a cancellation, and no update would ever run again.
        acquire = asyncio.ensure_future(self._turn.acquire())
        taken = False
        try:
            done, _ = await asyncio.wait({acquire}, timeout=seconds)
            taken = acquire in done
        finally:
            if not taken:
                acquire.cancel()
                try:
                    await acquire
                except asyncio.CancelledError:
                    pass
                else:  # taken as the time ran out: give it back
                    self._turn.release()
        return taken

    async def _child(self, update: str, deadline: float) -> UpdateOutcome:
        seconds = max(0.0, deadline - asyncio.get_running_loop().time())
        # In a thread, with subprocess: the event loop's own child watching was seen to miss
        # the end of a child in uvicorn's server processes.
        said, stopped = await asyncio.to_thread(
            _run_child, self.store, update, seconds, self.allow_service, self.max_memory
        )
        if said.get("outcome") == "memory":  # the child passed its memory limit and ended
            if self._swapped(said.get("database")):
                return UpdateOutcome("applied")
            await asyncio.to_thread(_remove_leftovers, self.store)
            return UpdateOutcome("memory")
        if stopped:
            if "database" not in said:  # still waiting for the store's lock
                return UpdateOutcome("busy")
            if self._swapped(said["database"]):  # stopped after its swap: it was applied
                return UpdateOutcome("applied")
            await asyncio.to_thread(_remove_leftovers, self.store)
            return UpdateOutcome("timeout")
        if "outcome" not in said:  # the child died (its log says why); swapped in or not
            return UpdateOutcome(
                "applied" if self._swapped(said.get("database")) else "error",
                "the update's process stopped before it was done",
            )
        for kind in get_args(UpdateKind):
            if said["outcome"] == kind:
                return UpdateOutcome(kind, str(said.get("message", "")))
        return UpdateOutcome("error", f"the update's process ended with an unknown outcome: {said['outcome']!r}")

    def _swapped(self, database: str | None) -> bool:
        try:
            return database is not None and os.readlink(self.store / "current") == database
        except OSError:
            return False


def _run_child(
    store: Path, update: str, seconds: float, allow_service: tuple[str, ...], max_memory: int
) -> tuple[dict[str, str], bool]:
    """Run the child on ``update`` for at most ``seconds``: what it said, and whether it was stopped."""
    # Its errors (a traceback) go to the server's log, never to the client.
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "budgetkg.server.update_process",
            "--max-memory",
            str(max_memory),
            str(store),
            f"{seconds:.3f}",
            *allow_service,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=None,
    )
    stopped = False
    try:
        out, _ = child.communicate(update.encode("utf-8"), timeout=seconds)
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
        stopped = True
    finally:
        if child.poll() is None:  # the server stops meanwhile
            child.kill()
            child.wait()
    said: dict[str, str] = {}
    for line in out.splitlines():
        try:
            said.update(json.loads(line))
        except (ValueError, TypeError):
            continue  # not one of its JSON lines
    return said, stopped


def _remove_leftovers(store: Path) -> None:
    from ..load.store import remove_leftovers

    remove_leftovers(store)
