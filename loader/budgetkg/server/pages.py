"""Resource pages: every IRI budgetkg mints dereferences, as HTML for people and RDF for programs.

Content negotiation follows ``Accept`` (or ``?format=ttl|jsonld|nt``); responses carry
``Vary: Accept``.  A request for ``/PATH`` describes the IRI ``BASE + PATH`` (``--base``,
so the server can sit behind a proxy for a public base), or
``https://w3id.org/budgetkg/PATH`` for code lists and structures.  Everything printed in
HTML is escaped by the templates: names and goals come from documents nobody vetted.
"""

from __future__ import annotations

import asyncio
import json
import re
from urllib.parse import urlsplit

from pyoxigraph import NamedNode, RdfFormat, Store
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..rdf.prefixes import prefix_table
from ..resources import ontology_dir
from .accept import media_ranges
from .answers import GRAPH_FORMATS
from .describe import examples
from .descriptions import describe
from .documents import table_page_of
from .identities import figure_identities
from .options import VOCABULARY_BASE
from .responses import error
from .runner import QueryRunner, QueryStopped, QueryTimeout
from .site import Site, site_of
from .source import place_href
from .sparql import ProtocolError, negotiate

__all__ = ["ROUTES", "resource_response", "wants_html"]

LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")
BKG = "https://w3id.org/budgetkg/ontology#"
VOCAB = "https://w3id.org/budgetkg/"


def wants_html(accept: str) -> bool:
    """True when the client prefers HTML to every RDF syntax we serve (browsers)."""
    best_html = best_rdf = -1.0
    for media, q in media_ranges(accept):
        if q == 0:  # "not acceptable" (RFC 9110, section 12.4.2)
            continue
        if media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
        elif media in ("text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"):
            best_rdf = max(best_rdf, q)
    return best_html >= 0 and best_html >= best_rdf


def _href(iri: str, base: str) -> str:
    """Where a page links an IRI: the server's own page for one it serves, the IRI itself for
    another http(s) IRI, and nothing ("") for any other scheme (``javascript:``, ``data:``…),
    which an update could have put in the store."""
    if urlsplit(iri).scheme.lower() not in ("http", "https"):
        return ""
    if iri.startswith(base):
        return "/" + iri[len(base) :]
    if iri.startswith(VOCAB + "codelist/") or iri.startswith(VOCAB + "structure/"):
        return "/" + iri[len(VOCAB) :]
    if iri.startswith(BKG):
        return "/ontology#" + iri[len(BKG) :]
    return iri


def _short(iri: str) -> str:
    """``prefix:name`` for an IRI in a namespace of the prefix table (the longest that fits), else the IRI."""
    fits = [
        (ns, prefix)
        for prefix, ns in prefix_table().items()
        if iri.startswith(ns) and re.fullmatch(r"[\w-]+", iri[len(ns) :])
    ]
    if not fits:
        return iri
    ns, prefix = max(fits, key=lambda fit: len(fit[0]))
    return f"{prefix}:{iri[len(ns) :]}"


async def _select(queries: QueryRunner, store: Store, query: str, max_rows: int) -> list[dict]:
    outcome = await queries.run(store, query, max_rows=max_rows, table_format="json")
    if outcome.kind == "too-large":
        raise ProtocolError(413, outcome.message)
    if outcome.kind != "table":
        raise ProtocolError(500, outcome.message or "the description could not be read")
    return json.loads(outcome.content)["results"]["bindings"]


async def index(request: Request) -> Response:
    """The query page."""
    site = site_of(request)
    html = site.templates.get_template("index.html").render(endpoint=site.options.endpoint, examples=examples())
    return HTMLResponse(html)


async def ontology(request: Request) -> Response:
    """The ontology: its Turtle, or its documentation as HTML (made once per process)."""
    site = site_of(request)
    accept = request.headers.get("accept", "")
    fmt = request.query_params.get("format")
    source = ontology_dir().joinpath("budgetkg.ttl").read_bytes()
    if fmt == "ttl" or (not fmt and "text/turtle" in accept and "text/html" not in accept):
        return Response(source, media_type="text/turtle", headers={"Vary": "Accept"})
    if "ontology" not in site.made:
        from .ontology_html import render

        site.made["ontology"] = await asyncio.to_thread(render, source)
    return HTMLResponse(site.made["ontology"], headers={"Vary": "Accept"})


async def resource(request: Request) -> Response:
    """The page of the IRI the path names: data under ``--base``; code lists and structures under the
    vocabulary's base."""
    site = site_of(request)
    # The raw path keeps the percent-encoding the minted IRIs have (url.path decodes it).
    path = request.scope.get("raw_path", b"").decode("ascii", "replace").split("?", 1)[0] or request.url.path
    if path.startswith(("/codelist/", "/structure/")):
        iri = VOCABULARY_BASE + path.lstrip("/")
    else:
        iri = site.options.base + path.lstrip("/")
    return await resource_response(request, iri, site)


async def resource_response(request: Request, iri: str, site: Site) -> Response:
    try:
        node = NamedNode(iri)
    except ValueError:
        return error(400, f"not a valid IRI: {iri!r}")
    fmt = request.query_params.get("format")
    accept = request.headers.get("accept", "")
    queries, database, templates, options = site.queries, site.database, site.templates, site.options
    try:
        if fmt or not wants_html(accept):
            _, graph_format = negotiate(accept if not fmt else "", fmt)
            media_type, name = GRAPH_FORMATS[graph_format]
            content = describe(await database.store(), node, getattr(RdfFormat, name), options.max_rows)
            if not content:
                return error(404, f"nothing is known about {iri}", headers={"Vary": "Accept"})
            return Response(content, media_type=media_type, headers={"Vary": "Accept"})
        label = "|".join(f"<{p}>" for p in LABELS)
        store = await database.store()
        # Both at once: with a query thread free for each, the page waits for one query, not two.
        outgoing, incoming = await asyncio.gather(
            _select(
                queries,
                store,
                f"""SELECT ?p ?o ?ol ?os WHERE {{ {node} ?p ?o .
                OPTIONAL {{ ?o {label} ?ol FILTER(LANG(?ol) IN ("zh", "")) }}
                BIND(EXISTS {{ ?o <{BKG}synthetic> true }} AS ?os) }}""",
                options.max_rows,
            ),
            _select(
                queries,
                store,
                f"""SELECT ?s ?p ?sl WHERE {{ ?s ?p {node} .
                OPTIONAL {{ ?s {label} ?sl FILTER(LANG(?sl) IN ("zh", "")) }} }} LIMIT 201""",
                201,
            ),
        )
        # The document's arithmetic a printed figure takes part in (for any resource printed on a line).
        identities = (
            await figure_identities(queries, store, iri, lambda i: _href(i, options.base))
            if any(b["p"]["value"] == BKG + "sourceLine" for b in outgoing)
            else []
        )
    except ProtocolError as exc:
        return error(exc.status, str(exc))
    except QueryTimeout:
        return error(503, "the description took longer than this endpoint's time limit")
    except QueryStopped as exc:  # the process passed its memory limit meanwhile
        return error(503, str(exc), headers={"Retry-After": "1"})
    if not outgoing and not incoming:
        return error(404, f"nothing is known about {iri}", headers={"Vary": "Accept"})
    base = options.base
    seen: dict[tuple[str, str], dict] = {}
    labels, types, source = [], [], {}
    # "self" when the resource is a generated (bkg:synthetic true) dataset or source document,
    # "part" when it points at one (its dataset, its source document): the page says so.
    synthetic = ""
    for b in outgoing:
        p, o = b["p"]["value"], b["o"]
        key = (p, o["value"] + o.get("xml:lang", ""))
        if key in seen:
            continue
        text = b.get("ol", {}).get("value") or (o["value"] if o["type"] != "uri" else _short(o["value"]))
        value = {
            "text": text,
            "href": _href(o["value"], base) if o["type"] == "uri" else None,
            "note": o.get("xml:lang") or (_short(o["datatype"]) if o.get("datatype") else ""),
        }
        seen[key] = {"predicate": {"iri": p, "text": _short(p), "href": _href(p, base)}, "value": value}
        if p == BKG + "synthetic" and o["value"] == "true":
            synthetic = "self"
        elif b.get("os", {}).get("value") == "true" and not synthetic:
            synthetic = "part"
        if p in LABELS:
            labels.append({"value": o["value"], "lang": o.get("xml:lang", "")})
        if p.endswith("#type"):
            types.append({"text": _short(o["value"]), "href": _href(o["value"], base)})
        if p == BKG + "sourceLine":
            source["line"] = o["value"]
        if p == BKG + "sourcePlace":
            source["place"] = o["value"]
        if p == BKG + "sourcePage":
            source["page"] = o["value"]
        if p == BKG + "sourceBox":
            source["box"] = o["value"]
        if p == BKG + "sourceColumn":
            source["column"] = o["value"]
        if p == BKG + "printedAmount":
            source["printed"] = o["value"]
        if p == BKG + "sourceDocument":
            source["document"] = text
            source["document_href"] = value["href"]
            source["iri"] = o["value"]
    if source and "document" not in source:
        source["document"] = "the source document"
    if "line" in source and "iri" in source:  # the place it was printed at, on the site (budgetkg.server.source)
        source["href"] = place_href(
            source["iri"], source["line"], source.get("place", ""), source.get("page", ""), source.get("box", "")
        )
        source["line_href"] = place_href(source["iri"], source["line"])
    rows = sorted(seen.values(), key=lambda r: (r["predicate"]["text"], r["value"]["text"]))
    title = next((label["value"] for label in labels if label["lang"] == "zh"), None) or (
        labels[0]["value"] if labels else iri
    )
    into = [
        {
            "subject": {
                "text": b.get("sl", {}).get("value") or _short(b["s"]["value"]),
                "href": _href(b["s"]["value"], base),
            },
            "predicate": {"text": _short(b["p"]["value"])},
        }
        for b in incoming[:200]
    ]
    html = templates.get_template("resource.html").render(
        title=title,
        iri=iri,
        path=request.scope.get("raw_path", b"").decode("ascii", "replace") or request.url.path,
        labels=sorted(labels, key=lambda label: label["lang"], reverse=True),
        types=types,
        properties=rows,
        incoming=into,
        incoming_more=len(incoming) > 200,
        source=source if "line" in source else None,
        synthetic=synthetic,
        identities=identities,
        table_page=table_page_of(iri),
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})


# Before the resources' catch-all route, the pages with paths of their own.
ROUTES = [Route("/", index), Route("/ontology", ontology)]
