"""Namespaces, and the ontology's terms as a closed namespace.

Ontology terms and code lists live in fixed namespaces under https://w3id.org/budgetkg/
that no option changes, so graphs built by different publishers join on them.  Only
data IRIs take the configurable base (see :mod:`budgetkg.rdf.iri`).
"""

from __future__ import annotations

from pyoxigraph import NamedNode

__all__ = [
    "Namespace",
    "BKG",
    "BKGS",
    "CL",
    "RDF",
    "RDFS",
    "OWL",
    "XSD",
    "SKOS",
    "QB",
    "ORG",
    "PROV",
    "DCAT",
    "DCTERMS",
    "VOID",
    "FOAF",
    "SD",
    "SH",
    "SCHEMA",
    "SPDX",
    "INTERVAL",
    "INTERVALS",
    "ONTOLOGY_IRI",
    "TERMS",
]

ONTOLOGY_IRI = "https://w3id.org/budgetkg/ontology"


class Namespace:
    """IRIs under a namespace: ``QB.DataSet``.  A closed namespace refuses names it does not define."""

    def __init__(self, base: str, terms: frozenset[str] | None = None) -> None:
        self.base = base
        self.terms = terms
        self._cache: dict[str, NamedNode] = {}

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("_"):
            raise AttributeError(name)
        node = self[name]
        # Later lookups find the attribute without calling __getattr__ (the mapping makes ~200k).
        setattr(self, name, node)
        return node

    def __getitem__(self, name: str) -> NamedNode:
        node = self._cache.get(name)
        if node is None:
            if self.terms is not None and name not in self.terms:
                raise AttributeError(f"{name!r} is not a term of {self.base} (ontology/budgetkg.ttl)")
            node = self._cache[name] = NamedNode(self.base + name)
        return node


# The terms of ontology/budgetkg.ttl; tests/test_ontology.py checks this list against the file.
TERMS = frozenset(
    [
        "AccountingIdentity",
        "BudgetDataset",
        "BudgetTable",
        "BudgetUnit",
        "Department",
        "Division",
        "GlossaryEntry",
        "KeyProjectStatement",
        "MissingCell",
        "NameDifference",
        "NarrativeFigure",
        "Project",
        "ProjectTotal",
        "ReferenceGraph",
        "SourceDocument",
        "ThemeAssignment",
        "accountingScope",
        "budgetPhase",
        "economicClassification",
        "expenditureType",
        "expenseItem",
        "fiscalYear",
        "functionalClassification",
        "fundingSource",
        "operationCharacter",
        "organization",
        "project",
        "amount",
        "isSubtotal",
        "printedAmount",
        "sourceColumn",
        "sourceLine",
        "sourcePlace",
        "sourcePage",
        "sourceBox",
        "sourceCell",
        "synthetic",
        "unitOfMeasure",
        "assignedTheme",
        "budgetUnit",
        "checksumSha256",
        "declaredEmpty",
        "describesProject",
        "difference",
        "duties",
        "expectedValue",
        "identityKind",
        "identityPart",
        "identityStatus",
        "identityTotal",
        "isKeyProject",
        "keyProjectStatement",
        "matchedText",
        "nameSimilarity",
        "narrativeKey",
        "performanceGoal",
        "printedName",
        "referenceDate",
        "referencePeriod",
        "resolvedTo",
        "sourceDocument",
        "tableNumber",
        "theme",
        "themeAssignment",
        "themeRule",
        "totalAmount",
        "unitKind",
        "value",
    ]
)

BKG = Namespace(ONTOLOGY_IRI + "#", TERMS)
BKGS = Namespace("https://w3id.org/budgetkg/structure/")
CL = Namespace("https://w3id.org/budgetkg/codelist/")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
QB = Namespace("http://purl.org/linked-data/cube#")
ORG = Namespace("http://www.w3.org/ns/org#")
PROV = Namespace("http://www.w3.org/ns/prov#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
VOID = Namespace("http://rdfs.org/ns/void#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SCHEMA = Namespace("https://schema.org/")
SPDX = Namespace("http://spdx.org/rdf/terms#")
INTERVAL = Namespace("http://reference.data.gov.uk/id/year/")
# The UK reference intervals, of any length: id/year/2024, id/month/2023-12, id/day/2023-12-24.
INTERVALS = "http://reference.data.gov.uk/id/"
