"""The server's error answers: one JSON shape for every error."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from starlette.responses import JSONResponse

__all__ = ["error", "unreadable"]


def error(
    status: int, message: str, *, errors: list[str] | None = None, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """Every error of the server has this one JSON shape."""
    return JSONResponse(
        {"ok": False, "status": status, "error": message, "errors": errors or [message]},
        status_code=status,
        headers=headers,
    )


def unreadable(exc: OSError) -> JSONResponse:
    """The answer when the store cannot be opened just now (see :class:`budgetkg.server.database.StoreUnreadable`).

    The reason names the store's files: it goes to the server's log, not to the client.
    """
    print(f"budgetkg: the store cannot be read just now: {exc}", file=sys.stderr, flush=True)
    return error(503, "the store cannot be read just now; try again shortly", headers={"Retry-After": "1"})
