"""What the server says at the IRI of each named graph of the store, and at ``/dumps/``, the dataset of them all.

A named graph's IRI (``…/graph/vocabulary``, ``…/graph/codes-as-printed``, ``…/graph/organisations``,
``…/graph/entailed``, each document's dataset) dereferences as every resource page does (HTML for
a browser, RDF for a program: :mod:`.pages`), and says besides what the store says of it: that it
is a ``void:Dataset`` of so many triples, part of ``/dumps/``, queried at the SPARQL endpoint,
and downloadable in the dumps that keep each triple's graph (TriG and N-Quads).  ``/dumps/``
says the same of every graph together, with each dump as a distribution.
"""

from __future__ import annotations

import json

from pyoxigraph import Literal, NamedNode, Triple

from ..rdf.namespaces import DCAT, DCTERMS, RDF, VOID, XSD
from .site import Site
from .sparql import ProtocolError

__all__ = ["QUAD_DUMPS", "graph_facts", "dumps_facts", "dumps_iri"]

# The dumps that keep the graph of each triple (written by budgetkg.server.dumps): a graph's own
# triples are those of its name there.
QUAD_DUMPS = ("budgetkg.trig", "budgetkg.nq.gz")


def dumps_iri(site: Site) -> str:
    """The IRI of the dataset of every graph, whose distributions are the dumps."""
    return site.options.public_url + "dumps/"


async def _count(site: Site, pattern: str) -> Literal:
    """How many triples ``pattern`` (a SPARQL group pattern binding ?s ?p ?o) matches, as an xsd:integer.

    :raises QueryTimeout: when counting takes longer than the endpoint's time limit.
    :raises ProtocolError: 500 when the count cannot be read.
    """
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"
    outcome = await site.queries.run(await site.database.store(), query, max_rows=1, table_format="json")
    if outcome.kind != "table":
        raise ProtocolError(500, outcome.message or "the triples could not be counted")
    count = json.loads(outcome.content)["results"]["bindings"][0]["n"]["value"]
    return Literal(count, datatype=XSD.integer)


async def graph_facts(site: Site, iri: str) -> list[Triple]:
    """What the server says of the named graph ``iri``; none when the store has no such graph."""
    store = await site.database.store()
    node = NamedNode(iri)
    if not store.contains_named_graph(node):
        return []
    dumps = dumps_iri(site)
    return [
        Triple(node, RDF.type, VOID.Dataset),
        Triple(node, VOID.triples, await _count(site, f"GRAPH {node} {{ ?s ?p ?o }}")),
        Triple(node, DCTERMS.isPartOf, NamedNode(dumps)),
        Triple(node, VOID.sparqlEndpoint, NamedNode(site.options.endpoint)),
        *(Triple(node, VOID.dataDump, NamedNode(dumps + name)) for name in QUAD_DUMPS),
    ]


async def dumps_facts(site: Site) -> list[Triple]:
    """What the server says of ``/dumps/``: every graph of the store together, and its dumps.

    Dumps still being written for this database are left out (see :meth:`.site.Site.dumps`)."""
    store = await site.database.store()
    node = NamedNode(dumps_iri(site))
    out = [
        Triple(node, RDF.type, DCAT.Dataset),
        Triple(node, RDF.type, VOID.Dataset),
        Triple(node, DCTERMS.title, Literal("全部数据（所有命名图）", language="zh")),
        Triple(node, DCTERMS.title, Literal("All data (every named graph)", language="en")),
        Triple(node, VOID.triples, await _count(site, "GRAPH ?g { ?s ?p ?o }")),
        Triple(node, VOID.sparqlEndpoint, NamedNode(site.options.endpoint)),
    ]
    out += [Triple(node, VOID.subset, graph) for graph in store.named_graphs() if isinstance(graph, NamedNode)]
    for name, written in (await site.dumps() or {}).items():  # those not written yet are left out until they are
        dump = NamedNode(dumps_iri(site) + name)
        out.append(Triple(node, DCAT.distribution, dump))
        if written.rdf:
            out.append(Triple(node, VOID.dataDump, dump))
    return out
