"""What a store holds, document by document, and taking documents out of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pyoxigraph import NamedNode, Store

from ..rdf.forms import form_of
from .graph import settle_reference_graphs
from .sources import keep_sources
from .store import BuildResult, default_store_path, open_store, rebuild, solutions

__all__ = ["StoredDocument", "stored_documents", "remove_documents"]

_DOCUMENTS = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX void: <http://rdfs.org/ns/void#>
SELECT ?g ?title ?department ?interval ?file ?format ?triples ?synthetic WHERE {
  GRAPH ?g {
    ?g a bkg:BudgetDataset ; rdfs:label ?title ; dcterms:publisher ?org ; bkg:fiscalYear ?interval ;
       void:triples ?triples ; dcterms:source ?source .
    ?source dcterms:identifier ?file .
    OPTIONAL { ?source dcterms:format ?format }
    OPTIONAL { ?g bkg:synthetic ?synthetic }
  }
  GRAPH ?organisations { ?org rdfs:label ?department FILTER(LANG(?department) = "zh") }
}
ORDER BY ?department ?interval ?g
"""


@dataclass(frozen=True)
class StoredDocument:
    """One document's graph in a store."""

    graph: str
    title: str
    department: str
    year: int
    file: str
    form: str  # the form it was read from: text, pdf, xlsx, xls or html ("" when not recorded)
    triples: int
    synthetic: bool

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def stored_documents(store: Store) -> list[StoredDocument]:
    """The documents of a store, by department and year."""
    out: dict[str, StoredDocument] = {}
    for row in solutions(store, _DOCUMENTS):
        graph = row["g"].value
        if graph in out:  # a second zh label of the publisher: the first in order is kept
            continue
        out[graph] = StoredDocument(
            graph=graph,
            title=row["title"].value,
            department=row["department"].value,
            year=int(row["interval"].value.rsplit("/", 1)[-1]),  # …/id/year/2024
            file=row["file"].value,
            form=form_of(row["format"].value if row["format"] else None, ""),
            triples=int(row["triples"].value),
            synthetic=bool(row["synthetic"]) and row["synthetic"].value == "true",
        )
    return list(out.values())


def remove_documents(graphs: Sequence[str], *, path: Path | None = None) -> BuildResult:
    """Take the graphs of documents out of the store, atomically, and settle the reference graphs
    (organisations and codes only those documents listed leave them too); their kept source
    files (:mod:`.sources`) go too.

    :raises ValueError: for a graph that is not a document's (the vocabulary, a reference graph).
    :raises StoreMissing: when nothing has been built at ``path``.
    """
    documents = {d.graph for d in stored_documents(open_store(path))}
    for graph in graphs:
        if graph not in documents:
            raise ValueError(f"{graph} is not the graph of a document in the store")
    names = [NamedNode(g) for g in graphs]
    folder = Path(path or default_store_path())

    def settle(new: Store) -> None:
        settle_reference_graphs(new)
        keep_sources(folder, (), new)  # their files go with them

    return rebuild([((name,), []) for name in names], path=folder, replacing=set(graphs), settle=settle)
