"""The ontology's axioms hold on the data, and a reasoner finds them broken when they are.

The OWL 2 RL closure (owlrl) of the ontology and the bundled document's graph, then the
inconsistencies it shows: owlrl's error messages (a thing of two disjoint classes), members of
owl:Nothing, and owl:sameAs between two different values or between two of budgetkg's IRIs (a
functional property given two: budgetkg mints one IRI for each thing).  owlrl takes minutes over
the whole graph (90,000 triples), so the closure is taken over a sample of it that still holds
every class and every property the graph uses (asserted below).
"""

import io

import pytest
from budgetkg.rdf.graphs import ENTAILED_GRAPH, VOCABULARY_GRAPH
from budgetkg.resources import ontology_dir
from pyoxigraph import NamedNode, Triple

rdflib = pytest.importorskip("rdflib")
owlrl = pytest.importorskip("owlrl")
from rdflib import OWL, RDF, RDFS, Literal, URIRef  # noqa: E402

BKG = rdflib.Namespace("https://w3id.org/budgetkg/ontology#")
QB = rdflib.Namespace("http://purl.org/linked-data/cube#")
ERROR = URIRef("http://www.daml.org/2002/03/agents/agent-ont#ErrorMessage")
OURS = "https://w3id.org/budgetkg/"
# A few things of each class and with each property, and what they point at.
EACH = 3


def ontology() -> "rdflib.Graph":
    return rdflib.Graph().parse(data=ontology_dir().joinpath("budgetkg.ttl").read_text("utf-8"), format="turtle")


# The graphs of data: the document's and the reference graphs it adds to.
DATA_GRAPHS = f"FILTER(?g NOT IN (<{VOCABULARY_GRAPH.value}>, <{ENTAILED_GRAPH.value}>))"


@pytest.fixture(scope="module")
def used(store) -> tuple[set[str], set[str]]:
    """Every class and every property of the data graphs."""
    keep = DATA_GRAPHS
    classes = {r["c"].value for r in store.query(f"SELECT DISTINCT ?c WHERE {{ GRAPH ?g {{ ?s a ?c }} {keep} }}")}
    props = {r["p"].value for r in store.query(f"SELECT DISTINCT ?p WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {keep} }}")}
    return classes, props


@pytest.fixture(scope="module")
def sample(store, used) -> "rdflib.Graph":
    """The triples of EACH things of every class and with every property, and of what they point at."""
    keep = DATA_GRAPHS
    classes, props = used
    subjects: set = set()
    for c in sorted(classes):
        q = f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s a <{c}> }} {keep} }} ORDER BY ?s LIMIT {EACH}"
        subjects |= {r["s"] for r in store.query(q)}
    for p in sorted(props):
        q = f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s <{p}> ?o }} {keep} }} ORDER BY ?s LIMIT {EACH}"
        subjects |= {r["s"] for r in store.query(q)}
    data = [n for n in store.named_graphs() if n not in (VOCABULARY_GRAPH, ENTAILED_GRAPH)]

    def triples(subject) -> list:
        return [
            Triple(q.subject, q.predicate, q.object)
            for g in data
            for q in store.quads_for_pattern(subject, None, None, g)
        ]

    chosen = [t for s in subjects for t in triples(s)]
    pointed = {t.object for t in chosen if isinstance(t.object, NamedNode)} - subjects
    chosen += [t for o in pointed for t in triples(o)]
    graph = rdflib.Graph().parse(data="".join(f"{t} .\n" for t in set(chosen)), format="nt")
    return graph


def closure(data: "rdflib.Graph") -> "rdflib.Graph":
    g = ontology()
    for t in data:
        g.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(g)
    return g


def inconsistencies(g: "rdflib.Graph") -> list[str]:
    """What the closure shows broken, in words."""
    found = [str(o) for e in g.subjects(RDF.type, ERROR) for p, o in g.predicate_objects(e) if p != RDF.type]
    found += [f"{s} is a member of owl:Nothing" for s in g.subjects(RDF.type, OWL.Nothing)]
    for s, o in g.subject_objects(OWL.sameAs):
        if isinstance(s, Literal) and isinstance(o, Literal) and not s.eq(o):
            found.append(f"two values {s} and {o} where one is allowed")
        elif isinstance(s, URIRef) and isinstance(o, URIRef) and s != o and str(s).startswith(OURS):
            found.append(f"{s} and {o} are one thing where one is allowed")
    return found


@pytest.fixture(scope="module")
def clean(sample) -> "rdflib.Graph":
    return closure(sample)


def test_the_sample_holds_every_class_and_property_of_the_graph(sample, used):
    classes, props = used
    assert classes <= {str(c) for c in sample.objects(None, RDF.type)}
    assert props <= {str(p) for p in sample.predicates()}
    assert 1000 < len(sample) < 20000


def test_the_bundled_document_is_consistent_with_the_ontology(clean, sample):
    assert inconsistencies(clean) == []
    # the axioms were at work: domains typed, and the Data Cube restriction reached an observation
    observation = next(sample.subjects(BKG.amount, None))
    assert (observation, RDF.type, QB.Observation) in clean
    assert any(isinstance(c, rdflib.BNode) for c in clean.objects(observation, RDF.type))


def plant(sample: "rdflib.Graph", *triples) -> list[str]:
    g = rdflib.Graph()
    for t in sample:
        g.add(t)
    for t in triples:
        g.add(t)
    return inconsistencies(closure(g))


def test_a_project_typed_as_a_unit_is_caught(sample):
    project = min(sample.subjects(RDF.type, BKG.Project))
    found = plant(sample, (project, RDF.type, BKG.BudgetUnit))
    assert found and any("disjoint" in f.lower() and str(project) in f for f in found), found


def test_an_observation_with_two_amounts_is_caught(sample):
    observation, amount = min(sample.subject_objects(BKG.amount))
    other = Literal(amount.toPython() + 1)
    assert other.datatype == rdflib.XSD.decimal
    found = plant(sample, (observation, BKG.amount, other))
    assert any("two values" in f and str(other) in f for f in found), found


def test_a_project_of_two_units_is_caught(sample):
    project, unit = min(sample.subject_objects(BKG.budgetUnit))
    other = min(u for u in sample.subjects(RDF.type, BKG.BudgetUnit) if u != unit)
    found = plant(sample, (project, BKG.budgetUnit, other))
    assert any("one thing" in f and {str(unit), str(other)} <= set(f.split()) for f in found), found


def test_an_observation_of_two_tables_is_caught(sample):
    # qb:dataSet is Data Cube's: at most one for an observation of a budget table (a restriction)
    observation, table = min(sample.subject_objects(QB.dataSet))
    other = min(t for t in sample.subjects(RDF.type, BKG.BudgetTable) if t != table)
    found = plant(sample, (observation, QB.dataSet, other))
    assert any("one thing" in f and str(other) in f for f in found), found


def test_two_years_of_a_department_keep_the_functional_and_disjoint_axioms(two_years):
    # The closure above sees a sample of one document; these axioms, read in SPARQL, over the
    # whole of a store of two documents (a unit is then listed by both: bkg:sourceDocument is not
    # functional, and must not be).
    from budgetkg.load.store import open_store

    store, g = open_store(two_years), ontology()
    broken = []
    for p in sorted(g.subjects(RDF.type, OWL.FunctionalProperty)):
        q = f"SELECT ?s WHERE {{ ?s <{p}> ?a , ?b FILTER(?a != ?b) }} LIMIT 1"
        broken += [f"{r['s'].value} has two {p}" for r in store.query(q, use_default_graph_as_union=True)]
    members = rdflib.collection.Collection(g, g.value(next(g.subjects(RDF.type, OWL.AllDisjointClasses)), OWL.members))
    values = " ".join(f"<{c}>" for c in members)
    q = f"""SELECT ?x ?a ?b WHERE {{ VALUES ?a {{ {values} }} VALUES ?b {{ {values} }}
            ?x a ?a , ?b FILTER(STR(?a) < STR(?b)) }} LIMIT 5"""
    broken += [
        f"{r['x'].value} is {r['a'].value} and {r['b'].value}" for r in store.query(q, use_default_graph_as_union=True)
    ]
    assert broken == []
    units = "SELECT ?u WHERE { ?u a <%s> ; <%s> ?a , ?b FILTER(?a != ?b) } LIMIT 1" % (
        BKG.BudgetUnit,
        BKG.sourceDocument,
    )
    assert list(store.query(units, use_default_graph_as_union=True))  # listed by both years


def test_every_property_has_a_domain_and_a_range():
    missing = ontology().query(
        """PREFIX owl: <http://www.w3.org/2002/07/owl#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?p WHERE { VALUES ?kind { owl:ObjectProperty owl:DatatypeProperty } ?p a ?kind
                          FILTER NOT EXISTS { ?p rdfs:domain ?d . ?p rdfs:range ?r } }"""
    )
    assert [str(r.p) for r in missing] == []


def test_the_model_states_disjointness_functional_properties_and_cardinalities():
    g = ontology()
    disjoint = next(g.subjects(RDF.type, OWL.AllDisjointClasses))
    members = set(rdflib.collection.Collection(g, g.value(disjoint, OWL.members)))
    assert {BKG.BudgetUnit, BKG.Project, QB.Observation, BKG.MissingCell} <= members
    assert {BKG.amount, BKG.budgetUnit} <= set(g.subjects(RDF.type, OWL.FunctionalProperty))
    assert BKG.sourceDocument not in set(g.subjects(RDF.type, OWL.FunctionalProperty))
    project_unit = [r for r in g.objects(BKG.Project, RDFS.subClassOf) if (r, OWL.onProperty, BKG.budgetUnit) in g]
    assert [g.value(r, OWL.minCardinality).toPython() for r in project_unit] == [1]


def test_owlready2_loads_the_ontology():
    # owlready2 reads RDF/XML (not Turtle), as the server answers /ontology for application/rdf+xml
    owlready2 = pytest.importorskip("owlready2")
    g = ontology()
    world = owlready2.World()
    onto = world.get_ontology("https://w3id.org/budgetkg/ontology").load(
        fileobj=io.BytesIO(g.serialize(format="xml", encoding="utf-8")), format="rdfxml"
    )
    assert len(list(onto.classes())) == len(set(g.subjects(RDF.type, OWL.Class)) & set(g.subjects(RDFS.isDefinedBy)))
    functional = "SELECT (COUNT(?p) AS ?n) { ?p a <http://www.w3.org/2002/07/owl#FunctionalProperty> }"
    assert list(world.sparql(functional)) == [[len(set(g.subjects(RDF.type, OWL.FunctionalProperty)))]]
    project, unit = onto.search_one(iri=str(BKG.Project)), onto.search_one(iri=str(BKG.BudgetUnit))
    assert unit in {c for d in project.disjoints() for c in d.entities}
    assert "budgetUnit.min(1" in " ".join(str(c) for c in project.is_a)
