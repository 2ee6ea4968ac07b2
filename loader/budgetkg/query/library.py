"""The query library (``queries/NN-slug.rq``) and running queries with readable results.

Each library file opens with a comment header::

    # title@zh: …            # title@en: …
    # description: …          # tables: …          # keywords: …
    # param: name | type | default | description      (zero or more)

A parameter binds the variable of the same name (``?code``) with a ``VALUES`` block
added at the start of the query's ``WHERE`` clause, or, where the query writes
``VALUES ?code { default }`` itself, in place of each such block: a sub-query does not
see the bindings of the query around it, and Oxigraph orders the patterns of an
``OPTIONAL`` group as if nothing were bound before it, so both name the value where they
need it. The value is written as an RDF term by pyoxigraph (escaped), so a parameter can
never change the query's shape.
The parameter ``limit`` sets the query's ``LIMIT``. A parameter of type ``one-of:a/b/c``
takes one of the words listed, and nothing else.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pyoxigraph import Literal, NamedNode, QueryBoolean, QuerySolutions, Store, Triple

from ..errors import BudgetkgError
from ..rdf.namespaces import BKG, DCTERMS, RDFS, SKOS, XSD
from ..resources import queries_dir
from .sparql_text import names_dataset, query_form, values_blocks, where_position, with_dataset

if TYPE_CHECKING:
    from .remote import Endpoint, RemoteStore

__all__ = [
    "Param",
    "LibraryQuery",
    "QueryError",
    "library",
    "resolve",
    "run_query",
    "run_select",
    "Result",
    "render_table",
    "document_dataset",
    "document_graphs",
]

_HEADER = re.compile(r"^#\s*([\w@-]+)\s*:\s*(.*)$")


class QueryError(BudgetkgError, ValueError):
    """A query that cannot be found, parsed or bound."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str
    description: str


@dataclass(frozen=True)
class LibraryQuery:
    number: str
    name: str
    file: str
    text: str
    title_zh: str
    title_en: str
    description: str
    tables: str = ""
    keywords: str = ""
    params: tuple[Param, ...] = ()

    @property
    def slug(self) -> str:
        return f"{self.number}-{self.name}"


def parse_header(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        m = _HEADER.match(line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2).strip())
    return out


def _load(file: str, text: str) -> LibraryQuery:
    stem = file[:-3]
    number, _, name = stem.partition("-")
    h = parse_header(text)
    params = []
    for spec in h.get("param", []):
        parts = [p.strip() for p in spec.split("|")]
        if len(parts) != 4:
            raise QueryError(f"{file}: a param line is “name | type | default | description”, found {spec!r}")
        params.append(Param(*parts))
    try:
        return LibraryQuery(
            number,
            name,
            file,
            text,
            h["title@zh"][0],
            h["title@en"][0],
            h["description"][0],
            ", ".join(h.get("tables", [])),
            ", ".join(h.get("keywords", [])),
            tuple(params),
        )
    except KeyError as missing:
        raise QueryError(f"{file}: the header lacks {missing}") from None


@cache
def library() -> tuple[LibraryQuery, ...]:
    """Every query of the library, in file order."""
    files = sorted(f.name for f in queries_dir().iterdir() if f.name.endswith(".rq"))
    return tuple(_load(f, queries_dir().joinpath(f).read_text("utf-8")) for f in files)


def resolve(query: str) -> tuple[str, LibraryQuery | None]:
    """A library name (``largest-projects``, ``03`` or ``03-largest-projects``), a .rq file, or query text."""
    for q in library():
        if query in (q.name, q.number, q.slug, q.file):
            return q.text, q
    if query.endswith(".rq"):
        path = Path(query)
        if not path.exists():
            raise QueryError(f"no query file {query}")
        text = path.read_text("utf-8")
        return text, (_load(path.name, text) if "title@zh" in text else None)
    if re.search(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b", query, re.IGNORECASE):
        return query, None
    names = ", ".join(q.name for q in library())
    raise QueryError(f"no library query named {query!r}; the library has: {names}")


def _term(param: Param, value: str):
    kind = param.type
    if kind == "iri":
        try:
            return NamedNode(value)
        except ValueError:
            raise QueryError(f"parameter {param.name} is an IRI, found {value!r}") from None
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", value):
            raise QueryError(f"parameter {param.name} is an integer, found {value!r}")
        return Literal(value, datatype=XSD.integer)
    if kind == "decimal":
        try:
            return Literal(str(Decimal(value.replace(",", ""))), datatype=XSD.decimal)
        except ArithmeticError:
            raise QueryError(f"parameter {param.name} is a decimal, found {value!r}") from None
    if kind.startswith("one-of:"):
        # A word the query compares with: any other would quietly match nothing, or the wrong rows.
        choices = kind.removeprefix("one-of:").split("/")
        if value not in choices:
            raise QueryError(f"parameter {param.name} is one of {', '.join(choices)}, found {value!r}")
        return Literal(value)
    if kind.startswith("literal@"):
        return Literal(value, language=kind.split("@", 1)[1])
    if kind == "unit-name":  # resolved to the unit's own name by unit_names() first
        return Literal(value, language="zh")
    return Literal(value)


# A name longer than any unit's is no unit's (the longest of the bundled document has 22
# characters); the bound keeps the search for close names small whatever is given.
_MAX_NAME = 200
_UNIT_NAMES = f"""
SELECT DISTINCT ?name ?printed WHERE {{
  ?unit a <{BKG.BudgetUnit.value}> ; <{SKOS.prefLabel.value}> ?name .
  {{ ?unit <{SKOS.prefLabel.value}> ?printed }} UNION {{ ?unit <{SKOS.altLabel.value}> ?printed }}
}}"""


def unit_names(
    source: Store | Endpoint | RemoteStore, query: LibraryQuery | None, given: dict[str, str]
) -> dict[str, str]:
    """``given`` with each ``unit-name`` parameter replaced by the unit's own name (its
    ``skos:prefLabel``), whichever name a document printed for it: the name 部门预算构成 lists
    or the one a table prints (an alternative label).

    :raises QueryError: for a name no unit has, naming the closest the store's units have.
    """
    wanted = [p for p in (query.params if query else ()) if p.type == "unit-name"]
    if not wanted:
        return given
    answer = _answer(source, _UNIT_NAMES)
    assert isinstance(answer, tuple)  # a SELECT
    own = {printed.value: name.value for name, printed in answer[1]}
    out = dict(given)
    for p in wanted:
        value = given.get(p.name, p.default).strip()
        if value in own:
            out[p.name] = own[value]
            continue
        if p.name not in given:  # the example default, in a store without that unit
            continue
        close = difflib.get_close_matches(value[:_MAX_NAME], sorted(set(own.values())), n=5, cutoff=0.4)
        raise QueryError(
            f"parameter {p.name}: no unit is named {value[:_MAX_NAME]!r}"
            + (
                f"; the closest: {', '.join(close)}"
                if close
                else f"; the units: {', '.join(sorted(set(own.values()))[:20])}"
            )
        )
    return out


def bind(text: str, query: LibraryQuery | None, given: dict[str, str]) -> str:
    """The query text with the given parameters (defaults for the rest) bound.

    >>> q = next(q for q in library() if q.name == "functional-code-by-fund")
    >>> 'VALUES ?code { "205" }' in bind(q.text, q, {"code": "205"})
    True
    """
    params = {p.name: p for p in (query.params if query else ())}
    unknown = set(given) - set(params)
    if unknown:
        raise QueryError(
            f"unknown parameter(s) {', '.join(sorted(unknown))}; this query takes: " + (", ".join(params) or "none")
        )
    values = []
    for name, p in params.items():
        value = given.get(name, p.default)
        term = _term(p, value)
        service = re.compile(rf"\bSERVICE\s+(SILENT\s+)?\?{re.escape(name)}\b", re.IGNORECASE)
        if isinstance(term, NamedNode) and service.search(text):
            # SERVICE takes an IRI, not a bound variable, on most engines; the IRI was
            # validated by NamedNode, so writing it into the text cannot change the query.
            iri = str(term)
            text = service.sub(lambda m: f"SERVICE {m.group(1) or ''}{iri}", text)  # noqa: B023 (used at once)
            continue
        if name == "limit":
            text = re.sub(r"\bLIMIT\s+\d+", f"LIMIT {int(value)}", text, flags=re.IGNORECASE)
        elif written := values_blocks(text, name):
            # The query binds it where it is needed: in a sub-query, which does not see the
            # bindings around it, or in an OPTIONAL group, whose patterns Oxigraph orders as
            # if nothing were bound before it.
            for start, end in reversed(written):
                text = text[:start] + f"VALUES ?{name} {{ {term} }}" + text[end:]
        else:
            values.append(f"VALUES ?{name} {{ {term} }}")
    if values:
        at = where_position(text)
        if at is None:
            raise QueryError("a query with parameters needs a WHERE clause")
        at = text.index("{", at) + 1
        text = text[:at] + "\n  " + "\n  ".join(values) + text[at:]
    return text


@dataclass
class Result:
    """A SELECT result: variable names and rows of RDF terms (None where unbound)."""

    variables: list[str]
    rows: list[list[object | None]]
    labels: dict[str, str] = field(default_factory=dict)

    def values(self, lang: str = "zh") -> list[list[str]]:
        """Rows as text: labels for IRIs, exact decimals as printed by the engine."""
        return [[display(t, self.labels) for t in row] for row in self.rows]

    def with_iris(self) -> tuple[list[str], list[list[str]]]:
        """The header and the rows of :meth:`values` with, just after each column that holds an
        IRI in some row, a column ``{name}_iri`` of the IRI itself (empty where a row has none),
        so that a spreadsheet keeps the labels to read and the IRIs to join on.  A name a
        variable already has gets a further ``_iri``."""
        holds_iri = {i for row in self.rows for i, t in enumerate(row) if isinstance(t, NamedNode)}
        taken = set(self.variables)
        header: list[str] = []
        for i, name in enumerate(self.variables):
            header.append(name)
            if i in holds_iri:
                column = name + "_iri"
                while column in taken:  # at most len(variables) names are taken
                    column += "_iri"
                taken.add(column)
                header.append(column)
        rows = []
        for row in self.rows:
            out: list[str] = []
            for i, t in enumerate(row):
                out.append(display(t, self.labels))
                if i in holds_iri:
                    out.append(t.value if isinstance(t, NamedNode) else "")
            rows.append(out)
        return header, rows


def union_default_graph(query: str) -> bool:
    """Whether to run ``query`` with the union of all graphs as its default graph: yes, unless
    it names its own dataset with FROM or FROM NAMED (pyoxigraph's union option would override it).

    >>> union_default_graph("SELECT * WHERE { ?s ?p ?o }")
    True
    >>> union_default_graph("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }")
    False
    """
    return not names_dataset(query)


def json_term(term) -> dict[str, str]:
    """A term as the SPARQL 1.1 JSON results format writes it."""
    from pyoxigraph import BlankNode

    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def display(term: object | None, labels: dict[str, str]) -> str:
    if term is None:
        return ""
    if isinstance(term, NamedNode):
        return labels.get(term.value, term.value)
    if isinstance(term, Literal):
        if term.datatype == XSD.decimal:
            return _decimal_text(term.value)
        return term.value
    return str(term)


# Past this many integer digits a figure is no amount (the reader refuses more than 12).
_DECIMAL_DIGITS = 40


def _decimal_text(lexical: str) -> str:
    """Amounts in 万元 are printed with two decimals; engines drop trailing zeros (220.00 → 220).

    A store may hold any literal (an update, or a store written by other means): one that is not
    a decimal, or one too large for two decimals to matter, is printed as it is stored.

    >>> _decimal_text("220"), _decimal_text("0.5"), _decimal_text("20.668")
    ('220.00', '0.50', '20.668')
    >>> _decimal_text("1" * 30 + ".5"), _decimal_text("1E+999999"), _decimal_text("abc")
    ('111111111111111111111111111111.50', '1E+999999', 'abc')
    """
    try:
        value = Decimal(lexical)
    except InvalidOperation:
        return lexical
    if not value.is_finite() or value.adjusted() > _DECIMAL_DIGITS:
        return lexical  # no amount (NaN, 1E+999999): as stored, never a million digits
    exponent = value.as_tuple().exponent
    # format(), not quantize(): quantize fails past the context's 28 digits (a 27-digit amount).
    return f"{value:.2f}" if isinstance(exponent, int) and exponent > -2 else str(value)


def document_dataset(source: Store | Endpoint | RemoteStore, documents: Iterable[str]) -> list[str]:
    """The graphs a query about some documents of the store reads: each document's named graph,
    then the vocabulary and reference graphs that every document's figures lean on (codes,
    organisations).

    :param documents: each document's graph IRI or one of its titles (``budgetkg stats`` lists
        both), or the name of the file it was built from (a path is matched by its last part).
    :raises QueryError: when a name matches no document, or several files of that name.
    """
    from ..rdf.graphs import VOCABULARY_GRAPH

    chosen, reference = _documents(source, list(documents))
    return chosen + [VOCABULARY_GRAPH.value] + reference


def document_graphs(source: Store | Endpoint | RemoteStore, documents: Iterable[str]) -> list[str]:
    """The named graphs of the documents, in the order named (see :func:`document_dataset` for the
    names a document goes by): each then named by its graph IRI, which is looked up directly.

    :raises QueryError: when a name matches no document, or several files of that name.
    """
    return _documents(source, list(documents))[0]


def _documents(source: Store | Endpoint | RemoteStore, documents: list[str]) -> tuple[list[str], list[str]]:
    return _documents_by_iri(source, documents) or _documents_by_name(source, documents)


def _documents_by_name(source: Store | Endpoint | RemoteStore, documents: list[str]) -> tuple[list[str], list[str]]:
    """The graphs of the documents (see document_dataset) and the reference graphs,
    found by every name of every graph."""
    from ..rdf.graphs import GRAPH_KINDS

    # Each document graph and reference graph of the store, by every name a user may give it: its
    # titles and labels, and a document's file name (dcterms:identifier of its source).
    answer = _answer(
        source,
        f"""
        PREFIX dcterms: <{DCTERMS.base}>
        PREFIX rdfs: <{RDFS.base}>
        SELECT ?g ?kind ?name ?file WHERE {{
          GRAPH ?g {{
            ?g a ?kind . {GRAPH_KINDS}
            {{ ?g dcterms:title ?name }} UNION {{ ?g rdfs:label ?name }}
            UNION {{ ?g dcterms:source ?s . ?s dcterms:identifier ?name BIND(true AS ?file) }}
          }}
        }}""",
    )
    assert isinstance(answer, tuple)
    names: dict[str, set[str]] = {}
    files: dict[str, str] = {}
    reference: set[str] = set()
    for graph, kind, name, file in answer[1]:
        if kind == BKG.ReferenceGraph:
            reference.add(graph.value)
            continue
        names.setdefault(graph.value, {graph.value}).add(name.value)
        if file is not None:
            files[graph.value] = name.value
    chosen: list[str] = []
    for document in documents:
        found = [g for g, known in names.items() if document in known or Path(document).name in known]
        if not found:
            listed = ", ".join(sorted(files.get(g, g) for g in names)) or "none"
            raise QueryError(
                f"no document {document!r} in the store (give its graph IRI or title, as `budgetkg "
                f"list` lists them, or the name of its file); its documents' files: {listed}"
            )
        if len(found) > 1:
            raise QueryError(
                f"{document!r} names {len(found)} documents: give one's graph IRI or title instead: "
                + ", ".join(sorted(found))
            )
        chosen += [g for g in found if g not in chosen]
    return chosen, sorted(reference)


def _documents_by_iri(
    source: Store | Endpoint | RemoteStore, documents: list[str]
) -> tuple[list[str], list[str]] | None:
    """_documents_by_name when every document is named by its graph IRI, as ``budgetkg.publish.charts.write_report``
    names them once it has found them: two lookups, where listing every name of every graph
    grows with the store.  None when a name is not a document graph's IRI."""
    if not documents or not all(_is_iri(d) for d in documents):
        return None
    answer = _answer(
        source,
        f"""
        SELECT ?g ?kind WHERE {{
          {{ VALUES ?g {{ {" ".join(f"<{d}>" for d in documents)} }} GRAPH ?g {{ ?g a <{BKG.BudgetDataset.value}> }}
             BIND(<{BKG.BudgetDataset.value}> AS ?kind) }}
          UNION {{ GRAPH ?g {{ ?g a <{BKG.ReferenceGraph.value}> }} BIND(<{BKG.ReferenceGraph.value}> AS ?kind) }}
        }}""",
    )
    assert isinstance(answer, tuple)
    found = {graph.value for graph, kind in answer[1] if kind == BKG.BudgetDataset}
    if not found.issuperset(documents):
        return None
    reference = sorted(graph.value for graph, kind in answer[1] if kind == BKG.ReferenceGraph)
    return list(dict.fromkeys(documents)), reference


def _is_iri(name: str) -> bool:
    try:
        NamedNode(name)
    except ValueError:
        return False
    return True


def run_query(
    source: Store | Endpoint | RemoteStore,
    query: str,
    *,
    params: dict[str, str] | None = None,
    lang: str = "zh",
    documents: Iterable[str] = (),
) -> Result | bool | list[Triple]:
    """Run a library query, a .rq file or query text of any form on the embedded store (the union
    of all graphs, unless the query has FROM) or on a remote endpoint (:class:`budgetkg.query.remote.Endpoint`).

    :param documents: ask only these documents (see :func:`document_dataset`): in a store of
        several, one answer for them instead of one per document, and no reading of the others.
    :returns: a :class:`Result` for SELECT, a bool for ASK, and for CONSTRUCT and DESCRIBE
        the triples, each once and sorted.
    """
    text, lib = resolve(query)
    text = bind(text, lib, unit_names(source, lib, params or {}))
    documents = list(documents)
    if documents:
        if names_dataset(text):
            raise QueryError("the query names its own dataset (FROM): it cannot also be asked of some documents")
        text = with_dataset(text, document_dataset(source, documents))
    try:
        answer = _answer(source, text)
    except SyntaxError as exc:
        raise QueryError(f"{lib.file if lib else 'query'}: {exc}") from None
    if isinstance(answer, tuple):
        variables, rows = answer
        iris = sorted({t.value for row in rows for t in row if isinstance(t, NamedNode)})
        return Result(variables, rows, labels_for(source, iris, lang))
    return answer


def run_select(
    source: Store | Endpoint | RemoteStore,
    query: str,
    *,
    params: dict[str, str] | None = None,
    lang: str = "zh",
    documents: Iterable[str] = (),
) -> Result:
    """:func:`run_query` for a SELECT query: its table, with labels for its IRIs in ``lang``."""
    answer = run_query(source, query, params=params, lang=lang, documents=documents)
    if not isinstance(answer, Result):
        raise QueryError(
            f"only SELECT queries give a table: run this {query_form(resolve(query)[0])} query with run_query()"
        )
    return answer


def _answer(
    source: Store | Endpoint | RemoteStore, text: str
) -> tuple[list[str], list[list[Any]]] | bool | list[Triple]:
    if isinstance(source, Store):
        result = source.query(text, use_default_graph_as_union=union_default_graph(text))
        if isinstance(result, QuerySolutions):
            variables = [v.value for v in result.variables]
            return variables, [[s[v] for v in variables] for s in result]
        if isinstance(result, QueryBoolean):
            return bool(result)
        triples: Iterable[Triple] = result
    else:
        form = query_form(text)
        if form == "SELECT":
            return source.select(text)
        if form == "ASK":
            return source.ask(text)
        triples = source.construct(text)
    return sorted({str(t): t for t in triples}.values(), key=str)


def labels_for(source: Store | Endpoint | RemoteStore, iris: list[str], lang: str) -> dict[str, str]:
    """The best label of each IRI: in ``lang``, else Chinese, else English, else any."""
    rank = {lang: 0}
    for other in ("zh", "en"):
        rank.setdefault(other, len(rank))
    best: dict[str, tuple[int, str]] = {}
    for start in range(0, len(iris), 500):
        values = " ".join(f"<{i}>" for i in iris[start : start + 500])
        q = (
            "SELECT ?s ?l WHERE { VALUES ?s { " + values + " } "
            "{ ?s <http://www.w3.org/2004/02/skos/core#prefLabel> ?l } UNION "
            "{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } }"
        )
        answer = _answer(source, q)
        assert isinstance(answer, tuple)
        for s, label in answer[1]:
            r = rank.get(label.language or "", 3)
            if s.value not in best or (r, label.value) < best[s.value]:
                best[s.value] = (r, label.value)
    return {k: v for k, (_, v) in best.items()}


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def render_table(result: Result, *, max_width: int = 60) -> str:
    """An aligned text table; CJK characters count as two columns."""
    rows = [[v if _width(v) <= max_width else v[: max_width // 2 - 1] + "…" for v in row] for row in result.values()]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(result.variables)]

    def line(cells: list[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(result.variables), line(["-" * w for w in widths])]
    out += [line(r) for r in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
