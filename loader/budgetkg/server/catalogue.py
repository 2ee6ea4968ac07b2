"""What the server publishes about its store: the DCAT catalogue, VoID, example queries and the dumps."""

from __future__ import annotations

from pyoxigraph import Triple
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .describe import dcat_catalogue, sparql_examples, void_description
from .labels import language
from .pages import _short, wants_html
from .rdf_html import rdf_page
from .responses import error, rdf_response
from .site import site_of

__all__ = ["ROUTES"]


def _answer(request: Request, triples: list[Triple], title: str) -> Response:
    """``triples`` as a page for a browser that asked no format, else in RDF (see :func:`.responses.rdf_response`)."""
    fmt = request.query_params.get("format")
    if fmt or not wants_html(request.headers.get("accept", "")):
        return rdf_response(request, triples, fmt)
    site = site_of(request)
    return rdf_page(
        site.templates,
        triples,
        title=title,
        path=request.url.path,
        params=request.query_params.multi_items(),
        base=site.options.base,
        lang=language(request.query_params.get("lang")),
        short=_short,
        public=site.options.public_url,
    )


async def well_known(request: Request) -> Response:
    site = site_of(request)
    base_url, endpoint = site.options.public_url, site.options.endpoint
    what = request.path_params["what"]
    if what == "sparql-examples":
        return _answer(request, sparql_examples(base_url, endpoint), "示例查询 · SPARQL examples")
    if what == "void":
        store = await site.database.store()  # before the dumps: a store that cannot be read is answered 503
        # the RDF dumps only, once written
        links = {name: f"{base_url}dumps/{name}" for name, d in (await site.dumps() or {}).items() if d.rdf}
        return _answer(request, void_description(store, endpoint, links), "数据集描述 · VoID description")
    return error(404, f"no /.well-known/{what} here; see /.well-known/void and /.well-known/sparql-examples")


async def catalog(request: Request) -> Response:
    site = site_of(request)
    store = await site.database.store()
    dumps = await site.dumps() or {}  # those not written yet are left out until they are
    options = site.options
    return _answer(
        request,
        dcat_catalogue(store, options.public_url, options.endpoint, dumps, options.publisher),
        "数据目录 · Data catalogue",
    )


async def dump(request: Request) -> Response:
    site = site_of(request)
    ready = await site.dumps()
    if ready is None:
        if site.dump_folders.failed():
            return error(500, "the dumps of this store could not be written; the server's log says why")
        return error(503, "the dumps are being written; try again shortly", headers={"Retry-After": "10"})
    found = ready.get(request.path_params["name"])
    if found is None:
        return error(404, f"no dump {request.path_params['name']!r}; see /catalog")
    return FileResponse(found.path, media_type=found.media_type, filename=found.name)


ROUTES = [
    Route("/.well-known/{what}", well_known),
    Route("/catalog", catalog),
    Route("/dumps/{name}", dump),
]
