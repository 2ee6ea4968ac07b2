"""A Fiscal Data Package (frictionless ``datapackage.json`` with CSV files) of the store's figures.

For people who do not use RDF: one row per printed amount, with its dimensions as codes
and labels, the amount exactly as printed, and where it was printed.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from pyoxigraph import Store

from ..load.store import solutions
from .export import write_atomic

__all__ = ["write_fdp", "FIELDS"]

FIELDS = [
    ("dataset", "string", "the dataset (department × year) IRI"),
    ("department", "string", "部门"),
    ("fiscal_year", "year", "预算年度"),
    ("table", "integer", "表号 (1–12)"),
    ("table_title", "string", "表名"),
    ("organization", "string", "单位 (department or budget unit)"),
    ("project", "string", "项目 (表12 only)"),
    ("functional_code", "string", "支出功能分类科目编码 (_T: total)"),
    ("economic_code", "string", "支出经济分类科目编码 (_T: total)"),
    ("funding_source", "string", "资金来源 (code)"),
    ("expenditure_type", "string", "支出类型 (code)"),
    ("is_subtotal", "boolean", "true when the row or column totals others: leave it out of sums"),
    ("amount", "number", "金额, 万元, exact"),
    ("printed", "string", "the amount as printed"),
    ("source_line", "integer", "line of the source document"),
    ("source_column", "string", "column header path"),
]

QUERY = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?dataset ?department ?year ?table ?title ?organization ?project ?functional ?economic ?fund ?type ?sub
       ?amount ?printed ?line ?column WHERE {
  ?o qb:dataSet ?t ; bkg:amount ?amount ; bkg:printedAmount ?printed ; bkg:sourceLine ?line ; bkg:sourceColumn ?column ;
     bkg:isSubtotal ?sub ; bkg:organization ?org .
  ?t bkg:tableNumber ?table ; dcterms:title ?title ; dcterms:isPartOf ?dataset .
  ?dataset dcterms:publisher/skos:prefLabel ?department ; bkg:fiscalYear/rdfs:label ?year .
  ?org skos:prefLabel ?organization .
  OPTIONAL { ?o bkg:project ?p . ?p bkg:budgetUnit ?u ; rdfs:label ?project }
  OPTIONAL { ?o bkg:functionalClassification/skos:notation ?functional }
  OPTIONAL { ?o bkg:economicClassification/skos:notation ?economic }
  OPTIONAL { ?o bkg:fundingSource/skos:notation ?fund }
  OPTIONAL { ?o bkg:expenditureType/skos:notation ?type }
}
ORDER BY ?dataset ?table ?line ?column
"""


def write_fdp(store: Store, folder: Path) -> list[Path]:
    """Write ``datapackage.json`` and ``observations.csv`` into ``folder``; return the files."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name, _, _ in FIELDS])
    count = 0
    for s in solutions(store, QUERY, use_default_graph_as_union=True):
        values = [
            s[v]
            for v in (
                "dataset",
                "department",
                "year",
                "table",
                "title",
                "organization",
                "project",
                "functional",
                "economic",
                "fund",
                "type",
                "sub",
                "amount",
                "printed",
                "line",
                "column",
            )
        ]
        writer.writerow(["" if v is None else v.value for v in values])
        count += 1
    data = folder / "observations.csv"
    write_atomic(data, buffer.getvalue().encode("utf-8"))
    package = {
        "profile": "fiscal-data-package",
        "name": "budgetkg-department-budgets",
        "title": "部门预算 · Department budgets (budgetkg)",
        "licenses": [{"name": "CC-BY-4.0", "path": "https://creativecommons.org/licenses/by/4.0/"}],
        "resources": [
            {
                "name": "observations",
                "path": "observations.csv",
                "format": "csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": {"fields": [{"name": n, "type": t, "description": d} for n, t, d in FIELDS]},
                "count_of_rows": count,
            }
        ],
        "model": {
            "measures": {"amount": {"source": "amount", "currency": "CNY", "factor": 10000}},
            "dimensions": {
                "organization": {
                    "dimensionType": "entity",
                    "attributes": {"name": {"source": "organization"}},
                    "primaryKey": ["name"],
                },
                "functional": {
                    "dimensionType": "classification",
                    "classificationType": "functional",
                    "attributes": {"code": {"source": "functional_code"}},
                    "primaryKey": ["code"],
                },
                "economic": {
                    "dimensionType": "classification",
                    "classificationType": "economic",
                    "attributes": {"code": {"source": "economic_code"}},
                    "primaryKey": ["code"],
                },
                "funding": {
                    "dimensionType": "fact",
                    "attributes": {"code": {"source": "funding_source"}},
                    "primaryKey": ["code"],
                },
                "date": {
                    "dimensionType": "datetime",
                    "attributes": {"year": {"source": "fiscal_year"}},
                    "primaryKey": ["year"],
                },
            },
        },
    }
    manifest = folder / "datapackage.json"
    write_atomic(manifest, json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8"))
    return [manifest, data]
