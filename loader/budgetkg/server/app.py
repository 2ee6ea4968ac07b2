"""The ASGI application of ``budgetkg serve`` (Starlette), started by uvicorn."""

from __future__ import annotations

import asyncio
import hmac
import os
import signal
import sys
import threading
from collections.abc import Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from pyoxigraph import RdfFormat, serialize
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..publish.jsonld import jsonld_bytes
from ..rdf.iri import DEFAULT_BASE
from ..rdf.prefixes import prefix_table
from ..resources import ontology_dir
from .admission import Admission, Refused, Standing, client_of
from .answers import GRAPH_FORMATS
from .asgi import ClientGone, read_body, request_headers
from .database import FOLLOW_SECONDS, Database, StoreUnreadable
from .describe import (
    Dump,
    Publisher,
    dcat_catalogue,
    examples,
    service_description,
    sparql_examples,
    void_description,
)
from .dumps import DumpFolders
from .egress import guard as guard_egress
from .pages import resource_response
from .reach import check as check_reach
from .responses import error, unreadable
from .runner import QueryRunner, QueryStopped, resident_bytes
from .sandbox import START_SECONDS, Sandbox, SandboxOptions
from .security import security_headers, with_headers
from .sparql import ProtocolError, negotiate, read_request
from .updates import UpdateRunner

__all__ = ["ServerOptions", "BudgetkgApp", "create_app", "DEFAULT_PUBLIC_URL"]

VOCABULARY_BASE = "https://w3id.org/budgetkg/"
# The server's address when `serve` runs with its default host and port.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:7878/"
# Seconds a server process past its memory limit has to write its 503s before it ends.
HURRY_SECONDS = 0.5
# Seconds a server process with a query past the time limit waits at most for its replacement.
REPLACE_SECONDS = 30.0


@dataclass
class ServerOptions:
    """How the server behaves; every limit has a default that keeps a public endpoint safe."""

    store: Path
    base: str = DEFAULT_BASE
    timeout: float = 30.0
    max_rows: int = 10_000
    max_request_bytes: int = 100_000
    allow_service: tuple[str, ...] = ()
    update_token: str | None = None
    workers: int = 2  # server processes (see budgetkg.server.run)
    max_memory: int = 1024  # MiB a server process may hold while it runs queries (see budgetkg.server.runner)
    max_answer_bytes: int = 16_000_000
    max_client_queries: int = (
        32  # running or waiting, per client address and server process (see budgetkg.server.admission)
    )
    in_memory: bool | None = None  # None: copy small stores into memory (see budgetkg.load.store.open_store)
    extra: dict[str, str] = field(default_factory=dict)
    # Set by budgetkg.server.run, whose supervisor starts a fresh process when one stops: a
    # process then stops itself when a query outlives the time limit, and the processes share
    # one folder of dumps.  Unset (the app in a test's or `serve --get`'s process), a runaway
    # query keeps its thread until it ends.
    supervised: bool = False
    dumps_dir: Path | None = None
    # Where clients reach the server: the endpoint's address in the descriptions and on the
    # query page (never the request's Host header, which any client writes).
    public_url: str = DEFAULT_PUBLIC_URL
    # Each connection's bounds (see budgetkg.server.connections).
    max_header_bytes: int = 32_768
    request_timeout: float = 10.0
    max_connections: int = 256
    # Set by budgetkg.server.run too: the clients' standing, shared by the processes (see
    # budgetkg.server.admission), and the notes by which a process asks for its replacement.
    supervisor_dir: Path | None = None
    # What only the publisher knows, stated in the catalogue (see budgetkg.server.describe).
    publisher: Publisher = field(default_factory=Publisher)


# The SPARQL endpoint's paths (/query as some clients expect it): BudgetkgApp answers them itself.
SPARQL_PATHS = frozenset({"/sparql", "/query"})


class BudgetkgApp(Starlette):
    """Starlette, with the SPARQL endpoint called ahead of its middleware and routing.

    Those, with Starlette's request object, took about 50 of the 125 µs that the
    application spent on a cheap query (the worker's answer stubbed; median of 20,000
    requests, five runs in turn): the endpoint reads the ASGI messages itself instead
    (:mod:`budgetkg.server.asgi`).  A CORS preflight still goes through Starlette's CORS
    middleware; any other middleware given to Starlette here does not see the endpoint's
    requests.
    """

    def __init__(self, sparql: ASGIApp, headers: list[tuple[bytes, bytes]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sparql = sparql
        self.headers = headers  # on every answer, the endpoint's and Starlette's

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            send = with_headers(send, self.headers)
        if scope["type"] == "http" and scope["path"] in SPARQL_PATHS and not _preflight(scope):
            await self.sparql(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def _preflight(scope: Scope) -> bool:
    """Whether the request is a CORS preflight, as Starlette's CORS middleware tells one."""
    return scope["method"] == "OPTIONS" and any(
        name == b"access-control-request-method" for name, _ in scope["headers"]
    )


def _too_large(limit: int) -> JSONResponse:
    return error(413, f"the request is larger than this endpoint's limit of {limit} bytes")


def create_app(options: ServerOptions) -> BudgetkgApp:
    templates = Environment(
        loader=PackageLoader("budgetkg.server", "templates"), autoescape=select_autoescape(["html"])
    )
    state: dict[str, object] = {}

    def stop_now() -> None:
        # A graceful stop, as on SIGTERM: no new connection, the requests held are answered
        # (uvicorn waits for them, up to timeout_graceful_shutdown), then the lifespan's end;
        # the queries waiting for a thread are answered 503 at once, to try again elsewhere.
        admission.stop()
        signal.raise_signal(signal.SIGTERM)

    def stop_this_process(reason: str, hurry: bool) -> None:
        from .run import ask_for_replacement

        if hurry:
            print(
                f"budgetkg: {reason} and cannot be stopped; server process {os.getpid()} stops, and a fresh one "
                "takes its place",
                file=sys.stderr,
                flush=True,
            )
            stop_now()
            # The query still allocates: the 503s just set are written within the grace, and
            # the process ends then, whatever the graceful stop still waits for.
            threading.Timer(HURRY_SECONDS, os._exit, (0,)).start()
            return
        admission.lose_thread()
        if "replaced" not in state:
            state["replaced"] = True
            print(
                f"budgetkg: {reason} and cannot be stopped; server process {os.getpid()} stops once a fresh one "
                "is ready to take its place",
                file=sys.stderr,
                flush=True,
            )
            assert options.supervisor_dir is not None
            # It serves on its other threads until the supervisor says the fresh one is ready
            # (REPLACED_SIGNAL), or at most REPLACE_SECONDS.
            ask_for_replacement(options.supervisor_dir)
            asyncio.get_running_loop().call_later(REPLACE_SECONDS, stop_now)

    queries = QueryRunner(
        timeout=options.timeout,
        max_memory=options.max_memory * 2**20,
        max_answer_bytes=options.max_answer_bytes,
        on_runaway=stop_this_process if options.supervised else lambda reason, hurry: None,
    )
    admission = Admission(
        threads=queries.threads,
        per_client=options.max_client_queries,
        wait=options.timeout,
        standing=Standing(options.supervisor_dir / "clients" if options.supervisor_dir else None),
    )
    updates = UpdateRunner(
        options.store,
        timeout=options.timeout,
        allow_service=options.allow_service,
        max_memory=options.max_memory * 2**20,
    )
    # Where the queries of clients not in good standing run under `budgetkg serve`: one that
    # passes a limit there ends the sandbox, not this process (see budgetkg.server.sandbox).
    sandbox = (
        Sandbox(
            SandboxOptions(
                store=str(options.store),
                timeout=options.timeout,
                max_memory=options.max_memory * 2**20,
                max_answer_bytes=options.max_answer_bytes,
                # On disk: a fresh sandbox (after each query past a limit) and one taking up a
                # rebuild start in a fraction of a second, where a copy in memory took seconds
                # with the GIL held; strangers' queries run slower for it.
                in_memory=False,
                allow_service=options.allow_service,
                max_line=8 * options.max_request_bytes + 65_536,
            )
        )
        if options.supervised
        else None
    )

    dump_folders = DumpFolders(options.store, shared=options.dumps_dir)
    database = Database(options.store, in_memory=options.in_memory)

    async def dumps() -> dict[str, Dump] | None:
        # Never waits for them: None while a background thread writes them (see budgetkg.server.dumps).
        return dump_folders.current()

    def urls() -> tuple[str, str]:
        return options.public_url, options.public_url + "sparql"

    async def run(
        accept: str, query: str, fmt: str | None, dataset: tuple[tuple[str, ...], tuple[str, ...]], *, good: bool
    ) -> Response:
        """The answer of ``query``: in this process for a client in good standing, else in the sandbox."""
        try:
            table_format, graph_format = negotiate(accept, fmt)
        except ProtocolError as exc:
            return error(exc.status, str(exc))
        try:
            if sandbox is None or good:
                outcome = await queries.run(
                    await database.store(),
                    query,
                    max_rows=options.max_rows,
                    table_format=table_format,
                    graph_format=graph_format,
                    default_graphs=dataset[0],
                    named_graphs=dataset[1],
                )
            else:
                outcome = await sandbox.run(
                    query,
                    max_rows=options.max_rows,
                    table_format=table_format,
                    graph_format=graph_format,
                    default_graphs=dataset[0],
                    named_graphs=dataset[1],
                )
        except QueryStopped as exc:
            limit = {"X-Budgetkg-Limit": exc.limit} if exc.limit else {}  # the limit this query passed
            return error(503, str(exc), headers={"Retry-After": "1", **limit})
        if outcome.kind == "too-large":
            return error(413, outcome.message)
        if outcome.kind == "syntax-error":
            return error(400, f"SPARQL syntax error: {outcome.message}")
        if outcome.kind == "error":
            return error(400, f"the query could not be evaluated: {outcome.message}")
        headers = {"Vary": "Accept"}
        if outcome.truncated:
            headers["X-Budgetkg-Truncated"] = f"max-rows={options.max_rows}"
            headers["Warning"] = f'199 budgetkg "result cut at {options.max_rows} rows; add LIMIT/OFFSET"'
        return Response(outcome.content, media_type=outcome.media_type, headers=headers)

    async def sparql(scope: Scope, receive: Receive, send: Send) -> None:
        """/sparql and /query: the SPARQL 1.1 Protocol, a plain ASGI app that BudgetkgApp calls
        ahead of Starlette's middleware (it answers CORS itself, and errors in their one shape)."""
        try:
            response = await sparql_response(scope, receive)
        except ClientGone:
            return
        except StoreUnreadable as exc:
            response = unreadable(exc)
        except Exception:  # as Starlette's ServerErrorMiddleware: answer, then let the server log it
            await error(500, "Internal Server Error")(scope, receive, send)
            raise
        response.headers["Access-Control-Allow-Origin"] = "*"
        await response(scope, receive, send)

    async def sparql_response(scope: Scope, receive: Receive) -> Response:
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
            return await update(headers.get("authorization", ""), req.update)
        if not req.query:
            return await describe_service(Request(scope), req.format)
        # Checked before admission: a request that is slow to check holds no query thread.
        query = req.query  # a str from here on, for the closure below
        refused = await check_reach(query, update=False, allowed=options.allow_service)
        if refused is not None:
            return refused
        return await admitted(
            client_of(scope),
            lambda good: run(
                headers.get("accept", ""), query, req.format, (req.default_graphs, req.named_graphs), good=good
            ),
        )

    async def admitted(client: str, answering: Callable[[bool], Coroutine[Any, Any, Response]]) -> Response:
        """The answer of ``answering(good)`` (a query's), once admission control lets it run;
        ``good``: its client is in good standing."""
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

    async def update(authorization: str, text: str) -> Response:
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
        outcome = await updates.apply(text)
        if outcome.kind == "applied":
            return Response(status_code=204)
        if outcome.kind == "syntax-error":
            return error(400, f"SPARQL syntax error: {outcome.message}")
        if outcome.kind == "error":
            return error(400, f"the update could not be applied: {outcome.message}")
        # 503 with Retry-After, not 409: the store is only busy for now (another update, a build,
        # the time limit); the same update sent again later can succeed.
        reason = {
            "timeout": f"the update was stopped after {options.timeout:g} s, this endpoint's time limit; the store is "
            "unchanged",
            "busy": f"the update could not start within {options.timeout:g} s, this endpoint's time limit: the store "
            "is busy with a build or other updates; the store is unchanged",
            "memory": f"the update needed more than {options.max_memory} MiB of memory, this endpoint's limit; the "
            "store is unchanged",
            "queue-full": "too many updates are waiting; the store is unchanged",
            "missing": "the store has not been built yet: there is nothing to update",
        }[outcome.kind]
        return error(503, reason, headers={"Retry-After": "1"})

    async def describe_service(request: Request, fmt: str | None) -> Response:
        _, endpoint = urls()
        graphs = sorted(g.value for g in (await database.store()).named_graphs())
        return rdf_response(request, service_description(endpoint, graphs), fmt)

    def rdf_response(request: Request, triples, fmt: str | None) -> Response:
        try:
            _, graph_format = negotiate(request.headers.get("accept", ""), fmt)
        except ProtocolError:
            graph_format = "ttl"
        media, name = GRAPH_FORMATS[graph_format]
        prefixes = None if graph_format in ("nt", "jsonld", "rdfxml") else prefix_table()
        if graph_format == "jsonld":  # with budgetkg's @context, readable as plain JSON
            content = jsonld_bytes(triples)
        else:
            content = (
                serialize(sorted(set(triples), key=str), format=getattr(RdfFormat, name), prefixes=prefixes) or b""
            )
        return Response(content, media_type=media, headers={"Vary": "Accept", "Access-Control-Allow-Origin": "*"})

    async def index(request: Request) -> Response:
        _, endpoint = urls()
        html = templates.get_template("index.html").render(endpoint=endpoint, examples=examples())
        return HTMLResponse(html)

    async def well_known(request: Request) -> Response:
        base_url, endpoint = urls()
        what = request.path_params["what"]
        if what == "sparql-examples":
            return rdf_response(request, sparql_examples(base_url, endpoint), request.query_params.get("format"))
        if what == "void":
            store = await database.store()  # before the dumps: a store that cannot be read is answered 503
            links = {name: f"{base_url}dumps/{name}" for name, d in (await dumps() or {}).items() if d.rdf}
            return rdf_response(request, void_description(store, endpoint, links), request.query_params.get("format"))
        return error(404, f"no /.well-known/{what} here; see /.well-known/void and /.well-known/sparql-examples")

    async def catalog(request: Request) -> Response:
        base_url, endpoint = urls()
        return rdf_response(
            request,
            # The dumps not written yet are left out until they are.
            dcat_catalogue(await database.store(), base_url, endpoint, await dumps() or {}, options.publisher),
            request.query_params.get("format"),
        )

    async def dump(request: Request) -> Response:
        ready = await dumps()
        if ready is None:
            if dump_folders.failed():
                return error(500, "the dumps of this store could not be written; the server's log says why")
            return error(503, "the dumps are being written; try again shortly", headers={"Retry-After": "10"})
        found = ready.get(request.path_params["name"])
        if found is None:
            return error(404, f"no dump {request.path_params['name']!r}; see /catalog")
        return FileResponse(found.path, media_type=found.media_type, filename=found.name)

    async def ontology(request: Request) -> Response:
        accept = request.headers.get("accept", "")
        fmt = request.query_params.get("format")
        source = ontology_dir().joinpath("budgetkg.ttl").read_bytes()
        if fmt == "ttl" or (not fmt and "text/turtle" in accept and "text/html" not in accept):
            return Response(source, media_type="text/turtle", headers={"Vary": "Accept"})
        if "ontology_html" not in state:
            from .ontology_html import render

            state["ontology_html"] = await asyncio.to_thread(render, source)
        return HTMLResponse(state["ontology_html"], headers={"Vary": "Accept"})  # type: ignore[arg-type]

    async def resource(request: Request) -> Response:
        # The raw path keeps the percent-encoding the minted IRIs have (url.path decodes it).
        path = request.scope.get("raw_path", b"").decode("ascii", "replace").split("?", 1)[0] or request.url.path
        if path.startswith(("/codelist/", "/structure/")):
            iri = VOCABULARY_BASE + path.lstrip("/")
        else:
            iri = options.base + path.lstrip("/")
        return await resource_response(request, iri, queries, database, templates, options)

    async def follow_rebuilds() -> None:
        # Without a request for a while, this process would keep a swapped database's files
        # (and disk space) after a later build deletes them, and the next request would wait
        # for the new copy in memory.
        while True:
            await asyncio.sleep(FOLLOW_SECONDS)
            await database.follow()

    @asynccontextmanager
    async def lifespan(app):
        if options.supervised:  # before any query runs; never in a test's process or `serve --get`
            guard_egress(options.allow_service)
        try:
            await database.store()  # the first request need not wait for the copy into memory
        except Exception:
            # A process started while a rebuild swaps the store: its first request opens the
            # database (and answers the error if it still cannot), rather than the supervisor
            # giving up on a process that failed to start.
            pass
        queries.start()
        if sandbox is not None:
            sandbox.start()
            # Serving before it is ready, a new client's first query would wait for it.
            await sandbox.started(START_SECONDS)
        held = resident_bytes()
        if held is not None and held > options.max_memory * 2**20 // 2:
            # Every query would find the process near its limit, and a second copy of the store
            # (taken up after a rebuild) would pass it.
            print(
                f"budgetkg: server process {os.getpid()} holds {held // 2**20} MiB with the store open, over half "
                f"of --max-memory {options.max_memory}: raise it, or serve the store --on-disk",
                file=sys.stderr,
                flush=True,
            )
        if options.supervised:
            from .run import REPLACED_SIGNAL

            asyncio.get_running_loop().add_signal_handler(REPLACED_SIGNAL, stop_now)
        watcher = asyncio.create_task(follow_rebuilds())
        yield
        watcher.cancel()
        if sandbox is not None:
            await sandbox.close()
        queries.close()
        dump_folders.remove()
        if queries.runaway and options.supervised:
            # Python would wait at exit for the dumps' threads, and a runaway query can hold
            # anything: the process ends here, and the supervisor starts a fresh one.
            sys.stderr.flush()
            os._exit(0)

    routes = [
        Route("/", index),
        Route("/.well-known/{what}", well_known),
        Route("/catalog", catalog),
        Route("/dumps/{name}", dump),
        Route("/ontology", ontology),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", StaticFiles(packages=[("budgetkg", "static")]), name="static"),
        Route("/{path:path}", resource),
    ]
    middleware = [
        Middleware(
            CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Accept", "Content-Type"]
        )
    ]

    async def http_error(request: Request, exc: Exception) -> Response:
        # Starlette's own answers (an unknown static file, a method a route does not take) in the one error shape.
        assert isinstance(exc, HTTPException)
        return error(exc.status_code, exc.detail, headers=exc.headers)

    async def store_unreadable(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreUnreadable)
        return unreadable(exc)

    async def internal_error(request: Request, exc: Exception) -> Response:
        # Anything else that raises, in the one error shape (Starlette's ServerErrorMiddleware
        # answers with it, then raises the exception again for the server to log).
        return error(500, "Internal Server Error")

    return BudgetkgApp(
        sparql,
        security_headers(options.public_url),
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, StoreUnreadable: store_unreadable, Exception: internal_error},
    )
