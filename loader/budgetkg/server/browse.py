"""The pages for reading the budget without SPARQL: the home page, a document's page (its tables,
narrative figures and charts) and each table as the document printed it, with sorting, filters,
search, paging, and the same view as CSV and JSON.

Paths (see :mod:`.documents` for a document's key)::

    /                               the documents in the store
    /browse/{doc}/                  a document: its twelve tables, narrative figures, charts
    /browse/{doc}/table-{n}         table n (1-12), ?sort= &desc=1 &unit= &code= &source= &q= &page=
    /browse/{doc}/table-{n}.csv     the same view, every page, as CSV (.json as JSON)
"""

from __future__ import annotations

import asyncio
import math
import time
from urllib.parse import quote, urlencode

from pyoxigraph import NamedNode
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..template.spec import template
from . import charts
from .documents import cached, doc_key, doc_path, documents, find_document, store_version
from .identities import display_identities, identities_of_totals, identity_counts
from .pages import _href
from .responses import error
from .runner import QueryStopped
from .site import Site, site_of
from .tables import Line, PrintedTable, TableQueryFailed, amount_text, read_table, select
from .views import PAGE_ROWS, BadView, as_csv, as_json, choose, header_rows, label_columns, parse_view

__all__ = ["ROUTES"]

FORMS = {"text": "文本 text", "pdf": "PDF", "xlsx": "Excel (xlsx)", "xls": "Excel (xls)", "html": "网页 HTML"}


def _page(site: Site, name: str, code: int = 200, **context: object) -> HTMLResponse:
    html = site.templates.get_template(name).render(**context)
    return HTMLResponse(html, status_code=code)


async def _read_table(site: Site, graph: str, number: int) -> PrintedTable:
    """Table ``number`` of the document ``graph``, read once for each database of the store."""
    version = store_version(site)
    store = await site.database.store()
    return await cached(site, version, ("table", graph, number), lambda: read_table(site.queries, store, graph, number))


def _error(site: Site, status: int, message: str) -> Response:
    """An error in the one JSON shape, which a browser gets as a page (see :mod:`.html_errors`)."""
    return error(status, message)


async def home(request: Request) -> Response:
    """The documents in the store, a search box, and the ways into the data."""
    site = site_of(request)
    docs = [
        {
            "key": doc_key(d.graph),
            "path": doc_path(doc_key(d.graph)),
            "title": d.title,
            "department": d.department,
            "year": d.year,
            "form": FORMS.get(d.form, d.form or "—"),
            "synthetic": d.synthetic,
            "href": _href(d.graph, site.options.base),
        }
        for d in await documents(site)
    ]
    return _page(site, "home.html", documents=docs, endpoint=site.options.endpoint)


_NARRATIVE = """PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?f ?label ?value ?unit ?line WHERE {
  GRAPH %s { ?f a bkg:NarrativeFigure ; rdfs:label ?label ; bkg:value ?value ; bkg:unitOfMeasure ?u ;
             bkg:sourceLine ?line }
  OPTIONAL { ?u skos:prefLabel ?unit FILTER(LANG(?unit) = "zh") }
} ORDER BY ?line ?f"""


async def document(request: Request) -> Response:
    """A document's page: its tables, its narrative figures and where its money goes."""
    site = site_of(request)
    key = request.path_params["doc"]
    doc = await find_document(site, key)
    if doc is None:
        return _error(site, 404, f"no document {key[:100]!r} in this store; the home page lists them")
    store = await site.database.store()
    try:
        income, expenditure, basic, project, narrative = await asyncio.gather(
            _read_table(site, doc.graph, 2),
            _read_table(site, doc.graph, 3),
            _read_table(site, doc.graph, 11),
            _read_table(site, doc.graph, 12),
            select(site.queries, store, _NARRATIVE % NamedNode(doc.graph), 10_000),
        )
    except (TableQueryFailed, QueryStopped) as exc:
        return _error(site, 503, str(exc))
    base = site.options.base
    tables = [
        {"number": s.number, "title": s.title, "title_en": s.title_en, "path": doc_path(key, f"table-{s.number}")}
        for s in template().tables
    ]
    figures = [
        {
            "label": b["label"]["value"],
            "value": b["value"]["value"],
            "unit": b.get("unit", {}).get("value", ""),
            "href": _href(b["f"]["value"], base),
            "line": b["line"]["value"],
        }
        for b in narrative
    ]
    chart_list = [
        charts.by_unit(basic, project),
        charts.by_functional_class(expenditure),
        charts.by_funding_source(income),
    ]
    return _page(
        site,
        "document.html",
        doc=doc,
        key=key,
        form=FORMS.get(doc.form, doc.form),
        href=_href(doc.graph, base),
        tables=tables,
        figures=figures,
        charts=chart_list,
        chart=charts,
        link=lambda iri: _href(iri, base) if iri else "",
    )


def _table_name(name: str) -> tuple[int, str] | None:
    """``table-12`` → (12, "html"), ``table-12.csv`` → (12, "csv"); None for any other name."""
    stem, dot, suffix = name.partition(".")
    if dot and suffix not in ("csv", "json"):
        return None
    number = stem.removeprefix("table-")
    if stem == number or not (number.isascii() and number.isdecimal()) or len(number) > 2:
        return None
    if int(number) not in {spec.number for spec in template().tables}:
        return None
    return int(number), suffix or "html"


async def table(request: Request) -> Response:
    """A table as printed, in the view the query parameters ask for; or that view as CSV or JSON."""
    site = site_of(request)
    key, name = request.path_params["doc"], request.path_params["name"]
    wanted = _table_name(name)
    if wanted is None:
        return _error(site, 404, f"no page {name!r}: a document's tables are table-1 … table-12 (.csv, .json)")
    number, fmt = wanted
    doc = await find_document(site, key)
    if doc is None:
        return _error(site, 404, f"no document {key!r} in this store; the home page lists them")
    store = await site.database.store()
    started = time.perf_counter()
    try:
        printed = await _read_table(site, doc.graph, number)
        view = parse_view(request.query_params, printed)
    except BadView as exc:
        return _error(site, 400, str(exc))
    except (TableQueryFailed, QueryStopped) as exc:
        return _error(site, 503, str(exc))
    rows = choose(printed, view)
    filename = f"{key}-table-{number}"
    if fmt == "csv":
        return Response(
            as_csv(printed, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(filename)}.csv"},
        )
    if fmt == "json":
        return Response(as_json(printed, rows, doc.graph), media_type="application/json")
    pages = max(1, math.ceil(len(rows) / PAGE_ROWS))
    if view.page > pages:
        return _error(site, 400, f"page {view.page}: the view has {pages} page(s)")
    shown = rows[(view.page - 1) * PAGE_ROWS : view.page * PAGE_ROWS]
    grouped = printed.balance and view.sort in ("", "line") and not view.desc
    figures = [f.iri for r in shown for f in r.cells.values()]
    try:
        identities, counts = await asyncio.gather(
            identities_of_totals(site.queries, store, doc.graph, figures),
            identity_counts(site.queries, store, doc.graph, printed.iri),
        )
    except (TableQueryFailed, QueryStopped) as exc:
        return _error(site, 503, str(exc))
    base = site.options.base
    # The printed totals that do not equal the sum of their parts exactly, outlined in the table.
    flagged = {i.total.iri: i.status for i in identities if i.status != "exact" and i.total}

    def query(**change: object) -> str:
        params = view.params(**change)
        return "?" + urlencode(params) if params else "?"

    return _page(
        site,
        "table.html",
        doc=doc,
        key=key,
        doc_path=doc_path(key),
        spec=printed.spec,
        table=printed,
        view=view,
        lines=printed.lines(shown) if grouped else [Line(r.line, [r]) for r in shown],
        balance=printed.balance,
        header=header_rows(printed.spec, goals=printed.spec.layout == "project-matrix"),
        label_columns=label_columns(printed.spec),
        goals=printed.spec.layout == "project-matrix",
        count=len(rows),
        total_rows=len(printed.rows),
        page=view.page,
        pages=pages,
        page_rows=PAGE_ROWS,
        units=printed.units(),
        funds=printed.funds(),
        query=query,
        csv_path=doc_path(key, f"table-{number}.csv") + query(page=1).rstrip("?"),
        json_path=doc_path(key, f"table-{number}.json") + query(page=1).rstrip("?"),
        link=lambda iri: _href(iri, base) if iri else "",
        amount=amount_text,
        identities=display_identities(identities, lambda iri: _href(iri, base)),
        counts=counts,
        flagged=flagged,
        elapsed_ms=round((time.perf_counter() - started) * 1000),
    )


def _quote(text: str) -> str:
    return quote(text, safe="")


async def document_redirect(request: Request) -> Response:
    return RedirectResponse(doc_path(request.path_params["doc"]), status_code=308)


ROUTES = [
    Route("/", home),
    Route("/browse/{doc}", document_redirect),
    Route("/browse/{doc}/", document),
    Route("/browse/{doc}/{name}", table),
]
