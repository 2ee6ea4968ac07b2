"""Comparing what two readings of one disclosure give, whatever their forms: the graph without
the triples that say where each thing was printed (they differ by form by nature)."""

from __future__ import annotations

from budgetkg.check.accounts import check_document
from budgetkg.rdf.mapping import document_quads
from budgetkg.rdf.namespaces import BKG
from budgetkg.records import Document

# Where a thing was printed (line, page, box, cell) and which file it was: the rest of the graph
# (every observation, IRI, amount, label, identity) is the same whatever the form.
PROVENANCE = {
    BKG.sourceLine.value,
    BKG.sourcePlace.value,
    BKG.sourcePage.value,
    BKG.sourceBox.value,
    BKG.sourceCell.value,
    BKG.checksumSha256.value,
    "http://purl.org/dc/terms/identifier",
    "http://purl.org/dc/terms/format",
}


def _is_source_label(quad, source: str) -> bool:
    return quad.subject.value == source and quad.predicate.value.endswith("#label")


def facts(doc: Document) -> set[str]:
    """The document's quads, as N-Quads lines, less the provenance of each printed thing."""
    quads = document_quads(doc, check_document(doc))
    source = next(q.subject.value for q in quads if q.predicate.value == BKG.checksumSha256.value)
    return {str(q) for q in quads if q.predicate.value not in PROVENANCE and not _is_source_label(q, source)}


def differences(a: Document, b: Document, limit: int = 10) -> list[str]:
    """What one reading has that the other lacks (at most ``limit`` lines), for assertion messages."""
    fa, fb = facts(a), facts(b)
    return [f"- {q}" for q in sorted(fa - fb)[:limit]] + [f"+ {q}" for q in sorted(fb - fa)[:limit]]
