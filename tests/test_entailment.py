"""The entailed graph: queries in the anchors' vocabularies (OpenBudgets.eu, SDMX, SKOS) answer.

Expected figures are read off the bundled document, guangzhou-hrss-2024-budget.txt (line numbers
given); the library's own queries must give the same.
"""

from decimal import Decimal as D

import pytest
from budgetkg.load.graph import build
from budgetkg.load.store import open_store
from budgetkg.rdf.graphs import ENTAILED_GRAPH
from pyoxigraph import NamedNode

PREFIXES = """
PREFIX obeu-dimension: <http://data.openbudgets.eu/ontology/dsd/dimension/>
PREFIX obeu-measure: <http://data.openbudgets.eu/ontology/dsd/measure/>
PREFIX qb: <http://purl.org/linked-data/cube#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
"""
EXPENDITURE = "<http://data.openbudgets.eu/resource/codelist/operation-character/expenditure>"

# Written as for OpenBudgets.eu data: the anchors' measure and dimensions, the OBEU operation
# character (through the code list's skos:exactMatch), and the data set by its title.
OBEU_EXPENDITURE = (
    PREFIXES
    + f"""
SELECT ?code ?amount WHERE {{
  ?table dcterms:title "收支总体情况表"@zh .
  ?o qb:dataSet ?table ; obeu-dimension:operationCharacter ?flow ;
     obeu-dimension:functionalClassification ?class ; obeu-measure:amount ?amount .
  ?flow skos:exactMatch {EXPENDITURE} .
  ?class skos:notation ?code
}}
"""
)

# 类 level from the 项 up, through skos:broaderTransitive: the 合计 column (all funding sources)
# of 收入总体情况表, the revenue of each functional class.
OBEU_ITEMS_UP_TO_CLASS = (
    PREFIXES
    + """
SELECT ?notation (SUM(?amount) AS ?total) WHERE {
  ?table dcterms:title "收入总体情况表"@zh .
  ?o qb:dataSet ?table ; obeu-dimension:classification ?fund ;
     obeu-dimension:functionalClassification ?item ; obeu-measure:amount ?amount .
  ?fund skos:notation "_T" .
  ?item skos:notation ?code FILTER(STRLEN(?code) = 7)
  ?item skos:broaderTransitive ?class . ?class skos:notation ?notation FILTER(STRLEN(?notation) = 3)
} GROUP BY ?notation
"""
)


def select(store, query: str) -> list[list[str]]:
    return [[t.value for t in row] for row in store.query(query, use_default_graph_as_union=True)]


def test_an_obeu_query_gives_the_expenditure_total_of_the_library(store, ask):
    rows = select(store, OBEU_EXPENDITURE)
    # 表1's expenditure side, lines 85-117: 25 functional classes, 本年支出合计, three transfer
    # lines and 支出总计, as the library's overview gives them
    overview = [r for r in ask("overview") if r[0] == "支出"]
    assert sorted(D(amount) for _, amount in rows) == sorted(D(r[3]) for r in overview) and len(rows) == 30
    # 本年支出合计 and 支出总计 835,711.80 (lines 113, 117) and the transfer lines 0.00 (114-116),
    # coded as the total of the classes
    totals = sorted(D(amount) for code, amount in rows if code == "_T")
    assert totals == [D("0.00")] * 3 + [D("835711.80")] * 2
    assert [r[3] for r in overview if r[1] == "113"] == ["835711.80"]
    # the 25 classes as printed (lines 85-112) add up to 835,711.79: the document's rounding
    assert sum(D(amount) for code, amount in rows if len(code) == 3) == D("835711.79")


def test_a_class_level_obeu_query_reaches_its_items_and_matches_the_library(store, ask):
    by_class = {notation: D(total) for notation, total in select(store, OBEU_ITEMS_UP_TO_CLASS)}
    # 205 教育支出: 2050303 and 2050399 of 表2 (lines 136, 137) add up to the class's 240,796.67 (line 134)
    assert by_class["205"] == D("240796.67")
    # 208 社会保障和就业支出: its items add up to 541,432.61, one cent from the class line's
    # 541,432.60 (line 92): the document's rounding
    assert by_class["208"] == D("541432.61")
    # the library's functional-item query (表3, 合计 of each 项), summed by class by hand
    library: dict[str, D] = {}
    for _, code, total, _, _ in ask("functional-item"):
        library[code[:3]] = library.get(code[:3], D(0)) + D(total)
    assert by_class == library


def test_a_class_reaches_every_item_printed_under_it(store, seed_lines):
    # 表3 支出总体情况表, lines 215-285: the 7-digit codes printed under 208 社会保障和就业支出
    printed = {
        line.split("\t")[0] for line in seed_lines[214:285] if line[:3] == "208" and len(line.split("\t")[0]) == 7
    }
    assert len(printed) > 10
    query = (
        PREFIXES
        + """
    SELECT DISTINCT ?code WHERE {
      ?table dcterms:title "支出总体情况表"@zh .
      ?class skos:notation "208" .
      ?item skos:broaderTransitive ?class ; skos:notation ?code FILTER(STRLEN(?code) = 7)
      ?o qb:dataSet ?table ; obeu-dimension:functionalClassification ?item .
    }"""
    )
    assert {code for (code,) in select(store, query)} == printed


def test_the_entailed_graph_states_nothing_twice_and_no_bkg_term(store):
    bkg = "https://w3id.org/budgetkg/ontology#"
    g = f"<{ENTAILED_GRAPH.value}>"
    query = f"SELECT DISTINCT ?p WHERE {{ GRAPH {g} {{ ?s ?p ?o FILTER(?s != {g}) }} }}"
    predicates = {p for (p,) in select(store, query)}
    assert "http://data.openbudgets.eu/ontology/dsd/measure/amount" in predicates
    assert not [p for p in predicates if p.startswith(bkg)]
    # (the graph's description of itself, a bkg:ReferenceGraph, is not an entailment)
    types = {c for (c,) in select(store, f"SELECT DISTINCT ?c WHERE {{ GRAPH {g} {{ ?s a ?c FILTER(?s != {g}) }} }}")}
    assert "http://xmlns.com/foaf/0.1/Project" in types and not [c for c in types if c.startswith(bkg)]
    twice = f"ASK {{ GRAPH {g} {{ ?s ?p ?o }} GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != {g}) }}"
    assert not store.query(twice)
    # one obeu-measure:amount for each bkg:amount: 3791 observations (the build's summary counts them)
    count = "SELECT (COUNT(*) AS ?n) WHERE {{ ?o <{}> ?a }}"
    amounts = select(store, count.format(bkg + "amount"))
    assert amounts == select(store, count.format("http://data.openbudgets.eu/ontology/dsd/measure/amount"))


@pytest.fixture(scope="module")
def rebuilt(seed_lines, tmp_path_factory):
    """The bundled document built, then built again with 201 一般公共服务支出 of 表1 (line 85) changed."""
    folder = tmp_path_factory.mktemp("rebuilt")
    assert seed_lines[84] == "一、预算拨款\t797,407.58\t一、一般公共服务支出\t5.00"
    (folder / "doc.txt").write_text("\n".join(seed_lines), encoding="utf-8")
    build([folder / "doc.txt"], store=folder / "store")
    changed = list(seed_lines)
    changed[84] = "一、预算拨款\t797,407.58\t一、一般公共服务支出\t6.00"
    (folder / "doc.txt").write_text("\n".join(changed), encoding="utf-8")
    build([folder / "doc.txt"], store=folder / "store")
    return open_store(folder / "store")


def test_a_rebuilt_document_leaves_no_stale_entailment(rebuilt):
    rows = select(rebuilt, OBEU_EXPENDITURE)
    assert [D(amount) for code, amount in rows if code == "201"] == [D("6.00")]
    assert rebuilt.contains_named_graph(NamedNode(ENTAILED_GRAPH.value))
