"""RDF descriptions the server publishes: service description, VoID, DCAT catalogue, SPARQL examples."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from ..publish.dumps import Dump
from ..query.library import library
from ..rdf.graphs import GRAPH_KINDS
from ..rdf.namespaces import DCAT, DCTERMS, FOAF, RDF, RDFS, SCHEMA, SD, SH, SPDX, VOID, XSD

__all__ = ["Dump", "Publisher", "service_description", "void_description", "dcat_catalogue", "sparql_examples"]

FORMATS = "http://www.w3.org/ns/formats/"


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def service_description(endpoint: str, graphs: list[str]) -> list[Triple]:
    s = _n(endpoint)
    out = [
        Triple(s, RDF.type, SD.Service),
        Triple(s, SD.endpoint, s),
        Triple(s, SD.supportedLanguage, SD.SPARQL11Query),
        Triple(s, SD.feature, SD.UnionDefaultGraph),
        Triple(s, RDFS.label, Literal("budgetkg SPARQL endpoint", language="en")),
        Triple(s, RDFS.label, Literal("budgetkg SPARQL 查询服务", language="zh")),
    ]
    for f in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        out.append(Triple(s, SD.resultFormat, _n(FORMATS + f)))
    dataset = _n(endpoint + "#dataset")
    out += [Triple(s, SD.defaultDataset, dataset), Triple(dataset, RDF.type, SD.Dataset)]
    for g in graphs:
        named = _n(endpoint + "#graph-" + hashlib.sha1(g.encode()).hexdigest()[:12])
        out += [Triple(dataset, SD.namedGraph, named), Triple(named, SD.name, _n(g))]
    return out


def void_description(store, endpoint: str, dumps: dict[str, str]) -> list[Triple]:
    """The VoID and DCAT descriptions of every dataset and reference graph in the store, with the endpoint and dumps."""
    out = []
    q = f"CONSTRUCT {{ ?d ?p ?o }} WHERE {{ GRAPH ?d {{ ?d a ?kind ; ?p ?o }} {GRAPH_KINDS} }}"
    for t in store.query(q):
        out.append(t)
        if t.predicate == RDF.type:
            out.append(Triple(t.subject, VOID.sparqlEndpoint, _n(endpoint)))
            for url in dumps.values():
                out.append(Triple(t.subject, VOID.dataDump, _n(url)))
    return out


# Where several documents' graphs are listed, the reference graphs say what they are in one sentence.
_REFERENCE_DESCRIPTION = (
    Literal("budgetkg 的参考图：多份文件共同陈述的事实（组织机构、代码表未收录的代码等），只陈述一次。", language="zh"),
    Literal(
        "A reference graph of budgetkg: what several documents state alike (organisations, codes the code lists "
        "lack), stated once.",
        language="en",
    ),
)
_SOURCE_DESCRIPTION = (
    Literal("政府公开的部门预算原文件，budgetkg 从中读出数据。", language="zh"),
    Literal("The budget disclosure as the government published it, from which budgetkg read the data.", language="en"),
)
# The licence each document's graph states (budgetkg.rdf.mapping.LICENSE, not imported: the
# server does not load the mapping).
DEFAULT_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SPARQL_PROTOCOL = "https://www.w3.org/TR/sparql11-protocol/"
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"


@dataclass(frozen=True)
class Publisher:
    """What only the publisher of a catalogue knows (``budgetkg serve --publisher …``).

    :param name: the publisher's name (``foaf:name``).
    :param iri: the publisher's IRI, e.g. its web site (default: the server's address + ``#publisher``).
    :param email: a ``mailto:`` IRI to write to about the data (``dcat:contactPoint``), or None.
    :param licence: the licence of the catalogue, the SPARQL service and the dumps.
    """

    name: str = "budgetkg"
    iri: str | None = None
    email: str | None = None
    licence: str = DEFAULT_LICENCE


def dcat_catalogue(
    store, base_url: str, endpoint: str, dumps: dict[str, Dump], publisher: Publisher | None = None
) -> list[Triple]:
    """The DCAT-AP 3 catalogue of the store: every dataset and reference graph, the SPARQL service,
    and the dumps written so far (``dumps``) as distributions of the dataset of all data.

    Each resource carries what DCAT-AP 3 requires of its class and each value the class DCAT-AP
    gives its range (checked in tests/test_dcat.py with ontology/shapes/dcat-ap.ttl).
    """
    publisher = publisher or Publisher()
    catalogue = _n(base_url + "catalog")
    agent = _n(publisher.iri or base_url + "#publisher")
    licence = _n(publisher.licence)
    contact = _n(base_url + "#contact") if publisher.email else None
    out = [
        Triple(catalogue, RDF.type, DCAT.Catalog),
        Triple(catalogue, DCTERMS.title, Literal("budgetkg 部门预算数据目录", language="zh")),
        Triple(catalogue, DCTERMS.title, Literal("budgetkg catalogue of department budgets", language="en")),
        Triple(
            catalogue,
            DCTERMS.description,
            Literal(
                "从政府公开的部门预算文件读出的数据：每份文件一个数据集，另有参考图、SPARQL 服务和下载。", language="zh"
            ),
        ),
        Triple(
            catalogue,
            DCTERMS.description,
            Literal(
                "Data read from department budgets as governments disclose them: a dataset per document, the "
                "reference graphs, a SPARQL service and downloads.",
                language="en",
            ),
        ),
        Triple(catalogue, DCTERMS.publisher, agent),
        Triple(catalogue, DCTERMS.license, licence),
        Triple(catalogue, FOAF.homepage, _n(base_url)),
        Triple(_n(base_url), RDF.type, FOAF.Document),
        Triple(agent, RDF.type, FOAF.Agent),
        Triple(agent, FOAF.name, Literal(publisher.name)),
        Triple(licence, RDF.type, DCTERMS.LicenseDocument),
    ]
    if contact is not None:
        assert publisher.email is not None
        out += [
            Triple(contact, RDF.type, _n(VCARD + "Kind")),
            Triple(contact, _n(VCARD + "fn"), Literal(publisher.name)),
            Triple(contact, _n(VCARD + "hasEmail"), _n(publisher.email)),
        ]
    service = _n(endpoint)
    out += [
        Triple(service, RDF.type, DCAT.DataService),
        Triple(service, DCTERMS.title, Literal("budgetkg SPARQL 查询服务", language="zh")),
        Triple(service, DCTERMS.title, Literal("budgetkg SPARQL endpoint", language="en")),
        Triple(service, DCTERMS.description, Literal("SPARQL 1.1 查询所有数据集（各命名图的并集）。", language="zh")),
        Triple(
            service,
            DCTERMS.description,
            Literal("SPARQL 1.1 queries over every dataset (the union of the named graphs).", language="en"),
        ),
        Triple(service, DCAT.endpointURL, service),
        Triple(service, DCAT.endpointDescription, service),  # the SPARQL service description, at the endpoint
        Triple(service, DCTERMS.conformsTo, _n(SPARQL_PROTOCOL)),
        Triple(_n(SPARQL_PROTOCOL), RDF.type, DCTERMS.Standard),
        Triple(service, DCTERMS.publisher, agent),
        Triple(service, DCTERMS.license, licence),
        Triple(catalogue, DCAT.service, service),
    ]
    datasets: dict[NamedNode | BlankNode | Triple, set[NamedNode]] = {}  # each dataset, with the predicates it states
    values: dict[NamedNode, set] = {DCTERMS.publisher: set(), DCTERMS.temporal: set(), DCTERMS.source: set()}
    for t in void_description(store, endpoint, {}):
        out.append(t)
        datasets.setdefault(t.subject, set()).add(t.predicate)
        if t.predicate in values:
            values[t.predicate].add(t.object)
        if t.predicate == RDFS.label and isinstance(t.object, Literal):
            out.append(Triple(t.subject, DCTERMS.title, t.object))  # a reference graph's, or the same again
        if t.predicate == RDFS.comment:
            out.append(Triple(t.subject, DCTERMS.description, t.object))
        if t.predicate == DCTERMS.license and isinstance(t.object, NamedNode):
            out.append(Triple(t.object, RDF.type, DCTERMS.LicenseDocument))
    everything = _n(base_url + "dumps/")
    for dataset, predicates in datasets.items():
        out += [
            Triple(dataset, RDF.type, DCAT.Dataset),
            Triple(catalogue, DCAT.dataset, dataset),
            Triple(service, DCAT.servesDataset, dataset),
        ]
        if DCTERMS.description not in predicates and RDFS.comment not in predicates:
            out += [Triple(dataset, DCTERMS.description, d) for d in _REFERENCE_DESCRIPTION]
        if contact is not None:
            out.append(Triple(dataset, DCAT.contactPoint, contact))
    out += _agents(store, values[DCTERMS.publisher])
    out += _periods(values[DCTERMS.temporal])
    out += _sources(store, values[DCTERMS.source])
    out += [
        Triple(catalogue, DCAT.dataset, everything),
        Triple(everything, RDF.type, DCAT.Dataset),
        Triple(everything, DCTERMS.title, Literal("全部数据（所有命名图）", language="zh")),
        Triple(everything, DCTERMS.title, Literal("All data (every named graph)", language="en")),
        Triple(
            everything,
            DCTERMS.description,
            Literal("存储中的全部数据：RDF 各格式的下载，及财政数据包（Fiscal Data Package）。", language="zh"),
        ),
        Triple(
            everything,
            DCTERMS.description,
            Literal("Everything in the store: downloads in each RDF format, and a Fiscal Data Package.", language="en"),
        ),
        Triple(everything, DCTERMS.publisher, agent),
        Triple(service, DCAT.servesDataset, everything),
    ]
    if contact is not None:
        out.append(Triple(everything, DCAT.contactPoint, contact))
    for dump in dumps.values():
        out += _distribution(base_url, everything, dump, licence)
    return out


def _distribution(base_url: str, dataset: NamedNode, dump: Dump, licence: NamedNode) -> list[Triple]:
    """A dump as a DCAT-AP distribution of ``dataset``."""
    d = _n(base_url + "dumps/" + dump.name)
    checksum = _n(base_url + "dumps/" + dump.name + "#sha256")
    media = _n(MEDIA_TYPES + dump.media_type)
    out = [
        Triple(dataset, DCAT.distribution, d),
        Triple(d, RDF.type, DCAT.Distribution),
        Triple(d, DCTERMS.title, Literal(dump.name)),
        Triple(d, DCAT.accessURL, d),
        Triple(d, DCAT.downloadURL, d),
        Triple(d, DCAT.mediaType, media),
        Triple(media, RDF.type, DCTERMS.MediaType),
        Triple(d, DCTERMS.license, licence),
        Triple(d, DCAT.byteSize, Literal(str(dump.size), datatype=XSD.nonNegativeInteger)),
        Triple(d, SPDX.checksum, checksum),
        Triple(checksum, RDF.type, SPDX.Checksum),
        Triple(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
        Triple(SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm),
        Triple(checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)),
    ]
    if dump.compression is not None:
        compression = _n(MEDIA_TYPES + dump.compression)
        out += [Triple(d, DCAT.compressFormat, compression), Triple(compression, RDF.type, DCTERMS.MediaType)]
    return out


def _agents(store, agents: set) -> list[Triple]:
    """The publishers of the datasets (their departments) as agents, named as the store names them."""
    if not agents:
        return []
    iris = " ".join(str(a) for a in sorted(agents, key=str) if isinstance(a, NamedNode))
    q = f"SELECT DISTINCT ?a ?name WHERE {{ VALUES ?a {{ {iris} }} GRAPH ?g {{ ?a <{RDFS.label.value}> ?name }} }}"
    out = [Triple(a, RDF.type, FOAF.Agent) for a in agents]
    out += [Triple(row["a"], FOAF.name, row["name"]) for row in store.query(q)]
    return out


def _periods(years: set) -> list[Triple]:
    """Each dataset's fiscal year (an IRI of reference.data.gov.uk's years) as a period of time:
    a Chinese fiscal year is the calendar year (预算法 第十八条)."""
    out = []
    for year in years:
        number = year.value.rsplit("/", 1)[-1] if isinstance(year, NamedNode) else ""
        out.append(Triple(year, RDF.type, DCTERMS.PeriodOfTime))
        if number.isdigit() and len(number) == 4:
            out += [
                Triple(year, DCAT.startDate, Literal(f"{number}-01-01", datatype=XSD.date)),
                Triple(year, DCAT.endDate, Literal(f"{number}-12-31", datatype=XSD.date)),
            ]
    return out


def _sources(store, sources: set) -> list[Triple]:
    """The disclosures the datasets were read from, each a dataset of its department: its title,
    file name, official page and publication date as the build was told them."""
    if not sources:
        return []
    iris = " ".join(str(s) for s in sorted(sources, key=str) if isinstance(s, NamedNode))
    q = (
        f"CONSTRUCT {{ ?s ?p ?o . ?s <{DCTERMS.publisher.value}> ?agent }} WHERE {{ VALUES ?s {{ {iris} }} "
        f"GRAPH ?g {{ ?s ?p ?o . ?g <{DCTERMS.source.value}> ?s ; <{DCTERMS.publisher.value}> ?agent }} }}"
    )
    out = []
    for t in store.query(q):
        out.append(t)
        if t.predicate == DCAT.landingPage:
            out.append(Triple(t.object, RDF.type, FOAF.Document))
    for s in sources:
        out.append(Triple(s, RDF.type, DCAT.Dataset))
        out += [Triple(s, DCTERMS.description, d) for d in _SOURCE_DESCRIPTION]
    return out


def sparql_examples(base_url: str, endpoint: str) -> list[Triple]:
    """The query library as sh:SPARQLExecutable resources (the pattern of SIB's endpoints)."""
    out = []
    for q in library():
        e = _n(f"{base_url}.well-known/sparql-examples/{q.slug}")
        kind = "SPARQLSelectExecutable"
        out += [
            Triple(e, RDF.type, SH.SPARQLExecutable),
            Triple(e, RDF.type, SH[kind]),
            Triple(e, RDFS.label, Literal(q.title_zh, language="zh")),
            Triple(e, RDFS.label, Literal(q.title_en, language="en")),
            Triple(e, RDFS.comment, Literal(q.description, language="en")),
            Triple(e, SH.select, Literal(q.text)),
            Triple(e, SCHEMA.target, _n(endpoint)),
        ]
        for keyword in [k.strip() for k in q.keywords.split(",") if k.strip()]:
            out.append(Triple(e, SCHEMA.keywords, Literal(keyword)))
    return out


def examples() -> list[dict[str, str]]:
    """The library for the query UI: name, title and text of each query."""
    return [{"name": q.slug, "title": f"{q.title_zh} · {q.title_en}", "query": q.text} for q in library()]
