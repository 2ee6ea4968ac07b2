"""The ontology, its terms, the named graphs and the dumps' dataset from their IRIs, on a real
`budgetkg serve` (issue 35, item 5): RDF for programs (owlready2, rdflib), HTML for browsers."""

from __future__ import annotations

import shutil
from urllib.parse import urldefrag

import httpx
import pytest
import rdflib
from budgetkg.load.store import apply_update, open_store
from budgetkg.rdf.graphs import CODES_GRAPH, ENTAILED_GRAPH, VOCABULARY_GRAPH
from budgetkg.resources import ontology_dir
from pyoxigraph import DefaultGraph
from rdflib.compare import isomorphic
from servers import dumped, start

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMATS = {  # Accept, ?format=, rdflib's name
    "text/turtle": ("ttl", "turtle"),
    "application/rdf+xml": ("rdfxml", "xml"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
}
ONTOLOGY = "https://w3id.org/budgetkg/ontology"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
HTTP = httpx.Client(timeout=120)  # generous: a loaded machine


@pytest.fixture(scope="module")
def served(store_path, tmp_path_factory):
    """(server URL, store folder): a copy of the bundled store, with a code printed that no code
    list has in the codes-as-printed graph (as a build puts one there), so that every kind of graph is in it."""
    store = tmp_path_factory.mktemp("dereference") / "store"
    shutil.copytree(store_path, store, symlinks=True)
    code = "https://w3id.org/budgetkg/codelist/gfs-function/2080598"
    notation = '<http://www.w3.org/2004/02/skos/core#notation> "2080598"'
    apply_update(f"INSERT DATA {{ GRAPH <{CODES_GRAPH.value}> {{ <{code}> {notation} }} }}", path=store)
    dumped(store)  # as `budgetkg build` would: the update made a database without them
    process, url = start(store)
    yield url, store
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def reference():
    return rdflib.Graph().parse(ontology_dir() / "budgetkg.ttl", format="turtle")


def test_the_ontology_answers_each_rdf_syntax_by_accept_and_by_format(served, reference):
    url, _ = served
    for accept, (fmt, name) in FORMATS.items():
        for r in (HTTP.get(url + "/ontology", headers={"Accept": accept}), HTTP.get(url + f"/ontology?format={fmt}")):
            assert r.status_code == 200 and r.headers["content-type"].startswith(accept), (accept, r.headers)
            assert "Accept" in r.headers["vary"].split(", ")
            assert isomorphic(rdflib.Graph().parse(data=r.content, format=name), reference), accept


def test_the_ontology_is_html_only_for_a_browser(served):
    url, _ = served
    r = HTTP.get(url + "/ontology", headers={"Accept": BROWSER})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    # A program that names no syntax (owlready2 and Protégé send */* or nothing) gets RDF/XML.
    for accept in ("*/*", ""):
        r = HTTP.get(url + "/ontology", headers={"Accept": accept})
        assert r.headers["content-type"].startswith("application/rdf+xml"), accept
    # An RDF syntax the client prefers to HTML wins over it.
    r = HTTP.get(url + "/ontology", headers={"Accept": "text/html;q=0.5, text/turtle"})
    assert r.headers["content-type"].startswith("text/turtle")


def test_owlready2_loads_the_ontology_from_the_server(served, reference):
    owlready2 = pytest.importorskip("owlready2")
    url, _ = served
    world = owlready2.World()
    onto = world.get_ontology(url + "/ontology").load()
    found = {c.iri for c in world.classes()}
    declared = {str(c) for c in reference.subjects(rdflib.RDF.type, rdflib.OWL.Class) if str(c).startswith(ONTOLOGY)}
    assert declared and declared <= found, declared - found
    assert onto is not None


def test_every_term_is_a_hash_iri_of_the_ontology_that_serves_it(served, reference):
    url, _ = served
    served_graph = rdflib.Graph().parse(data=HTTP.get(url + "/ontology?format=nt").content, format="nt")
    terms = {str(s) for s in reference.subjects() if isinstance(s, rdflib.URIRef) and "w3id.org/budgetkg/ontology" in s}
    assert len(terms) > 50
    for term in terms - {ONTOLOGY}:
        document, fragment = urldefrag(term)
        assert document == ONTOLOGY and fragment, term  # no slash IRIs: /ontology is each term's document
        assert (rdflib.URIRef(term), None, None) in served_graph


def graph_path(iri: str) -> str:
    """Where the server serves a graph's IRI (the vocabulary's base, or the data's default base)."""
    for base in ("https://w3id.org/budgetkg/data/", "https://w3id.org/budgetkg/"):
        if iri.startswith(base):
            return "/" + iri[len(base) :]
    raise AssertionError(iri)


def test_each_named_graph_dereferences_with_its_triple_count_and_dumps(served):
    url, store = served
    db = open_store(store)
    graphs = {g.value: len(list(db.quads_for_pattern(None, None, None, g))) for g in db.named_graphs()}
    kinds = {VOCABULARY_GRAPH.value, CODES_GRAPH.value, ENTAILED_GRAPH.value}
    assert kinds <= set(graphs) and "https://w3id.org/budgetkg/data/graph/organisations" in graphs
    assert any("/dataset/" in g for g in graphs)  # the document's
    del db
    for iri, count in graphs.items():
        r = HTTP.get(url + graph_path(iri), headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and "Accept" in r.headers["vary"].split(", "), (iri, r.text)
        graph = rdflib.Graph().parse(data=r.content, format="turtle")
        node = rdflib.URIRef(iri)
        assert graph.value(node, VOID.triples).toPython() == count, iri
        assert {str(o) for o in graph.objects(node, VOID.dataDump)} == {
            url + "/dumps/budgetkg.trig",
            url + "/dumps/budgetkg.nq.gz",
        }
        assert (node, rdflib.DCTERMS.isPartOf, rdflib.URIRef(url + "/dumps/")) in graph
        page = HTTP.get(url + graph_path(iri), headers={"Accept": BROWSER})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "void:triples" in page.text and str(count) in page.text


def test_the_dumps_dataset_dereferences_with_every_rdf_dump(served):
    url, store = served
    db = open_store(store)
    total = sum(1 for q in db.quads_for_pattern(None, None, None, None) if not isinstance(q.graph_name, DefaultGraph))
    graphs = {g.value for g in db.named_graphs()}
    del db
    r = HTTP.get(url + "/dumps/", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/ld+json"), r.text
    graph = rdflib.Graph().parse(data=r.content, format="json-ld")
    node = rdflib.URIRef(url + "/dumps/")
    assert graph.value(node, VOID.triples).toPython() == total
    assert {str(o) for o in graph.objects(node, VOID.subset)} == graphs
    dumps = {str(o) for o in graph.objects(node, VOID.dataDump)}
    # RDF only: the Fiscal Data Package's JSON and CSV are distributions, not RDF dumps.
    assert url + "/dumps/budgetkg.trig" in dumps and url + "/dumps/budgetkg.nq.gz" in dumps
    assert not any(d.endswith((".csv", ".json")) for d in dumps)
    distributions = {str(o) for o in graph.objects(node, DCAT.distribution)}
    assert dumps < distributions
    for dump in dumps:  # each dump the description names is there
        assert HTTP.head(dump).status_code == 200, dump
    page = HTTP.get(url + "/dumps/", headers={"Accept": BROWSER})
    assert page.status_code == 200 and "budgetkg.trig" in page.text
