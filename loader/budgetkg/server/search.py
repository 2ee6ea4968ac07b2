"""``/search?q=``: units, projects, codes, 绩效目标 and glossary entries, found by their Chinese names and texts.

The index (:mod:`budgetkg.query.search`) is made in memory by the first search after the
server starts or a rebuild swaps the database, in a thread, one at a time; it is kept for
that database only.  The bundled document's takes 0.2-0.5 s and holds 2.7 MiB; with 20
generated departments beside it, 0.7-0.8 s and 4.1 MiB (docs/search.md, bench/search.py).  The query is read up to
:data:`~budgetkg.query.search.MAX_QUERY_CHARS` characters; the page and the kind are checked.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlencode

from pyoxigraph import Store
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from ..query.search import KINDS, MAX_QUERY_CHARS, SearchIndex, build_index
from .pages import _href
from .site import Site, site_of

__all__ = ["ROUTES", "PER_PAGE", "index_of"]

PER_PAGE = 20
MAX_PAGE = 500

_indexes: dict[int, tuple[Store, SearchIndex]] = {}  # the database's own id: its index (one kept)
# Held in the thread that makes an index (whatever event loop asked): a burst of first searches makes one.
_making = threading.Lock()


def _index(store: Store) -> SearchIndex:
    with _making:
        kept = _indexes.get(id(store))
        if kept is None or kept[0] is not store:
            _indexes.clear()  # the last database's index goes with it
            kept = _indexes[id(store)] = (store, build_index(store))
        return kept[1]


async def index_of(site: Site) -> SearchIndex:
    """The index of the live database, made (in a thread) when it is not there yet."""
    store = await site.database.store()
    kept = _indexes.get(id(store))
    if kept is not None and kept[0] is store:
        return kept[1]
    return await asyncio.to_thread(_index, store)


def _amount(value) -> str:
    return f"{value:,.2f} 万元" if value is not None else ""


async def search(request: Request) -> Response:
    """The search page: the form, and the results of ``q`` (ranked, matches marked, paged)."""
    site = site_of(request)
    params = request.query_params
    query = params.get("q", "").strip()[:MAX_QUERY_CHARS]
    kind = params.get("kind", "")
    page_text = params.get("page", "1")
    lang = "en" if params.get("lang") == "en" else "zh"
    status = 200
    if kind not in KINDS:
        kind = ""
    page = int(page_text) if page_text.isdigit() and len(page_text) <= 4 else 0
    if not 1 <= page <= MAX_PAGE:
        page, status = 1, 400
    results, total = [], 0
    if query and status == 200:
        index = await index_of(site)
        ranked = await asyncio.to_thread(index.search, query, kind or None)
        total = len(ranked)
        for score, entry in ranked[(page - 1) * PER_PAGE : page * PER_PAGE]:
            hit = index.hit(entry, score, query)
            results.append(
                {
                    "hit": hit,
                    "href": _href(entry.iri, site.options.base),
                    "kind": KINDS[entry.kind],
                    "amount": _amount(entry.amount),
                }
            )
    pages = (total + PER_PAGE - 1) // PER_PAGE
    if query and status == 200 and page > max(pages, 1):
        status, results = 400, []  # past the last page: said, not an empty page that counts backwards

    def link(n: int) -> str:
        return "/search?" + urlencode({"q": query, **({"kind": kind} if kind else {}), "page": n})

    html = site.templates.get_template("search.html").render(
        query=query,
        kind=kind,
        kinds=KINDS,
        results=results,
        total=total,
        page=page,
        first=(page - 1) * PER_PAGE + 1,
        previous=link(page - 1) if page > 1 else "",
        next=link(page + 1) if page < pages else "",
        max_chars=MAX_QUERY_CHARS,
        bad_page=status == 400,
        lang=lang,
    )
    return HTMLResponse(html, status_code=status)


ROUTES = [Route("/search", search)]
