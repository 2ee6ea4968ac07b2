"""The OpenBudgets.eu data-model rules, written from its documentation, on the built graph.

OBEU's integrity constraints (github.com/openbudgets/data-model, integrity-constraints/)
require of every qb:DataStructureDefinition: the currency attribute itself
(missing_currency), and among its component properties or their super-properties the
currency, the fiscal period, the operation character, the organization and the amount
(missing_mandatory_component_properties); no abstract classification used directly
(use_of_abstract_property); no OBEU property used as a class (property_instantiation).
"""

from __future__ import annotations

import pytest
from budgetkg.rdf.structure import structure_triples
from pyoxigraph import NamedNode, Quad, Store

PREFIXES = """
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX obeu-attribute: <http://data.openbudgets.eu/ontology/dsd/attribute/>
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
PREFIX obeu-measure: <http://data.openbudgets.eu/ontology/dsd/measure/>
"""
MANDATORY = (
    "obeu-attribute:currency",
    "obeu-dimension:fiscalPeriod",
    "obeu-dimension:operationCharacter",
    "obeu-dimension:organization",
    "obeu-measure:amount",
)
ABSTRACT = (
    "obeu-dimension:administrativeClassification",
    "obeu-dimension:classification",
    "obeu-dimension:economicClassification",
    "obeu-dimension:functionalClassification",
    "obeu-dimension:programmeClassification",
)
CNY = "http://publications.europa.eu/resource/authority/currency/CNY"


def violations(store: Store) -> list[str]:
    """Each broken OBEU rule, as "rule: structure or term"."""

    def select(query: str) -> list[str]:
        return [s[0].value for s in store.query(PREFIXES + query, use_default_graph_as_union=True)]

    out = [
        f"missing currency: {dsd}"
        for dsd in select("""SELECT ?dsd WHERE { ?dsd a qb:DataStructureDefinition
            FILTER NOT EXISTS { VALUES ?p { qb:attribute qb:componentProperty }
                                ?dsd qb:component [ ?p obeu-attribute:currency ] } }""")
    ]
    for prop in MANDATORY:
        out += [
            f"missing {prop}: {dsd}"
            for dsd in select(f"""SELECT ?dsd WHERE {{ ?dsd a qb:DataStructureDefinition
                FILTER NOT EXISTS {{ ?dsd qb:component/qb:componentProperty/rdfs:subPropertyOf* {prop} }} }}""")
        ]
    out += [
        f"abstract property used: {dsd}"
        for dsd in select(f"""SELECT ?dsd WHERE {{ VALUES ?abstract {{ {" ".join(ABSTRACT)} }}
            VALUES ?p {{ qb:dimension qb:componentProperty }}
            ?dsd a qb:DataStructureDefinition ; qb:component [ ?p ?abstract ] }}""")
    ]
    out += [
        f"property instantiated: {t}"
        for t in select("""SELECT DISTINCT ?t WHERE { [] a ?t
            FILTER STRSTARTS(STR(?t), "http://data.openbudgets.eu/ontology/dsd/") }""")
    ]
    # Every data set states its currency, as its structure attaches it there.
    out += [
        f"data set without currency: {ds}"
        for ds in select(f"""SELECT ?ds WHERE {{ ?ds a qb:DataSet ;
            qb:structure/qb:component [ qb:attribute obeu-attribute:currency ; qb:componentAttachment qb:DataSet ]
            FILTER NOT EXISTS {{ ?ds obeu-attribute:currency <{CNY}> }} }}""")
    ]
    return out


def test_the_graph_keeps_the_obeu_rules(store):
    assert violations(store) == []
    structures = store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://purl.org/linked-data/cube#DataStructureDefinition> }",
        use_default_graph_as_union=True,
    )
    assert int(next(iter(structures))[0].value) == 12


def test_every_table_states_its_currency_as_cny(store):
    rows = list(
        store.query(
            PREFIXES + "SELECT ?ds ?c WHERE { ?ds a qb:DataSet ; obeu-attribute:currency ?c }",
            use_default_graph_as_union=True,
        )
    )
    assert len(rows) == 12 and {r["c"].value for r in rows} == {CNY}


@pytest.fixture(scope="module")
def structures_with_vocabulary(store) -> Store:
    """The structures and the ontology's sub-property axioms alone, in a store of their own."""
    small = Store()
    small.extend(Quad(t.subject, t.predicate, t.object) for t in structure_triples())
    sub = NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")
    small.extend(Quad(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, sub, None, None))
    return small


def test_the_rules_catch_a_structure_without_currency(structures_with_vocabulary):
    small = Store()
    small.extend(structures_with_vocabulary)
    assert violations(small) == []
    currency = NamedNode("http://data.openbudgets.eu/ontology/dsd/attribute/currency")
    # The planted error: 表3's structure loses its currency component (qb:attribute and qb:componentProperty).
    for q in list(small.quads_for_pattern(None, None, currency, None)):
        if "table-3/" in q.subject.value:
            small.remove(q)
    assert sorted(v.split(":")[0] for v in violations(small)) == ["missing currency", "missing obeu-attribute"]
    assert all("table-3" in v for v in violations(small))


def test_the_rules_catch_a_structure_without_fiscal_period(structures_with_vocabulary):
    small = Store()
    small.extend(structures_with_vocabulary)
    fiscal = NamedNode("http://data.openbudgets.eu/ontology/dsd/dimension/fiscalPeriod")
    for q in list(small.quads_for_pattern(None, None, fiscal, None)):
        small.remove(q)
    found = violations(small)
    assert len(found) == 12 and all(v.startswith("missing obeu-dimension:fiscalPeriod") for v in found)
