"""JSON-LD that reads as JSON (an @context, terms, language maps, exact amounts), and GraphML amounts as numbers."""

from __future__ import annotations

import io
import json
from decimal import Decimal

import networkx as nx
import pytest
from budgetkg.publish.export import export_bytes
from budgetkg.server.descriptions import describe
from pyoxigraph import NamedNode, RdfFormat, parse

BKG = "https://w3id.org/budgetkg/ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.fixture(scope="module")
def dump(store) -> bytes:
    return export_bytes(store, "jsonld")


def _union(store) -> set[str]:
    return {str(q.triple) for q in store.quads_for_pattern(None, None, None, None)}


def _walk(value):
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_the_dump_reads_back_to_the_same_triples(store, dump):
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=dump, format="json-ld")
    got = {str(q.triple) for q in parse(graph.serialize(format="nt", encoding="utf-8"), format=RdfFormat.N_TRIPLES)}
    assert got == _union(store)
    assert {str(q.triple) for q in parse(dump, format=RdfFormat.JSON_LD)} == _union(store)


def _project(store, name: str) -> NamedNode:
    label = "http://www.w3.org/2000/01/rdf-schema#label"
    q = f'SELECT ?p WHERE {{ ?p a <{BKG}Project> ; <{label}> "{name}"@zh }}'
    (row,) = list(store.query(q, use_default_graph_as_union=True))
    return row["p"]


def test_a_page_reads_back_with_a_json_ld_processor_offline(store):
    from pyld import jsonld

    def refuse(url, options=None):
        raise AssertionError(f"pyld fetched {url}")

    jsonld.set_document_loader(refuse)
    # A project of 表12 (line 683 of the document), as its page answers in JSON-LD.
    project = _project(store, "局本级民办教育发展专项财政补贴")
    page = json.loads(describe(store, project, RdfFormat.JSON_LD, 1000))
    quads = jsonld.to_rdf(page, {"format": "application/n-quads"})
    got = {str(q.triple) for q in parse(quads.encode("utf-8"), format=RdfFormat.N_QUADS)}
    want = {str(q.triple) for q in store.quads_for_pattern(project, None, None, None)}
    assert got == want and len(want) > 5


def _types(node: dict) -> list[str]:
    types = node.get("@type", [])
    return types if isinstance(types, list) else [types]


def test_plain_json_finds_a_project_and_its_label(dump, seed_lines):
    document = json.loads(dump)
    assert "@context" in document and document["@context"]["bkg"] == BKG
    # The project's name as the document prints it (表12, first cell of its row).
    (line,) = [line for line in seed_lines if line.startswith("局本级民办教育发展专项财政补贴\t")]
    name = line.split("\t")[0]
    # A node of several types (the entailed graph adds the anchors' classes) has a list of them.
    projects = [n for n in document["@graph"] if BKG + "Project" in _types(n)]
    assert name in {p["label"]["zh"] for p in projects if "zh" in p.get("label", {})}
    # Keys are terms, prefixed names or keywords, never IRIs.
    for node in document["@graph"]:
        assert not [key for key in node if key.startswith(("http:", "https:"))], node


def test_amounts_are_exact_strings_never_floats(dump, seed_lines):
    document = json.loads(dump)
    assert not [v for v in _walk(document["@graph"]) if isinstance(v, float)]
    assert document["@context"]["amount"]["@type"] == "http://www.w3.org/2001/XMLSchema#decimal"
    # 表1's 预算拨款 (line 85): 797,407.58, which no double holds, as its exact decimal.
    printed = next(line for line in seed_lines if line.startswith("一、预算拨款\t")).split("\t")[1]
    assert Decimal(printed.replace(",", "")) != Decimal(float(printed.replace(",", "")))
    amounts = {n["amount"] for n in document["@graph"] if "amount" in n}
    assert printed.replace(",", "") in amounts
    # Integers and booleans are JSON's own.
    observation = next(n for n in document["@graph"] if "sourceLine" in n and "isSubtotal" in n)
    assert isinstance(observation["sourceLine"], int) and isinstance(observation["isSubtotal"], bool)


def test_graphml_edge_amounts_are_numbers(store, seed_lines):
    graph = nx.read_graphml(io.BytesIO(export_bytes(store, "graphml")))
    amounts = [d for _, _, d in graph.edges(data=True) if "amount" in d]
    assert len(amounts) > 100
    for d in amounts:
        assert isinstance(d["amount_yuan"], int)
        assert d["amount_yuan"] == Decimal(d["amount"]) * 10000
    # 表3's 教育支出 (205) row, 合计 column: 240,796.67 万元.
    (line,) = [line for line in seed_lines if line.startswith("205\t教育支出\t") and line.count("\t") == 8]
    total = Decimal(line.split("\t")[2].replace(",", "")) * 10000
    assert total in {d["amount_yuan"] for d in amounts if d["relation"] == "spending"}
