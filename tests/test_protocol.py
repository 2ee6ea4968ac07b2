"""The SPARQL 1.1 Protocol against a real `budgetkg serve` (issue 35, item 4): one test for each of
the 34 cases of the W3C protocol test manifest (w3c/rdf-tests, sparql/sparql11/protocol), written
from their descriptions, in the manifest's order.

The manifest's dataset cases load kasei.us's data0.rdf … data3.rdf from the web; here each is
a local graph of the same name, inserted first by an authorised update, holding the one triple
those files hold (the document is a foaf:Document).  Every case sets up what it needs: the update
cases clear the store, and pytest-xdist may run the cases on servers of their own.
"""

from __future__ import annotations

import json
import os
import shutil
from urllib.parse import quote, urljoin
from xml.etree import ElementTree

import httpx
import pytest
import rdflib
from servers import start

TOKEN = "protocol-tests-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DATA = "http://kasei.us/2009/09/sparql/data/data{}.rdf"
FOAF_DOCUMENT = "http://xmlns.com/foaf/0.1/Document"
DC_BIBLIOGRAPHIC = "http://purl.org/dc/terms/BibliographicResource"
BOOLEAN_TYPES = ("application/sparql-results+json", "application/sparql-results+xml")
TABULAR_TYPES = (*BOOLEAN_TYPES, "text/csv", "text/tab-separated-values")
# Generous: after each update, the server processes take up the new database.
HTTP = httpx.Client(timeout=120)
RDF_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json")


@pytest.fixture(scope="module")
def server(store_path, tmp_path_factory):
    """A server of its own, on a copy of the bundled store (the update cases clear it), with an update token."""
    store = tmp_path_factory.mktemp("protocol") / "store"
    shutil.copytree(store_path, store, symlinks=True)
    process, url = start(store, "--timeout", "60", env={**os.environ, "BUDGETKG_UPDATE_TOKEN": TOKEN})
    # An empty store: each update's new database is then taken up at once.
    assert update(url + "/sparql", "DROP ALL").status_code == 204
    yield url + "/sparql"
    process.terminate()
    process.wait(timeout=10)


def enc(text: str) -> str:
    return quote(text, safe="")


def media(r: httpx.Response) -> str:
    return r.headers.get("content-type", "").split(";")[0].strip()


def boolean(r: httpx.Response) -> bool:
    """The boolean of an ASK answer, in either of the formats the protocol allows for it."""
    assert r.status_code in range(200, 400), r.text
    assert media(r) in BOOLEAN_TYPES, media(r)
    if media(r).endswith("json"):
        return json.loads(r.content)["boolean"]
    found = ElementTree.fromstring(r.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert found is not None
    return found.text == "true"


def update(url: str, text: str, query: str = "") -> httpx.Response:
    return HTTP.post(url + query, content=text.encode(), headers={**AUTH, "Content-Type": "application/sparql-update"})


def ask(url: str, text: str, query: str = "") -> httpx.Response:
    return HTTP.post(url + query, content=text.encode(), headers={"Content-Type": "application/sparql-query"})


def load(url: str, *numbers: int) -> None:
    """Graphs dataN.rdf as the manifest's graph data: each says its document is a foaf:Document."""
    quads = " ".join(f"GRAPH <{DATA.format(n)}> {{ <{DATA.format(n)}> a <{FOAF_DOCUMENT}> }}" for n in numbers)
    r = update(url, f"INSERT DATA {{ {quads} }}")
    assert r.status_code == 204, r.text


BOTH = f"ASK {{ <{DATA.format(1)}> a ?type . <{DATA.format(2)}> a ?type . }}"
NAMED = f"ASK {{ GRAPH ?g1 {{ <{DATA.format(1)}> a ?type }} GRAPH ?g2 {{ <{DATA.format(2)}> a ?type }} }}"


def test_query_post_form(server):
    r = HTTP.post(
        server + f"?default-graph-uri={enc(DATA.format(0))}",
        content=b"query=ASK%20%7B%7D",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert boolean(r) is True


def test_query_dataset_default_graphs_get(server):
    load(server, 1, 2)
    params = f"?query={enc(BOTH)}&default-graph-uri={enc(DATA.format(1))}&default-graph-uri={enc(DATA.format(2))}"
    assert boolean(HTTP.get(server + params)) is True


def test_query_dataset_default_graphs_post(server):
    load(server, 1, 2)
    assert boolean(
        ask(server, BOTH, f"?default-graph-uri={enc(DATA.format(1))}&default-graph-uri={enc(DATA.format(2))}")
    )


def test_query_dataset_named_graphs_post(server):
    load(server, 1, 2)
    assert boolean(ask(server, NAMED, f"?named-graph-uri={enc(DATA.format(1))}&named-graph-uri={enc(DATA.format(2))}"))


def test_query_dataset_named_graphs_get(server):
    load(server, 1, 2)
    params = f"?query={enc(NAMED)}&named-graph-uri={enc(DATA.format(1))}&named-graph-uri={enc(DATA.format(2))}"
    assert boolean(HTTP.get(server + params)) is True


def test_query_dataset_full(server):
    load(server, 1, 2, 3)
    text = f"""ASK {{ <{DATA.format(3)}> a ?type
        GRAPH ?g1 {{ <{DATA.format(1)}> a ?type }} GRAPH ?g2 {{ <{DATA.format(2)}> a ?type }} }}"""
    params = f"?default-graph-uri={enc(DATA.format(3))}&named-graph-uri={enc(DATA.format(1))}"
    assert boolean(ask(server, text, params + f"&named-graph-uri={enc(DATA.format(2))}")) is True
    # Without data3 as the default graph, the same question is answered false: the dataset was used.
    assert (
        boolean(ask(server, text, f"?default-graph-uri={enc(DATA.format(1))}&named-graph-uri={enc(DATA.format(2))}"))
        is False
    )


def test_query_multiple_dataset(server):
    # FROM in the query and named-graph-uri in the request: the protocol's dataset wins (no data3
    # as the default graph, no FROM NAMED either), and the query's FROM is not used.
    load(server, 1, 2, 3)
    text = f"ASK FROM <{DATA.format(3)}> {NAMED.removeprefix('ASK ')}"
    assert boolean(ask(server, text, f"?named-graph-uri={enc(DATA.format(1))}&named-graph-uri={enc(DATA.format(2))}"))
    # The FROM alone (no protocol dataset) gives no named graphs: the same ASK is false.
    assert boolean(ask(server, text)) is False


def test_query_get(server):
    assert boolean(HTTP.get(server + f"?query=ASK%20%7B%7D&default-graph-uri={enc(DATA.format(0))}")) is True


def test_query_content_type_select(server):
    r = ask(server, "SELECT (1 AS ?value) {}", f"?default-graph-uri={enc(DATA.format(0))}")
    assert r.status_code == 200 and media(r) in TABULAR_TYPES


def test_query_content_type_ask(server):
    r = ask(server, "ASK {}", f"?default-graph-uri={enc(DATA.format(0))}")
    assert media(r) in BOOLEAN_TYPES and boolean(r) is True


def test_query_content_type_describe(server):
    r = ask(server, "DESCRIBE <http://example.org/>", f"?default-graph-uri={enc(DATA.format(0))}")
    assert r.status_code == 200 and media(r) in RDF_TYPES


def test_query_content_type_construct(server):
    # Relative IRIs: the endpoint's address is the base, so <s> is an absolute IRI in the answer.
    r = ask(server, "CONSTRUCT { <s> <p> 1 } WHERE {}", f"?default-graph-uri={enc(DATA.format(0))}")
    assert r.status_code == 200 and media(r) in RDF_TYPES, r.text
    graph = rdflib.Graph().parse(data=r.content, format=media(r))
    assert set(graph) == {(rdflib.URIRef(urljoin(server, "s")), rdflib.URIRef(urljoin(server, "p")), rdflib.Literal(1))}


def test_update_dataset_default_graph(server):
    text = f"""PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
CLEAR ALL ;
INSERT DATA {{ GRAPH <{DATA.format(1)}> {{ <{DATA.format(1)}> a foaf:Document }} }} ;
INSERT {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{ ?s a dc:BibliographicResource }} }}
WHERE {{ ?s a foaf:Document }}"""
    r = update(server, text, f"?using-graph-uri={enc(DATA.format(1))}")
    assert r.status_code in range(200, 400), r.text
    check = f"""ASK {{ GRAPH <http://example.org/protocol-update-dataset-test/> {{
        <{DATA.format(1)}> a <{DC_BIBLIOGRAPHIC}> }} }}"""
    assert boolean(ask(server, check)) is True


def _three_then(text: str) -> str:
    documents = " ".join(f"GRAPH <{DATA.format(n)}> {{ <{DATA.format(n)}> a foaf:Document }}" for n in (1, 2, 3))
    return f"""PREFIX dc: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
DROP ALL ;
INSERT DATA {{ {documents} }} ;
{text}"""


def _marked(graph: str, marked: tuple[int, ...], unmarked: int) -> str:
    """ASK: the documents ``marked`` are dc:BibliographicResource in ``graph``, ``unmarked`` is not."""
    facts = " ".join(f"<{DATA.format(n)}> a <{DC_BIBLIOGRAPHIC}> ." for n in marked)
    return f"""ASK {{ GRAPH <{graph}> {{ {facts} }}
        FILTER NOT EXISTS {{ GRAPH <{graph}> {{ <{DATA.format(unmarked)}> a <{DC_BIBLIOGRAPHIC}> }} }} }}"""


def test_update_dataset_default_graphs(server):
    graph = "http://example.org/protocol-update-dataset-graphs-test/"
    text = _three_then(
        f"INSERT {{ GRAPH <{graph}> {{ ?s a dc:BibliographicResource }} }} WHERE {{ ?s a foaf:Document }}"
    )
    r = update(server, text, f"?using-graph-uri={enc(DATA.format(1))}&using-graph-uri={enc(DATA.format(2))}")
    assert r.status_code in range(200, 400), r.text
    assert boolean(ask(server, _marked(graph, (1, 2), 3))) is True


def test_update_dataset_named_graphs(server):
    graph = "http://example.org/protocol-update-dataset-named-graphs-test/"
    text = _three_then(
        f"INSERT {{ GRAPH <{graph}> {{ ?s a dc:BibliographicResource }} }} "
        "WHERE { GRAPH ?g { ?s a foaf:Document } }"
    )
    r = update(
        server, text, f"?using-named-graph-uri={enc(DATA.format(1))}&using-named-graph-uri={enc(DATA.format(2))}"
    )
    assert r.status_code in range(200, 400), r.text
    assert boolean(ask(server, _marked(graph, (1, 2), 3))) is True


def test_update_dataset_full(server):
    graph = "http://example.org/protocol-update-dataset-full-test/"
    text = _three_then(f"""INSERT {{ GRAPH <{graph}> {{ ?s <http://example.org/in> ?in }} }}
WHERE {{ {{ GRAPH ?g {{ ?s a foaf:Document }} BIND(?g AS ?in) }}
    UNION {{ ?s a foaf:Document . BIND("default" AS ?in) }} }}""")
    r = update(server, text, f"?using-graph-uri={enc(DATA.format(1))}&using-named-graph-uri={enc(DATA.format(2))}")
    assert r.status_code in range(200, 400), r.text
    check = f"""ASK {{ GRAPH <{graph}> {{ <{DATA.format(1)}> <http://example.org/in> "default" .
        <{DATA.format(2)}> <http://example.org/in> <{DATA.format(2)}> . }}
        FILTER NOT EXISTS {{ GRAPH <{graph}> {{ <{DATA.format(3)}> ?p ?o }} }} }}"""
    assert boolean(ask(server, check)) is True


def test_update_post_form(server):
    load(server, 1)
    r = HTTP.post(
        server, content=b"update=CLEAR+ALL", headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code in range(200, 400), r.text
    assert boolean(ask(server, "ASK { GRAPH ?g { ?s ?p ?o } }")) is False  # it was applied


def test_update_post_direct(server):
    load(server, 1)
    r = update(server, "CLEAR ALL")
    assert r.status_code in range(200, 400), r.text
    assert boolean(ask(server, "ASK { GRAPH ?g { ?s ?p ?o } }")) is False


def test_update_base_uri(server):
    graph = "http://example.org/protocol-base-test/"
    r = update(
        server,
        f"CLEAR SILENT GRAPH <{graph}> ; "
        f"INSERT DATA {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> <test> }} }}",
    )
    assert r.status_code in range(200, 400), r.text
    check = (
        f"ASK {{ GRAPH <{graph}> {{ <http://example.org/s> <http://example.org/p> ?o "
        'FILTER (isIRI(?o) && STR(?o) != "test") } }'
    )
    assert boolean(ask(server, check)) is True
    # The base is the endpoint's address ("which MAY be the service endpoint").
    assert boolean(ask(server, f"ASK {{ GRAPH <{graph}> {{ ?s ?p <{urljoin(server, 'test')}> }} }}")) is True


def test_query_post_direct(server):
    assert boolean(ask(server, "ASK {}")) is True


def test_bad_query_method(server):
    r = HTTP.put(
        server + f"?query=ASK%20%7B%7D&default-graph-uri={enc(DATA.format(0))}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code in range(400, 500)


def test_bad_multiple_queries(server):
    assert HTTP.get(server + "?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D").status_code in range(400, 500)


def test_bad_query_wrong_media_type(server):
    r = HTTP.post(server, content=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code in range(400, 500)


def test_bad_query_missing_form_type(server):
    assert HTTP.post(server, content=b"query=ASK%20%7B%7D").status_code in range(400, 500)


def test_bad_query_missing_direct_type(server):
    assert HTTP.post(server, content=b"ASK {}").status_code in range(400, 500)


def test_bad_query_non_utf8(server):
    for body in ("ASK {}".encode("utf-16"), "ASK {}".encode("utf-16-le")):  # with a byte order mark, and without
        r = HTTP.post(server, content=body, headers={"Content-Type": "application/sparql-query; charset=UTF-16"})
        assert r.status_code in range(400, 500)


def test_bad_query_syntax(server):
    assert HTTP.get(server + "?query=ASK%20%7B").status_code in range(400, 500)


def test_bad_update_get(server):
    load(server, 1)
    r = HTTP.get(server + "?update=CLEAR%20ALL", headers=AUTH)
    assert r.status_code in range(400, 500)
    assert boolean(ask(server, f"ASK {{ GRAPH <{DATA.format(1)}> {{ ?s ?p ?o }} }}")) is True  # not applied


def test_bad_multiple_updates(server):
    r = HTTP.post(
        server,
        content=b"update=CLEAR%20NAMED&update=CLEAR%20DEFAULT",
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code in range(400, 500)


def test_bad_update_wrong_media_type(server):
    r = HTTP.post(server, content=b"CLEAR NAMED", headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code in range(400, 500)


def test_bad_update_missing_form_type(server):
    assert HTTP.post(server, content=b"update=CLEAR%20NAMED", headers=AUTH).status_code in range(400, 500)


def test_bad_update_non_utf8(server):
    load(server, 1)
    for body in ("CLEAR NAMED".encode("utf-16"), "CLEAR NAMED".encode("utf-16-le")):
        r = HTTP.post(
            server, content=body, headers={**AUTH, "Content-Type": "application/sparql-update; charset=UTF-16"}
        )
        assert r.status_code in range(400, 500)
    assert boolean(ask(server, f"ASK {{ GRAPH <{DATA.format(1)}> {{ ?s ?p ?o }} }}")) is True


def test_bad_update_syntax(server):
    r = HTTP.post(
        server, content=b"update=CLEAR%20XYZ", headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code in range(400, 500)


def test_bad_update_dataset_conflict(server):
    text = """PREFIX foaf:  <http://xmlns.com/foaf/0.1/>
WITH <http://example/addresses>
DELETE { ?person foaf:givenName 'Bill' }
INSERT { ?person foaf:givenName 'William' }
WHERE { ?person foaf:givenName 'Bill' }"""
    update(
        server,
        "INSERT DATA { GRAPH <http://example/addresses> { "
        "<http://example/b> <http://xmlns.com/foaf/0.1/givenName> 'Bill' } }",
    )
    r = update(server, text, f"?using-named-graph-uri={enc('http://example/people')}")
    assert r.status_code == 400, r.text
    still = (
        "ASK { GRAPH <http://example/addresses> { <http://example/b> <http://xmlns.com/foaf/0.1/givenName> 'Bill' } }"
    )
    assert boolean(ask(server, still)) is True  # not applied


# Beyond the manifest: an update's WHERE sees what a query sees.


def test_an_update_without_using_sees_the_union_of_the_graphs_as_a_query_does(server):
    load(server, 1, 2)
    graph = "http://example.org/union-test/"
    r = update(
        server, f"INSERT {{ GRAPH <{graph}> {{ ?s a <{DC_BIBLIOGRAPHIC}> }} }} WHERE {{ ?s a <{FOAF_DOCUMENT}> }}"
    )
    assert r.status_code == 204, r.text
    assert boolean(ask(server, _marked(graph, (1, 2), 3))) is True
    # GRAPH ?g still reaches every graph, and WITH keeps its own graph.
    r = update(
        server,
        f"DELETE {{ GRAPH ?g {{ ?s a <{FOAF_DOCUMENT}> }} }} "
        f"WHERE {{ GRAPH ?g {{ ?s a <{FOAF_DOCUMENT}> }} FILTER(?g = <{DATA.format(2)}>) }}",
    )
    assert r.status_code == 204, r.text
    assert boolean(ask(server, f"ASK {{ <{DATA.format(2)}> a <{FOAF_DOCUMENT}> }}")) is False
    r = update(
        server, f"WITH <{DATA.format(1)}> DELETE {{ ?s a <{FOAF_DOCUMENT}> }} WHERE {{ ?s a <{FOAF_DOCUMENT}> }}"
    )
    assert r.status_code == 204, r.text
    assert boolean(ask(server, f"ASK {{ <{DATA.format(1)}> a <{FOAF_DOCUMENT}> }}")) is False


def test_a_query_or_update_with_a_query_and_an_update_is_refused(server):
    r = HTTP.post(
        server, data={"query": "ASK {}", "update": "CLEAR ALL"}, headers={**AUTH, "Accept": "application/json"}
    )
    assert r.status_code == 400


# Where the USING clauses go: read from the parsed update (no server needed).


def test_using_clauses_go_before_the_where_of_each_modify_the_parser_finds():
    from budgetkg.server.update_dataset import plan

    text = (
        "PREFIX ex: <http://example.org/> # WHERE { in a comment\n"
        'INSERT DATA { GRAPH ex:g { ex:a ex:b "WHERE {" , <http://example.org/WHERE> } } ;\n'
        "INSERT { GRAPH ex:out { ?s ex:p ?o } } WHERE { ?s ex:p ?o } ;\n"
        "DELETE WHERE { ?s ex:q ?o } ;\n"
        "WITH ex:g DELETE { ?s ex:r ?o } WHERE { ?s ex:r ?o } ;\n"
        "DELETE { GRAPH ?g { ?s ex:t ?o } } USING NAMED ex:g WHERE { GRAPH ?g { ?s ex:t ?o } }"
    )
    union = plan(text).apply(["http://example.org/g1", "http://example.org/g2"])
    clauses = (
        "USING <http://example.org/g1> USING <http://example.org/g2> "
        "USING NAMED <http://example.org/g1> USING NAMED <http://example.org/g2> "
    )
    # Only the INSERT … WHERE without USING or WITH gets the union; the rest is left as it is.
    assert union == text.replace("} } WHERE { ?s ex:p", "} } " + clauses + "WHERE { ?s ex:p")
    assert plan(text).apply([]) == text  # a store without named graphs: nothing to add
    given = plan("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", ("http://example.org/d",), ("http://example.org/n",))
    assert given.apply(["http://example.org/g1"]) == (
        "INSERT { ?s ?p ?o } USING <http://example.org/d> USING NAMED <http://example.org/n> WHERE { ?s ?p ?o }"
    )


def test_protocol_graphs_with_using_or_with_in_the_update_are_a_conflict():
    from budgetkg.server.update_dataset import DatasetConflict, plan

    using = ("http://example.org/d",)
    for text in (
        "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "DELETE { ?s ?p ?o } USING <http://example.org/g> WHERE { ?s ?p ?o }",
        "CLEAR ALL ; INSERT { ?s ?p ?o } USING NAMED <http://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
    ):
        with pytest.raises(DatasetConflict):
            plan(text, using)
        with pytest.raises(DatasetConflict):
            plan(text, (), using)
    with pytest.raises(DatasetConflict):  # cannot be read: the graphs cannot be given
        plan("INSERT { ?s ?p ?o } WHERE { ?s ?p ", using)
    # Without graphs given, an update rdflib cannot read is left to the engine, which answers its error.
    assert plan("CLEAR XYZ WHERE").apply(["http://example.org/g1"]) == "CLEAR XYZ WHERE"


def test_a_codepoint_escape_is_refused_only_where_clauses_would_go():
    from budgetkg.server.update_dataset import DatasetConflict, plan

    escaped = 'INSERT DATA { <http://example.org/a> <http://example.org/b> "\\u0041" }'
    assert plan(escaped).apply(["http://example.org/g1"]) == escaped
    with pytest.raises(DatasetConflict):
        plan('INSERT { ?s ?p "\\u0041" } WHERE { ?s ?p ?o }')
