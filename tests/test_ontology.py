"""The ontology, code lists and prefix table: labels, comments, namespaces, generated files."""

import re

import pytest
import rdflib
from budgetkg.rdf.codelists import codelist_files, write_turtle
from budgetkg.rdf.namespaces import TERMS
from budgetkg.resources import ontology_dir, queries_dir
from rdflib.namespace import OWL, RDF, RDFS, SKOS

BKG = "https://w3id.org/budgetkg/ontology#"


@pytest.fixture(scope="module")
def ontology():
    g = rdflib.Graph()
    g.parse(data=ontology_dir().joinpath("budgetkg.ttl").read_text("utf-8"), format="turtle")
    return g


def terms(g):
    return {s for s in g.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(BKG)}


def test_every_term_has_one_label_and_comment_per_language(ontology):
    for term in terms(ontology):
        for p in (RDFS.label, RDFS.comment):
            langs = sorted(o.language for o in ontology.objects(term, p))
            assert langs == ["en", "zh"], (term, p)
        assert (term, RDFS.isDefinedBy, rdflib.URIRef("https://w3id.org/budgetkg/ontology")) in ontology


def test_no_untagged_literals(ontology):
    for s, p, o in ontology:
        if isinstance(o, rdflib.Literal) and p in (RDFS.label, RDFS.comment):
            assert o.language, (s, p, o)


def test_closed_namespace_matches_the_ontology(ontology):
    assert {str(t)[len(BKG) :] for t in terms(ontology)} == set(TERMS)


def test_header_declares_its_namespace(ontology):
    onto = rdflib.URIRef("https://w3id.org/budgetkg/ontology")
    VANN = rdflib.Namespace("http://purl.org/vocab/vann/")
    assert (onto, RDF.type, OWL.Ontology) in ontology
    assert str(ontology.value(onto, VANN.preferredNamespaceUri)) == BKG
    assert str(ontology.value(onto, VANN.preferredNamespacePrefix)) == "bkg"
    assert ontology.value(onto, OWL.versionInfo) is not None


def test_aligned_with_openbudgets(ontology):
    OBEU = "http://data.openbudgets.eu/ontology/dsd/"
    assert (rdflib.URIRef(BKG + "amount"), RDFS.subPropertyOf, rdflib.URIRef(OBEU + "measure/amount")) in ontology
    for dim in ("organization", "fiscalYear", "budgetPhase", "functionalClassification", "economicClassification"):
        assert (rdflib.URIRef(BKG + dim), RDFS.subPropertyOf, rdflib.URIRef(OBEU + "dimension/" + dim)) in ontology


@pytest.mark.parametrize("scheme, year", codelist_files())
def test_generated_codelist_turtle_is_current(scheme, year):
    kept = ontology_dir().joinpath(f"codelists/{scheme}-{year}.ttl").read_text("utf-8")
    assert kept == write_turtle(scheme, year), f"run python -m budgetkg.rdf.codelists to regenerate {scheme}-{year}.ttl"


def test_functional_codes_follow_code_structure():
    g = rdflib.Graph()
    g.parse(data=ontology_dir().joinpath("codelists/functional-2024.ttl").read_text("utf-8"), format="turtle")
    base = "https://w3id.org/budgetkg/codelist/functional/2024/"
    assert (rdflib.URIRef(base + "2080101"), SKOS.broader, rdflib.URIRef(base + "20801")) in g
    assert (rdflib.URIRef(base + "20801"), SKOS.broader, rdflib.URIRef(base + "208")) in g
    assert (rdflib.URIRef(base + "208"), SKOS.topConceptOf, rdflib.URIRef(base[:-1])) in g
    label = {o.language: str(o) for o in g.objects(rdflib.URIRef(base + "2080101"), SKOS.prefLabel)}
    assert label == {"zh": "行政运行", "en": "Administrative operation"}


def prefix_table():
    g = rdflib.Graph()
    g.parse(data=ontology_dir().joinpath("prefixes.ttl").read_text("utf-8"), format="turtle")
    SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    return {str(g.value(d, SH.prefix)): str(g.value(d, SH.namespace)) for d in g.objects(None, SH.declare)}


def declared_prefixes(text: str):
    return re.findall(r"(?im)^\s*(?:@prefix|PREFIX)\s+([\w-]*):\s*<([^>]*)>", text)


def test_the_loader_reads_the_prefix_table_as_rdflib_does():
    from budgetkg.rdf.prefixes import prefix_table as loaders_table

    assert loaders_table() == prefix_table()
    assert loaders_table()["obeu-operation"] == "http://data.openbudgets.eu/resource/codelist/operation-character/"


def test_every_prefix_agrees_with_the_prefix_table():
    table = prefix_table()
    files = [f for f in ontology_dir().iterdir() if f.name.endswith(".ttl")]
    files += [f for f in ontology_dir().joinpath("shapes").iterdir()]
    files += [f for f in ontology_dir().joinpath("integrity-constraints").iterdir()]
    files += [f for f in queries_dir().iterdir() if f.name.endswith(".rq")]
    files += [f for f in queries_dir().joinpath("guide").iterdir() if f.name.endswith(".rq")]
    checked = 0
    for f in files:
        for prefix, namespace in declared_prefixes(f.read_text("utf-8")):
            if prefix == "eg":  # the IC-20/21 template placeholder, see the file's comment
                continue
            assert table.get(prefix) == namespace, (f.name, prefix, namespace)
            checked += 1
    assert checked > 100


def test_the_code_uses_the_namespaces_of_the_prefix_table():
    import budgetkg.rdf.namespaces as ns

    namespaces = {name: getattr(ns, name) for name in ns.__all__ if isinstance(getattr(ns, name), ns.Namespace)}
    del namespaces["INTERVAL"]  # the UK reference years that fiscal years link to: data, never abbreviated
    table = prefix_table()
    assert {name: n.base for name, n in namespaces.items()} == {name: table[name.lower()] for name in namespaces}
