"""Admission control: how many queries each client, and all of them, may run at once in a server process.

A query runs in the process that read its request, on one of its few query threads, and one
that runs to the time limit holds its thread all that while (pyoxigraph cannot stop it; the
process is then replaced).  So a process keeps one of its threads for clients *in good
standing* and runs the queries of every other client (new ones, slow ones) on the rest,
one at a time per client, of which clients *barred* (a query of theirs was stopped at a limit
lately) get one.  A flood of slow queries from any number of addresses then holds those
threads only, and a client in good standing still finds a thread free; once the flood's
clients are barred, so does a new client.  Under ``budgetkg serve`` the queries of clients
not in good standing run in the process's sandbox, and those of clients in good standing in
its trusted sandbox (:mod:`budgetkg.server.sandbox`), so that one which passes a limit stops
a sandbox, never the process.

Good standing is earned slowly and lost at once (issue 32, F2: fresh addresses earned it with
one ``ASK`` each, then sent memory bombs):

- a client earns it with quick answers (within ``QUICK_SECONDS``) over ``PROBATION_SECONDS``
  at least: its first and its latest quick answer that far apart, none in between that held
  its thread over half the time limit;
- it keeps it for ``STANDING_SECONDS`` after its latest quick answer;
- a query stopped at a limit (time, memory) bars its client for ``BARRED_SECONDS``;
- and when a client in good standing had a query stopped at a limit, every client whose
  standing began no earlier than the culprit's loses it for ``DISTRUST_SECONDS`` (the
  *cut-off*): so each such stop costs the attacker an address that earned its standing
  before every address it stopped with until then, and a client that has been in good
  standing since before the attack began is never shut out of its thread.

Standing is kept in a table that every server process of one ``budgetkg serve`` maps
(:class:`Standing`: a file in the supervisor's temporary folder), so that it outlives the
processes that the flood gets replaced.  Past the limits, a client gets 503 with Retry-After:
when it has ``per_client`` queries running or waiting in the process, when ``QUEUE_LIMIT``
queries are waiting, or when none of them got a thread within ``wait`` seconds.

The client is the TCP peer's address (an IPv6 address stands for its /64, which one host
usually holds whole); ``X-Forwarded-For`` is not read: behind a proxy, every client is the proxy.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import mmap
import os
import struct
import time
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import Scope

__all__ = ["Admission", "Refused", "Standing", "client_of"]

# A query answered within this many seconds (once it had a thread) counts towards good standing…
QUICK_SECONDS = 1.0
# … which needs quick answers this far apart at least (one ASK from a fresh address is not enough)…
PROBATION_SECONDS = 10.0
# … and lasts this long after the last quick answer.
STANDING_SECONDS = 600.0
# A client whose query was stopped at a limit (time, memory) cannot regain it for this long.
BARRED_SECONDS = 600.0
# After a query of a client in good standing was stopped at a limit, clients whose standing
# began no earlier than that client's are not in good standing for this long.
DISTRUST_SECONDS = 600.0
# Queries waiting for a thread in one server process; past it, 503 at once.
QUEUE_LIMIT = 64
# Clients are hashed into this many slots of the shared table (24 bytes each: 1.5 MiB).  Two
# clients in one slot share their standing; the hash's key is random per server, so which
# addresses share cannot be chosen.
SLOTS = 65_536
_KEY_BYTES = 16
# Times are time.monotonic's, system-wide on Linux.
_CUTOFF = struct.Struct("dd")  # after the key: the cut-off (a standing's beginning), and until when it holds
_HEAD = _KEY_BYTES + _CUTOFF.size
_SLOT = struct.Struct("ddd")  # first quick answer of the current run, last quick answer, barred until


def client_of(scope: Scope) -> str:
    """The client of a request: its TCP peer's address, an IPv6 one as its /64 ("" when unknown)."""
    peer = scope.get("client")
    if not peer:
        return ""
    try:
        address = ipaddress.ip_address(peer[0])
    except ValueError:
        return str(peer[0])
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class Standing:
    """Which clients are in good standing: a table shared by the server processes (a file
    made by :meth:`create`), or this process's own (``path`` None)."""

    def __init__(self, path: Path | None = None) -> None:
        size = _HEAD + SLOTS * _SLOT.size
        if path is None:
            self._map = mmap.mmap(-1, size)
            self._map[:_KEY_BYTES] = os.urandom(_KEY_BYTES)
        else:
            with open(path, "r+b") as file:
                self._map = mmap.mmap(file.fileno(), size)
        self._key = bytes(self._map[:_KEY_BYTES])

    @staticmethod
    def create(path: Path) -> None:
        """Write an empty table, with a fresh random key, to ``path``."""
        with open(path, "wb") as file:
            file.write(os.urandom(_KEY_BYTES))
            file.truncate(_HEAD + SLOTS * _SLOT.size)

    def _offset(self, client: str) -> int:
        digest = hashlib.blake2b(client.encode(), key=self._key, digest_size=8).digest()
        return _HEAD + int.from_bytes(digest, "big") % SLOTS * _SLOT.size

    def standing(self, client: str) -> tuple[bool, bool]:
        """Whether ``client`` is in good standing, and whether it is barred."""
        since, last, barred_until = _SLOT.unpack_from(self._map, self._offset(client))
        cutoff, cutoff_until = _CUTOFF.unpack_from(self._map, _KEY_BYTES)
        now = time.monotonic()
        barred = barred_until > now
        good = (
            not barred
            and since > 0
            and last + STANDING_SECONDS > now
            and last - since >= PROBATION_SECONDS
            and not (cutoff_until > now and since >= cutoff)
        )
        return good, barred

    def record(self, client: str, *, seconds: float, stopped: bool, good: bool = False, held: float = 15.0) -> None:
        """What became of a query of ``client`` that ran ``seconds``; ``stopped`` at a limit;
        ``good``: the client was in good standing when the query was admitted.

        An answer slower than quick neither earns nor ends standing (on a loaded machine a
        cheap query can take seconds), unless it held its thread over ``held`` seconds (half
        the time limit): then the run of quick answers begins again.
        """
        offset = self._offset(client)
        since, last, barred_until = _SLOT.unpack_from(self._map, offset)
        now = time.monotonic()
        if stopped:
            if good:  # distrust every standing as recent as this one's
                cutoff, cutoff_until = _CUTOFF.unpack_from(self._map, _KEY_BYTES)
                cutoff = min(cutoff, since) if cutoff_until > now else since
                _CUTOFF.pack_into(self._map, _KEY_BYTES, cutoff, now + DISTRUST_SECONDS)
            since, last, barred_until = 0.0, 0.0, now + BARRED_SECONDS
        elif seconds <= QUICK_SECONDS:
            if since <= 0 or last + STANDING_SECONDS <= now:  # a new run of quick answers begins
                since = now
            last = now
        elif seconds > held:
            since, last = 0.0, 0.0
        _SLOT.pack_into(self._map, offset, since, last, barred_until)


_REPLACED = "this server process is being replaced (a query passed a limit); try again"


class Refused(Exception):
    """The query is not admitted: answer 503 with this message and Retry-After."""


@dataclass(eq=False)
class Ticket:
    """A query's place: waiting for a thread, then running on one."""

    client: str
    good: bool
    barred: bool
    future: asyncio.Future[None] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    timer: asyncio.TimerHandle | None = None
    running: bool = False
    started_at: float = 0.0


class Admission:
    """Admission of one server process's queries to its ``threads`` query threads (see the module)."""

    def __init__(self, *, threads: int, per_client: int, wait: float, standing: Standing) -> None:
        self.threads = threads
        self.per_client = per_client
        self.wait = wait
        self.standing = standing
        self._held: dict[str, int] = {}  # queries running or waiting, by client
        self._running: dict[str, int] = {}
        self._running_total = 0
        self._running_other = 0  # of clients not in good standing
        self._running_barred = 0
        self._waiting: list[Ticket] = []
        self._lost = 0  # threads lost to queries past the time limit, until the process is replaced
        self._stopping = False

    def _may_run(self, ticket: Ticket) -> bool:
        if self._running_total >= self.threads:
            return False
        if ticket.good:
            return True
        return (
            self._running.get(ticket.client, 0) < 1
            and self._running_other < max(1, self.threads - 1)
            and (not ticket.barred or self._running_barred < 1)
        )

    def _start(self, ticket: Ticket) -> None:
        ticket.running, ticket.started_at = True, time.monotonic()
        self._running[ticket.client] = self._running.get(ticket.client, 0) + 1
        self._running_total += 1
        self._running_other += not ticket.good
        self._running_barred += ticket.barred

    async def enter(self, client: str) -> Ticket:
        """A thread for a query of ``client``, once one is free for it.

        :raises Refused: past the client's or the queue's limit, after ``wait`` seconds, or
            when the process is stopping.
        """
        if self._held.get(client, 0) >= self.per_client:
            raise Refused(
                f"this client address has {self.per_client} queries running or waiting in this server "
                "process, this endpoint's limit; wait for their answers"
            )
        ticket = Ticket(client, *self.standing.standing(client))
        if self._may_run(ticket):
            self._start(ticket)
        elif self._stopping or self._stranded(ticket):  # no thread here will be free for it: another process
            raise Refused(_REPLACED)
        elif len(self._waiting) >= QUEUE_LIMIT:
            raise Refused("the server is busy: too many queries are waiting; try again")
        else:
            self._waiting.append(ticket)
            ticket.timer = asyncio.get_running_loop().call_later(self.wait, self._give_up, ticket)
        self._held[client] = self._held.get(client, 0) + 1
        if not ticket.running:
            try:
                await ticket.future
            except BaseException:  # refused, or cancelled (the client went away)
                if ticket.running:  # given a thread, then cancelled before it ran anything
                    self.leave(ticket, stopped=False, ran=False)
                else:
                    self._forget(ticket)
                raise
        return ticket

    def _give_up(self, ticket: Ticket) -> None:
        if not ticket.future.done():
            ticket.future.set_exception(
                Refused(f"the server is busy: no query thread was free for {self.wait:g} s; try again")
            )

    def _forget(self, ticket: Ticket) -> None:
        if ticket in self._waiting:
            self._waiting.remove(ticket)
        if ticket.timer is not None:
            ticket.timer.cancel()
        self._held[ticket.client] -= 1
        if not self._held[ticket.client]:
            del self._held[ticket.client]

    def leave(self, ticket: Ticket, *, stopped: bool, ran: bool = True) -> None:
        """The query of ``ticket`` is answered (``stopped``: 503 at a limit; not ``ran``: it went
        unanswered, its client gone, or was answered 503 for another query's doing, which
        neither earns nor costs standing): its thread goes to the next."""
        if ran:
            self.standing.record(
                ticket.client,
                seconds=time.monotonic() - ticket.started_at,
                stopped=stopped,
                good=ticket.good,
                held=self.wait / 2,
            )
        self._running[ticket.client] -= 1
        if not self._running[ticket.client]:
            del self._running[ticket.client]
        self._running_total -= 1
        self._running_other -= not ticket.good
        self._running_barred -= ticket.barred
        ticket.running = False
        self._forget(ticket)
        for waiting in list(self._waiting):
            if not waiting.future.done() and self._may_run(waiting):
                self._waiting.remove(waiting)
                assert waiting.timer is not None
                waiting.timer.cancel()
                self._start(waiting)
                waiting.future.set_result(None)

    def _stranded(self, ticket: Ticket) -> bool:
        """Whether no thread of this process will be free for ``ticket`` before it is replaced."""
        return self._lost >= self.threads or (not ticket.good and self._lost >= max(1, self.threads - 1))

    def lose_thread(self) -> None:
        """A query thread is lost for good (its query ran past the time limit, its process waits
        for a replacement): it counts as running, for no client, and not on the kept thread."""
        self._lost += 1
        self._running_total += 1
        self._running_other += 1
        self._refuse(self._stranded)

    def stop(self) -> None:
        """The process is stopping: refuse what waits, and what comes that cannot run at once."""
        self._stopping = True
        self._refuse(lambda ticket: True)

    def _refuse(self, which) -> None:
        for ticket in list(self._waiting):
            if not ticket.future.done() and which(ticket):
                ticket.future.set_exception(Refused(_REPLACED))
