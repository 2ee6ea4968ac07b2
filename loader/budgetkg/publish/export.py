"""Exports of the store: RDF in every common syntax (sorted, deterministic), GraphML and networkx."""

from __future__ import annotations

import heapq
import io
import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx
from pyoxigraph import Literal, NamedNode, RdfFormat, Store, parse, serialize

from ..load.store import solutions
from ..rdf.graphs import VOCABULARY_GRAPH
from ..rdf.namespaces import BKG, ORG, QB, RDFS, SKOS
from ..rdf.prefixes import prefix_table
from .jsonld import write_jsonld

__all__ = [
    "write_export",
    "write_statements",
    "store_counts",
    "export_bytes",
    "export_file",
    "atomic_file",
    "write_atomic",
    "to_networkx",
    "store_stats",
]

RDF_FORMATS = {
    "ttl": RdfFormat.TURTLE,
    "nt": RdfFormat.N_TRIPLES,
    "nq": RdfFormat.N_QUADS,
    "trig": RdfFormat.TRIG,
    "jsonld": RdfFormat.JSON_LD,
    "rdfxml": RdfFormat.RDF_XML,
}


# Sorting happens in runs of about this many bytes of N-Triples text, spilled to temporary
# files and merged, so exporting a province's store does not hold it all in memory.
SORT_RUN_BYTES = 128 * 2**20


def _sorted_lines(lines: Iterable[str], folder: Path) -> Iterator[bytes]:
    """``lines`` sorted (an external merge sort), each once, encoded with a newline.

    UTF-8 keeps code-point order, and N-Triples escapes every character below the newline,
    so sorting the encoded lines gives the order of the strings.
    """
    runs: list[Path] = []
    run: list[str] = []
    size = 0
    for line in lines:
        run.append(line)
        size += len(line)
        if size >= SORT_RUN_BYTES:
            runs.append(folder / f"run-{len(runs)}")
            run.sort()
            runs[-1].write_text("".join(f"{line}\n" for line in run), encoding="utf-8")
            run, size = [], 0
    run.sort()
    with ExitStack() as files:
        merged: Iterable[bytes] = (f"{line}\n".encode() for line in run)
        if runs:
            merged = heapq.merge(merged, *(files.enter_context(open(path, "rb")) for path in runs))
        previous = None
        for encoded in merged:
            if encoded != previous:
                yield encoded
            previous = encoded


def write_export(store: Store, fmt: str, out: BinaryIO) -> None:
    """Write the whole store in ``fmt`` to ``out``: nq/trig keep named graphs, ttl/nt/jsonld/rdfxml hold their union.

    Output is sorted, so the same store gives the same bytes on every run; it is streamed
    (sorted in bounded runs on disk), except GraphML, which networkx builds in memory.
    """
    if fmt == "graphml":
        out.write(_graphml(store))
        return
    quads = store.quads_for_pattern(None, None, None, None)
    keep_graphs = fmt in ("nq", "trig")
    write_statements((str(q) if keep_graphs else str(q.triple) for q in quads), fmt, out)


def write_statements(
    statements: Iterable[str], fmt: str, out: BinaryIO, *, prefixes: dict[str, str] | None = None
) -> None:
    """Write N-Triples (or, for nq and trig, N-Quads) statements without their final `` .``,
    sorted and each once, in ``fmt``, streamed through sorted runs on disk.

    :param prefixes: for Turtle and TriG (default: budgetkg's prefix table).
    """
    with tempfile.TemporaryDirectory(prefix="budgetkg-export-") as folder:
        ordered = _sorted_lines(statements, Path(folder))
        if fmt in ("nq", "nt"):
            for line in ordered:
                out.write(line[:-1] + b" .\n")
            return
        # Turtle, TriG, JSON-LD and RDF/XML: pyoxigraph writes them from the sorted N-Triples/N-Quads.
        sorted_file = Path(folder) / "sorted"
        with open(sorted_file, "wb") as handle:
            for line in ordered:
                handle.write(line[:-1] + b" .\n")
        parsed = parse(path=sorted_file, format=RdfFormat.N_QUADS if fmt == "trig" else RdfFormat.N_TRIPLES)
        if fmt == "jsonld":  # compacted with budgetkg's context (publish/jsonld.py), not pyoxigraph's expanded form
            write_jsonld((q.triple for q in parsed), out)
            return
        if fmt not in ("ttl", "trig"):
            prefixes = None
        elif prefixes is None:
            prefixes = prefix_table()
        serialize(parsed, out, format=RDF_FORMATS[fmt], prefixes=prefixes)


def export_bytes(store: Store, fmt: str) -> bytes:
    """The whole store in ``fmt``, in memory (see :func:`write_export`, which streams)."""
    buffer = io.BytesIO()
    write_export(store, fmt, buffer)
    return buffer.getvalue()


def export_file(store: Store, fmt: str, path: Path) -> int:
    """Write the export to ``path``, never half-written (see :func:`atomic_file`); its size in bytes."""
    with atomic_file(path) as handle:
        write_export(store, fmt, handle)
    return Path(path).stat().st_size


def _graphml(store: Store) -> bytes:
    graph = to_networkx(store)
    ordered = nx.MultiDiGraph()  # sorted, so that the same store gives the same bytes
    ordered.add_nodes_from(sorted(graph.nodes(data=True)))
    ordered.add_edges_from(sorted(graph.edges(data=True), key=lambda e: (e[0], e[1], sorted(e[2].items()))))
    buffer = io.BytesIO()
    nx.write_graphml(ordered, buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def _umask() -> int:
    """The process's umask (reading it means setting it: set it straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A file written through a temporary file in the same folder, renamed to ``path`` when the block ends.

    When the block raises, the temporary file is removed and ``path`` is left as it was.
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    except OSError as exc:  # name the file asked for, not the temporary one
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            # mkstemp makes the file private (0600); the file asked for gets what any new file
            # gets, read-write under the user's umask, as `> path` would give it.
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, then rename it."""
    with atomic_file(path) as handle:
        handle.write(data)


def _label(store: Store, node: NamedNode) -> str:
    for p in (SKOS.prefLabel, RDFS.label):
        labels = [q.object for q in store.quads_for_pattern(node, p, None, None) if isinstance(q.object, Literal)]
        zh = [label.value for label in labels if label.language == "zh"]
        if zh or labels:
            return sorted(zh or [label.value for label in labels])[0]
    return node.value


def _amounts(wan_yuan: str) -> dict[str, str | int]:
    """An edge's amount: the exact decimal in 万元 and, when whole (amounts are printed to the
    cent of 万元, i.e. 100 yuan), the number of yuan, which GraphML holds exactly as a ``long``."""
    yuan = Decimal(wan_yuan) * 10000
    if yuan == yuan.to_integral_value():
        return {"amount": wan_yuan, "amount_yuan": int(yuan)}
    return {"amount": wan_yuan}


def to_networkx(store: Store) -> nx.MultiDiGraph:
    """The budget as a network: units, projects, functional and economic codes, funding sources, themes.

    Nodes carry ``kind`` and ``label``; edges carry ``relation`` and, for spending,
    ``amount`` (万元, as a string holding the exact decimal) and ``amount_yuan`` (the same in
    yuan, an integer: GraphML ``long``, exact where a ``double`` would not be).

    * unit → department (``sub-unit of``); project → unit (``project of``);
    * project → theme (``theme``); project → funding source (``funded by``, amount);
    * unit → functional code (表2/3 are department-wide, so codes link to the department);
      unit → economic class (``basic spending``, amount, from 表11).
    """
    g = nx.MultiDiGraph()

    def node(iri: NamedNode, kind: str) -> str:
        if iri.value not in g:
            g.add_node(iri.value, kind=kind, label=_label(store, iri))
        return iri.value

    q = "SELECT ?unit ?dept WHERE { ?unit a <%s> ; <%s> ?dept . ?dept a <%s> }" % (
        BKG.BudgetUnit.value,
        ORG.subOrganizationOf.value,
        BKG.Department.value,
    )
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(node(s["unit"], "unit"), node(s["dept"], "department"), relation="sub-unit of")
    q = "SELECT ?p ?unit WHERE { ?p a <%s> ; <%s> ?unit }" % (BKG.Project.value, BKG.budgetUnit.value)
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(node(s["p"], "project"), node(s["unit"], "unit"), relation="project of")
    q = "SELECT ?p ?t WHERE { ?p <%s> ?t }" % BKG.theme.value
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(node(s["p"], "project"), node(s["t"], "theme"), relation="theme")
    q = "SELECT ?p ?f ?a WHERE { ?o <%s> ?p ; <%s> ?f ; <%s> ?a ; <%s> false . ?p <%s> ?u FILTER(?a != 0) }" % (
        BKG.project.value,
        BKG.fundingSource.value,
        BKG.amount.value,
        BKG.isSubtotal.value,
        BKG.budgetUnit.value,
    )
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(
            node(s["p"], "project"), node(s["f"], "funding source"), relation="funded by", **_amounts(s["a"].value)
        )
    q = (
        "SELECT ?u ?c ?a WHERE { ?t <%s> 11 . ?o <%s> ?t ; <%s> ?u ; <%s> ?c ; <%s> ?a ; <%s> ?f . "
        '?f <%s> "_T" . ?c <%s> ?n FILTER(?n != "_T") ?u a <%s> }'
        % (
            BKG.tableNumber.value,
            QB.dataSet.value,
            BKG.organization.value,
            BKG.economicClassification.value,
            BKG.amount.value,
            BKG.fundingSource.value,
            SKOS.notation.value,
            SKOS.notation.value,
            BKG.BudgetUnit.value,
        )
    )
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(
            node(s["u"], "unit"), node(s["c"], "economic code"), relation="basic spending", **_amounts(s["a"].value)
        )
    q = (
        "SELECT ?d ?c ?a WHERE { ?t <%s> 3 . ?o <%s> ?t ; <%s> ?d ; <%s> ?c ; <%s> ?a ; <%s> ?e . "
        '?e <%s> "_T" . ?c <%s> ?n FILTER(?n != "_T" && STRLEN(?n) = 3) }'
        % (
            BKG.tableNumber.value,
            QB.dataSet.value,
            BKG.organization.value,
            BKG.functionalClassification.value,
            BKG.amount.value,
            BKG.expenditureType.value,
            SKOS.notation.value,
            SKOS.notation.value,
        )
    )
    for s in solutions(store, q, use_default_graph_as_union=True):
        g.add_edge(
            node(s["d"], "department"), node(s["c"], "functional code"), relation="spending", **_amounts(s["a"].value)
        )
    return g


def store_counts(store: Store) -> dict[str, Any]:
    """What is in the store, counted: quads, each named graph (triples and title), departments,
    units, projects, observations, identities by status."""
    graphs = sorted(g.value for g in store.named_graphs())
    counts = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    per_graph = {s["g"].value: int(s["n"].value) for s in solutions(store, counts)}
    out: dict[str, Any] = {"quads": len(store), "graphs": []}
    for g in graphs:
        what = "vocabulary" if g == VOCABULARY_GRAPH.value else ""
        if not what:
            titles = [
                q.object.value
                for q in store.quads_for_pattern(NamedNode(g), RDFS.label, None, NamedNode(g))
                if isinstance(q.object, Literal)
            ]
            what = titles[0] if titles else ""
        out["graphs"].append({"graph": g, "triples": per_graph.get(g, 0), "title": what})
    for label, pattern in (
        ("departments", f"?s a <{BKG.Department.value}>"),
        ("budget units", f"?s a <{BKG.BudgetUnit.value}>"),
        ("projects", f"?s a <{BKG.Project.value}> ; <{BKG.budgetUnit.value}> ?u"),
        ("observations", f"?s a <{QB.Observation.value}>"),
        ("accounting identities", f"?s a <{BKG.AccountingIdentity.value}>"),
    ):
        n = next(
            iter(
                solutions(
                    store, f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}", use_default_graph_as_union=True
                )
            )
        )["n"].value
        out[label] = int(n)
    status = "SELECT ?st (COUNT(?i) AS ?n) WHERE { ?i <%s> ?s . ?s <%s> ?st } GROUP BY ?st ORDER BY ?st" % (
        BKG.identityStatus.value,
        SKOS.notation.value,
    )
    out["identities"] = {
        s["st"].value: int(s["n"].value) for s in solutions(store, status, use_default_graph_as_union=True)
    }
    return out


def store_stats(store: Store) -> list[str]:
    """Lines describing what is in the store (:func:`store_counts`, for people)."""
    counts = store_counts(store)
    out = [f"quads: {counts['quads']}", f"named graphs: {len(counts['graphs'])}"]
    out += [f"  {g['graph']}  {g['triples']} triples  {g['title']}" for g in counts["graphs"]]
    out += [
        f"{label}: {counts[label]}"
        for label in ("departments", "budget units", "projects", "observations", "accounting identities")
    ]
    out.append("identities: " + ", ".join(f"{n} {status}" for status, n in counts["identities"].items()))
    return out
