"""The query editor and a query's results as a page for people: ``/sparql`` in a browser.

A browser's GET of ``/sparql`` without a query gets the editor (a form: it works without
JavaScript; :file:`static/query.js` makes its text area a SPARQL editor); with a query, the
same page with the results below it as a table: IRIs as their labels linking to the server's
own pages, amounts in 万元.  The query runs exactly as the endpoint runs it (the same admission
control, limits and row cap, :mod:`.endpoint`); the labels are read afterwards with one bounded
query (:func:`.labels.fetch_labels`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from pyoxigraph import RdfFormat, parse
from starlette.responses import HTMLResponse, Response

from ..query.library import json_term
from .answers import QueryOutcome
from .describe import examples, service_description
from .labels import LANGUAGES, cell, fetch_labels
from .pages import _short
from .rdf_html import language_links, sections
from .site import Site

__all__ = ["editor", "results", "example_query"]

# Evaluates the page's query as the endpoint does: (table format, graph format) → its outcome,
# or the endpoint's error answer.
Evaluate = Callable[[str, str], Awaitable[QueryOutcome | Response]]


def example_query(name: str | None) -> str | None:
    """The text of the library's query ``name``, None when there is none of that name."""
    return next((q["query"] for q in examples() if q["name"] == name), None) if name else None


async def _service(site: Site) -> list[dict]:
    graphs = sorted(g.value for g in (await site.database.store()).named_graphs())
    return sections(
        service_description(site.options.endpoint, graphs),
        site.options.base,
        LANGUAGES[0],
        _short,
        site.options.public_url,
    )


def _page(site: Site, lang: str, params: list[tuple[str, str]], **values) -> str:
    library = examples()
    return site.templates.get_template("index.html").render(
        endpoint=site.options.endpoint,
        examples=library,
        lang=lang,
        languages=language_links("/sparql", params, lang),
        lang_suffix="" if lang == LANGUAGES[0] else "&lang=" + lang,
        **{"query": library[0]["query"], **values},
    )


async def editor(site: Site, lang: str, params: list[tuple[str, str]]) -> Response:
    """The query editor, with the library's first query in it and the endpoint's description below."""
    return HTMLResponse(_page(site, lang, params, service=await _service(site)), headers={"Vary": "Accept"})


def _failed(site: Site, query: str, lang: str, params: list[tuple[str, str]], answer: Response) -> Response:
    """The editor holding ``query`` with the endpoint's error ``answer`` (the one JSON shape) below it,
    with the error's status and headers (Retry-After…)."""
    errors = json.loads(bytes(answer.body))["errors"]
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in ("content-type", "content-length")}
    return HTMLResponse(
        _page(site, lang, params, query=query, failure={"status": answer.status_code, "errors": errors}),
        status_code=answer.status_code,
        headers={**kept, "Vary": "Accept"},
    )


async def results(
    site: Site,
    query: str,
    dataset: tuple[tuple[str, ...], tuple[str, ...]],
    lang: str,
    params: list[tuple[str, str]],
    evaluate: Evaluate,
) -> Response:
    """The editor holding ``query``, and its results over ``dataset`` (the protocol's default and
    named graphs) as a table, of at most the endpoint's row cap."""
    outcome = await evaluate("json", "nt")
    if isinstance(outcome, Response):  # the endpoint's error: shown under the query, to be mended there
        return _failed(site, query, lang, params, outcome)
    base = site.options.base
    if outcome.kind == "graph":
        columns = ["subject", "predicate", "object"]
        bindings = [
            dict(zip(columns, (json_term(t.subject), json_term(t.predicate), json_term(t.object)), strict=True))
            for t in parse(outcome.content, format=RdfFormat.N_TRIPLES)
        ]
        boolean = None
    else:
        data = json.loads(outcome.content)
        columns = data["head"].get("vars", [])
        bindings = data.get("results", {}).get("bindings", [])
        boolean = data.get("boolean")
    iris = (term["value"] for row in bindings for term in row.values() if term["type"] == "uri")
    labels = await fetch_labels(site.queries, await site.database.store(), iris, lang)
    rows = [[cell(row.get(name), labels, _short, base, lang) for name in columns] for row in bindings]
    kept = [
        ("query", query),
        *(("default-graph-uri", g) for g in dataset[0]),
        *(("named-graph-uri", g) for g in dataset[1]),
    ]
    downloads = [
        {"name": name, "href": "/sparql?" + urlencode([*kept, ("format", fmt)])}
        for name, fmt in (
            (("JSON", "json"), ("CSV", "csv"), ("XML", "xml"))
            if outcome.kind != "graph"
            else (("Turtle", "ttl"), ("N-Triples", "nt"), ("JSON-LD", "jsonld"))
        )
    ]
    html = _page(
        site,
        lang,
        params,
        query=query,
        results={
            "columns": columns,
            "rows": rows,
            "boolean": boolean,
            "truncated": outcome.truncated,
            "max_rows": site.options.max_rows,
            "downloads": downloads,
        },
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})
