"""Resource pages: every IRI budgetkg mints dereferences, as HTML for people and RDF for programs.

Content negotiation follows ``Accept`` (or ``?format=ttl|jsonld|nt``); responses carry
``Vary: Accept``.  A request for ``/PATH`` describes the IRI ``BASE + PATH`` (``--base``,
so the server can sit behind a proxy for a public base), or
``https://w3id.org/budgetkg/PATH`` for code lists and structures.  Everything printed in
HTML is escaped by the templates: names and goals come from documents nobody vetted.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
from collections.abc import Awaitable, Callable
from urllib.parse import unquote, urlencode

from pyoxigraph import NamedNode, RdfFormat, Store, Triple, parse, serialize
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..publish.jsonld import jsonld_bytes
from ..query.library import json_term
from ..rdf.prefixes import prefix_table
from ..resources import ontology_dir
from .accept import media_ranges
from .answers import GRAPH_FORMATS, not_xml
from .descriptions import describe
from .documents import table_page_of
from .graphs import dumps_facts, dumps_iri, graph_facts
from .identities import figure_identities
from .labels import LANGUAGES, cell, language, local_href, readable_iri
from .options import VOCABULARY_BASE
from .rdf_html import language_links
from .responses import error
from .runner import QueryRunner, QueryStopped, QueryTimeout
from .site import Site, site_of
from .source import place_href
from .sparql import ProtocolError, negotiate

__all__ = ["ROUTES", "resource_response", "wants_html"]

LABELS = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel")
BKG = "https://w3id.org/budgetkg/ontology#"
VOCAB = "https://w3id.org/budgetkg/"
_GRAPH_MEDIA = {media for media, _ in GRAPH_FORMATS.values()}
# Incoming links a resource page lists at once (?incoming=N: the Nth page of them), and the
# last page that can be asked for (OFFSET stays bounded).
INCOMING_PAGE = 200
MAX_INCOMING_PAGE = 10_000


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


def _href(iri: str, base: str, lang: str = LANGUAGES[0]) -> str:
    """Where a page links an IRI (see :func:`.labels.local_href`)."""
    return local_href(iri, base, lang)


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


# The ontology's RDF syntaxes (?format= names, as the SPARQL endpoint's): Turtle is the file itself.
_ONTOLOGY_FORMATS = {
    "ttl": "ttl",
    "turtle": "ttl",
    "rdfxml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
    "owl": "rdfxml",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "nt": "nt",
    "ntriples": "nt",
}


@functools.cache
def ontology_bytes(graph_format: str) -> bytes:
    """The ontology in one of :data:`.answers.GRAPH_FORMATS` (made once per process: the file is bundled).

    Turtle is ontology/budgetkg.ttl as written (its comments kept); the others are its triples,
    JSON-LD under budgetkg's ``@context`` as every JSON-LD the server writes.
    """
    source = ontology_dir().joinpath("budgetkg.ttl").read_bytes()
    if graph_format == "ttl":
        return source
    triples = [quad.triple for quad in parse(source, format=RdfFormat.TURTLE)]
    if graph_format == "jsonld":
        return jsonld_bytes(triples)
    # RDF/XML with the prefixes' names (owl:Class, not <Class xmlns="…owl#">: owlready2 reads an
    # owl-namespaced <Ontology> at the top as OWL/XML, and fails).
    prefixes = prefix_table() if graph_format == "rdfxml" else None
    return serialize(triples, format=getattr(RdfFormat, GRAPH_FORMATS[graph_format][1]), prefixes=prefixes) or b""


def _ontology_format(accept: str, fmt: str | None) -> str | None:
    """The RDF syntax the ontology is answered in; None for its HTML documentation.

    ``?format=`` decides (``html``, or an RDF syntax); else ``Accept``: HTML only when the client
    prefers it to every RDF syntax (a browser), and RDF/XML when it names none of them
    (``*/*``, or no header, as owlready2 and Protégé ask): OWL's one syntax every OWL tool reads.

    :raises ProtocolError: 406 for a ``format`` that names none of them.
    """
    if fmt:
        if fmt.lower() == "html":
            return None
        if fmt.lower() not in _ONTOLOGY_FORMATS:
            raise ProtocolError(406, f"unknown format {fmt[:50]!r}: html, {', '.join(sorted(_ONTOLOGY_FORMATS))}")
        return _ONTOLOGY_FORMATS[fmt.lower()]
    if wants_html(accept):
        return None
    named = [media for media, q in media_ranges(accept) if q > 0 and media in _GRAPH_MEDIA]
    if not named:
        return "rdfxml"
    return negotiate(accept, None)[1]


async def ontology(request: Request) -> Response:
    """The ontology, and each of its terms (hash IRIs ``…/ontology#Term``): an RDF syntax by
    content negotiation (Turtle, RDF/XML, JSON-LD, N-Triples), or its documentation as HTML
    for a browser (made once per process)."""
    site = site_of(request)
    try:
        graph_format = _ontology_format(request.headers.get("accept", ""), request.query_params.get("format"))
    except ProtocolError as exc:
        return error(exc.status, str(exc), headers={"Vary": "Accept"})
    if graph_format is not None:
        content = await asyncio.to_thread(ontology_bytes, graph_format)
        return Response(content, media_type=GRAPH_FORMATS[graph_format][0], headers={"Vary": "Accept"})
    from .ontology_html import render

    html = await site.made_once("ontology", lambda: render(ontology_bytes("ttl")))
    return HTMLResponse(html, headers={"Vary": "Accept"})


async def resource(request: Request) -> Response:
    """The page of the IRI the path names: data under ``--base``; code lists and structures under the
    vocabulary's base."""
    site = site_of(request)
    # The raw path keeps the percent-encoding the minted IRIs have (url.path decodes it).
    path = request.scope.get("raw_path", b"").decode("ascii", "replace").split("?", 1)[0] or request.url.path
    if path.startswith("//"):
        # One address for each page: //dataset/… would serve the page with links that a browser
        # reads as another host's (//dataset/…?lang=en).
        query = request.scope.get("query_string", b"").decode("ascii", "replace")
        return RedirectResponse("/" + path.lstrip("/") + (f"?{query}" if query else ""), status_code=308)
    if path.startswith(("/codelist/", "/structure/")):
        iri = VOCABULARY_BASE + path.lstrip("/")
    else:
        iri = site.options.base + path.lstrip("/")
    if path.startswith("/graph/") and await _is_graph(site, VOCABULARY_BASE + path.lstrip("/")):
        iri = VOCABULARY_BASE + path.lstrip("/")  # the vocabulary's, the codes as printed, the entailed triples
    # A named graph's page says besides how many triples it has and where its dumps are.
    return await resource_response(request, iri, site, lambda: graph_facts(site, iri))


async def _is_graph(site: Site, iri: str) -> bool:
    try:
        return (await site.database.store()).contains_named_graph(NamedNode(iri))
    except ValueError:  # not an IRI: the page answers that
        return False


async def dumps_dataset(request: Request) -> Response:
    """``/dumps/``: the dataset of every graph of the store, whose distributions are the dumps."""
    site = site_of(request)
    return await resource_response(request, dumps_iri(site), site, lambda: dumps_facts(site))


async def resource_response(
    request: Request, iri: str, site: Site, facts: Callable[[], Awaitable[list[Triple]]] | None = None
) -> Response:
    """The page of ``iri``: what the store says of it, and what ``facts()`` adds (triples about it)."""
    try:
        node = NamedNode(iri)
    except ValueError:
        return error(400, f"not a valid IRI: {iri!r}")
    fmt = request.query_params.get("format")
    accept = request.headers.get("accept", "")
    queries, database, templates, options = site.queries, site.database, site.templates, site.options
    lang = language(request.query_params.get("lang"))
    page = request.query_params.get("incoming", "1")
    if not page.isascii() or not page.isdigit() or len(page) > 5 or not 1 <= int(page) <= MAX_INCOMING_PAGE:
        return error(400, f"?incoming= is a page number from 1 to {MAX_INCOMING_PAGE}")
    skip = (int(page) - 1) * INCOMING_PAGE
    try:
        if fmt or not wants_html(accept):
            _, graph_format = negotiate(accept if not fmt else "", fmt)
            media_type, name = GRAPH_FORMATS[graph_format]
            extra = await facts() if facts is not None else []
            content = describe(await database.store(), node, getattr(RdfFormat, name), options.max_rows, extra)
            if not content:
                return error(404, f"nothing is known about {iri}", headers={"Vary": "Accept"})
            unwritable = not_xml(content, media_type)
            if unwritable is not None:
                return error(406, unwritable.message, headers={"Vary": "Accept"})
            return Response(content, media_type=media_type, headers={"Vary": "Accept"})
        label = "|".join(f"<{p}>" for p in LABELS)
        # The page's language first, then Chinese, then a label without a language (lang is one of LANGUAGES).
        first = f'"{lang}", "zh", ""' if lang != "zh" else '"zh", ""'
        store = await database.store()
        # Both at once: with a query thread free for each, the page waits for one query, not two.
        outgoing, incoming = await asyncio.gather(
            _select(
                queries,
                store,
                f"""SELECT ?p ?o ?ol ?os WHERE {{ {node} ?p ?o .
                OPTIONAL {{ ?o {label} ?ol FILTER(LANG(?ol) IN ({first})) }}
                BIND(EXISTS {{ ?o <{BKG}synthetic> true }} AS ?os) }}
                ORDER BY ?p ?o IF(LANG(?ol) = "{lang}", 0, 1)""",
                options.max_rows,
            ),
            _select(
                queries,
                store,
                f"""SELECT ?s ?p (COALESCE(SAMPLE(?l1), SAMPLE(?l2)) AS ?sl) WHERE {{
                {{ SELECT ?s ?p WHERE {{ ?s ?p {node} }} ORDER BY ?s ?p OFFSET {skip} LIMIT {INCOMING_PAGE + 1} }}
                OPTIONAL {{ ?s {label} ?l1 FILTER(LANG(?l1) = "{lang}") }}
                OPTIONAL {{ ?s {label} ?l2 FILTER(LANG(?l2) IN ("zh", "")) }} }} GROUP BY ?s ?p ORDER BY ?s ?p""",
                INCOMING_PAGE + 1,
            ),
        )
        outgoing += [{"p": json_term(t.predicate), "o": json_term(t.object)} for t in await facts()] if facts else []
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
        shown = cell(o, {}, _short, base, lang)  # amounts in 万元, IRIs readable
        text = b.get("ol", {}).get("value") or shown["text"]
        value = {
            "text": text,
            "href": _href(o["value"], base, lang) if o["type"] == "uri" else None,
            "note": shown["note"],
        }
        seen[key] = {"predicate": {"iri": p, "text": _short(p), "href": _href(p, base)}, "value": value}
        if p == BKG + "synthetic" and o["value"] == "true":
            synthetic = "self"
        elif b.get("os", {}).get("value") == "true" and not synthetic:
            synthetic = "part"
        if p in LABELS:
            labels.append({"value": o["value"], "lang": o.get("xml:lang", "")})
        if p.endswith("#type"):
            types.append({"text": _short(o["value"]), "href": _href(o["value"], base, lang)})
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
    title = next((label["value"] for label in labels if label["lang"] == lang), None) or (
        next((label["value"] for label in labels if label["lang"] == "zh"), None)
        or (labels[0]["value"] if labels else readable_iri(iri, base))
    )
    into = [
        {
            "subject": {
                "text": b.get("sl", {}).get("value") or cell(b["s"], {}, _short, base, lang)["text"],
                "href": _href(b["s"]["value"], base, lang),
            },
            "predicate": {"text": _short(b["p"]["value"])},
        }
        for b in incoming[:INCOMING_PAGE]
    ]
    here = request.scope.get("raw_path", b"").decode("ascii", "replace") or request.url.path
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "incoming"]

    def incoming_href(number: int) -> str:
        return here + "?" + urlencode([*params, ("incoming", str(number))]) + "#incoming"

    html = templates.get_template("resource.html").render(
        title=title,
        iri=iri,
        iri_shown=unquote(iri),  # the minted IRIs percent-encode their Chinese names
        path=request.scope.get("raw_path", b"").decode("ascii", "replace") or request.url.path,
        labels=sorted(labels, key=lambda label: label["lang"], reverse=True),
        types=types,
        properties=rows,
        incoming=into,
        incoming_first=skip + 1,
        incoming_previous=incoming_href(int(page) - 1) if int(page) > 1 else "",
        incoming_next=incoming_href(int(page) + 1) if len(incoming) > INCOMING_PAGE else "",
        lang=lang,
        languages=language_links(here, request.query_params.multi_items(), lang),
        source=source if "line" in source else None,
        synthetic=synthetic,
        identities=identities,
        table_page=table_page_of(iri),
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})


# Before the resources' catch-all route, the pages with paths of their own.
ROUTES = [Route("/ontology", ontology), Route("/dumps/", dumps_dataset)]
