"""Data Cube structures (qb:DataStructureDefinition) of the twelve tables, from the template.

Structures belong to the template, not to a department: their IRIs are fixed
(``https://w3id.org/budgetkg/structure/table-N``) so every department's tables share them.
"""

from __future__ import annotations

from pyoxigraph import Literal, NamedNode, Triple

from ..template.spec import TableSpec, template
from .codelists import SCHEMES, codelist_files, scheme_triples
from .namespaces import BKG, BKGS, CL, INTERVAL, QB, RDF, RDFS, SKOS, XSD

__all__ = ["dimensions", "structure_iri", "structure_triples", "CODED_DIMENSIONS", "OBEU_CURRENCY", "CURRENCY_CNY"]

COMMON = ("fiscalYear", "budgetPhase", "organization", "operationCharacter")
BY_LAYOUT = {
    "balance": ("fundingSource", "functionalClassification", "expenditureType", "accountingScope"),
    "code-matrix": ("fundingSource", "functionalClassification", "expenditureType"),
    "code-list": ("fundingSource", "expenditureType"),
    "labelled": ("expenseItem", "fundingSource"),
    "unit-matrix": ("economicClassification", "fundingSource", "expenditureType"),
    "project-matrix": ("project", "fundingSource", "expenditureType"),
}
ATTRIBUTES = ("unitOfMeasure", "printedAmount", "isSubtotal", "sourceLine", "sourceColumn")
# OpenBudgets.eu requires obeu-attribute:currency in every structure.  Its value is the same
# for a whole table, so it is attached to the qb:DataSet (as OBEU's own examples do), not
# repeated on every observation; the Data Cube normalisation (spec §10.1) gives it to them.
OBEU_CURRENCY = NamedNode("http://data.openbudgets.eu/ontology/dsd/attribute/currency")
# The EU Publications Office's currency authority list: the IRIs OpenBudgets.eu gives currencies.
CURRENCY_CNY = NamedNode("http://publications.europa.eu/resource/authority/currency/CNY")
# Dimension → code list (a skos:Collection over every year's scheme, so that Data Cube
# IC-19 holds for graphs of several years).
CODED_DIMENSIONS = {
    "functionalClassification": "functional",
    "economicClassification": "economic",
    "fundingSource": "fund",
    "expenditureType": "expense-type",
    "expenseItem": "expense-item",
    "operationCharacter": "flow",
    "accountingScope": "scope",
    "budgetPhase": "budget-phase",
}


def dimensions(spec: TableSpec) -> tuple[str, ...]:
    """The dimension properties (local names under bkg:) of a table's structure."""
    extra = BY_LAYOUT[spec.layout]
    if spec.layout == "code-list":
        extra = (
            extra[0],
            "functionalClassification" if spec.codes == "functional" else "economicClassification",
            extra[1],
        )
    return COMMON + extra


def collection(scheme_name: str) -> NamedNode:
    """The code list of a coded dimension: a skos:Collection of the concepts of every year's scheme."""
    return NamedNode(f"{CL.base}{scheme_name}")


def structure_iri(number: int) -> NamedNode:
    return NamedNode(f"{BKGS.base}table-{number}")


def structure_triples() -> list[Triple]:
    """DSDs of the template's tables, and the code-list collections their dimensions use."""
    out: list[Triple] = []
    for spec in template().tables:
        dsd = structure_iri(spec.number)
        out += [
            Triple(dsd, RDF.type, QB.DataStructureDefinition),
            Triple(dsd, RDFS.label, Literal(f"表{spec.number} {spec.title} 的结构", language="zh")),
            Triple(dsd, RDFS.label, Literal(f"Structure of table {spec.number}: {spec.title_en}", language="en")),
        ]
        components = (
            [("dimension", d) for d in dimensions(spec)]
            + [("measure", "amount")]
            + [("attribute", a) for a in ATTRIBUTES]
        )
        for order, (role, prop) in enumerate(components, 1):
            comp = NamedNode(f"{dsd.value}/component/{prop}")
            out += [
                Triple(dsd, QB.component, comp),
                Triple(comp, RDF.type, QB.ComponentSpecification),
                Triple(comp, QB[role], BKG[prop]),
                # The Data Cube normalisation algorithm (spec §10.1) would infer this; the ICs need it.
                Triple(comp, QB.componentProperty, BKG[prop]),
            ]
            if role == "dimension":
                out.append(Triple(comp, QB.order, Literal(str(order), datatype=XSD.integer)))
            if role == "attribute":
                out.append(Triple(comp, QB.componentRequired, Literal("true", datatype=XSD.boolean)))
        currency = NamedNode(f"{dsd.value}/component/currency")
        out += [
            Triple(dsd, QB.component, currency),
            Triple(currency, RDF.type, QB.ComponentSpecification),
            Triple(currency, QB.attribute, OBEU_CURRENCY),
            Triple(currency, QB.componentProperty, OBEU_CURRENCY),
            Triple(currency, QB.componentAttachment, QB.DataSet),
        ]
    years: dict[str, list[int]] = {}
    for name, year in codelist_files():
        years.setdefault(name, []).append(year)
    for dim, scheme_name in CODED_DIMENSIONS.items():
        members = collection(scheme_name)
        out += [
            Triple(BKG[dim], QB.codeList, members),
            Triple(members, RDF.type, SKOS.Collection),
            Triple(members, RDFS.label, Literal(f"{scheme_name} (all years)", language="en")),
        ]
        for year in years.get(scheme_name, []):
            for t in scheme_triples(scheme_name, year):
                if t.predicate == SKOS.inScheme:
                    out.append(Triple(members, SKOS.member, t.subject))
    for year in sorted({y for ys in years.values() for y in ys}):
        # Fiscal years are reference.data.gov.uk resources; a label lets tables show them.
        out.append(Triple(INTERVAL[str(year)], RDFS.label, Literal(str(year))))
    assert set(CODED_DIMENSIONS.values()) <= set(SCHEMES)
    return out
