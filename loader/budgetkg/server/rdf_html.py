"""RDF the server publishes (the catalogue, VoID, the service description, the example queries)
as a page for people: one section per subject, a table of its properties, labelled and linked.

The same triples go to programs in RDF (:func:`budgetkg.server.responses.rdf_response`); a
browser (:func:`budgetkg.server.pages.wants_html`) gets this page instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from jinja2 import Environment
from pyoxigraph import BlankNode, Literal, NamedNode, Triple
from starlette.responses import HTMLResponse

from ..query.library import json_term
from .labels import LANGUAGES, cell

__all__ = ["sections", "rdf_page", "language_links"]

# What names a subject on the page, best first.
_NAMES = (
    "http://purl.org/dc/terms/title",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
)


def _anchor(node) -> str:
    """The id of a subject's section: blank nodes are linked within the page."""
    if isinstance(node, BlankNode):
        return "b-" + node.value
    return "s-" + hashlib.sha1(node.value.encode("utf-8")).hexdigest()[:12]


def sections(
    triples: Iterable[Triple], base: str, lang: str, short: Callable[[str], str], public: str = ""
) -> list[dict]:
    """The page's sections: one per subject (those no other triple points at first), each with
    its ``title``, ``anchor``, ``iri``, ``href`` and ``rows`` of (predicate, value) cells."""
    by_subject: dict = {}
    names: dict[str, dict[str, str]] = {}  # subject → language → name
    pointed_at = set()
    for t in sorted(set(triples), key=str):
        by_subject.setdefault(t.subject, []).append(t)
        if isinstance(t.object, BlankNode):
            pointed_at.add(t.object)
        if t.predicate.value in _NAMES and isinstance(t.object, Literal) and isinstance(t.subject, NamedNode):
            names.setdefault(t.subject.value, {}).setdefault(t.object.language or "", t.object.value)
    labels = {
        iri: next((found[code] for code in (lang, *LANGUAGES, "") if code in found), next(iter(found.values())))
        for iri, found in names.items()
    }
    out = []
    for subject, told in by_subject.items():
        rows = []
        for t in told:
            value = cell(json_term(t.object), labels, short, base, lang, public)
            if isinstance(t.object, BlankNode):
                value["href"] = "#" + _anchor(t.object)
            rows.append({"predicate": cell(json_term(t.predicate), {}, short, base, lang, public), "value": value})
        if isinstance(subject, BlankNode):
            title, iri, href = "_:" + subject.value, "", ""
        else:
            head = cell(json_term(subject), labels, short, base, lang, public)
            title, iri, href = head["text"], head["iri"], head["href"]
        out.append(
            {
                "title": title,
                "anchor": _anchor(subject),
                "iri": iri,
                "href": href,
                "rows": rows,
                "root": subject not in pointed_at,
            }
        )
    out.sort(key=lambda s: (not s["root"], s["title"]))
    return out


def language_links(path: str, params: Iterable[tuple[str, str]], lang: str) -> list[dict[str, object]]:
    """The language switch of a page at ``path`` with query ``params``: a link per language,
    the page's own marked ``current``."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in params if k != "lang"]
    links = []
    for code, name in zip(LANGUAGES, ("中文", "English"), strict=True):
        query = urlencode(kept + ([("lang", code)] if code != LANGUAGES[0] else []))
        links.append(
            {"code": code, "name": name, "href": path + ("?" + query if query else ""), "current": code == lang}
        )
    return links


def rdf_page(
    templates: Environment,
    triples: Iterable[Triple],
    *,
    title: str,
    path: str,
    params: Iterable[tuple[str, str]],
    base: str,
    lang: str,
    short: Callable[[str], str],
    public: str = "",
) -> HTMLResponse:
    """The page of ``triples``, titled ``title``, for a browser that asked ``path``."""
    params = list(params)
    html = templates.get_template("rdf.html").render(
        title=title,
        sections=sections(triples, base, lang, short, public),
        path=path,
        lang=lang,
        languages=language_links(path, params, lang),
    )
    return HTMLResponse(html, headers={"Vary": "Accept"})
