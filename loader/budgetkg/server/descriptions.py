"""What the store says about one IRI, for resource pages in RDF.

A resource page in RDF is one index lookup (the triples whose subject is the IRI, in every
graph), not a query: it is bounded by ``max_rows`` and cannot run long, so it is read in the
event loop, with no thread.  On a copy of a small store in memory (see
:class:`budgetkg.server.database.Database`) it is fast: on disk, each IRI and literal of the
answer is one more RocksDB read, ten times as long as in memory (docs/benchmarks.md).
The answer is the ``CONSTRUCT {<iri> ?p ?o} WHERE {<iri> ?p ?o}`` a query would give over
the union of graphs.
"""

from __future__ import annotations

from pyoxigraph import NamedNode, RdfFormat, Store, Triple, serialize

from ..publish.jsonld import jsonld_bytes

__all__ = ["describe"]


def describe(store: Store, node: NamedNode, rdf_format: RdfFormat, max_rows: int) -> bytes:
    """The triples about ``node`` (at most ``max_rows``), written in ``rdf_format``; empty when there are none."""
    triples: dict[tuple, Triple] = {}
    for quad in store.quads_for_pattern(node, None, None, None):
        key = (quad.predicate, quad.object)  # a triple stated in several graphs is one triple of the union
        if key not in triples:
            if len(triples) == max_rows:
                break
            triples[key] = Triple(node, quad.predicate, quad.object)
    if not triples:
        return b""
    if rdf_format == RdfFormat.JSON_LD:  # with budgetkg's @context, readable as plain JSON
        return jsonld_bytes(triples.values())
    return serialize(triples.values(), format=rdf_format) or b""
