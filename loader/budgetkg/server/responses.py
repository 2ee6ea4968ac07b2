"""The server's answers that several handlers give: errors in their one JSON shape, and RDF by content negotiation."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping

from pyoxigraph import RdfFormat, Triple, serialize
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..publish.jsonld import jsonld_bytes
from ..rdf.prefixes import prefix_table
from .answers import GRAPH_FORMATS
from .sparql import ProtocolError, negotiate

__all__ = ["error", "unreadable", "rdf_response"]


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


def rdf_response(request: Request, triples: Iterable[Triple], fmt: str | None) -> Response:
    """``triples`` in the RDF syntax ``fmt`` names, else the one ``Accept`` prefers (Turtle by default)."""
    try:
        _, graph_format = negotiate(request.headers.get("accept", ""), fmt)
    except ProtocolError:
        graph_format = "ttl"
    media, name = GRAPH_FORMATS[graph_format]
    prefixes = None if graph_format in ("nt", "jsonld", "rdfxml") else prefix_table()
    if graph_format == "jsonld":  # with budgetkg's @context, readable as plain JSON
        content = jsonld_bytes(triples)
    else:
        content = serialize(sorted(set(triples), key=str), format=getattr(RdfFormat, name), prefixes=prefixes) or b""
    return Response(content, media_type=media, headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"})
