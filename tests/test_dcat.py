"""The catalogue (/catalog) conforms to DCAT-AP 3, with what only the publisher knows; the dumps are
written when the store changes, never while a request waits for them."""

from __future__ import annotations

import asyncio
import fcntl

import httpx
import pyshacl
import pytest
import rdflib
from budgetkg.cli import cli
from budgetkg.resources import ontology_dir
from click.testing import CliRunner
from pyoxigraph import RdfFormat, serialize

PAGE = "https://rsj.gz.gov.cn/gkmlpt/content/9/9512/post_9512345.html"  # as a publisher would give it
PUBLISHED = "2024-02-06"
BASE = "http://127.0.0.1:7878/"
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The bundled document built as a publisher would: `budgetkg build` with its official page and date."""
    store = tmp_path_factory.mktemp("dcat") / "store"
    result = CliRunner().invoke(
        cli, ["build", "--store", str(store), "--no-answer", "--source-url", PAGE, "--published", PUBLISHED]
    )
    assert result.exit_code == 0, result.output
    return store


def catalogue_graph(store, **publisher) -> rdflib.Graph:
    from budgetkg.load.store import open_store
    from budgetkg.publish.dumps import generation_dumps
    from budgetkg.server.describe import Publisher, dcat_catalogue

    dumps = generation_dumps(store / "dumps", (store / "current").readlink().name) or {}
    triples = dcat_catalogue(open_store(store), BASE, BASE + "sparql", dumps, Publisher(**publisher))
    return rdflib.Graph().parse(data=serialize(triples, format=RdfFormat.N_TRIPLES), format="nt")


def violations(graph: rdflib.Graph) -> list[str]:
    shapes = rdflib.Graph().parse(data=ontology_dir().joinpath("shapes/dcat-ap.ttl").read_text("utf-8"))
    conforms, report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    return [] if conforms else [text]


def test_after_build_the_dumps_are_in_the_stores_folder_before_any_server_starts(built):
    written = sorted(p.name for p in (built / "dumps" / "data-1").iterdir())
    # every RDF syntax, the Fiscal Data Package, and their checksums
    for name in ("budgetkg.ttl", "budgetkg.trig", "budgetkg.jsonld", "budgetkg.rdf", "budgetkg.nt.gz"):
        assert name in written
    assert "budgetkg.nq.gz" in written and "datapackage.json" in written and "SHA256SUMS" in written
    assert not [p for p in (built / "dumps").iterdir() if p.name.endswith(".partial")]


def test_the_catalogue_conforms_to_dcat_ap_3(built):
    graph = catalogue_graph(built)
    assert violations(graph) == []
    # what the shapes ask for is there: one distribution a dump, each with its access URL
    distributions = set(graph.subjects(rdflib.RDF.type, DCAT.Distribution))
    assert len(distributions) == len(list((built / "dumps" / "data-1").iterdir())) - 1  # not SHA256SUMS
    assert all(graph.value(d, DCAT.accessURL) is not None for d in distributions)


def test_a_catalogue_missing_what_dcat_ap_makes_mandatory_is_caught(built):
    """The shapes can fail: each planted fault of those the catalogue once had is a violation."""
    graph = catalogue_graph(built)
    catalogue = rdflib.URIRef(BASE + "catalog")
    service = rdflib.URIRef(BASE + "sparql")
    faults = {
        "publisher": [(catalogue, DCT.publisher, None)],
        "service title": [(service, DCT.title, None)],
        "access URL": [(d, DCAT.accessURL, None) for d in graph.subjects(rdflib.RDF.type, DCAT.Distribution)][:1],
        "media type's class": [(None, rdflib.RDF.type, DCT.MediaType)],
        "period's class": [(None, rdflib.RDF.type, DCT.PeriodOfTime)],
    }
    for name, removed in faults.items():
        planted = rdflib.Graph()
        planted += graph
        for pattern in removed:
            planted.remove(pattern)
        assert violations(planted), name


def test_the_disclosures_page_and_date_are_in_its_graph_and_the_catalogue(built):
    from budgetkg.load.store import open_store

    q = """PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?page ?issued WHERE {
      GRAPH ?g { ?g dcterms:source ?s . ?s dcat:landingPage ?page ; dcterms:issued ?issued }
    }"""
    rows = list(open_store(built).query(q))
    assert [(r["page"].value, r["issued"].value) for r in rows] == [(PAGE, PUBLISHED)]
    graph = catalogue_graph(built)
    source = graph.value(predicate=DCAT.landingPage, object=rdflib.URIRef(PAGE))
    assert source is not None and (source, rdflib.RDF.type, DCAT.Dataset) in graph
    assert str(graph.value(source, DCT.issued)) == PUBLISHED


@pytest.mark.parametrize(
    "option",
    [
        ["--source-url", "javascript:alert(1)"],
        ["--source-url", "file:///etc/passwd"],
        ["--source-url", "https://"],
        ["--source-url", "https://example.org/a b"],
        ["--source-url", "https://example.org/" + "a" * 3000],
        ["--published", "2024-02-30"],
        ["--published", "20240206"],
        ["--published", "2024-2-6"],
        ["--published", "yesterday"],
    ],
)
def test_a_hostile_page_or_date_is_refused_before_anything_is_built(tmp_path, option):
    result = CliRunner().invoke(cli, ["build", "--store", str(tmp_path / "store"), "--no-dumps", *option])
    assert result.exit_code == 2 and "Invalid value" in result.output
    assert not (tmp_path / "store").exists()


def test_the_publishers_name_site_contact_and_licence_are_in_the_catalogue(built):
    licence = "https://creativecommons.org/publicdomain/zero/1.0/"
    graph = catalogue_graph(
        built, name="广州市财政局", iri="https://czj.gz.gov.cn/", email="mailto:open@example.org", licence=licence
    )
    assert violations(graph) == []
    catalogue = rdflib.URIRef(BASE + "catalog")
    publisher = graph.value(catalogue, DCT.publisher)
    assert publisher == rdflib.URIRef("https://czj.gz.gov.cn/")
    assert str(graph.value(publisher, rdflib.FOAF.name)) == "广州市财政局"
    assert graph.value(catalogue, DCT.license) == rdflib.URIRef(licence)
    contact = graph.value(rdflib.URIRef(BASE + "sparql"), DCAT.contactPoint)
    assert (contact, rdflib.URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"), None) in graph


@pytest.mark.parametrize(
    "option",
    [
        ["--publisher-url", "javascript:alert(1)"],
        ["--licence", "ftp://example.org/licence"],
        ["--contact-email", "nobody"],
        ["--contact-email", "a@b@example.org"],
        ["--publisher", "line\nbreak"],
    ],
)
def test_hostile_publisher_options_are_refused(built, option):
    result = CliRunner().invoke(cli, ["serve", "--store", str(built), "--get", "/catalog", *option])
    assert result.exit_code == 2 and "Invalid value" in result.output


def small_store(path):
    from budgetkg.load.store import rebuild
    from budgetkg.rdf.namespaces import BKG, RDF, RDFS
    from pyoxigraph import Literal, NamedNode, Quad

    g = NamedNode("http://example.org/g")
    quads = [
        Quad(g, RDF.type, BKG.ReferenceGraph, g),  # described as budgetkg's graphs describe themselves
        Quad(g, RDFS.label, Literal("a graph", language="en"), g),
        Quad(NamedNode("http://example.org/x"), NamedNode("http://example.org/b"), Literal("0"), g),
    ]
    rebuild([((g,), quads)], path=path)


def test_a_server_on_a_store_without_dumps_answers_at_once_and_writes_them_meanwhile(tmp_path):
    """While the dumps are written (here held back by holding their lock), the catalogue and VoID
    are answered without them, and a dump 503 with Retry-After; once written, they are served."""
    from budgetkg.server import ServerOptions, create_app

    store = tmp_path / "store"  # small: the dumps are written in a fraction of a second once let
    small_store(store)
    (store / "dumps").mkdir()
    app = create_app(ServerOptions(store=store, in_memory=False))

    async def scenario():
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client,
        ):
            with open(store / "dumps" / "lock", "a+") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # a writer (a build, another process) holds them
                pending = [
                    await client.get("/catalog", headers={"Accept": "text/turtle"}),
                    await client.get("/.well-known/void", headers={"Accept": "text/turtle"}),
                    await client.get("/dumps/budgetkg.ttl"),
                ]
            for _ in range(600):  # at most a minute
                ready = await client.get("/dumps/budgetkg.nt.gz")
                if ready.status_code != 503:
                    break
                await asyncio.sleep(0.1)
            return pending, ready, await client.get("/catalog", headers={"Accept": "text/turtle"})

    (catalogue, void, dump), ready, later = asyncio.run(scenario())
    assert (
        catalogue.status_code == 200 and "dcat:Dataset" in catalogue.text and "dcat:Distribution" not in catalogue.text
    )
    assert void.status_code == 200 and "void:dataDump" not in void.text
    assert dump.status_code == 503 and dump.headers["retry-after"] and dump.json()["ok"] is False
    assert ready.status_code == 200 and ready.content[:2] == b"\x1f\x8b"  # gzip
    assert "dcat:Distribution" in later.text
    graph = rdflib.Graph().parse(data=later.text, format="turtle")
    assert violations(graph) == []


def test_void_lists_the_rdf_dumps_only(tmp_path):
    from budgetkg.server import ServerOptions, create_app
    from servers import dumped

    store = tmp_path / "store"
    small_store(store)
    dumped(store)
    app = create_app(ServerOptions(store=store, in_memory=False))

    async def scenario():
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost") as client,
        ):
            return await client.get("/.well-known/void", headers={"Accept": "application/n-triples"})

    void = rdflib.Graph().parse(data=asyncio.run(scenario()).text, format="nt")
    names = {str(o).rsplit("/", 1)[-1] for o in void.objects(None, VOID.dataDump)}
    assert names == {
        "budgetkg.ttl",
        "budgetkg.trig",
        "budgetkg.jsonld",
        "budgetkg.rdf",
        "budgetkg.nt.gz",
        "budgetkg.nq.gz",
    }
