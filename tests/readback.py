"""Reading a document back from a rendering: what must come out the same as from its text.

A document read from its workbook, web page or PDF gives the same graph as read from its
text, but for provenance, which differs by nature: the line numbers and places, and the
source document's own name, checksum and size.
"""

from __future__ import annotations

import os

from budgetkg.check.accounts import check_document
from budgetkg.rdf.mapping import document_quads
from budgetkg.rdf.namespaces import BKG
from budgetkg.read.document import read_document
from pyoxigraph import NamedNode

_DCT = "http://purl.org/dc/terms/"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
# Where a figure was printed: its line in the text form, its place in another form.
TRACE = {BKG.sourceLine, BKG.sourcePlace, BKG.sourcePage, BKG.sourceBox, BKG.sourceCell}
# What the source document says of itself: its file name (identifier, label), checksum and
# form (dct:format), and the dataset's triple count, which grows with the places a form other
# than text adds.
SELF = {NamedNode(_DCT + "identifier"), NamedNode(_RDFS + "label"), NamedNode(_DCT + "format"), BKG.checksumSha256}
VOID_TRIPLES = NamedNode("http://rdfs.org/ns/void#triples")

# Generated departments read back from each rendering in the suite; BUDGETKG_DEPARTMENTS=20
# (the README's test section) runs more.
DEPARTMENTS = range(1, 1 + int(os.environ.get("BUDGETKG_DEPARTMENTS", "3")))


def graph(data: bytes, filename: str) -> set[tuple]:
    """The quads of a document's graph but for its provenance (see the module's docstring)."""
    doc = read_document(data, filename=filename)
    quads = document_quads(doc, check_document(doc))
    sources = {q.subject for q in quads if q.predicate == BKG.checksumSha256}
    return {
        (q.subject, q.predicate, q.object, q.graph_name)
        for q in quads
        if q.predicate not in TRACE
        and q.predicate != VOID_TRIPLES
        and not (q.subject in sources and q.predicate in SELF)
    }


def differences(expected: set[tuple], found: set[tuple], limit: int = 5) -> str:
    """A few quads only one side has, for an assertion's message."""
    only = sorted((("text only", q) for q in expected - found), key=str)[:limit]
    only += sorted((("rendering only", q) for q in found - expected), key=str)[:limit]
    return "\n".join(f"{side}: {' '.join(str(t) for t in q)}" for side, q in only)
