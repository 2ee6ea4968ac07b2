"""The source beside every figure: each document's file as printed, at the place a figure was printed.

Routes (``{doc}`` is a document's key, :func:`budgetkg.server.documents.doc_key`)::

    /source/{doc}                    the document as read: each line of its text form with its
                                     anchor (#L791), tables as tables; ?place=… marks a cell
                                     (a workbook's "表12!C37", an HTML table's "table 1 row 3 column 4")
    /source/{doc}/page/{n}           a PDF's page n as an image, ?box=x0,top,x1,bottom (PDF
                                     points from the top left) drawn over it, the text in the box
    /source/{doc}/page/{n}.png       the page's image (a fixed scale, capped in pixels)
    /source/{doc}/file               the file itself (a PDF inline, so that #page=N opens there)

The file is the one the build kept in the store (:mod:`budgetkg.load.sources`), found by the
checksum the graph records; nothing of the request names a path.  A stranger's HTML is never
served as a page: what is shown is built from the parsed grid (:mod:`budgetkg.read.grid`)
and escaped by the templates.  PDFium renders the pages (it is not thread-safe: one call at a
time, under a lock), and a process keeps a few grids and page images it made (LRU caches).
"""

from __future__ import annotations

import asyncio
import io
import math
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from pyoxigraph import Store
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from ..load.sources import source_path
from ..load.store import solutions
from ..rdf.forms import form_of
from ..read.grid import Grid
from .documents import doc_key
from .responses import error
from .site import site_of

__all__ = ["ROUTES", "source_href", "place_href", "StoredSource"]

# A page's image: this many pixels per PDF point (1.5 = 108 dpi), fewer for a page so large
# that the image would pass MAX_SIDE pixels on a side.
SCALE = 1.5
MAX_SIDE = 2400
# PDF pages are at most 14,400 points on a side (ISO 32000-1, annex C): a box beyond is not one.
MAX_POINTS = 14_400.0
# What a process keeps: grids (a PDF's takes seconds to read) and page images.
GRIDS_KEPT = 4
IMAGES_KEPT = 32
MAX_PLACE_CHARS = 200

_DOCUMENTS = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?g ?title ?source ?sum ?file ?format ?url ?issued WHERE {
  GRAPH ?g {
    ?g a bkg:BudgetDataset ; rdfs:label ?title ; dcterms:source ?source .
    ?source bkg:checksumSha256 ?sum ; dcterms:identifier ?file .
    OPTIONAL { ?source dcterms:format ?format }
    OPTIONAL { { ?source dcat:landingPage ?url } UNION { ?g dcat:landingPage ?url } UNION { ?source foaf:page ?url } }
    OPTIONAL { { ?source dcterms:issued ?issued } UNION { ?g dcterms:issued ?issued } }
  }
}
ORDER BY ?g ?url ?issued
"""


def source_href(document: str) -> str:
    """The page of a source document (``{dataset}/source``), as the resource pages link it."""
    return "/source/" + quote(doc_key(document.removesuffix("/source")), safe="-_.~")


def place_href(document: str, line: str, place: str = "", page: str = "", box: str = "") -> str:
    """Where a figure's "printed in" links: a PDF's page with the figure's box drawn, else the
    line of the document's text (and, for a workbook or web page, its cell marked)."""
    href = source_href(document)
    if page:
        # #box: the browser scrolls to the box drawn over the page
        return f"{href}/page/{quote(page)}" + (f"?box={quote(','.join(box.split()))}#box" if box else "")
    return href + (f"?place={quote(place)}" if place else "") + f"#L{quote(line)}"


@dataclass(frozen=True)
class StoredSource:
    """A document of the store, with what the graph says of its source file."""

    graph: str
    title: str
    checksum: str
    file: str
    form: str
    url: str  # the publisher's page of it, an http(s) address, or ""
    issued: str  # the date the publisher published it, or ""


def _web_address(value: str) -> str:
    # A page links only an http(s) address: an update could have put javascript: in the graph.
    return value if urlsplit(value).scheme.lower() in ("http", "https") else ""


def stored_sources(store: Store) -> dict[str, StoredSource]:
    """The store's documents by key."""
    found: dict[str, StoredSource] = {}
    for row in solutions(store, _DOCUMENTS):
        key = doc_key(row["g"].value)
        if key in found:
            continue
        found[key] = StoredSource(
            graph=row["g"].value,
            title=row["title"].value,
            checksum=row["sum"].value,
            file=row["file"].value,
            form=form_of(row["format"].value if row["format"] else None, "text"),
            url=_web_address(row["url"].value) if row["url"] else "",
            issued=row["issued"].value if row["issued"] else "",
        )
    return found


class _Kept(OrderedDict):
    """At most ``most`` entries, the least recently used let go first."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most
        self.lock = threading.Lock()  # taken and kept from the request threads

    def take(self, key: Any) -> Any:
        with self.lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def keep(self, key: Any, value: Any) -> None:
        with self.lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > self.most:
                self.popitem(last=False)


# PDFium, behind pypdfium2, is not thread-safe: every call of this process's into it (reading a
# PDF's grid, rendering a page) holds this lock.
_PDFIUM = threading.Lock()
# Pages are rendered in a thread of their own, with a short queue: past it a page is answered
# 503.  In the event loop's shared threads, renders queued by one client (each up to a second,
# one at a time under the lock) held the threads that search and the other pages wait for.
_RENDERING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="budgetkg-pdfium")
MAX_RENDERS_WAITING = 4
_waiting = 0


class RenderingBusy(Exception):
    """More pages are waiting to be rendered than :data:`MAX_RENDERS_WAITING`."""


async def _rendered(make, *args):
    """``make(*args)`` in the rendering thread, once fewer than MAX_RENDERS_WAITING wait for it.

    :raises RenderingBusy: when that many wait already.
    """
    global _waiting
    if _waiting >= MAX_RENDERS_WAITING:
        raise RenderingBusy
    _waiting += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_RENDERING, make, *args)
    finally:
        _waiting -= 1


_grids = _Kept(GRIDS_KEPT)
_images = _Kept(IMAGES_KEPT)


def _grid(path: Path, name: str) -> Grid:
    from ..read.forms import read_grid

    grid = _grids.take(path.name)
    if grid is None:
        with _PDFIUM:
            grid = read_grid(path.read_bytes(), name)
        _grids.keep(path.name, grid)
    return grid


@dataclass(frozen=True)
class PageImage:
    png: bytes
    width: float  # the page's size in PDF points
    height: float


def _page(path: Path, number: int) -> PageImage | None:
    """Page ``number`` of the PDF at ``path``, rendered; None when it has no such page."""
    kept = _images.take((path.name, number))
    if kept is not None:
        return kept
    import pypdfium2 as pdfium

    with _PDFIUM:
        pdf = pdfium.PdfDocument(str(path))
        try:
            if not 1 <= number <= len(pdf):
                return None
            page = pdf[number - 1]
            width, height = page.get_size()
            scale = min(SCALE, MAX_SIDE / max(width, height, 1.0))
            image = page.render(scale=scale).to_pil()
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
        finally:
            pdf.close()
    rendered = PageImage(out.getvalue(), width, height)
    _images.keep((path.name, number), rendered)
    return rendered


@dataclass(frozen=True)
class PageFacts:
    pages: int  # the PDF's page count
    width: float  # page ``number``'s size in PDF points (0 when it has no such page)
    height: float
    text: str  # the text inside the box asked for


def _page_facts(path: Path, number: int, box: tuple[float, float, float, float] | None) -> PageFacts:
    """The PDF's page count, the size of page ``number`` and the text inside ``box`` on it (PDF
    points from the top left), without rendering it."""
    import pypdfium2 as pdfium

    with _PDFIUM:
        pdf = pdfium.PdfDocument(str(path))
        try:
            pages = len(pdf)
            if not 1 <= number <= pages:
                return PageFacts(pages, 0.0, 0.0, "")
            page = pdf[number - 1]
            width, height = page.get_size()
            text = ""
            if box is not None:
                x0, top, x1, bottom = box
                # PDFium's page space has its origin at the bottom left.
                text = page.get_textpage().get_text_bounded(left=x0, bottom=height - bottom, right=x1, top=height - top)
        finally:
            pdf.close()
    return PageFacts(pages, width, height, " ".join(text.split()))


def parse_box(value: str) -> tuple[float, float, float, float] | None:
    """``x0,top,x1,bottom`` in PDF points, each a finite number within a page's bounds and the
    box not empty; None for anything else."""
    parts = value.split(",")
    if len(value) > 100 or len(parts) != 4:
        return None
    try:
        x0, top, x1, bottom = (float(p) for p in parts)
    except ValueError:
        return None
    numbers = (x0, top, x1, bottom)
    if not all(math.isfinite(v) and 0 <= v <= MAX_POINTS for v in numbers) or x0 >= x1 or top >= bottom:
        return None
    return x0, top, x1, bottom


def _blocks(grid: Grid, marked: str) -> list[dict]:
    """The grid's lines as the page shows them: runs of table rows (two cells or more) as
    tables, each other line a paragraph; each cell with its place, and whether it is the one
    ``marked`` (a place as the graph writes it)."""
    blocks: list[dict] = []
    for line in grid.lines:
        if line.blank:
            continue
        texts = line.text.split("\t")
        cells = []
        for i, text in enumerate(texts):
            place = line.places[i] if i < len(line.places) else None
            where = str(place) if place is not None and place.page is None else ""
            cells.append({"text": text, "where": where, "hit": bool(marked) and where == marked})
        first = line.places[0] if line.places else None
        row = {"no": line.no, "cells": cells, "page": first.page if first is not None else None}
        kind = "table" if len(texts) > 1 else "para"
        if blocks and blocks[-1]["kind"] == kind == "table":
            blocks[-1]["rows"].append(row)
        else:
            blocks.append({"kind": kind, "rows": [row]})
    return blocks


async def _find(request: Request, key: str) -> tuple[StoredSource, Path] | Response:
    site = site_of(request)
    store = await site.database.store()
    documents = await asyncio.to_thread(stored_sources, store)
    document = documents.get(key)
    if document is None:
        return error(404, f"no document {key} in this store")
    path = source_path(site.options.store, document.checksum)
    if path is None:
        return error(404, f"the store keeps no file of {document.file}: build it again to keep it")
    return document, path


async def source(request: Request) -> Response:
    """Every page under /source/ (see the module's description)."""
    raw = request.scope.get("raw_path", b"").decode("ascii", "replace").split("?", 1)[0] or request.url.path
    parts = raw.removeprefix("/source/").split("/")
    key, rest = unquote(parts[0]), parts[1:]
    found = await _find(request, key)
    if isinstance(found, Response):
        return found
    document, path = found
    if not rest:
        return await _document_page(request, key, document, path)
    if rest == ["file"]:
        return _file(document, path)
    if len(rest) == 2 and rest[0] == "page" and document.form == "pdf":
        name = rest[1]
        image = name.endswith(".png")
        number = name.removesuffix(".png")
        if not (number.isdigit() and len(number) <= 5 and number.isascii()):
            return error(404, f"no page {name!r}")
        if image:
            return await _image(path, int(number))
        return await _page_view(request, key, document, path, int(number))
    return error(404, "no such page")


def _file(document: StoredSource, path: Path) -> Response:
    # A PDF opens in the browser (its viewer goes to #page=N); any other form is downloaded,
    # never shown as a page of this site (a stranger's HTML above all).
    inline = document.form in ("pdf", "text")
    media = {"pdf": "application/pdf", "text": "text/plain; charset=utf-8"}.get(document.form)
    disposition = ("inline" if inline else "attachment") + f"; filename*=UTF-8''{quote(document.file, safe='')}"
    return FileResponse(
        path, media_type=media or "application/octet-stream", headers={"Content-Disposition": disposition}
    )


async def _document_page(request: Request, key: str, document: StoredSource, path: Path) -> Response:
    marked = request.query_params.get("place", "")[:MAX_PLACE_CHARS]
    grid = await asyncio.to_thread(_grid, path, document.file)
    blocks = await asyncio.to_thread(_blocks, grid, marked)
    hit = next((c for b in blocks for r in b["rows"] for c in r["cells"] if c["hit"]), None)
    html = (
        site_of(request)
        .templates.get_template("source.html")
        .render(key=key, document=document, blocks=blocks, marked=marked, hit=hit, lang=_lang(request))
    )
    return HTMLResponse(html)


def _busy() -> Response:
    return error(503, "too many page images are being drawn just now; try again shortly", headers={"Retry-After": "1"})


async def _image(path: Path, number: int) -> Response:
    try:
        page = await _rendered(_page, path, number)
    except RenderingBusy:
        return _busy()
    if page is None:
        return error(404, f"the document has no page {number}")
    return Response(page.png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


async def _page_view(request: Request, key: str, document: StoredSource, path: Path, number: int) -> Response:
    given = request.query_params.get("box")
    box = parse_box(given) if given is not None else None
    if given is not None and box is None:
        return error(400, "box: four numbers x0,top,x1,bottom in PDF points, x0 < x1 and top < bottom")
    try:
        page = await _rendered(_page_facts, path, number, box)
    except RenderingBusy:
        return _busy()
    if not page.width:
        return error(404, f"the document has no page {number}")
    pages, text = page.pages, page.text
    overlay = None
    if box is not None:
        x0, top, x1, bottom = box
        overlay = {
            "left": f"{100 * x0 / page.width:.3f}",
            "top": f"{100 * top / page.height:.3f}",
            "width": f"{100 * (x1 - x0) / page.width:.3f}",
            "height": f"{100 * (bottom - top) / page.height:.3f}",
            "text": text,
            "box": ", ".join(f"{v:g}" for v in box),
        }
    html = (
        site_of(request)
        .templates.get_template("source_page.html")
        .render(key=key, document=document, number=number, pages=pages, overlay=overlay, lang=_lang(request))
    )
    return HTMLResponse(html)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


ROUTES = [Route("/source/{rest:path}", source)]
