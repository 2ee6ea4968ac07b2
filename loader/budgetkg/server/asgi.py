"""Reading a request straight from its ASGI scope and messages, for the SPARQL endpoint.

The endpoint answers ahead of Starlette's middleware and request objects (see
:class:`budgetkg.server.app.BudgetkgApp`): what it needs of a request is its headers and its
body, read here as Starlette would read them.
"""

from __future__ import annotations

from starlette.types import Receive, Scope

__all__ = ["ClientGone", "request_headers", "read_body"]


class ClientGone(Exception):
    """The client disconnected before its request was read whole: there is no one to answer."""


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by name (servers give names in lower case), the first of each
    name as Starlette's ``Headers.get`` takes it."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The request's body; None as soon as it is longer than ``limit`` bytes (the rest is not read).

    :raises ClientGone: when the client disconnects first.
    """
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
        if not message.get("more_body", False):
            return b"".join(parts)
