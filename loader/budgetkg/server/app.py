"""The ASGI application of ``budgetkg serve`` (Starlette), started by uvicorn.

:func:`create_app` puts the parts together: the process's state (:class:`.site.Site`), the
SPARQL endpoint (:mod:`.endpoint`), the published descriptions and dumps
(:mod:`.catalogue`) and the pages (:mod:`.pages`), each a module of handlers.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from . import browse, catalogue, pages, search, source
from .database import StoreUnreadable
from .endpoint import SPARQL_PATHS, Endpoint
from .options import DEFAULT_PUBLIC_URL, ServerOptions
from .responses import error, unreadable
from .security import security_headers, with_headers
from .site import Site

__all__ = ["ServerOptions", "BudgetkgApp", "create_app", "DEFAULT_PUBLIC_URL"]


class BudgetkgApp(Starlette):
    """Starlette, with the SPARQL endpoint called ahead of its middleware and routing.

    Those, with Starlette's request object, took about two fifths of the time the application
    spent on a cheap query (docs/benchmarks.md): the endpoint reads the ASGI messages itself
    instead (:mod:`budgetkg.server.asgi`).  A CORS preflight still goes through Starlette's
    CORS middleware; any other middleware given to Starlette here does not see the endpoint's
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


async def _http_error(request: Request, exc: Exception) -> Response:
    # Starlette's own answers (an unknown static file, a method a route does not take) in the one error shape.
    if not isinstance(exc, HTTPException):
        raise TypeError(f"not an HTTPException: {exc!r}")
    return error(exc.status_code, exc.detail, headers=exc.headers)


async def _store_unreadable(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StoreUnreadable):
        raise TypeError(f"not a StoreUnreadable: {exc!r}")
    return unreadable(exc)


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Anything else that raises, in the one error shape (Starlette's ServerErrorMiddleware
    # answers with it, then raises the exception again for the server to log).
    return error(500, "Internal Server Error")


def create_app(options: ServerOptions) -> BudgetkgApp:
    """The application serving ``options.store`` as ``options`` say."""
    site = Site(options)

    @asynccontextmanager
    async def lifespan(app):
        await site.start()
        yield
        await site.close()

    routes = [
        *browse.ROUTES,  # first: the home page is its "/"
        *pages.ROUTES,
        *catalogue.ROUTES,
        *source.ROUTES,
        *search.ROUTES,
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", StaticFiles(packages=[("budgetkg", "static")]), name="static"),
        Route("/{path:path}", pages.resource),  # last: every other path is a resource's page
    ]
    middleware = [
        Middleware(
            CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["Accept", "Content-Type"]
        )
    ]
    app = BudgetkgApp(
        Endpoint(site),
        security_headers(options.public_url),
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, StoreUnreadable: _store_unreadable, Exception: _internal_error},
    )
    app.state.site = site
    return app
