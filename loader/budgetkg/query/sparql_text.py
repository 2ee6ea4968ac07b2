"""What budgetkg needs to know about a SPARQL query's text before an engine sees it.

The engines parse queries; budgetkg only has to find four things in the text: the
query's form (to ask a remote endpoint for the right kind of answer), whether it names
its own dataset (``FROM`` / ``FROM NAMED``), where its WHERE clause starts (to add
the dataset or parameter bindings there), and a ``VALUES`` block the query writes for a
parameter itself (to bind the parameter there instead). Keywords are looked for after strings, IRIs
and comments are blanked out, so ``ex:from``, ``"SELECT"`` or ``# FROM`` never count.
"""

from __future__ import annotations

import re
from typing import Literal, get_args

from ..errors import BudgetkgError

__all__ = [
    "QueryForm",
    "SparqlTextError",
    "query_form",
    "names_dataset",
    "where_position",
    "values_blocks",
    "with_dataset",
]

QueryForm = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]
FORMS: tuple[QueryForm, ...] = get_args(QueryForm)


class SparqlTextError(BudgetkgError, ValueError):
    """Query text in which a form or a WHERE clause cannot be found."""


# What cannot hold a keyword: strings, IRIs, comments.
_NOT_KEYWORDS = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^<>"{}|^`\\\s]*>|#[^\n]*'
)


def _keyword(word: str) -> str:
    """A keyword, not part of a prefixed name (``ex:from``) or a variable (``?from``)."""
    return rf"(?<![\w:?$.-]){word}(?![\w:.-])"


_FORM = re.compile(_keyword("(" + "|".join(FORMS) + ")"), re.IGNORECASE)
_FROM = re.compile(_keyword("FROM"), re.IGNORECASE)
_GRAPH = re.compile(_keyword("GRAPH"), re.IGNORECASE)
_WHERE_SCAN = re.compile(r"[{}()]|" + _keyword("WHERE"), re.IGNORECASE)


def _masked(query: str) -> str:
    """``query`` with strings, IRIs and comments blanked out, every other character in place."""
    return _NOT_KEYWORDS.sub(lambda m: " " * len(m.group()), query)


def query_form(query: str) -> QueryForm:
    """SELECT, ASK, CONSTRUCT or DESCRIBE: the first form keyword after the prologue.

    >>> query_form("PREFIX select: <http://e/#ASK> # CONSTRUCT\\nDESCRIBE <http://e/x>")
    'DESCRIBE'

    :raises SparqlTextError: when the query has none.
    """
    return _form_name(_form(_masked(query)))


def _form_name(form: re.Match[str]) -> QueryForm:
    """The form a match of _FORM found, as one of FORMS."""
    word = form.group(1).upper()
    return next(f for f in FORMS if f == word)  # _FORM matches one of FORMS, in any case


def _form(masked: str) -> re.Match[str]:
    """The form keyword of a masked query."""
    m = _FORM.search(masked)
    if m is None:
        found = " ".join(masked.split())[:40]
        raise SparqlTextError(f"not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE, found {found!r}")
    return m


def names_dataset(query: str) -> bool:
    """Whether ``query`` names its own dataset with FROM or FROM NAMED.

    >>> names_dataset("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }")
    True
    >>> names_dataset('SELECT * WHERE { ?from ex:from "FROM" } # FROM <http://a/>')
    False
    """
    # Most queries have no "from" at all: that is found without masking, which costs far more.
    return "from" in query.lower() and bool(_FROM.search(_masked(query)))


def values_blocks(query: str, variable: str) -> list[tuple[int, int]]:
    """Where the query writes ``VALUES ?variable { … }``: start and end of each such block.

    >>> q = 'SELECT * WHERE { { SELECT ?o WHERE { VALUES ?a { "}" } ?o ?p ?a } } OPTIONAL { VALUES ?a { 1 } } }'
    >>> [q[start:end] for start, end in values_blocks(q, "a")]
    ['VALUES ?a { "}" }', 'VALUES ?a { 1 }']
    >>> values_blocks(q, "ab")
    []
    """
    pattern = re.compile(_keyword("VALUES") + rf"\s*[?$]{re.escape(variable)}(?![\w])\s*\{{[^{{}}]*\}}", re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(_masked(query))]


def where_position(query: str) -> int | None:
    """Where the WHERE clause starts (its keyword, or its ``{`` when the keyword is left out);
    None for a DESCRIBE without one.

    >>> q = "CONSTRUCT { ?s ?p ?o } { ?s ?p ?o }"
    >>> q[where_position(q):]
    '{ ?s ?p ?o }'
    >>> q = "SELECT (EXISTS { ?s ?p 1 } AS ?e) WHERE { ?s ?p ?o }"
    >>> q[where_position(q):]
    'WHERE { ?s ?p ?o }'
    """
    masked = _masked(query)
    form = _form(masked)
    kind = _form_name(form)
    parens = braces = 0
    # CONSTRUCT's template is the first group; the WHERE clause is the next one.
    in_template = kind == "CONSTRUCT" and masked[form.end() :].lstrip().startswith("{")
    for m in _WHERE_SCAN.finditer(masked, form.end()):
        token = m.group()
        if token == "(":
            parens += 1
        elif token == ")":
            parens -= 1
        elif in_template:
            braces += 1 if token == "{" else -1 if token == "}" else 0
            in_template = braces > 0
        elif parens == 0 and token != "}":
            return m.start()
    if kind == "DESCRIBE":
        return None
    raise SparqlTextError("a query needs a WHERE clause: found none")


def with_dataset(query: str, graphs: list[str]) -> str:
    """``query`` with ``FROM <g>`` for each graph before its WHERE clause, so that the union of
    the graphs is its default graph, and ``FROM NAMED <g>`` too if it has ``GRAPH`` patterns.

    >>> with_dataset("ASK { ?s ?p ?o }", ["http://g"])
    'ASK FROM <http://g>\\n{ ?s ?p ?o }'
    >>> with_dataset("SELECT ?g WHERE { GRAPH ?g {} }", ["http://g"])
    'SELECT ?g FROM <http://g>\\nFROM NAMED <http://g>\\nWHERE { GRAPH ?g {} }'
    """
    named = bool(_GRAPH.search(_masked(query)))
    clauses = "".join(f"FROM <{g}>\n" + (f"FROM NAMED <{g}>\n" if named else "") for g in graphs)
    at = where_position(query)
    if at is None:
        return query.rstrip() + "\n" + clauses
    return query[:at] + clauses + query[at:]
