"""A query's answer, written in the format asked for: at most ``max_rows`` rows, saying when it was cut,
and at most ``max_bytes`` bytes, refused whole past that (outcome ``too-large``).

pyoxigraph writes graphs and every table that fits (much faster than Python); a table
longer than ``max_rows`` rows is cut and written in Python (rdflib for XML and CSV).  Neither
writing holds more than about ``max_bytes`` at once: pyoxigraph's writer is stopped past it,
and the rows cut in Python are counted as they are read, before anything is written.
"""

from __future__ import annotations

import json
from itertools import islice
from typing import Literal, NamedTuple, get_args

__all__ = ["QueryKind", "QueryOutcome", "answer", "query_kind", "TABLE_FORMATS", "GRAPH_FORMATS"]

# How a query ended: a table (SELECT, ASK) or a graph (CONSTRUCT, DESCRIBE) written in the
# format asked for, or one of the failures, each answered with its own status.
QueryKind = Literal["table", "graph", "syntax-error", "error", "too-large"]
# The two forms of a table: solutions, or the answer to an ASK.
TableForm = Literal["SELECT", "ASK"]

# format name → (media type, pyoxigraph QueryResultsFormat attribute)
TABLE_FORMATS = {
    "json": ("application/sparql-results+json", "JSON"),
    "xml": ("application/sparql-results+xml", "XML"),
    "csv": ("text/csv", "CSV"),
    "tsv": ("text/tab-separated-values", "TSV"),
}
# format name → (media type, pyoxigraph RdfFormat attribute)
GRAPH_FORMATS = {
    "ttl": ("text/turtle", "TURTLE"),
    "nt": ("application/n-triples", "N_TRIPLES"),
    "jsonld": ("application/ld+json", "JSON_LD"),
    "rdfxml": ("application/rdf+xml", "RDF_XML"),
}


# pyoxigraph writes a table whole; past this many bytes a row on average it is stopped (so a
# huge answer cannot fill the server's memory) and the rows are cut in Python instead.
NATIVE_BYTES_PER_ROW = 1024
# The fewest bytes pyoxigraph writes for a row: `{},` in JSON, `<result></result>` in XML, a
# line end in CSV and TSV.  A table shorter than max_rows times this cannot have too many rows.
_LEAST_ROW_BYTES = {"json": 3, "xml": 17, "csv": 2, "tsv": 1}


class QueryOutcome(NamedTuple):
    kind: QueryKind
    content: bytes = b""
    media_type: str = ""
    truncated: bool = False
    message: str = ""


def query_kind(value: object) -> QueryKind:
    """``value`` as an outcome's kind, as a query process sends it back.

    :raises ValueError: when it is none.
    """
    for kind in get_args(QueryKind):
        if value == kind:
            return kind
    raise ValueError(f"not a query outcome: {value!r}")


def _rdflib_term(term):
    import rdflib
    from pyoxigraph import BlankNode, Literal, NamedNode

    if term is None:
        return None
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
    return rdflib.Literal(str(term))


def _tsv(names: list[str], rows: list) -> bytes:
    """SPARQL 1.1 TSV results: terms in their N-Triples form, which is how pyoxigraph prints them."""
    lines = ["\t".join(f"?{n}" for n in names)]
    lines += ["\t".join("" if t is None else str(t) for t in row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _json(kind: TableForm, names: list[str], rows: list, boolean: bool, truncated: bool, max_rows: int) -> bytes:
    """SPARQL 1.1 JSON results, written with the json module (rdflib's writer is much slower)."""
    from ..query.library import json_term

    if kind == "ASK":
        data: dict = {"head": {}, "boolean": boolean}
    else:
        data = {
            "head": {"vars": names},
            "results": {
                "bindings": [
                    {n: json_term(t) for n, t in zip(names, row, strict=True) if t is not None} for row in rows
                ]
            },
        }
    if truncated:
        data["budgetkg"] = {"truncated": True, "maxRows": max_rows}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _table(
    kind: TableForm, names: list[str], rows: list, boolean: bool, fmt: str, truncated: bool, max_rows: int
) -> bytes:
    import rdflib
    from rdflib.query import Result

    if fmt == "json":
        return _json(kind, names, rows, boolean, truncated, max_rows)
    if kind == "ASK" and fmt in ("csv", "tsv"):
        # The CSV and TSV results formats define no boolean: answer the bare word, as Oxigraph does.
        return b"true" if boolean else b"false"
    if fmt == "tsv":
        return _tsv(names, rows)
    result = Result(kind)
    if kind == "ASK":
        result.askAnswer = boolean
    else:
        result.vars = [rdflib.Variable(n) for n in names]
        result.bindings = [
            {rdflib.Variable(n): _rdflib_term(t) for n, t in zip(names, row, strict=True) if t is not None}
            for row in rows
        ]
    content = result.serialize(format=fmt, encoding="utf-8")  # rdflib's names: xml, csv
    assert content is not None  # without a destination, serialize returns the bytes
    return content


class _TooLong(Exception):
    """Raised by _CappedBuffer to stop pyoxigraph's writing."""


class _CappedBuffer:
    """A binary writer for pyoxigraph that stops the writing past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.size = limit, 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _TooLong()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _rows(content: bytes, fmt: str) -> int:
    """How many rows a table written by pyoxigraph holds."""
    if fmt == "json":
        return len(json.loads(content)["results"]["bindings"])
    if fmt == "xml":  # markup in values is escaped, so every <result> is a row
        return content.count(b"<result>")
    if fmt == "tsv":  # line ends in values are escaped (\n)
        return content.count(b"\n") - 1
    import csv
    import io

    # A quoted CSV value may hold line ends: count records, less the header.
    return sum(1 for _ in csv.reader(io.StringIO(content.decode("utf-8"), newline=""))) - 1


class _AnswerTooLarge(Exception):
    """The answer would be larger than the byte limit."""


def _term_bytes(term) -> int:
    """At least the bytes ``term`` takes in any results or graph format (its value, as UTF-8
    takes at least a byte a character)."""
    if term is None:
        return 0
    value = getattr(term, "value", None)
    return len(value) if isinstance(value, str) else len(str(term))


def _counted(items, names: list[str] | None, max_bytes: int):
    """``items`` (solutions, or triples when ``names`` is None), one by one; raises
    :class:`_AnswerTooLarge` as soon as their values alone pass ``max_bytes``."""
    size = 0
    for item in items:
        terms = [item[n] for n in names] if names is not None else [item.subject, item.predicate, item.object]
        size += sum(_term_bytes(t) for t in terms)
        if size > max_bytes:
            raise _AnswerTooLarge()
        yield terms if names is not None else item


def _native_table(solutions, fmt: str, max_rows: int, max_bytes: int) -> bytes | None:
    """The table as pyoxigraph writes it; None when it has more than ``max_rows`` rows or is
    longer than ``max_rows`` times NATIVE_BYTES_PER_ROW or ``max_bytes``."""
    from pyoxigraph import QueryResultsFormat

    buffer = _CappedBuffer(min(max_rows * NATIVE_BYTES_PER_ROW, max_bytes))
    try:
        solutions.serialize(buffer, format=getattr(QueryResultsFormat, TABLE_FORMATS[fmt][1]))
    except _TooLong:
        return None
    content = b"".join(buffer.parts)
    if len(content) > max_rows * _LEAST_ROW_BYTES[fmt] and _rows(content, fmt) > max_rows:
        return None
    return content


def answer(
    store,
    query: str,
    max_rows: int,
    table_format: str,
    graph_format: str,
    dataset: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    max_bytes: int = 16_000_000,
) -> QueryOutcome:
    """The outcome of ``query`` on ``store``; every failure is an outcome too (a syntax error, an
    evaluation error, an answer longer than ``max_bytes``).

    ``dataset`` is the protocol's (default graphs, named graphs); without either, the default
    graph is the union of all graphs.
    """
    from pyoxigraph import NamedNode, QueryBoolean, QuerySolutions, RdfFormat, serialize

    from ..query.library import union_default_graph

    default_graphs, named_graphs = dataset

    def evaluate():
        if default_graphs or named_graphs:  # the protocol's dataset: these graphs only, none where none is named
            return store.query(
                query,
                default_graph=[NamedNode(g) for g in default_graphs],
                named_graphs=[NamedNode(g) for g in named_graphs],
            )
        return store.query(query, use_default_graph_as_union=union_default_graph(query))

    try:
        result = evaluate()
        if isinstance(result, QueryBoolean):
            content = _table("ASK", [], [], bool(result), table_format, False, max_rows)
            return QueryOutcome("table", content, TABLE_FORMATS[table_format][0])
        if isinstance(result, QuerySolutions):
            native = _native_table(result, table_format, max_rows, max_bytes)
            if native is not None:
                return QueryOutcome("table", native, TABLE_FORMATS[table_format][0])
            del result  # the first evaluation's memory is let go of before the second's
            result = evaluate()  # too many rows, or too long: again, to cut them in Python
            names = [v.value for v in result.variables]
            rows = list(islice(_counted(result, names, max_bytes), max_rows + 1))
            truncated = len(rows) > max_rows
            content = _table("SELECT", names, rows[:max_rows], False, table_format, truncated, max_rows)
            if len(content) > max_bytes:  # the values fit, the markup around them did not
                raise _AnswerTooLarge()
            return QueryOutcome("table", content, TABLE_FORMATS[table_format][0], truncated)
        triples = list(islice(_counted(result, None, max_bytes), max_rows + 1))
        media, name = GRAPH_FORMATS[graph_format]
        if graph_format == "jsonld":  # with budgetkg's @context, readable as plain JSON
            from ..publish.jsonld import jsonld_bytes

            content = jsonld_bytes(triples[:max_rows])
            if len(content) > max_bytes:
                raise _AnswerTooLarge()
            return QueryOutcome("graph", content, media, len(triples) > max_rows)
        buffer = _CappedBuffer(max_bytes)
        try:
            serialize(triples[:max_rows], buffer, format=getattr(RdfFormat, name))  # type: ignore[arg-type]  # a writer of bytes
        except _TooLong:
            raise _AnswerTooLarge() from None
        return QueryOutcome("graph", b"".join(buffer.parts), media, len(triples) > max_rows)
    except _AnswerTooLarge:
        return QueryOutcome(
            "too-large",
            message=f"the answer is larger than this endpoint's limit of {max_bytes} "
            "bytes; ask for fewer rows (LIMIT) or shorter values",
        )
    except SyntaxError as exc:
        return QueryOutcome("syntax-error", message=str(exc))
    except Exception as exc:  # every query is answered, whatever goes wrong in it
        return QueryOutcome("error", message=f"{type(exc).__name__}: {exc}")
