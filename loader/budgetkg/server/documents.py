"""The documents a server offers, each under a short key of its own, for the pages' paths.

A document's key is the last two path segments of its dataset's IRI (``{base}dataset/{department}/{year}``,
see :mod:`budgetkg.rdf.iri`), decoded and joined by a hyphen: ``广州市人力资源和社会保障局-2024``.
It reads as the document's name, stays the same across builds and forms (the IRI does not depend
on them), and a path names it without a slash.  A key from a request is never turned into an IRI
to query with: it is looked up among the keys of the documents the store holds.
"""

from __future__ import annotations

import asyncio
import os
from collections import OrderedDict
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ..load.contents import StoredDocument, stored_documents
from ..rdf.iri import DEFAULT_BASE, data_base
from .site import Site

__all__ = [
    "doc_key",
    "doc_iri",
    "doc_path",
    "documents",
    "find_document",
    "cached",
    "store_version",
    "table_page_of",
    "MAX_KEY",
]

# The longest key a request may give (a department's name is a few tens of characters).
MAX_KEY = 200
# What the pages read from one database and keep (documents, tables): a few tables of a few
# thousand figures each.
MAX_CACHED = 64
_CACHE: OrderedDict[tuple, Any] = OrderedDict()


def store_version(site: Site) -> str:
    """The name of the database the store's ``current`` link points at (``data-<n>``): each build
    or update swaps in a new one, so what was read from one name stays true.  Read it before
    opening the store: a swap in between gives newer figures under the older name, never the
    reverse.  "" when it cannot be read (nothing is then kept)."""
    try:
        return os.readlink(site.options.store / "current")
    except OSError:
        return ""


async def cached(site: Site, version: str, what: tuple, make: Any) -> Any:
    """``await make()``, kept for the database ``version`` under ``what`` (the most recent
    :data:`MAX_CACHED` kept), so that every request for a page does not read it again."""
    key = (str(site.options.store), version, *what)
    if version and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    value = await make()
    if version:
        _CACHE[key] = value
        while len(_CACHE) > MAX_CACHED:
            _CACHE.popitem(last=False)
    return value


def doc_key(iri: str) -> str:
    """The key of the document whose dataset IRI is ``iri``.

    >>> doc_key("https://w3id.org/budgetkg/data/dataset/%E7%A4%BA%E4%BE%8B%E5%B1%80/2024")
    '示例局-2024'
    """
    segments = urlsplit(iri).path.rstrip("/").split("/")
    department, year = (segments[-2], segments[-1]) if len(segments) >= 2 else ("", segments[-1])
    return f"{unquote(department)}-{unquote(year)}"


def doc_iri(key: str, base: str = DEFAULT_BASE) -> str:
    """The dataset IRI that :func:`doc_key` reads ``key`` from, for a store built under ``base``.

    >>> doc_iri("示例局-2024")
    'https://w3id.org/budgetkg/data/dataset/%E7%A4%BA%E4%BE%8B%E5%B1%80/2024'

    :raises ValueError: when ``key`` is not a department and a year joined by a hyphen.
    """
    department, _, year = key.rpartition("-")
    if not department or not (len(year) == 4 and year.isdecimal() and year.isascii()):
        raise ValueError(f"not a document key (department-year): {key!r}")
    return f"{data_base(base)}dataset/{quote(department, safe='-_.~')}/{year}"


def doc_path(key: str, rest: str = "") -> str:
    """The path of a document's page (``rest`` after it: ``table-12``, ``table-12.csv``)."""
    return f"/browse/{quote(key, safe='-_.~')}/{rest}"


def table_page_of(iri: str) -> str:
    """The page of the table a table's or figure's IRI (``{dataset}/table/{n}[/…]``) belongs to, or "".

    >>> table_page_of("https://w3id.org/budgetkg/data/dataset/%E7%A4%BA%E4%BE%8B%E5%B1%80/2024/table/12/total/gpb")
    '/browse/%E7%A4%BA%E4%BE%8B%E5%B1%80-2024/table-12'
    """
    dataset, sep, rest = iri.rpartition("/table/")
    number = rest.split("/", 1)[0]
    if not sep or "/dataset/" not in dataset or not (number.isascii() and number.isdecimal()) or len(number) > 2:
        return ""
    return doc_path(doc_key(dataset), f"table-{number}")


async def documents(site: Site) -> list[StoredDocument]:
    """The documents of the store the site serves, by department and year (read in a thread:
    the event loop keeps serving meanwhile)."""
    version = store_version(site)
    store = await site.database.store()
    return await cached(site, version, ("documents",), lambda: asyncio.to_thread(stored_documents, store))


async def find_document(site: Site, key: str) -> StoredDocument | None:
    """The stored document whose key is ``key``, or None."""
    if len(key) > MAX_KEY:
        return None
    return next((d for d in await documents(site) if doc_key(d.graph) == key), None)
