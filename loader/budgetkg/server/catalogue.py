"""What the server publishes about its store: the DCAT catalogue, VoID, example queries and the dumps."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from .describe import dcat_catalogue, sparql_examples, void_description
from .responses import error, rdf_response
from .site import site_of

__all__ = ["ROUTES"]


async def well_known(request: Request) -> Response:
    site = site_of(request)
    base_url, endpoint = site.options.public_url, site.options.endpoint
    what = request.path_params["what"]
    if what == "sparql-examples":
        return rdf_response(request, sparql_examples(base_url, endpoint), request.query_params.get("format"))
    if what == "void":
        store = await site.database.store()  # before the dumps: a store that cannot be read is answered 503
        # the RDF dumps only, once written
        links = {name: f"{base_url}dumps/{name}" for name, d in (await site.dumps() or {}).items() if d.rdf}
        return rdf_response(request, void_description(store, endpoint, links), request.query_params.get("format"))
    return error(404, f"no /.well-known/{what} here; see /.well-known/void and /.well-known/sparql-examples")


async def catalog(request: Request) -> Response:
    site = site_of(request)
    store = await site.database.store()
    dumps = await site.dumps() or {}  # those not written yet are left out until they are
    options = site.options
    return rdf_response(
        request,
        dcat_catalogue(store, options.public_url, options.endpoint, dumps, options.publisher),
        request.query_params.get("format"),
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
