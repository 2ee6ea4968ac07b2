"""A Fiscal Data Package 1.0 (``datapackage.json`` with CSV files) of the store's figures.

For people who do not use RDF, and for OpenSpending.  Every resource holds facts that do not
overlap: its rows are the printed amounts that no other amount of the same table adds up
(``bkg:isSubtotal false``), one row per key of the table's Data Cube structure, so summing a
resource never counts money twice.

- ``budget`` (the main resource, first): the year's revenue as 表2 splits it (function ×
  funding source) and the year's expenditure as 表11 and 表12 split it (unit × economic
  class or project × funding source: basic and project expenditure, the finest split the
  template has), with a ``direction`` column.  The printed parts of a disclosure do not
  always add up to its printed totals to the cent (the documents say so: 尾数误差); a row of
  kind ``rounding-difference`` per dataset and direction states the difference between the
  total of 表1 (本年收入合计, 本年支出合计) and the sum of the parts, so that the resource
  sums, by direction, to the totals as printed.
- ``table-N``: every other table alone, its own non-overlapping facts (the same money split
  otherwise: by function, by economic class of one fund, the 三公 items, …).

Columns are typed with the FDP 1.0 budget taxonomy's ColumnTypes; the few concepts it lacks
(the 表8 items, the accounting scope, where a figure was printed) are declared in the
descriptor's ``columnTypes``.  Amounts are the printed decimals with their group separators
removed (``797407.58``), never floats, in 万元: the ``value`` field says ``currency`` CNY and
``factor`` 10000, as OpenSpending reads them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pyoxigraph import Store

from ..load.store import solutions
from ..rdf.structure import dimensions
from ..template.spec import template
from .export import write_atomic

__all__ = ["write_fdp", "COLUMNS", "CUSTOM_COLUMN_TYPES", "MAIN_TABLES"]

# The tables of the main resource: revenue from 表2, expenditure from 表11 (basic) and 表12
# (project and other).
MAIN_TABLES = (2, 11, 12)
TAXONOMY = "https://frictionlessdata.io/taxonomies/fiscal/budgets.json"


@dataclass(frozen=True)
class Column:
    """A field of a resource: its name, Table Schema type, FDP ColumnType, description."""

    name: str
    type: str
    column_type: str
    description: str


def _c(name: str, type_: str, column_type: str, description: str) -> Column:
    return Column(name, type_, column_type, description)


# Column groups by Data Cube dimension (bkg: local name); the first column of a group is its key part.
BY_DIMENSION: dict[str, tuple[Column, ...]] = {
    "fiscalYear": (
        _c("fiscal_year", "integer", "date:fiscal-year", "预算年度 (the fiscal year is the calendar year)"),
    ),
    "organization": (
        _c("department", "string", "administrative-classification:generic:level1:code", "部门, by its name"),
        _c("organization", "string", "administrative-classification:generic:level2:code", "单位, by its name"),
    ),
    "operationCharacter": (_c("direction", "string", "direction", "expenditure or revenue"),),
    "budgetPhase": (_c("phase", "string", "phase:id", "budget phase: approved (部门预算)"),),
    "accountingScope": (
        _c("accounting_scope", "string", "budgetkg:accounting-scope:code", "核算口径 (code)"),
        _c("accounting_scope_label", "string", "budgetkg:accounting-scope:label", "核算口径"),
    ),
    "functionalClassification": (
        _c("functional_code", "string", "functional-classification:generic:code", "支出功能分类科目编码 (_T: all)"),
        _c("functional_label", "string", "functional-classification:generic:label", "科目名称"),
    ),
    "economicClassification": (
        _c("economic_code", "string", "economic-classification:generic:code", "支出经济分类科目编码 (_T: all)"),
        _c("economic_label", "string", "economic-classification:generic:label", "科目名称"),
    ),
    "project": (
        _c("project_code", "string", "activity:generic:project:code", "项目 (its IRI: names repeat across units)"),
        _c("project_label", "string", "activity:generic:project:label", "项目名称"),
    ),
    "expenseItem": (
        _c("expense_item", "string", "budgetkg:expense-item:code", "表8 item (code)"),
        _c("expense_item_label", "string", "budgetkg:expense-item:label", "表8 item"),
    ),
    "expenditureType": (
        _c("expenditure_type", "string", "expenditure-type:code", "支出类型 (code; _T: all)"),
        _c("expenditure_type_label", "string", "expenditure-type:label", "支出类型"),
    ),
    "fundingSource": (
        _c("funding_source", "string", "fin-source:generic:code", "资金来源 (code; _T: all)"),
        _c("funding_source_label", "string", "fin-source:generic:label", "资金来源"),
    ),
}
AMOUNT = _c("amount", "number", "value", "金额 in 万元 (factor 10000 to yuan), the printed decimal")
CURRENCY = _c("currency", "string", "value-currency:code", "ISO 4217 currency code")
TABLE = _c("table", "integer", "budgetkg:source:table", "表号 (1–12) of the disclosure")
PROVENANCE = (
    _c("kind", "string", "budgetkg:line-kind", "printed, or rounding-difference (see the package description)"),
    _c("source_line", "integer", "budgetkg:source:line", "line of the source document (text form)"),
    _c("source_column", "string", "budgetkg:source:column", "column header path"),
)
COLUMNS = [c for group in BY_DIMENSION.values() for c in group] + [AMOUNT, CURRENCY, TABLE, *PROVENANCE]

# ColumnTypes the budget taxonomy lacks, declared as FDP 1.0 "explicit typing" allows.
CUSTOM_COLUMN_TYPES: list[dict[str, Any]] = [
    {"name": "budgetkg:accounting-scope:code", "dataType": "string", "unique": True},
    {"name": "budgetkg:accounting-scope:label", "dataType": "string", "labelOf": "budgetkg:accounting-scope:code"},
    {"name": "budgetkg:expense-item:code", "dataType": "string", "unique": True},
    {"name": "budgetkg:expense-item:label", "dataType": "string", "labelOf": "budgetkg:expense-item:code"},
    {"name": "budgetkg:source:table", "dataType": "integer", "unique": True},
    {"name": "budgetkg:line-kind", "dataType": "string"},
    {"name": "budgetkg:source:line", "dataType": "integer"},
    {"name": "budgetkg:source:column", "dataType": "string"},
]

_PREFIXES = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
# One row per non-overlapping printed amount, with its coded dimensions as concepts (their
# notations and labels come from CODES, read once).
QUERY = (
    _PREFIXES
    + """
SELECT ?dataset ?table ?department ?yearIri ?organization ?flow ?phase ?amount ?printed ?line ?column
       ?scope ?functional ?economic ?project ?projectLabel ?item ?type ?fund WHERE {
  ?o qb:dataSet ?t ; bkg:isSubtotal false ; bkg:amount ?amount ; bkg:printedAmount ?printed ;
     bkg:sourceLine ?line ; bkg:sourceColumn ?column ; bkg:organization ?org ;
     bkg:operationCharacter ?flow ; bkg:budgetPhase ?phase .
  ?t bkg:tableNumber ?table ; dcterms:isPartOf ?dataset .
  ?dataset dcterms:publisher/skos:prefLabel ?department ; bkg:fiscalYear ?yearIri .
  ?org skos:prefLabel ?organization .
  OPTIONAL { ?o bkg:accountingScope ?scope }
  OPTIONAL { ?o bkg:functionalClassification ?functional }
  OPTIONAL { ?o bkg:economicClassification ?economic }
  OPTIONAL { ?o bkg:project ?project . ?project rdfs:label ?projectLabel }
  OPTIONAL { ?o bkg:expenseItem ?item }
  OPTIONAL { ?o bkg:expenditureType ?type }
  OPTIONAL { ?o bkg:fundingSource ?fund }
}
ORDER BY ?dataset ?table ?line ?column
"""
)
# Every coded concept's notation and Chinese label.
CODES = (
    _PREFIXES
    + """
SELECT ?concept ?notation ?label WHERE {
  ?concept skos:notation ?notation
  OPTIONAL { ?concept skos:prefLabel ?label FILTER(lang(?label) = "zh") }
}
"""
)
# The year's totals of 表1 (本年收入合计, 本年支出合计): the figures the main resource sums to.
TOTALS = (
    _PREFIXES
    + """
SELECT ?dataset ?flow ?amount ?printed ?line ?column WHERE {
  ?o qb:dataSet ?t ; bkg:isSubtotal true ; bkg:amount ?amount ; bkg:printedAmount ?printed ;
     bkg:sourceLine ?line ; bkg:sourceColumn ?column ; bkg:operationCharacter/skos:notation ?flow ;
     bkg:accountingScope/skos:notation "current-year" ;
     bkg:functionalClassification/skos:notation "_T" ; bkg:fundingSource/skos:notation "_T" ;
     bkg:expenditureType/skos:notation "_T" .
  ?t bkg:tableNumber 1 ; dcterms:isPartOf ?dataset .
}
"""
)
# Query variable of each column that is a value as it is.
VARIABLE = {
    "organization": "organization",
    "department": "department",
    "project_code": "project",
    "project_label": "projectLabel",
    "table": "table",
    "source_line": "line",
    "source_column": "column",
}
# Coded columns: (code column, label column) → query variable of the concept.
CODED = {
    ("accounting_scope", "accounting_scope_label"): "scope",
    ("functional_code", "functional_label"): "functional",
    ("economic_code", "economic_label"): "economic",
    ("expense_item", "expense_item_label"): "item",
    ("expenditure_type", "expenditure_type_label"): "type",
    ("funding_source", "funding_source_label"): "fund",
}
# bkg flow codes → FDP directions.
DIRECTION = {"income": "revenue", "expenditure": "expenditure"}


def _amount(printed: str, value: str) -> str:
    """The printed decimal without its group separators, when it is the amount; else the amount."""
    text = printed.replace(",", "").strip()
    try:
        if Decimal(text) == Decimal(value):
            return text
    except InvalidOperation:
        pass
    return value


def _codes(store: Store) -> dict[str, tuple[str, str]]:
    """Concept IRI → (notation, Chinese label or "")."""
    out: dict[str, tuple[str, str]] = {}
    for s in solutions(store, CODES, use_default_graph_as_union=True):
        label = "" if s["label"] is None else s["label"].value
        previous = out.get(s["concept"].value)
        if previous is None or (label and not previous[1]):
            out[s["concept"].value] = (s["notation"].value, label)
    return out


def _row(s: Any, codes: dict[str, tuple[str, str]]) -> dict[str, str]:
    row = {name: ("" if s[var] is None else s[var].value) for name, var in VARIABLE.items()}
    # The year from its reference.data.gov.uk IRI (…/id/year/2024): a year without a code list
    # has no label.  (Computed here: a BIND in the query made Oxigraph's plan far slower.)
    row["fiscal_year"] = s["yearIri"].value.rsplit("/", 1)[-1]
    for (code, label), var in CODED.items():
        row[code], row[label] = ("", "") if s[var] is None else codes.get(s[var].value, (s[var].value, ""))
    flow = codes.get(s["flow"].value, (s["flow"].value, ""))[0]
    row["direction"] = DIRECTION.get(flow, flow)
    row["phase"] = codes.get(s["phase"].value, (s["phase"].value, ""))[0]
    row["amount"] = _amount(s["printed"].value, s["amount"].value)
    row["currency"] = "CNY"
    row["kind"] = "printed"
    return row


def _rounding_rows(
    store: Store, main: list[dict[str, str]], datasets: dict[str, dict[str, str]]
) -> list[dict[str, str]]:
    """Per dataset and direction, the printed 表1 total less the sum of the main resource's parts, when not zero."""
    sums: dict[tuple[str, str], Decimal] = {}
    for row in main:
        key = (row["_dataset"], row["direction"])
        sums[key] = sums.get(key, Decimal(0)) + Decimal(row["amount"])
    out = []
    for s in solutions(store, TOTALS, use_default_graph_as_union=True):
        dataset, direction = s["dataset"].value, DIRECTION.get(s["flow"].value, s["flow"].value)
        total = Decimal(_amount(s["printed"].value, s["amount"].value))
        difference = total - sums.get((dataset, direction), Decimal(0))
        if difference == 0 or dataset not in datasets:
            continue
        row = dict.fromkeys((c.name for c in COLUMNS), "") | datasets[dataset]
        row |= {
            "direction": direction,
            "amount": str(difference),
            "currency": "CNY",
            "table": "1",
            "kind": "rounding-difference",
            "source_line": s["line"].value,
            "source_column": s["column"].value,
            "_dataset": dataset,
        }
        out.append(row)
    return out


def _schema(columns: list[Column]) -> dict[str, Any]:
    fields = []
    for c in columns:
        field: dict[str, Any] = {
            "name": c.name,
            "type": c.type,
            "columnType": c.column_type,
            "description": c.description,
        }
        if c is AMOUNT:
            # OpenSpending's options of a `value` column; amounts are in 万元.
            field |= {"currency": "CNY", "factor": 10000, "decimalChar": ".", "bareNumber": True}
        fields.append(field)
    key_types = {"date:fiscal-year", "direction", "phase:id", "value-currency:code", "budgetkg:source:table"}
    key = [c.name for c in columns if c.column_type.endswith(":code") or c.column_type in key_types]
    return {"fields": fields, "primaryKey": key, "missingValues": [""]}


def _columns(dims: Iterable[str], main: bool) -> list[Column]:
    wanted = set(dims)
    out = [c for d, group in BY_DIMENSION.items() if d in wanted for c in group]
    return out + [AMOUNT, CURRENCY, TABLE, *(PROVENANCE if main else PROVENANCE[1:])]


def _csv(columns: list[Column], rows: list[dict[str, str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in columns])
    for row in rows:
        writer.writerow([row[c.name] for c in columns])
    return buffer.getvalue().encode("utf-8")


def write_fdp(store: Store, folder: Path) -> list[Path]:
    """Write ``datapackage.json`` and one CSV per resource into ``folder``; return the files, the descriptor first.

    :param store: the store whose figures are written (every dataset of it).
    :param folder: the folder to write into (made if missing); files of the same names are replaced.
    """
    folder.mkdir(parents=True, exist_ok=True)
    by_table: dict[int, list[dict[str, str]]] = {}
    datasets: dict[str, dict[str, str]] = {}
    codes = _codes(store)
    for s in solutions(store, QUERY, use_default_graph_as_union=True):
        row = _row(s, codes)
        row["_dataset"] = s["dataset"].value
        datasets.setdefault(
            row["_dataset"],
            {
                "fiscal_year": row["fiscal_year"],
                "department": row["department"],
                "organization": row["department"],
                "phase": row["phase"],
            },
        )
        by_table.setdefault(int(row["table"]), []).append(row)
    specs = {spec.number: spec for spec in template().tables}
    main_rows = [row for n in MAIN_TABLES for row in by_table.get(n, [])]
    main_rows += _rounding_rows(store, main_rows, datasets)
    main_dims = {d for n in MAIN_TABLES for d in dimensions(specs[n])}
    resources: list[tuple[str, str, list[Column], list[dict[str, str]]]] = [
        (
            "budget",
            "部门预算收支 · The year's revenue (表2) and expenditure (表11, 表12) as non-overlapping facts",
            _columns(main_dims, main=True),
            main_rows,
        )
    ]
    for number, spec in sorted(specs.items()):
        if number not in MAIN_TABLES:
            title = f"表{number} {spec.title} · {spec.title_en}"
            resources.append(
                (f"table-{number}", title, _columns(dimensions(spec), main=False), by_table.get(number, []))
            )
    written = []
    described = []
    for name, title, columns, rows in resources:
        path = folder / f"{name}.csv"
        write_atomic(path, _csv(columns, rows))
        written.append(path)
        described.append(
            {
                "name": name,
                "title": title,
                "path": path.name,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _schema(columns),
            }
        )
    years = sorted({d["fiscal_year"] for d in datasets.values()})
    package: dict[str, Any] = {
        # FDP 1.0 is a Tabular Data Package with ColumnTypes; it has no profile of its own (the
        # "fiscal-data-package" profile is FDP 0.3's, which wants the `model` FDP 1.0 dropped).
        "profile": "tabular-data-package",
        "name": "budgetkg-department-budgets",
        "title": "部门预算 · Department budgets (budgetkg)",
        "description": (
            "Fiscal Data Package 1.0 of Chinese department budget disclosures, amounts in 万元 "
            "(CNY × 10000) exactly as printed. Each resource's rows do not overlap: sum a resource, "
            "never several. `budget` holds the year's revenue (表2) and expenditure (表11, 表12) and, "
            "where the printed parts do not add up to 表1's printed total, a rounding-difference row."
        ),
        "countryCode": "CN",
        "granularity": "aggregated",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "columnTypes": [TAXONOMY, CUSTOM_COLUMN_TYPES],
        "resources": described,
    }
    if years:
        package["fiscalPeriod"] = f"{years[0]}-01-01/{years[-1]}-12-31"
    manifest = folder / "datapackage.json"
    write_atomic(manifest, json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8"))
    return [manifest, *written]
