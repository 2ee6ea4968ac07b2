"""The document's arithmetic (勾稽关系) a figure or a table takes part in, read from the graph.

The check stage's identities are in each document's graph already (:mod:`budgetkg.rdf.mapping`,
``identities``): a ``bkg:AccountingIdentity`` at a deterministic IRI (``…/check/{id}``) with its
kind, its status (a concept of the ``identity-status`` code list: exact, rounding, broken), the
printed total (``bkg:identityTotal``), the figures it sums (``bkg:identityPart``), their sum
(``bkg:expectedValue``) and the difference.  The pages read them back, with the figures on both
sides; nothing is computed again here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from pyoxigraph import NamedNode

from .runner import QueryRunner
from .tables import TableQueryFailed, amount_text, select

__all__ = [
    "Identity",
    "Side",
    "identities_of_figure",
    "identities_of_totals",
    "identity_counts",
    "graph_of",
    "display_identities",
    "figure_identities",
    "STATUS_ORDER",
]

# Most telling first: what does not add up, then rounding differences, then the exact ones.
STATUS_ORDER = {"broken": 0, "rounding": 1, "exact": 2}
# Identities one page lists at most (a table's identities are a few thousand at most).
MAX_IDENTITIES = 20_000

_PREFIXES = """PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""


@dataclass
class Side:
    """A figure an identity names: its IRI, label and value (an amount, a stated figure or a count)."""

    iri: str
    label: str
    value: Decimal | None


@dataclass
class Identity:
    """One identity: ``total`` = Σ ``parts`` (``expected``), and how it held (``status``)."""

    iri: str
    label: str
    kind: str
    status: str  # exact, rounding or broken (the code list's notation)
    status_label: str
    expected: Decimal | None
    difference: Decimal | None
    total: Side | None = None
    parts: list[Side] = field(default_factory=list)


def _dec(binding: dict, name: str) -> Decimal | None:
    try:
        return Decimal(binding[name]["value"]) if name in binding else None
    except InvalidOperation:
        return None


def _figure_query(graph: NamedNode, where: str) -> str:
    """Every identity chosen by ``where`` (binding ?i), with its total and parts, one row per side."""
    return f"""{_PREFIXES}
SELECT ?i ?label ?kind ?status ?statusLabel ?expected ?difference ?role ?x ?xlabel ?xvalue WHERE {{
  GRAPH {graph} {{
    {{ SELECT DISTINCT ?i WHERE {{ {where} }} }}
    ?i rdfs:label ?label ; bkg:identityKind ?kind ; bkg:identityStatus ?st ;
       bkg:expectedValue ?expected ; bkg:difference ?difference .
    {{ ?i bkg:identityTotal ?x BIND("total" AS ?role) }} UNION {{ ?i bkg:identityPart ?x BIND("part" AS ?role) }}
    OPTIONAL {{ ?x rdfs:label ?xlabel FILTER(LANG(?xlabel) IN ("zh", "")) }}
    OPTIONAL {{ ?x bkg:amount|bkg:value ?xvalue }}
  }}
  ?st skos:notation ?status .
  OPTIONAL {{ ?st skos:prefLabel ?statusLabel FILTER(LANG(?statusLabel) = "zh") }}
}}"""


def _collect(bindings: list[dict]) -> list[Identity]:
    found: dict[str, Identity] = {}
    for b in bindings:
        iri = b["i"]["value"]
        ident = found.get(iri)
        if ident is None:
            ident = found[iri] = Identity(
                iri,
                b["label"]["value"],
                b["kind"]["value"],
                b["status"]["value"],
                b.get("statusLabel", {}).get("value", b["status"]["value"]),
                _dec(b, "expected"),
                _dec(b, "difference"),
            )
        x = b["x"]["value"]
        side = Side(x, b.get("xlabel", {}).get("value", x), _dec(b, "xvalue"))
        if b["role"]["value"] == "total":
            ident.total = side
        elif all(p.iri != x for p in ident.parts):
            ident.parts.append(side)
    for ident in found.values():
        ident.parts.sort(key=lambda p: p.iri)
    return sorted(found.values(), key=lambda i: (STATUS_ORDER.get(i.status, 3), i.kind, i.label))


async def identities_of_figure(queries: QueryRunner, store, graph: str, figure: str) -> list[Identity]:
    """The identities of the document's graph ``graph`` that ``figure`` (an IRI) is the total or a part of."""
    node = NamedNode(figure)
    where = f"{{ ?i bkg:identityTotal {node} }} UNION {{ ?i bkg:identityPart {node} }}"
    return _collect(await select(queries, store, _figure_query(NamedNode(graph), where), MAX_IDENTITIES))


async def identities_of_totals(queries: QueryRunner, store, graph: str, figures: list[str]) -> list[Identity]:
    """The identities of the document's graph ``graph`` whose total is one of ``figures`` (IRIs:
    the cells a table page shows)."""
    out: list[Identity] = []
    for start in range(0, len(figures), 500):  # VALUES of a bounded size
        values = " ".join(str(NamedNode(f)) for f in figures[start : start + 500])
        where = f"VALUES ?t {{ {values} }} ?i bkg:identityTotal ?t"
        out += _collect(await select(queries, store, _figure_query(NamedNode(graph), where), MAX_IDENTITIES))
    return sorted(out, key=lambda i: (STATUS_ORDER.get(i.status, 3), i.kind, i.label))


async def identity_counts(queries: QueryRunner, store, graph: str, table: str) -> list[tuple[str, str, str, int]]:
    """How many identities whose total is in table ``table`` there are, by kind and status:
    (kind, status, status label, count), the most telling status first."""
    query = f"""{_PREFIXES}
SELECT ?kind ?status ?statusLabel (COUNT(?i) AS ?n) WHERE {{
  GRAPH {NamedNode(graph)} {{ ?t qb:dataSet {NamedNode(table)} . ?i bkg:identityTotal ?t ;
    bkg:identityKind ?kind ; bkg:identityStatus ?st }}
  ?st skos:notation ?status .
  OPTIONAL {{ ?st skos:prefLabel ?statusLabel FILTER(LANG(?statusLabel) = "zh") }}
}} GROUP BY ?kind ?status ?statusLabel"""
    rows = [
        (b["kind"]["value"], b["status"]["value"], b.get("statusLabel", {}).get("value", ""), int(b["n"]["value"]))
        for b in await select(queries, store, query, 1000)
    ]
    return sorted(rows, key=lambda r: (STATUS_ORDER.get(r[1], 3), r[0]))


async def graph_of(queries: QueryRunner, store, iri: str) -> str | None:
    """The document graph a figure's IRI is stated in (the graph that types it), or None."""
    query = f"SELECT ?g WHERE {{ GRAPH ?g {{ {NamedNode(iri)} bkg:sourceLine ?line }} }} LIMIT 1"
    rows = await select(queries, store, _PREFIXES + query, 1)
    return rows[0]["g"]["value"] if rows else None


def display_identities(identities: list[Identity], href: Callable[[str], str]) -> list[dict]:
    """The identities as the pages print them: amounts with separators, each figure with its link."""

    def side(s: Side) -> dict[str, str]:
        return {"label": s.label, "href": href(s.iri), "value": amount_text(s.value), "iri": s.iri}

    return [
        {
            "label": i.label,
            "href": href(i.iri),
            "kind": i.kind,
            "status": i.status,
            "status_label": i.status_label,
            "total": side(i.total) if i.total else None,
            "parts": [side(p) for p in i.parts],
            "expected": amount_text(i.expected),
            "difference": amount_text(i.difference),
        }
        for i in identities
    ]


async def figure_identities(queries: QueryRunner, store, iri: str, href: Callable[[str], str]) -> list[dict]:
    """The identities the figure ``iri`` takes part in, as :func:`display_identities` has them."""
    try:
        graph = await graph_of(queries, store, iri)
        found = await identities_of_figure(queries, store, graph, iri) if graph else []
    except TableQueryFailed:  # the page shows what it has; the identities are a part of it
        return []
    return display_identities(found, href)
