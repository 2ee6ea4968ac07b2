"""A document's table as it printed it, read back from the store: rows, headers, amounts.

The graph holds a table as observations (``qb:Observation``, one per printed amount) and
missing cells (``bkg:MissingCell``), each with its line in the text form, its column's header
path and its dimensions; the template (``data/template.toml``) gives the columns and the
printed header.  An observation's IRI ends in the row's key and the column's key
(:meth:`budgetkg.rdf.iri.Minter.observation`), its label is ``表N {row label} · {column path}``
(:mod:`budgetkg.rdf.mapping`): the rows are put back together from those, in the order of
their lines.  In the two-sided tables (表1, 表4) each side of a printed line is its own row;
a :class:`Line` holds the rows printed on one line, as the document shows them side by side.

Sorting, filtering, searching and paging work on the rows read, in Python: what a request
asks for is compared with stored values, never written into a query.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote

from pyoxigraph import NamedNode

from ..rdf.structure import dimensions
from ..template.spec import TableSpec, template
from .runner import QueryRunner

__all__ = [
    "Figure",
    "Row",
    "Line",
    "PrintedTable",
    "read_table",
    "amount_text",
    "TableQueryFailed",
    "select",
]

BKG = "https://w3id.org/budgetkg/ontology#"
TOTAL = "_T"
# The dimensions (local names under bkg:) that tell what a row is about: its unit, code, project …
DIMENSIONS = ("organization", "fundingSource", "functionalClassification", "economicClassification", "project")
# Observations and missing cells of the largest table a document may have (表12 of the bundled
# document has 1,624): a table past it is refused rather than read in part.
MAX_CELLS = 200_000

_PREF_LABEL = NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
_LABEL = NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_NOTATION = NamedNode("http://www.w3.org/2004/02/skos/core#notation")
_GOAL = NamedNode(BKG + "performanceGoal")

_PREFIXES = """PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""


class TableQueryFailed(Exception):
    """A query of a page could not be answered (too large, or an error): the message says why."""


def amount_text(value: Decimal | None) -> str:
    """An amount as the pages print it: thousands separators, two decimals (exact: no float).

    >>> amount_text(Decimal("797407.58")), amount_text(Decimal("-5")), amount_text(None)
    ('797,407.58', '-5.00', '')
    """
    return "" if value is None else f"{value:,.2f}"


@dataclass
class Figure:
    """One cell of a table: its observation (or missing cell) and what it holds."""

    iri: str
    column: str  # the template's column key
    amount: Decimal | None  # None for a missing cell
    printed: str  # as printed ("797,407.58", or the dash printed where there is none)
    line: int
    fund: str = ""  # the funding source's notation (the code list's "fund")
    fund_iri: str = ""

    @property
    def text(self) -> str:
        return amount_text(self.amount) if self.amount is not None else self.printed


@dataclass
class Row:
    """One row of a table, as the document printed it (one side of a line in 表1 and 表4)."""

    key: str
    label: str
    line: int
    cells: dict[str, Figure] = field(default_factory=dict)
    dims: dict[str, str] = field(default_factory=dict)  # dimension → IRI

    @property
    def side(self) -> str:
        """In 表1 and 表4, the side of the line (``income``, ``expenditure``); else ""."""
        head, sep, _ = self.key.partition(":")
        return head if sep and head in ("income", "expenditure") else ""


@dataclass
class Line:
    """The rows printed on one line of the document: one, or a side each in 表1 and 表4."""

    line: int
    rows: list[Row]


@dataclass
class PrintedTable:
    """A table of a document, read from the store."""

    spec: TableSpec
    iri: str
    graph: str
    rows: list[Row]
    labels: dict[str, str]  # IRI → Chinese label, for the dimensions' values
    notations: dict[str, str]  # IRI → skos:notation, for the codes and funding sources
    goals: dict[str, str]  # project IRI → its performance goal (表12)
    fund_labels: dict[str, str] = field(default_factory=dict)  # a funding source's notation → its label

    @property
    def balance(self) -> bool:
        return self.spec.layout == "balance"

    def lines(self, rows: Iterable[Row] | None = None) -> list[Line]:
        """``rows`` (all by default) grouped by the line they were printed on, in printed order;
        in a table other than 表1 and 表4, a line for each row, in the order given."""
        chosen = self.rows if rows is None else list(rows)
        if not self.balance:
            return [Line(r.line, [r]) for r in chosen]
        out: dict[int, Line] = {}
        for r in chosen:
            out.setdefault(r.line, Line(r.line, [])).rows.append(r)
        return list(out.values())

    def code(self, row: Row) -> str:
        """The classification code the row prints (functional or economic), or ""."""
        for dim in ("functionalClassification", "economicClassification"):
            notation = self.notations.get(row.dims.get(dim, ""), "")
            if notation and notation != TOTAL:
                return notation
        return ""

    def unit(self, row: Row) -> str:
        """The IRI of the unit (or department) a row belongs to, or ""."""
        return row.dims.get("organization", "")

    def link(self, row: Row) -> str:
        """The IRI a row's label links to: its project, its code, its unit, its funding source or item."""
        project = row.dims.get("project", "")
        if project and not project.endswith("/project/" + TOTAL):  # not the total over all projects
            return project
        for dim in ("economicClassification", "functionalClassification"):
            iri = row.dims.get(dim, "")
            if iri and self.notations.get(iri, TOTAL) != TOTAL:
                return iri
        if row.key.startswith("income:") and row.dims.get("fundingSource"):
            return row.dims["fundingSource"]
        if "expenseItem" in row.dims and self.notations.get(row.dims["expenseItem"], TOTAL) != TOTAL:
            return row.dims["expenseItem"]
        return self.unit(row)

    def funds(self) -> list[tuple[str, str]]:
        """The funding sources the table's figures are of, as (notation, label), in column order."""
        seen: dict[str, str] = {}
        for row in self.rows:
            for figure in row.cells.values():
                if figure.fund and figure.fund != TOTAL and figure.fund not in seen:
                    seen[figure.fund] = self.fund_labels.get(figure.fund, figure.fund)
        return list(seen.items())

    def units(self) -> list[tuple[str, str]]:
        """The units the rows belong to, as (label, IRI), in printed order."""
        seen: dict[str, str] = {}
        for row in self.rows:
            iri = self.unit(row)
            if iri and iri not in seen.values():
                seen[self.labels.get(iri, iri)] = iri
        return list(seen.items())


async def select(queries: QueryRunner, store, query: str, max_rows: int) -> list[dict]:
    """The bindings of a SELECT query run by the site's query runner (bounded in time, memory, rows).

    :raises TableQueryFailed: when the answer is too large or the query fails.
    """
    outcome = await queries.run(store, query, max_rows=max_rows, table_format="json")
    if outcome.kind != "table":
        raise TableQueryFailed(outcome.message or "the table could not be read")
    if outcome.truncated:
        raise TableQueryFailed(f"the table has more than {max_rows} cells")
    return json.loads(outcome.content)["results"]["bindings"]


def _cells_query(spec: TableSpec, graph: NamedNode, table: NamedNode) -> str:
    # The table's structure says which dimensions each observation has: required patterns, not
    # OPTIONALs, which Oxigraph runs row by row.
    dims = [d for d in (*DIMENSIONS, "expenseItem") if d in dimensions(spec)]
    patterns = " ".join(f"; bkg:{d} ?{d}" for d in dims)
    return f"""{_PREFIXES}
SELECT ?o ?line ?col ?label ?amount ?printed {" ".join("?" + d for d in dims)} WHERE {{
  GRAPH {graph} {{
    {{ ?o qb:dataSet {table} ; bkg:amount ?amount ; bkg:printedAmount ?printed {patterns} }}
    UNION {{ ?o dcterms:isPartOf {table} ; a bkg:MissingCell OPTIONAL {{ ?o bkg:printedAmount ?printed }} }}
    ?o bkg:sourceLine ?line ; bkg:sourceColumn ?col ; rdfs:label ?label .
  }}
}}"""


def _names(store, graph: str, iris: list[str]) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The Chinese labels, notations and performance goals of ``iris`` (the values of a table's
    dimensions), by direct lookups: a few hundred, each a lookup of one subject's property."""
    labels: dict[str, str] = {}
    notations: dict[str, str] = {}
    goals: dict[str, str] = {}
    g = NamedNode(graph)
    for iri in iris:
        x = NamedNode(iri)
        for p in (_PREF_LABEL, _LABEL):
            found = [q.object.value for q in store.quads_for_pattern(x, p, None) if _lang(q.object) == "zh"]
            if found and iri not in labels:
                labels[iri] = min(found)  # one of several, the same each time
        notation = [q.object.value for q in store.quads_for_pattern(x, _NOTATION, None)]
        if notation:
            notations[iri] = min(notation)
        goal = [q.object.value for q in store.quads_for_pattern(x, _GOAL, None, g)]
        if goal:
            goals[iri] = min(goal)
    return labels, notations, goals


def _lang(term: object) -> str:
    return getattr(term, "language", None) or ""


def _row_label(label: str, number: int, column: str) -> str:
    """The row's printed label, from its observation's ``表N {row} · {column}`` label."""
    text = label.removesuffix("（缺失）").removeprefix(f"表{number} ")
    return text.removesuffix(f" · {column}")


async def read_table(queries: QueryRunner, store, graph: str, number: int) -> PrintedTable:
    """Table ``number`` of the document whose graph is ``graph``, as stored.

    :raises TableQueryFailed: when the store cannot answer it.
    """
    spec = template().spec(number)
    table = NamedNode(f"{graph}/table/{number}")
    g = NamedNode(graph)
    bindings = await select(queries, store, _cells_query(spec, g, table), MAX_CELLS)
    rows: dict[str, Row] = {}
    prefix = table.value + "/"
    for b in bindings:
        iri = b["o"]["value"]
        if not iri.startswith(prefix):
            continue
        row_seg, _, col_seg = iri[len(prefix) :].partition("/")
        key, column = unquote(row_seg), unquote(col_seg)
        line = int(b["line"]["value"])
        row = rows.get(key)
        if row is None:
            label = _row_label(b["label"]["value"], number, b["col"]["value"])
            row = rows[key] = Row(key, label, line)
            row.dims = {d: b[d]["value"] for d in (*DIMENSIONS, "expenseItem") if d in b}
        try:
            amount = Decimal(b["amount"]["value"]) if "amount" in b else None
        except InvalidOperation:
            amount = None
        printed, fund = b.get("printed", {}).get("value", ""), b.get("fundingSource", {}).get("value", "")
        row.cells[column] = Figure(iri, column, amount, printed, line, fund)
    ordered = sorted(rows.values(), key=lambda r: (r.line, r.side != "income"))
    named = sorted({v for r in ordered for v in r.dims.values()} | {f.fund for r in ordered for f in r.cells.values()})
    named = [n for n in named if n]
    labels, notations, goals = await asyncio.to_thread(_names, store, graph, named)
    fund_labels: dict[str, str] = {}
    for r in ordered:  # a figure's funding source by its notation, as the filter names it
        for f in r.cells.values():
            f.fund_iri, f.fund = f.fund, notations.get(f.fund, "")
            fund_labels.setdefault(f.fund, labels.get(f.fund_iri, f.fund))
    return PrintedTable(spec, table.value, graph, ordered, labels, notations, goals, fund_labels)
