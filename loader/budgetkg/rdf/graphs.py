"""The named graphs budgetkg writes besides each document's: their names, and how to find them.

Kept apart from :mod:`budgetkg.rdf.mapping` so that what only needs a graph's name (the store,
the queries, the export, the server) does not load the whole mapping.
"""

from __future__ import annotations

from pyoxigraph import NamedNode

from .namespaces import BKG

__all__ = ["VOCABULARY_GRAPH", "CODES_GRAPH", "ENTAILED_GRAPH", "GRAPH_KINDS", "reference_graphs"]

VOCABULARY_GRAPH = NamedNode("https://w3id.org/budgetkg/graph/vocabulary")
# What several documents state alike goes to a reference graph that every build adds to, so
# that it is stated once: Oxigraph's union default graph (like Virtuoso's) repeats a triple
# stated in two graphs, and every row joined through it.  The organisations (several years of
# one department) are data, under --base (Minter.organisations_graph); the codes printed that
# the code lists lack (several departments of one year) join across publishers, like the lists.
CODES_GRAPH = NamedNode("https://w3id.org/budgetkg/graph/codes-as-printed")
# What the ontology's sub-property and sub-class axioms entail, and skos:broaderTransitive over
# the code lists, materialised by each build's settling (load.graph._ENTAIL) so that a query in
# the anchors' terms (obeu-measure:amount, obeu-dimension:*, sdmx-measure:obsValue, …) answers
# without an engine that infers.  It holds only triples that no other graph states, none with a
# bkg: predicate or class: a bkg: query over the union of graphs counts nothing twice.
ENTAILED_GRAPH = NamedNode("https://w3id.org/budgetkg/graph/entailed")
# The graphs budgetkg writes beside the vocabulary describe themselves as one of these kinds
# (a SPARQL VALUES clause for ?kind).
GRAPH_KINDS = f"VALUES ?kind {{ <{BKG.BudgetDataset.value}> <{BKG.ReferenceGraph.value}> }}"


def reference_graphs(store) -> list[str]:
    """The names of the reference graphs in a store."""
    query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a <{BKG.ReferenceGraph.value}> }} }}"
    return sorted(s["g"].value for s in store.query(query))
