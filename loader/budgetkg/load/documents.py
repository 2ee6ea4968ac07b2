"""One document's unit of work: read, check and map it to the quads of its named graph.

What a build worker (:mod:`budgetkg.load.pipeline`) does with each document, and what
:func:`budgetkg.load.graph.build` does itself when it works alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.abc import Traversable
from os import PathLike

from pyoxigraph import NamedNode, Quad

from ..check.accounts import CheckReport, check_document
from ..rdf.iri import DEFAULT_BASE, Minter
from ..rdf.mapping import Disclosure, document_quads
from ..read.document import read_document

__all__ = ["Source", "DocumentSummary", "source_name", "dataset_graph", "document_graph", "graph_name", "summarize"]

Source = str | PathLike[str] | Traversable


@dataclass(frozen=True)
class DocumentSummary:
    file: str
    graph: str
    department: str
    year: int
    units: int
    projects: int
    observations: int
    triples: int
    identities: dict[str, int]
    codes_not_in_lists: int = 0  # printed codes the code lists on file lack (see CheckReport)
    form: str = "text"  # the form it was read from (read.grid.Form)


def source_name(source: Source | None) -> str:
    return getattr(source, "name", None) or str(source)


def dataset_graph(source: Source | None, *, base: str = DEFAULT_BASE) -> str:
    """The name of the named graph a document will be built into, from its title alone."""
    from ..read.document import read_title

    year, department = read_title(source)
    return Minter(base, department, year).dataset_iri


@contextmanager
def _cycles_collected_after() -> Iterator[None]:
    """Pause Python's cycle collector for the block; it runs again, as it was set, afterwards.

    Reading and mapping a document makes about half a million objects that all live until the
    store has loaded them: the collector would go over them again and again as they pile up
    (a fifth of the mapping time; docs/benchmarks.md) and find nothing to free.  Any cycle
    made meanwhile is freed at its next run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def document_graph(
    source: Source | None = None, *, base: str = DEFAULT_BASE, disclosure: Disclosure | None = None
) -> tuple[CheckReport, list[Quad]]:
    """Read, check and map one document: its report and the quads of its named graph.

    :param disclosure: where and when the government published it (stated on its source document).
    """
    with _cycles_collected_after():
        doc = read_document(source)
        report = check_document(doc)
        return report, document_quads(doc, report, base=base, disclosure=disclosure)


def graph_name(quads: list[Quad]) -> NamedNode:
    """The named graph of one document's quads (they come first; see document_quads)."""
    graph = quads[0].graph_name
    assert isinstance(graph, NamedNode)
    return graph


def summarize(report: CheckReport, quads: list[Quad]) -> DocumentSummary:
    """What a build says about one mapped document."""
    doc = report.document
    # One observation per printed figure (cells left blank become bkg:MissingCell instead).
    observations = sum(c.amount is not None for t in doc.tables.values() for r in t.rows for c in r.cells.values())
    return DocumentSummary(
        doc.file,
        graph_name(quads).value,
        doc.department,
        doc.year,
        len(doc.units),
        len(doc.projects),
        observations,
        len(quads),
        report.counts,
        len(report.codes_not_in_lists),
        doc.form,
    )
