"""RDF descriptions the server publishes: service description, VoID, DCAT catalogue, SPARQL examples."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Triple

from ..query.library import library
from ..rdf.graphs import GRAPH_KINDS
from ..rdf.namespaces import DCAT, DCTERMS, RDF, RDFS, SCHEMA, SD, SH, SPDX, VOID, XSD

__all__ = ["Dump", "service_description", "void_description", "dcat_catalogue", "sparql_examples"]

FORMATS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Dump:
    """A dump file the server offers for download."""

    name: str
    media_type: str
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    @cached_property
    def sha256(self) -> str:
        with open(self.path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()


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


def dcat_catalogue(store, base_url: str, endpoint: str, dumps: dict[str, Dump]) -> list[Triple]:
    catalogue = _n(base_url + "catalog")
    out = [
        Triple(catalogue, RDF.type, DCAT.Catalog),
        Triple(catalogue, DCTERMS.title, Literal("budgetkg 部门预算数据目录", language="zh")),
        Triple(catalogue, DCTERMS.title, Literal("budgetkg catalogue of department budgets", language="en")),
    ]
    service = _n(endpoint)
    out += [
        Triple(service, RDF.type, DCAT.DataService),
        Triple(service, DCAT.endpointURL, service),
        Triple(catalogue, DCAT.service, service),
    ]
    for t in void_description(store, endpoint, {}):
        out.append(t)
        if t.predicate == RDF.type:
            out += [Triple(catalogue, DCAT.dataset, t.subject), Triple(service, DCAT.servesDataset, t.subject)]
    everything = _n(base_url + "dumps/")
    out += [
        Triple(catalogue, DCAT.dataset, everything),
        Triple(everything, RDF.type, DCAT.Dataset),
        Triple(everything, DCTERMS.title, Literal("全部数据（所有命名图）", language="zh")),
        Triple(everything, DCTERMS.title, Literal("All data (every named graph)", language="en")),
    ]
    for dump in dumps.values():
        d = _n(base_url + "dumps/" + dump.name)
        checksum = _n(base_url + "dumps/" + dump.name + "#sha256")
        out += [
            Triple(everything, DCAT.distribution, d),
            Triple(d, RDF.type, DCAT.Distribution),
            Triple(d, DCAT.downloadURL, d),
            Triple(d, DCAT.mediaType, _n("https://www.iana.org/assignments/media-types/" + dump.media_type)),
            Triple(d, DCAT.byteSize, Literal(str(dump.size), datatype=XSD.nonNegativeInteger)),
            Triple(d, SPDX.checksum, checksum),
            Triple(checksum, RDF.type, SPDX.Checksum),
            Triple(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
            Triple(checksum, SPDX.checksumValue, Literal(dump.sha256, datatype=XSD.hexBinary)),
        ]
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
