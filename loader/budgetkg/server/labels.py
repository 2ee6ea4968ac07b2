"""Terms as people read them on the pages: an IRI as its label linking to the server's own page,
an amount as a number in 万元, and the language a page is shown in.

Labels are read with one bounded query whose ``VALUES`` lists the IRIs as
:class:`pyoxigraph.NamedNode` terms (each validated, written in its N-Triples form): no text
from a request is ever pasted into it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote, urlsplit

from pyoxigraph import NamedNode, Store

from .runner import QueryRunner

__all__ = ["LANGUAGES", "MAX_LABELLED", "language", "fetch_labels", "cell", "local_href", "readable_iri"]

# The languages a page can be shown in; the first is the default (the documents are Chinese).
LANGUAGES = ("zh", "en")
# IRIs labelled at most per page: the VALUES of the label query stays bounded (some 100 bytes an
# IRI); the others show as their readable IRI.
MAX_LABELLED = 5_000
# Labels read at most: a term may have one per language, and an update could add more.
_MAX_LABEL_ROWS = 4 * MAX_LABELLED
DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel>"
# Namespaces the server mints pages for, and where the vocabulary's terms are documented.
VOCAB = "https://w3id.org/budgetkg/"
BKG = VOCAB + "ontology#"
# Past this many integer digits a figure is no amount (the reader refuses more than 12).
_DECIMAL_DIGITS = 40


def language(wanted: str | None) -> str:
    """The page's language from its ``lang`` parameter: one of :data:`LANGUAGES`, else the default."""
    return wanted if wanted in LANGUAGES else LANGUAGES[0]


async def fetch_labels(queries: QueryRunner, store: Store, iris: Iterable[str], lang: str) -> dict[str, str]:
    """The label of each of ``iris`` (the first :data:`MAX_LABELLED` valid ones) in ``lang``,
    else in Chinese, else without a language; IRIs without one are left out."""
    nodes: dict[str, NamedNode] = {}
    for iri in iris:
        if len(nodes) == MAX_LABELLED:
            break
        if iri not in nodes:
            try:
                nodes[iri] = NamedNode(iri)
            except ValueError:
                continue
    if not nodes:
        return {}
    values = " ".join(str(node) for node in nodes.values())
    query = f'SELECT ?s ?l WHERE {{ VALUES ?s {{ {values} }} ?s {_LABEL} ?l FILTER(LANG(?l) IN ("{lang}", "zh", "")) }}'
    outcome = await queries.run(store, query, max_rows=_MAX_LABEL_ROWS, table_format="json")
    if outcome.kind != "table":
        return {}
    rank = {lang: 0, "zh": 1, "": 2}
    best: dict[str, tuple[int, str]] = {}
    for row in json.loads(outcome.content)["results"]["bindings"]:
        label = row["l"]
        found = (rank.get(label.get("xml:lang", ""), 3), label["value"])
        iri = row["s"]["value"]
        if iri not in best or found < best[iri]:
            best[iri] = found
    return {iri: text for iri, (_, text) in best.items()}


def local_href(iri: str, base: str, lang: str, public: str = "") -> str:
    """Where a page links ``iri``: the server's own page for one it serves (in the page's
    language), the IRI itself for another http(s) IRI, and nothing ("") for any other scheme
    (``javascript:``, ``data:``…), which an update could have put in the store.  ``public``: the
    server's public URL, whose addresses are linked on the server that serves the page."""
    if urlsplit(iri).scheme.lower() not in ("http", "https"):
        return ""
    if public and iri.startswith(public):
        return "/" + iri[len(public) :]
    if iri.startswith(base):
        path = "/" + iri[len(base) :]
    elif iri.startswith((VOCAB + "codelist/", VOCAB + "structure/", VOCAB + "graph/")):
        path = "/" + iri[len(VOCAB) :]
    elif iri.startswith(BKG):
        return "/ontology#" + iri[len(BKG) :]
    else:
        return iri
    return path + ("?lang=" + lang if lang != LANGUAGES[0] else "")


def readable_iri(iri: str, base: str) -> str:
    """An IRI as a person reads it: its path under the server's base, percent-decoded
    (the minted IRIs encode their Chinese names)."""
    for root in (base, VOCAB):
        if iri.startswith(root):
            return unquote(iri[len(root) :])
    return unquote(iri)


def amount_text(lexical: str) -> str | None:
    """A decimal as an amount: thousands separators and at least two decimals, or None when it is
    no amount (not a decimal, or too large for two decimals to matter).

    >>> amount_text("12944.22"), amount_text("220"), amount_text("20.668"), amount_text("abc")
    ('12,944.22', '220.00', '20.668', None)
    """
    try:
        value = Decimal(lexical)
    except InvalidOperation:
        return None
    if not value.is_finite() or value.adjusted() > _DECIMAL_DIGITS:
        return None
    exponent = value.as_tuple().exponent
    return f"{value:,.2f}" if isinstance(exponent, int) and exponent > -2 else f"{value:,}"


def cell(
    term: dict[str, str] | None, labels: dict[str, str], short, base: str, lang: str, public: str = ""
) -> dict[str, str]:
    """What a page shows for ``term`` (a term in the SPARQL JSON results shape): its ``text``,
    the ``href`` it links to, its full ``iri`` (a tooltip), a ``note`` (language or datatype)
    and its ``kind`` ("amount" is set right).

    :param short: the function writing an IRI as ``prefix:name`` (or returning it unchanged).
    :param public: the server's public URL (see :func:`local_href`).
    """
    if term is None:
        return {"text": "", "href": "", "iri": "", "note": "", "kind": ""}
    value = term["value"]
    if term["type"] == "uri":
        shortened = short(value)
        text = labels.get(value) or (shortened if shortened != value else readable_iri(value, base))
        return {
            "text": text,
            "href": local_href(value, base, lang, public),
            "iri": unquote(value),
            "note": "",
            "kind": "iri",
        }
    if term["type"] == "bnode":
        return {"text": "_:" + value, "href": "", "iri": "", "note": "", "kind": "bnode"}
    datatype = term.get("datatype", "")
    if datatype == DECIMAL and (amount := amount_text(value)) is not None:
        return {"text": amount + " 万元", "href": "", "iri": "", "note": "", "kind": "amount"}
    note = term.get("xml:lang") or (short(datatype) if datatype else "")
    return {"text": value, "href": "", "iri": "", "note": note, "kind": "literal"}
