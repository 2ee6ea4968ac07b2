"""/sparql and /query: the SPARQL 1.1 Protocol (queries, updates, the service description).

A plain ASGI application, which :class:`budgetkg.server.app.BudgetkgApp` calls ahead of
Starlette's middleware and routing: it answers CORS itself, and errors in their one shape.
What a query may reach is checked from its parsed form before it is admitted
(:mod:`.reach`); admission control decides when it runs and whether in this process or in
the sandbox (:mod:`.admission`, :mod:`.sandbox`).
"""

from __future__ import annotations

import dataclasses
import functools
import hmac
from collections.abc import Callable, Coroutine
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from . import results
from .admission import Refused, client_of
from .answers import QueryOutcome
from .asgi import ClientGone, read_body, request_headers
from .database import StoreUnreadable
from .describe import service_description
from .labels import language
from .pages import wants_html
from .reach import check as check_reach
from .responses import error, rdf_response, unreadable
from .runner import QueryStopped
from .site import Site
from .sparql import ProtocolError, SparqlRequest, negotiate, read_form, read_request

__all__ = ["Endpoint", "SPARQL_PATHS"]

# The SPARQL endpoint's paths (/query as some clients expect it, /sparql/ as the W3C protocol tests write it).
SPARQL_PATHS = frozenset({"/sparql", "/sparql/", "/query"})

# Why an update was not applied, when the store is only busy for now: 503 with Retry-After,
# not 409, since the same update sent again later can succeed.
_BUSY = {
    "timeout": "the update was stopped after {timeout:g} s, this endpoint's time limit; the store is unchanged",
    "busy": "the update could not start within {timeout:g} s, this endpoint's time limit: the store is busy with a "
    "build or other updates; the store is unchanged",
    "memory": "the update needed more than {memory} MiB of memory, this endpoint's limit; the store is unchanged",
    "queue-full": "too many updates are waiting; the store is unchanged",
    "missing": "the store has not been built yet: there is nothing to update",
}


def _too_large(limit: int) -> Response:
    return error(413, f"the request is larger than this endpoint's limit of {limit} bytes")


class Endpoint:
    """The SPARQL 1.1 Protocol over a :class:`Site`, as an ASGI application."""

    def __init__(self, site: Site) -> None:
        self.site = site

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await self._response(scope, receive)
        except ClientGone:
            return
        except StoreUnreadable as exc:
            response = unreadable(exc)
        except Exception:  # as Starlette's ServerErrorMiddleware: answer, then let the server log it
            await error(500, "Internal Server Error")(scope, receive, send)
            raise
        response.headers["Access-Control-Allow-Origin"] = "*"
        await response(scope, receive, send)

    async def _response(self, scope: Scope, receive: Receive) -> Response:
        options = self.site.options
        method = "GET" if scope["method"] == "HEAD" else scope["method"]  # the server sends a HEAD no body
        if method not in ("GET", "POST"):
            return error(405, "Method Not Allowed", headers={"Allow": "GET, HEAD, POST"})
        headers = request_headers(scope)
        length = headers.get("content-length") or "0"
        if not length.isdigit():
            return error(400, f"Content-Length is not a number of bytes: {length!r}")
        limit, query_string = options.max_request_bytes, scope["query_string"]
        if int(length) > limit or len(query_string) > limit:
            return _too_large(limit)
        body = await read_body(receive, limit) if method == "POST" else b""
        if body is None:
            return _too_large(limit)
        try:
            req = read_request(method, query_string, headers.get("content-type", ""), body)
        except ProtocolError as exc:
            return error(exc.status, str(exc))
        if req.update is not None:
            return await self._update(headers.get("authorization", ""), req)
        # A browser's request (and no format asked for): the editor, or the results as a page.
        page = req.format is None and wants_html(headers.get("accept", ""))
        if page:
            params = [(name, value) for name, values in read_form(query_string).items() for value in values]
            lang = language(next((v for k, v in params if k == "lang"), None))
            if not req.query:
                req = dataclasses.replace(
                    req, query=results.example_query(next((v for k, v in params if k == "example"), None))
                )
            if not req.query:
                return await results.editor(self.site, lang, params)
        if not req.query:
            graphs = sorted(g.value for g in (await self.site.database.store()).named_graphs())
            return rdf_response(Request(scope), service_description(options.endpoint, graphs), req.format)
        # Checked before admission: a request that is slow to check holds no query thread.
        query = req.query  # a str from here on, for the closure below
        refused = await check_reach(query, update=False, allowed=options.allow_service)
        if refused is not None:
            return refused
        dataset = (req.default_graphs, req.named_graphs)
        if page:
            return await self._admitted(
                client_of(scope),
                lambda good: results.results(
                    self.site,
                    query,
                    dataset,
                    lang,
                    params,
                    lambda table_format, graph_format: self._outcome(
                        query, table_format, graph_format, dataset, good=good
                    ),
                ),
            )
        return await self._admitted(
            client_of(scope), lambda good: self._run(headers.get("accept", ""), query, req.format, dataset, good=good)
        )

    async def _admitted(self, client: str, answering: Callable[[bool], Coroutine[Any, Any, Response]]) -> Response:
        """The answer of ``answering(good)`` (a query's), once admission control lets it run;
        ``good``: its client is in good standing."""
        admission = self.site.admission
        try:
            ticket = await admission.enter(client)
        except Refused as exc:
            return error(503, str(exc), headers={"Retry-After": "1"})
        try:
            response = await answering(ticket.good)
        except BaseException:
            admission.leave(ticket, stopped=False, ran=False)
            raise
        stopped = "x-budgetkg-limit" in response.headers
        # A 503 for another query's doing (its process or sandbox stopping) neither earns nor costs standing.
        admission.leave(ticket, stopped=stopped, ran=stopped or response.status_code != 503)
        return response

    async def _run(
        self, accept: str, query: str, fmt: str | None, dataset: tuple[tuple[str, ...], tuple[str, ...]], *, good: bool
    ) -> Response:
        """The answer of ``query``, as the protocol writes it (see :meth:`_outcome`)."""
        try:
            table_format, graph_format = negotiate(accept, fmt)
        except ProtocolError as exc:
            return error(exc.status, str(exc))
        outcome = await self._outcome(query, table_format, graph_format, dataset, good=good)
        if isinstance(outcome, Response):
            return outcome
        headers = {"Vary": "Accept"}
        if outcome.truncated:
            headers["X-Budgetkg-Truncated"] = f"max-rows={self.site.options.max_rows}"
            headers["Warning"] = f'199 budgetkg "result cut at {self.site.options.max_rows} rows; add LIMIT/OFFSET"'
        return Response(outcome.content, media_type=outcome.media_type, headers=headers)

    async def _outcome(
        self,
        query: str,
        table_format: str,
        graph_format: str,
        dataset: tuple[tuple[str, ...], tuple[str, ...]],
        *,
        good: bool,
    ) -> QueryOutcome | Response:
        """The outcome of ``query`` written in the formats given, or the error answer when it has none:
        run in the trusted sandbox for a client in good standing, else in the strangers' sandbox
        (in this process when it has none: a test's, or `serve --get`)."""
        site, options = self.site, self.site.options
        try:
            sandbox = site.trusted if good else site.sandbox
            run = (
                sandbox.run if sandbox is not None else functools.partial(site.queries.run, await site.database.store())
            )
            outcome = await run(
                query,
                max_rows=options.max_rows,
                table_format=table_format,
                graph_format=graph_format,
                default_graphs=dataset[0],
                named_graphs=dataset[1],
                base_iri=options.endpoint,  # the protocol's base: "which MAY be the service endpoint"
            )
        except QueryStopped as exc:
            limit = {"X-Budgetkg-Limit": exc.limit} if exc.limit else {}  # the limit this query passed
            return error(503, str(exc), headers={"Retry-After": "1", **limit})
        if outcome.kind == "too-large":
            return error(413, outcome.message)
        if outcome.kind == "not-xml":  # the answer exists; XML cannot carry it, another format can
            return error(406, outcome.message)
        if outcome.kind == "syntax-error":
            return error(400, f"SPARQL syntax error: {outcome.message}")
        if outcome.kind == "error":
            return error(400, f"the query could not be evaluated: {outcome.message}")
        return outcome

    async def _update(self, authorization: str, req: SparqlRequest) -> Response:
        options = self.site.options
        text = req.update or ""
        if not options.update_token:
            return error(
                403,
                "this endpoint is read-only: updates are refused (start the server with "
                "--update-token-file to accept authenticated updates)",
            )
        given = authorization.removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), options.update_token.encode()):
            return error(
                401,
                "updates need the token: Authorization: Bearer TOKEN",
                headers={"WWW-Authenticate": 'Bearer realm="budgetkg"'},
            )
        refused = await check_reach(text, update=True, allowed=options.allow_service)
        if refused is not None:
            return refused
        outcome = await self.site.updates.apply(text, req.using_graphs, req.using_named_graphs)
        if outcome.kind == "applied":
            return Response(status_code=204)
        if outcome.kind == "syntax-error":
            return error(400, f"SPARQL syntax error: {outcome.message}")
        if outcome.kind == "error":
            return error(400, f"the update could not be applied: {outcome.message}")
        reason = _BUSY[outcome.kind].format(timeout=options.timeout, memory=options.max_memory)
        return error(503, reason, headers={"Retry-After": "1"})
