"""The RDF side: namespaces and prefixes, IRI minting, graph names, code lists, table structures
and the mapping of a checked document to the quads of its named graph.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .graphs import CODES_GRAPH, ENTAILED_GRAPH, GRAPH_KINDS, VOCABULARY_GRAPH, reference_graphs
    from .iri import DEFAULT_BASE, Minter
    from .mapping import document_quads
    from .prefixes import prefix_table

__all__ = [
    "document_quads",
    "Minter",
    "DEFAULT_BASE",
    "VOCABULARY_GRAPH",
    "CODES_GRAPH",
    "ENTAILED_GRAPH",
    "GRAPH_KINDS",
    "reference_graphs",
    "prefix_table",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "document_quads": ".mapping",
    "Minter": ".iri",
    "DEFAULT_BASE": ".iri",
    "VOCABULARY_GRAPH": ".graphs",
    "CODES_GRAPH": ".graphs",
    "ENTAILED_GRAPH": ".graphs",
    "GRAPH_KINDS": ".graphs",
    "reference_graphs": ".graphs",
    "prefix_table": ".prefixes",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
