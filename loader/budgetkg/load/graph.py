"""Building the knowledge graph: documents → named graphs, plus the shared vocabulary graph.

The orchestration: which documents, in workers or in turn, in groups bulk-loaded into a new
store; one document's unit of work is :mod:`budgetkg.load.documents`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse

from ..errors import BudgetkgError
from ..rdf.codelists import all_codelist_triples
from ..rdf.graphs import CODES_GRAPH, ENTAILED_GRAPH, VOCABULARY_GRAPH
from ..rdf.iri import DEFAULT_BASE
from ..rdf.mapping import Disclosure
from ..rdf.namespaces import BKG, ONTOLOGY_IRI, PROV, RDF, RDFS, SKOS
from ..rdf.structure import structure_triples
from ..resources import default_document, ontology_dir
from .documents import DocumentSummary, Source, dataset_graph, document_graph, graph_name, source_name, summarize
from .pipeline import in_groups, mapped_in_workers, read_in_turn
from .sources import keep_sources
from .store import BuildResult, StoreMissing, default_store_path, open_store, rebuild, solutions

if TYPE_CHECKING:
    from .contents import StoredDocument

__all__ = [
    "BuildSummary",
    "vocabulary_quads",
    "settle_reference_graphs",
    "write_entailed_graph",
    "SETTLE_OPERATIONS",
    "build",
]


# With many documents, those mapped while the last bulk load ran go into the next one, up to
# this many: fewer loads write fewer files, and build faster (more a group was no faster;
# docs/benchmarks.md, "Measurements behind the code").  The build holds about two groups' N-Quads (the group
# loading, the next one arriving), so groups also end at GROUP_BYTES of N-Quads: the
# bundled document's are 44 MiB, four times a generated one's.
GROUP_DOCUMENTS = 4
GROUP_BYTES = 64 * 2**20


@dataclass
class BuildSummary:
    store: Path
    documents: list[DocumentSummary] = field(default_factory=list)
    vocabulary_triples: int = 0
    quads: int = 0
    graphs: int = 0  # named graphs in the store: the documents', the vocabulary, the reference graphs
    # The documents this build replaced, by graph: the same department and year built before,
    # maybe from another form (graph IRIs come from the title alone, so a second form of a
    # document replaces the first; the build says so rather than replace it silently).
    replaced: dict[str, StoredDocument] = field(default_factory=dict)


def vocabulary_quads() -> list[Quad]:
    """The ontology, the code lists and the table structures, in the vocabulary graph."""
    # The ontology's axioms hold blank nodes (restrictions, unions), which a parse names afresh
    # and a remote store renames: in the vocabulary graph each is a Skolem IRI (RDF 1.1 Concepts
    # 3.5) numbered by its order in the file, so that every build, and a store pushed elsewhere,
    # gives the same sorted N-Triples.  The ontology served at /ontology keeps its blank nodes.
    names: dict[BlankNode, NamedNode] = {}

    def same(term):
        if not isinstance(term, BlankNode):
            return term
        return names.setdefault(term, NamedNode(f"{ONTOLOGY_IRI}/genid/{len(names) + 1}"))

    quads = [
        Quad(same(t.subject), t.predicate, same(t.object), VOCABULARY_GRAPH)
        for t in parse(ontology_dir().joinpath("budgetkg.ttl").read_bytes(), format=RdfFormat.TURTLE)
    ]
    quads += [Quad(t.subject, t.predicate, t.object, VOCABULARY_GRAPH) for t in all_codelist_triples()]
    quads += [Quad(t.subject, t.predicate, t.object, VOCABULARY_GRAPH) for t in structure_triples()]
    return list(dict.fromkeys(quads))


# Builds add to the reference graph of codes as printed; what they add is settled each time:
# a code since added to the code lists is described there instead, and a code printed with
# several names (by several documents) keeps the first in Unicode order as its name, the others
# as alternative names, whatever order the documents were built in.
_SETTLE_CODES = (
    f"""
PREFIX skos: <{SKOS.base}>
DELETE {{ GRAPH <{CODES_GRAPH.value}> {{ ?c ?p ?o . ?x ?q ?c }} }}
WHERE {{ GRAPH <{VOCABULARY_GRAPH.value}> {{ ?c a skos:Concept }}
         GRAPH <{CODES_GRAPH.value}> {{ {{ ?c ?p ?o }} UNION {{ ?x ?q ?c }} }} }}
""",
    f"""
PREFIX skos: <{SKOS.base}>
DELETE {{ GRAPH <{CODES_GRAPH.value}> {{ ?c skos:prefLabel ?name }} }}
INSERT {{ GRAPH <{CODES_GRAPH.value}> {{ ?c skos:altLabel ?name }} }}
WHERE {{ GRAPH <{CODES_GRAPH.value}> {{ ?c skos:prefLabel ?name, ?first
         FILTER(LANG(?first) = LANG(?name) && STR(?first) < STR(?name)) }} }}
""",
    # A code no document prints any more (its document removed or rebuilt without it) leaves
    # the graph: each document notes the codes it prints with dcterms:source in its own graph.
    f"""
PREFIX skos: <{SKOS.base}>
PREFIX dcterms: <http://purl.org/dc/terms/>
DELETE {{ GRAPH <{CODES_GRAPH.value}> {{ ?c ?p ?o . ?x ?q ?c }} }}
WHERE {{ {{ SELECT DISTINCT ?c WHERE {{ GRAPH <{CODES_GRAPH.value}> {{ ?c a skos:Concept }}
           FILTER NOT EXISTS {{ GRAPH ?g {{ ?c dcterms:source ?document }} }} }} }}
         GRAPH <{CODES_GRAPH.value}> {{ {{ ?c ?p ?o }} UNION {{ ?x ?q ?c }} }} }}
""",
)


# An organisation no document graph lists any more (a unit renamed in a rebuilt document)
# leaves the organisations graph; so does an alternative name of a unit that no document's
# tables print any more (each document notes them on where it lists the unit).
_SETTLE_ORGANISATIONS = (
    f"""
PREFIX bkg: <{BKG.base}>
DELETE {{ GRAPH ?r {{ ?o ?p ?v . ?x ?q ?o }} }}
WHERE {{ {{ SELECT DISTINCT ?r ?o WHERE {{
           GRAPH ?r {{ ?r a bkg:ReferenceGraph . ?o a ?kind }}
           VALUES ?kind {{ bkg:Department bkg:BudgetUnit bkg:Division }}
           FILTER NOT EXISTS {{ GRAPH ?g {{ ?o bkg:sourceDocument ?document }} }} }} }}
         GRAPH ?r {{ {{ ?o ?p ?v }} UNION {{ ?x ?q ?o }} }} }}
""",
    f"""
PREFIX bkg: <{BKG.base}>
PREFIX prov: <{PROV.base}>
PREFIX skos: <{SKOS.base}>
DELETE {{ GRAPH ?r {{ ?o skos:altLabel ?name }} }}
WHERE {{ GRAPH ?r {{ ?r a bkg:ReferenceGraph . ?o a bkg:BudgetUnit ; skos:altLabel ?name }}
         FILTER NOT EXISTS {{ GRAPH ?g {{ ?o prov:qualifiedDerivation ?listed . ?listed bkg:printedName ?name }} }} }}
""",
)

# What the ontology entails, written again whole after the other graphs are settled (it reads
# them all; a document added, rebuilt or removed changes it): for each triple of a graph whose
# predicate is a sub-property (through any chain of the ontology's axioms) of an anchor's
# property, the triple with that property (obeu-measure:amount, obeu-dimension:organization,
# sdmx-measure:obsValue, prov:wasDerivedFrom, …); for each rdf:type of a bkg: class, the anchors'
# classes above it (qb:DataSet, org:Organization, foaf:Project, prov:Entity, …); and
# skos:broaderTransitive over the code lists (the vocabulary and the codes as printed, merged:
# a printed code's chain goes on into the lists), so that a query for a 类 reaches its 款 and 项.
# Only terms outside bkg: are entailed, and what another graph states already is left out: the
# union of graphs never holds a triple twice, and a bkg: query reads nothing from this graph.
# (Domains and ranges are left out: they would type every code and observation again.)
# Each is (template, whether the pattern reads the code lists merged as its default graph, pattern).
# The ontology's terms and the anchors' above them are listed in the patterns (VALUES), from the
# ontology this budgetkg bundles, which is the vocabulary graph's: Virtuoso answers a path of
# `rdfs:subPropertyOf+` from unbound ends with an error, or with a filter beside it, wrongly.
_PREFIXES = f"PREFIX rdfs: <{RDFS.base}>\nPREFIX skos: <{SKOS.base}>\n"


def _anchors(relation: NamedNode) -> str:
    """VALUES rows (term anchor): each bkg: term with each IRI outside bkg: it is a sub-property or
    a subclass of (``relation``), through any chain of the ontology's axioms."""
    above: dict[NamedNode, set[NamedNode]] = {}
    for t in parse(ontology_dir().joinpath("budgetkg.ttl").read_bytes(), format=RdfFormat.TURTLE):
        if t.predicate == relation and isinstance(t.subject, NamedNode) and isinstance(t.object, NamedNode):
            above.setdefault(t.subject, set()).add(t.object)
    rows = []
    for term in sorted(above, key=str):
        if not term.value.startswith(BKG.base):
            continue
        reached: set[NamedNode] = set()
        todo = list(above[term])
        while todo:  # ends: each term is visited once
            node = todo.pop()
            if node not in reached:
                reached.add(node)
                todo += above.get(node, ())
        rows += [f"({term} {a})" for a in sorted(reached, key=str) if not a.value.startswith(BKG.base)]
    return " ".join(rows)


_ENTAILMENTS = (
    ("?s ?anchor ?o", False, f"VALUES (?p ?anchor) {{ {_anchors(RDFS.subPropertyOf)} }} GRAPH ?g {{ ?s ?p ?o }}"),
    ("?s a ?anchor", False, f"VALUES (?c ?anchor) {{ {_anchors(RDFS.subClassOf)} }} GRAPH ?g {{ ?s a ?c }}"),
    ("?c skos:broaderTransitive ?a", True, "?c skos:inScheme ?scheme ; skos:broader+ ?a"),
)
_ENTAILED_LABELS = (
    (RDFS.label, Literal("本体蕴涵的三元组", language="zh")),
    (RDFS.label, Literal("Triples the ontology entails", language="en")),
    (
        RDFS.comment,
        Literal(
            "由本体的子属性、子类公理及代码表的 skos:broader 推出、其他图未陈述的三元组，"
            "只用所对齐词表的术语（不用 bkg:）。",
            language="zh",
        ),
    ),
    (
        RDFS.comment,
        Literal(
            "What the ontology's sub-property and sub-class axioms and the code lists' skos:broader entail and no "
            "other graph states, in the terms of the vocabularies it aligns with only (never bkg:).",
            language="en",
        ),
    ),
)


def _entailed_description() -> list[Quad]:
    """The entailed graph's description of itself, a bkg:ReferenceGraph."""
    return [Quad(ENTAILED_GRAPH, RDF.type, BKG.ReferenceGraph, ENTAILED_GRAPH)] + [
        Quad(ENTAILED_GRAPH, p, o, ENTAILED_GRAPH) for p, o in _ENTAILED_LABELS
    ]


def write_entailed_graph(store: Store) -> int:
    """Write the entailed graph of the store again (see _ENTAILMENTS): CONSTRUCT and a bulk load,
    not SPARQL Update (the remote settling's _ENTAIL), whose transaction log added 42 MB to the
    bundled document's database for its 40,930 triples.  About half a second for them.

    :returns: the number of triples entailed.
    """
    if store.contains_named_graph(ENTAILED_GRAPH):
        store.remove_graph(ENTAILED_GRAPH)
    description = _entailed_description()
    store.bulk_extend(description)
    merged: list[NamedNode | BlankNode | DefaultGraph] = [VOCABULARY_GRAPH]
    if store.contains_named_graph(CODES_GRAPH):
        merged.append(CODES_GRAPH)
    entailed: dict[Quad, None] = {}
    for template, codes, pattern in _ENTAILMENTS:
        # what a graph states already is left out (a third of the CPU time of looking each up)
        unstated = f"FILTER NOT EXISTS {{ GRAPH ?stated {{ {template} }} }}"
        triples = store.query(
            f"{_PREFIXES}CONSTRUCT {{ {template} }} WHERE {{ {pattern} {unstated} }}",
            default_graph=merged if codes else None,
        )
        for t in cast(Iterable[Triple], triples):
            entailed[Quad(t.subject, t.predicate, t.object, ENTAILED_GRAPH)] = None
    store.bulk_extend(entailed)
    return len(entailed)


# The same as SPARQL Update operations, for a remote store (budgetkg.query.remote.settle).
_ENTAIL = (
    f"DROP SILENT GRAPH <{ENTAILED_GRAPH.value}>",
    "INSERT DATA { GRAPH <%s> { %s } }"
    % (ENTAILED_GRAPH.value, " ".join(f"{q.subject} {q.predicate} {q.object} ." for q in _entailed_description())),
    *(
        f"{_PREFIXES}INSERT {{ GRAPH <{ENTAILED_GRAPH.value}> {{ {template} }} }}"
        + (f" USING <{VOCABULARY_GRAPH.value}> USING <{CODES_GRAPH.value}>" if codes else "")
        + f"\nWHERE {{ {pattern} }}"
        for template, codes, pattern in _ENTAILMENTS
    ),
    f"""DELETE {{ GRAPH <{ENTAILED_GRAPH.value}> {{ ?s ?p ?o }} }}
WHERE {{ GRAPH <{ENTAILED_GRAPH.value}> {{ ?s ?p ?o }}
         GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{ENTAILED_GRAPH.value}>) }}""",
)

# Every operation of the settling, in order, one SPARQL Update operation each: what
# budgetkg.query.remote.settle sends to an endpoint that several stores were pushed to.
SETTLE_OPERATIONS = (*_SETTLE_ORGANISATIONS, *_SETTLE_CODES, *_ENTAIL)


# Before the reference graphs, each document's graph described its organisations itself.
_EARLIER_LAYOUT = f"""
PREFIX bkg: <{BKG.base}>
SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a bkg:BudgetDataset . ?unit a bkg:BudgetUnit }} }}
"""


def _refuse_earlier_layout(store: Path | None, replacing: set[str]) -> None:
    """Refuse, before any work, a store that would keep a graph built by an earlier budgetkg: it
    describes the organisations itself, and beside the reference graphs the union of graphs
    would state them twice."""
    try:
        old = open_store(store)
    except StoreMissing:
        return
    for row in solutions(old, _EARLIER_LAYOUT):
        if row["g"].value not in replacing:
            raise BudgetkgError(
                f"the store keeps {row['g'].value}, built by an earlier budgetkg that described the "
                "organisations in each document's graph; build every document again into an empty "
                "store: budgetkg build --replace-all DOCS"
            )


def _stored(store: Path | None, graphs: set[str]) -> dict[str, StoredDocument]:
    """The documents of the store built into any of ``graphs`` (none when nothing is built)."""
    from .contents import stored_documents  # contents imports this module

    try:
        old = open_store(store)
    except StoreMissing:
        return {}
    return {d.graph: d for d in stored_documents(old) if d.graph in graphs}


def settle_reference_graphs(store: Store) -> None:
    """Settle what builds added to the reference graphs (see _SETTLE_CODES, _SETTLE_ORGANISATIONS),
    then write the entailed graph again (:func:`write_entailed_graph`)."""
    codes = _SETTLE_CODES if store.contains_named_graph(CODES_GRAPH) else ()
    for operation in (*_SETTLE_ORGANISATIONS, *codes):
        store.update(operation)
    # No code left unlisted (the documents that printed them removed, or the lists grown): the
    # graph goes, rather than stay as a description of nothing.
    if store.contains_named_graph(CODES_GRAPH) and not store.query(
        f"ASK {{ GRAPH <{CODES_GRAPH.value}> {{ ?c a <{SKOS.Concept.value}> }} }}"
    ):
        store.remove_graph(CODES_GRAPH)
    write_entailed_graph(store)


def build(
    documents: Iterable[Source] | None = None,
    *,
    store: Path | None = None,
    base: str = DEFAULT_BASE,
    replace_all: bool = False,
    progress: Callable[[DocumentSummary], None] | None = None,
    disclosure: Disclosure | None = None,
) -> BuildSummary:
    """Build documents into the store, each into its own named graph, atomically.

    Documents are read, checked and mapped one at a time (memory does not grow with
    their number); with several documents, worker processes map the next ones while
    the store loads (:mod:`budgetkg.load.pipeline`).  A document that cannot be read stops
    the build and leaves the store as it was.

    :param documents: paths of disclosures; None builds the bundled document.
    :param store: the store folder (default: :func:`budgetkg.load.store.default_store_path`).
    :param base: the base of data IRIs (code lists and ontology terms never change).
    :param replace_all: start from an empty store instead of keeping other graphs.
    :param progress: called with the summary of each document once it is mapped, in the order of
        ``documents``, while the build goes on (the store is swapped in after the last call).
    :param disclosure: where and when the government published the document (one document only).
    :raises ValueError: for a ``disclosure`` with several documents.
    """
    sources = list(documents) if documents is not None else [default_document()]
    if disclosure is not None and len(sources) != 1:
        raise ValueError("a disclosure's address and date are given for one document at a time")
    summary = BuildSummary(store=Path(store) if store else Path())

    def mapped() -> Iterator[Sequence[tuple[NamedNode, list[Quad] | bytes, DocumentSummary]]]:
        if len(sources) > 1:
            yield from in_groups(
                mapped_in_workers(sources, base),
                most=GROUP_DOCUMENTS,
                budget=GROUP_BYTES,
                weight=lambda mapped: len(mapped[1]),
            )
            return
        for source in sources:
            report, quads = document_graph(source, base=base, disclosure=disclosure)
            yield [(graph_name(quads), quads, summarize(report, quads))]

    def batches() -> Iterator[tuple[Sequence[NamedNode], list[Quad] | bytes | BinaryIO]]:
        vocab = vocabulary_quads()
        summary.vocabulary_triples = len(vocab)
        yield (VOCABULARY_GRAPH,), vocab
        for group in mapped():
            for _, _, s in group:
                summary.documents.append(s)
                if progress:
                    progress(s)
            if len(group) == 1:
                yield (group[0][0],), group[0][1]
            else:
                names, parts = [graph for graph, _, _ in group], [cast(bytes, quads) for _, quads, _ in group]
                # in_groups' own list: emptied, it leaves the reader alone holding the N-Quads, and
                # the reader lets each document's go once read.
                cast(list, group).clear()
                yield names, read_in_turn(parts)

    graph_of: dict[str, Source] = {}
    for source in sources:
        graph = dataset_graph(source, base=base)
        if graph in graph_of:
            raise BudgetkgError(
                f"{source_name(graph_of[graph])} and {source_name(source)} both describe the same department and "
                f"year ({graph}): build one of them, or give them different titles"
            )
        graph_of[graph] = source
    # the entailed graph too: settling writes it again whole, so an earlier one is not copied
    replacing = {VOCABULARY_GRAPH.value, ENTAILED_GRAPH.value, *graph_of}
    if not replace_all:
        _refuse_earlier_layout(store, replacing)
    summary.replaced = _stored(store, set(graph_of))
    folder = Path(store or default_store_path())

    def settle(new: Store) -> None:
        settle_reference_graphs(new)
        keep_sources(folder, sources, new)  # the files beside the figures' pages (/source/...)

    result: BuildResult = rebuild(batches(), path=folder, replace_all=replace_all, replacing=replacing, settle=settle)
    summary.store = result.path
    summary.quads = result.quads
    summary.graphs = len(result.graphs)
    return summary
