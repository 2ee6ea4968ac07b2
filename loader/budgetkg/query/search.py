"""Search over what a store names: units, projects, codes, 绩效目标 (performance goals) and glossary entries.

Chinese is written without spaces, so a search needs tokens other than words split by spaces.
Two ways were measured on the bundled document's 214 projects (docs/search.md):

- jieba's dictionary cuts 科教城 ("science and education city", a name its dictionary lacks)
  into 科教 + 城, or 科教 + 城新 inside "科教城新校区": searching 科教 and 城 found 10 of the
  14 projects whose names print 科教城.
- Overlapping character pairs (bigrams) need no dictionary: 科教城 is 科教 + 教城, which
  every one of the 14 names holds (14 of 14).  A name is found whatever the order of its
  parts: 信息化运维 and 运维信息化 find the same 23 projects.

So the index holds each field's characters and overlapping pairs of characters (and whole
runs of Latin letters and digits, with their prefixes, for codes such as 2080101), and an
entry is found when it holds at least :data:`SHOULD_MATCH` of the query's terms (a name that
has the words but not the pair joining them, 信息化设备运维, still matches 信息化运维).
Results are ranked by the terms they hold, weighted by rarity (idf) and by field (a name
weighs more than a goal).  Everything is linear in the text: no regular expression ever
reads the query or the store's text.
"""

from __future__ import annotations

import math
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from pyoxigraph import Store

from ..load.store import solutions

__all__ = [
    "Entry",
    "Hit",
    "SearchIndex",
    "terms",
    "asked_terms",
    "build_index",
    "MAX_QUERY_CHARS",
    "SHOULD_MATCH",
    "KINDS",
]

# A query is read up to this many characters, and up to MAX_QUERY_TERMS terms.
MAX_QUERY_CHARS = 100
MAX_QUERY_TERMS = 60
# The share of a query's terms an entry must hold to be found.
SHOULD_MATCH = 0.7
# An index takes at most this many entries (20 generated departments: 9,000).
MAX_ENTRIES = 500_000
# Runs of Latin letters and digits are indexed with their prefixes this long and longer, up to MAX_PREFIX.
MIN_PREFIX, MAX_PREFIX = 2, 16
# What a field weighs in the ranking: a name, against a goal or a definition.
NAME_WEIGHT, TEXT_WEIGHT = 3.0, 1.0
# The longest text a result shows of a goal or a definition around its first match.
SNIPPET_CHARS = 140

KINDS = {
    "project": ("项目", "Project"),
    "unit": ("单位", "Unit"),
    "goal": ("绩效目标", "Performance goal"),
    "code": ("代码", "Code"),
    "glossary": ("名词解释", "Glossary"),
}

_PREFIXES = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
"""

# (kind, query): each row binds ?x, ?name, and may bind ?text (a goal or definition), ?context
# (the unit, the document or the code list it belongs to) and ?amount (万元).
_QUERIES = (
    (
        "project",
        """SELECT ?x ?name ?text ?context ?amount WHERE { ?x a bkg:Project ; rdfs:label ?name .
        OPTIONAL { ?x bkg:performanceGoal ?text } OPTIONAL { ?x bkg:totalAmount ?amount }
        OPTIONAL { ?x bkg:budgetUnit/rdfs:label ?context FILTER(LANG(?context) = "zh") } }""",
    ),
    (
        "unit",
        """SELECT ?x ?name WHERE { VALUES ?kind { bkg:Department bkg:BudgetUnit bkg:Division }
        ?x a ?kind ; rdfs:label ?name FILTER(LANG(?name) = "zh") }""",
    ),
    (
        "goal",
        """SELECT ?x ?name ?text ?context ?amount WHERE { ?x a bkg:KeyProjectStatement ; bkg:printedName ?name .
        OPTIONAL { ?x bkg:performanceGoal ?text } OPTIONAL { ?x bkg:value ?amount }
        OPTIONAL { ?x bkg:describesProject/bkg:budgetUnit/rdfs:label ?context FILTER(LANG(?context) = "zh") } }""",
    ),
    (
        "code",
        """SELECT ?x ?name ?code ?context WHERE { ?x skos:notation ?code ; skos:prefLabel ?name ; skos:inScheme ?s
        FILTER(LANG(?name) = "zh") OPTIONAL { ?s rdfs:label ?context FILTER(LANG(?context) = "zh") } }""",
    ),
    (
        "glossary",
        """SELECT ?x ?name ?text WHERE { ?x a bkg:GlossaryEntry ; skos:prefLabel ?name .
        OPTIONAL { ?x skos:definition ?text } }""",
    ),
)


@lru_cache(maxsize=65_536)
def _fold(ch: str) -> str:
    """One character as searched: full-width forms to ASCII, letters to lower case; a
    character that would become several stays as it is, so positions in a text stay its own."""
    folded = unicodedata.normalize("NFKC", ch).casefold()
    return folded if len(folded) == 1 else ch


def fold(text: str) -> str:
    """``text`` as searched, character by character (the same length as ``text``)."""
    return "".join(_fold(ch) for ch in text)


def _runs(folded: str) -> Iterable[tuple[str, str]]:
    """(kind, run): runs of Chinese (and other wide) letters ("wide"), of Latin letters and
    digits ("latin"); anything else separates them."""
    kind, start = "", 0
    for i, ch in enumerate(folded):
        now = ("latin" if ord(ch) < 0x2E80 else "wide") if ch.isalnum() else ""
        if now != kind:
            if kind:
                yield kind, folded[start:i]
            kind, start = now, i
    if kind:
        yield kind, folded[start:]


def terms(text: str, *, query: bool = False) -> list[str]:
    """The distinct terms of ``text``, in order.

    Indexed (``query`` False): each wide character and each pair of neighbours, each Latin run
    and its prefixes.  Asked (``query`` True): the pairs of a wide run (its character, when
    alone), each Latin run whole (it finds the runs it begins).
    """
    out: dict[str, None] = {}
    for kind, run in _runs(fold(text)):
        if kind == "latin":
            if query:
                out[run[:MAX_PREFIX]] = None
            else:
                for n in range(MIN_PREFIX, min(len(run), MAX_PREFIX) + 1):
                    out[run[:n]] = None
                if len(run) < MIN_PREFIX:
                    out[run] = None
        elif query:
            if len(run) == 1:
                out[run] = None
            for i in range(len(run) - 1):
                out[run[i : i + 2]] = None
        else:
            for i, ch in enumerate(run):
                out[ch] = None
                if i + 1 < len(run):
                    out[run[i : i + 2]] = None
    return list(out)


def asked_terms(query: str) -> list[str]:
    """The terms a query asks for (:func:`terms`), from its first :data:`MAX_QUERY_CHARS`
    characters, at most :data:`MAX_QUERY_TERMS` of them."""
    return terms(query[:MAX_QUERY_CHARS], query=True)[:MAX_QUERY_TERMS]


@dataclass
class Entry:
    """One thing the index finds: its kind, IRI, name and what else it shows."""

    kind: str
    iri: str
    name: str
    text: str = ""  # a goal or a definition
    context: str = ""  # its unit, or its code list
    code: str = ""
    amount: Decimal | None = None


@dataclass
class Hit:
    entry: Entry
    score: float
    name: list[tuple[str, bool]]  # the name in pieces, each marked when it matched
    snippet: list[tuple[str, bool]]  # the goal or definition around its first match
    code: list[tuple[str, bool]] = field(default_factory=list)


def _marked(text: str, asked: list[str], limit: int | None = None) -> list[tuple[str, bool]]:
    """``text`` in pieces, those where a term of ``asked`` occurs marked; with ``limit``, only a
    window of about that many characters around the first match (… where cut)."""
    folded = fold(text)
    on = bytearray(len(text))
    for term in asked:
        at = folded.find(term)
        while at >= 0:  # each find moves on: linear in the text for each term
            on[at : at + len(term)] = b"\x01" * len(term)
            at = folded.find(term, at + 1)
    start, end = 0, len(text)
    if limit is not None and len(text) > limit:
        first = on.find(1)
        start = max(0, (first if first >= 0 else 0) - limit // 4)
        end = min(len(text), start + limit)
    pieces: list[tuple[str, bool]] = []
    if start > 0:
        pieces.append(("…", False))
    i = start
    while i < end:
        j = i
        while j < end and on[j] == on[i]:
            j += 1
        pieces.append((text[i:j], bool(on[i])))
        i = j
    if end < len(text):
        pieces.append(("…", False))
    return pieces


class SearchIndex:
    """Entries and, for each term, the entries whose name (or code) holds it and those whose text does."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._names: dict[str, array] = {}
        self._texts: dict[str, array] = {}

    def add(self, entry: Entry) -> None:
        """Index ``entry``; past :data:`MAX_ENTRIES`, nothing more is added."""
        if len(self.entries) >= MAX_ENTRIES:
            return
        number = len(self.entries)
        self.entries.append(entry)
        named = terms(entry.name + " " + entry.code)
        for term in named:
            self._names.setdefault(term, array("I")).append(number)
        seen = set(named)
        for term in terms(entry.text):
            if term not in seen:  # a term of the name counts as the name's
                self._texts.setdefault(term, array("I")).append(number)

    def search(self, query: str, kind: str | None = None) -> list[tuple[float, Entry]]:
        """(score, entry) of the entries that hold at least :data:`SHOULD_MATCH` of the query's
        terms (of ``kind``, when given), best first: the sum of each term's rarity times the
        weight of the field it is in.  :meth:`hit` shows one with the matches marked."""
        asked = asked_terms(query)
        if not asked:
            return []
        need = max(1, math.ceil(SHOULD_MATCH * len(asked)))
        total = max(1, len(self.entries))
        found: dict[int, list[float]] = {}  # entry: [terms held, score]
        for term in asked:
            names, texts = self._names.get(term, ()), self._texts.get(term, ())
            rarity = math.log(1 + total / (1 + len(names) + len(texts)))
            for postings, weight in ((names, NAME_WEIGHT), (texts, TEXT_WEIGHT)):
                for number in postings:
                    held = found.setdefault(number, [0, 0.0])
                    held[0] += 1
                    held[1] += weight * rarity
        ranked = sorted(
            (
                (score, number)
                for number, (count, score) in found.items()
                if count >= need and (kind is None or self.entries[number].kind == kind)
            ),
            key=lambda sn: (-sn[0], self.entries[sn[1]].name, sn[1]),
        )
        return [(score, self.entries[number]) for score, number in ranked]

    @staticmethod
    def hit(entry: Entry, score: float, query: str) -> Hit:
        """``entry`` as a result of ``query``: its name, code and text with the matches marked."""
        asked = asked_terms(query)
        return Hit(
            entry,
            score,
            _marked(entry.name, asked),
            _marked(entry.text, asked, SNIPPET_CHARS) if entry.text else [],
            _marked(entry.code, asked) if entry.code else [],
        )


def _value(row: Any, name: str) -> str:
    term = row[name]  # None when unbound, or not asked for
    return term.value if term is not None else ""


def _amount(row: Any) -> Decimal | None:
    term = row["amount"]  # None when unbound, or not asked for
    if term is None:
        return None
    try:
        return Decimal(term.value)
    except InvalidOperation:
        return None


def build_index(store: Store) -> SearchIndex:
    """The index of what ``store`` names (every graph)."""
    index = SearchIndex()
    seen: set[tuple[str, str]] = set()
    for kind, query in _QUERIES:
        for row in solutions(store, _PREFIXES + query, use_default_graph_as_union=True):
            iri = row["x"].value
            if (kind, iri) in seen:  # a second goal, label or unit of the same thing: the first is kept
                continue
            seen.add((kind, iri))
            name, text, context, code = (_value(row, v) for v in ("name", "text", "context", "code"))
            index.add(Entry(kind, iri, name, text, context, code, _amount(row)))
    return index
