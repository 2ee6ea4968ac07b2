"""The access log: one line a request in the Combined Log Format (Apache's and nginx's default),
which log analysers read as it is::

    127.0.0.1 - - [07/Dec/2026:01:44:42 +0000] "GET /sparql?query=ASK%7B%7D HTTP/1.1" 200 31 "-" "curl/8.5.0"

Written by each server process, a whole line in one ``write`` to a file opened for appending
(so the processes' lines do not mix), or to standard error.  No header but Referer and
User-Agent is logged: never Authorization, which carries the update token.  What a client
wrote (its request line, Referer, User-Agent) is escaped as Apache escapes it (``\\"``,
``\\\\``, ``\\xHH`` for any other byte that is not printable ASCII) and cut at
:data:`MAX_FIELD_BYTES`, so that a line cannot be forged or made huge.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from typing import BinaryIO

from starlette.types import Message, Scope, Send

__all__ = ["AccessLog", "Answered", "MAX_FIELD_BYTES", "CLIENT_GONE"]

# Bytes of a field a client wrote that are logged; past it the field ends in "...".
MAX_FIELD_BYTES = 8_192
# The status logged when no answer was sent (the client went away first), as nginx logs it.
CLIENT_GONE = 499
_PRINTABLE = frozenset(range(0x20, 0x7F)) - {ord('"'), ord("\\")}


def _escaped(raw: bytes) -> str:
    """``raw`` as a quoted field of the log may hold it."""
    cut = raw[:MAX_FIELD_BYTES]
    out = []
    for byte in cut:
        if byte in _PRINTABLE:
            out.append(chr(byte))
        elif byte in (ord('"'), ord("\\")):
            out.append("\\" + chr(byte))
        else:
            out.append(f"\\x{byte:02x}")
    return "".join(out) + ("..." if len(raw) > MAX_FIELD_BYTES else "")


@dataclass
class Answered:
    """What was answered to a request: its status (:data:`CLIENT_GONE` until one is sent) and body's size."""

    status: int = CLIENT_GONE
    bytes: int = 0


class AccessLog:
    """Where a server process logs its requests: ``path``, or standard error for ``-``.

    :raises OSError: when the file cannot be opened for appending.
    """

    def __init__(self, path: str) -> None:
        self._out: BinaryIO = sys.stderr.buffer if path == "-" else open(path, "ab", buffering=0)  # noqa: SIM115
        self._own = path != "-"

    def watch(self, send: Send) -> tuple[Send, Answered]:
        """``send``, noting in the :class:`Answered` returned with it the answer's status and size."""
        seen = Answered()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen.status = message["status"]
            elif message["type"] == "http.response.body":
                seen.bytes += len(message.get("body", b""))
            await send(message)

        return sending, seen

    def write(self, scope: Scope, seen: Answered) -> None:
        """Log the request of ``scope``, answered as ``seen`` (from :meth:`watch`) says."""
        headers = dict(scope.get("headers", ()))
        target = scope.get("raw_path") or scope.get("path", "").encode("utf-8")
        if scope.get("query_string"):
            target += b"?" + scope["query_string"]
        method = scope.get("method", "-").encode("latin-1")
        version = ("HTTP/" + scope.get("http_version", "1.1")).encode("latin-1")
        client = scope.get("client") or ("-", 0)
        size = str(seen.bytes) if seen.bytes else "-"
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S %z", time.localtime())
        line = (
            f'{client[0]} - - [{stamp}] "{_escaped(method + b" " + target + b" " + version)}" {seen.status} {size} '
            f'"{_escaped(headers.get(b"referer", b"-"))}" "{_escaped(headers.get(b"user-agent", b"-"))}"\n'
        )
        try:
            os.write(self._out.fileno(), line.encode("ascii"))
        except (OSError, ValueError):  # a full disk or a closed log must not fail the request
            pass

    def close(self) -> None:
        if self._own:
            self._out.close()
