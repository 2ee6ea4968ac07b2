"""Bounds on each connection to ``budgetkg serve``, kept by its HTTP/1.1 protocol: uvicorn's, subclassed.

uvicorn reads requests with httptools, which has no limit on a request's head: a single
200 MB header field was read whole, each chunk appended to the ones before (quadratic
work), and a connection whose head never ended, or that sent nothing, was held for ever.
Here each connection

- reads at most :attr:`ConnectionLimits.max_head_bytes` bytes of a request's head (its
  request line and header fields), and at most :data:`MAX_HEADER_FIELDS` header fields of
  ``max_header_bytes`` bytes in all: past either, the client gets 431 and the connection is
  closed;
- is closed when a request has not arrived whole (head and body) ``request_timeout``
  seconds after the connection opened or its last answer was sent: with 408 when part of
  one came, without a word when nothing did;
- is cut when its client reads nothing of an answer for ``request_timeout`` seconds once
  the answer fills the send buffers (a dump asked for and never read held its connection,
  and its place among the connections, for ever);
- is one of at most ``max_connections`` connections of this server process, so that idle
  ones cannot take every file descriptor: a connection past the limit closes the one that
  has waited longest for its request (as the timeout would, only sooner), or is answered
  503 when every connection is being answered.  Many slow connections then push each other
  out, and a client that sends its request at once is answered.

The protocol's own answers have the application's one JSON error shape and its headers.
"""

from __future__ import annotations

import asyncio
import functools
import http
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import h11

from .responses import error

if TYPE_CHECKING:  # the bounds sit over either of uvicorn's protocols; they are typed over httptools'
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
else:
    _Protocol = object

__all__ = ["ConnectionLimits", "MAX_HEADER_FIELDS"]

# Header fields a request may have (Apache's LimitRequestFields): browsers and SPARQL
# clients send about a dozen.
MAX_HEADER_FIELDS = 100


@dataclass(frozen=True)
class ConnectionLimits:
    """The bounds, and the factory uvicorn calls for each connection's protocol (``http=``).

    Picklable: uvicorn's supervisor hands its configuration to the server processes it spawns.
    """

    # The request line may carry a query of this many bytes (GET /sparql?query=...).
    max_request_bytes: int
    max_header_bytes: int = 32_768
    request_timeout: float = 10.0
    max_connections: int = 256
    # The headers of every answer (:func:`budgetkg.server.security.security_headers`).
    headers: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def max_head_bytes(self) -> int:
        """Bytes of a request's head read at most: its request line and its header fields."""
        return self.max_request_bytes + self.max_header_bytes

    def __call__(self, **kwargs: Any) -> asyncio.Protocol:
        return _protocol_class()(limits=self, **kwargs)


@functools.cache
def _protocol_class() -> type[_Bounds]:
    """The protocol uvicorn would take ("auto": httptools when installed, else h11), bounded."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.http.h11_impl import H11Protocol

    bounds = _H11Bounds if issubclass(AutoHTTPProtocol, H11Protocol) else _Bounds
    return type(f"Bounded{AutoHTTPProtocol.__name__}", (bounds, AutoHTTPProtocol), {})


class _Bounds(_Protocol):
    """The bounds, over uvicorn's httptools protocol (a mixin, first among the bases)."""

    def __init__(self, *args: Any, limits: ConnectionLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self._in_head = True  # the bytes read now are a request's head
        self._head_bytes = 0  # bytes of the head read so far (0: no byte of a request since the last one)
        self._fields = 0
        self._field_bytes = 0
        self._refusal: tuple[int, str] | None = None  # why the parser was stopped
        self._deadline: asyncio.TimerHandle | None = None
        self._stalled: asyncio.TimerHandle | None = None  # the answer waits for the client to read

    def _reading_head(self) -> bool:
        return self._in_head

    # asyncio's protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # type: ignore[arg-type]
        if len(self.connections) > self.limits.max_connections:
            oldest = next(iter(_waiting), None)
            if oldest is None:
                self._answer(
                    503,
                    f"this server process is answering {self.limits.max_connections} connections, "
                    "its limit; try again shortly",
                    retry_after=True,
                )
                return
            oldest._expired()
        self._arm()

    def data_received(self, data: bytes) -> None:
        # Fed to the parser in pieces no longer than the limit: it never holds more of a head
        # than that (the rest of a piece that ends one request and begins the next is not
        # counted against the next, which is then read up to twice the limit).
        limit = self.limits.max_head_bytes
        while data and not self.transport.is_closing():
            room = limit - self._head_bytes if self._reading_head() else limit
            if room <= 0:
                self._answer(
                    431,
                    f"the request's head (request line and header fields) is longer than "
                    f"{limit} bytes, this server's limit",
                )
                return
            piece, data = data[:room], data[room:]
            if self._reading_head():
                self._head_bytes += len(piece)
            super().data_received(piece)
            if not self._reading_head():
                self._head_bytes = 0
        cycle = self.cycle
        if cycle is not None and not cycle.more_body and not cycle.response_complete:
            self._disarm()  # the request arrived whole: the time it takes to answer is the query's limit

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._unstall()
        super().connection_lost(exc)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._unstall()
        # Closing would wait for the buffer to be sent: aborted, the connection goes at once.
        self._stalled = self.loop.call_later(self.limits.request_timeout, self.transport.abort)

    def resume_writing(self) -> None:
        self._unstall()
        super().resume_writing()

    def _unstall(self) -> None:
        """The client reads again (or is gone): its answer is no longer stalled."""
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    # uvicorn's protocol

    def on_response_complete(self) -> None:
        super().on_response_complete()
        cycle = self.cycle
        if not self.transport.is_closing() and (cycle.response_complete or cycle.more_body):
            self._arm()  # the connection waits for its next request (or the rest of one)

    def send_400_response(self, msg: str) -> None:
        status, message = self._refusal or (400, "the request is not valid HTTP/1.1")
        self._answer(status, message)

    # httptools' parser

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._fields = self._field_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields += 1
        self._field_bytes += len(name) + len(value)
        if self._fields > MAX_HEADER_FIELDS:
            self._refusal = (431, f"the request has more than {MAX_HEADER_FIELDS} header fields, this server's limit")
        elif self._field_bytes > self.limits.max_header_bytes:
            self._refusal = (
                431,
                f"the request's header fields are longer than {self.limits.max_header_bytes} "
                "bytes, this server's limit",
            )
        if self._refusal:
            raise _Refused()  # the parser stops, and uvicorn answers with send_400_response
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0

    # the bounds

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._expired)
        _waiting[self] = None

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        _waiting.pop(self, None)

    def _expired(self) -> None:
        """The request did not come in time (or the connection is the one waiting longest, and
        a new one needs its place)."""
        self._disarm()
        if self.transport.is_closing():
            return
        cycle = self.cycle
        if self._head_bytes and (cycle is None or cycle.response_complete):
            self._answer(408, f"the request did not arrive whole within {self.limits.request_timeout:g} s")
        else:
            # Nothing came; or a body is late, and its request is being answered: the
            # application, waiting for the body, learns that the client is gone.
            self.transport.close()

    def _answer(self, status: int, message: str, *, retry_after: bool = False) -> None:
        """Answer ``status`` and close the connection (without a word when an answer is being
        written on it: the two would be mixed)."""
        self._disarm()
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            body = error(status, message).body
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *([(b"retry-after", b"1")] if retry_after else []),
                *self.limits.headers,
            ]
            head = f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()
            self.transport.write(
                head + b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n" + body
            )
        self.transport.close()


# The connections of this server process that wait for a request (or the rest of one), the
# one that has waited longest first.
_waiting: dict[_Bounds, None] = {}


class _H11Bounds(_Bounds):
    """The bounds over uvicorn's h11 protocol (where httptools is not installed).

    h11 gives no call for each header field: their number is bounded by the head's bytes only.
    """

    def _reading_head(self) -> bool:
        return self.conn.their_state is h11.IDLE  # type: ignore[attr-defined]


class _Refused(Exception):
    """Raised in a parser's callback to stop it: the request is refused (see ``_Bounds._refusal``)."""
