"""What a request may reach beyond this server: the SERVICE endpoints and LOAD sources of a
query or an update, read from the parsed request (wall 1 of two; wall 2 is
:mod:`budgetkg.server.egress`).

The engine (pyoxigraph) calls a SERVICE endpoint and fetches a LOAD source over HTTP itself,
and cannot be told not to.  So before a request runs, its text is parsed with rdflib's
SPARQL parser, prefixed names and relative IRIs are resolved as rdflib's algebra resolves
them (with no base IRI, as the engine runs it), and the whole tree is walked: every SERVICE
written anywhere (sub-queries, EXISTS and NOT EXISTS in filters and projections, MINUS,
OPTIONAL, GRAPH, UNION, the WHERE of every update operation) and every LOAD.  The tree is
walked rather than the algebra made from it, so that nothing the algebra would move or drop
escapes the walk.

Where rdflib cannot read a request that names SERVICE (or, in an update, LOAD), it is
refused: the check fails closed.  Only a request whose text cannot name either is let
through unparsed (:func:`may_reach`), which is also the cheap path of almost every query.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections import OrderedDict
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from starlette.responses import JSONResponse

from .responses import error

__all__ = ["Reach", "Unreadable", "may_reach", "reach", "refusal", "check", "MAX_CHECKED_CHARS"]

# The longest request that names SERVICE (or LOAD) that is parsed to be checked.  rdflib's
# parser is slow on long expressions (`1*1*…`; docs/benchmarks.md): a longer one is refused
# rather than let hold a server process's CPU for a minute.
MAX_CHECKED_CHARS = 5_000

# Verdicts kept, by request text: the same query asked again (a page, a benchmark) is not parsed again.
_CACHE_ENTRIES = 512
_CACHE_CHARS = 2_000_000

_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


class Unreadable(Exception):
    """The request names SERVICE or LOAD, and this endpoint could not read it to check them."""


@dataclass(frozen=True)
class Reach:
    """What a request would fetch: SERVICE endpoints and LOAD sources, as written and resolved."""

    services: tuple[str, ...] = ()
    #: SERVICE targets that are variables (their names): what they would call is not known.
    variables: tuple[str, ...] = ()
    loads: tuple[str, ...] = ()


def _decode_escape(match: re.Match[str]) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF else match.group(0)


def may_reach(text: str, *, update: bool) -> bool:
    """Whether ``text`` could make the engine fetch anything: False only when that is certain.

    The engine fetches only for the keywords SERVICE and (in an update) LOAD, which it reads
    without regard to ASCII case, and nowhere else: so a text with neither word in it, in any
    case, neither as written nor with its codepoint escapes (\\uXXXX, \\UXXXXXXXX) decoded,
    cannot fetch anything.  (``str.lower`` lowers every ASCII letter; what else it changes
    can only add a word, never remove one.)  This is a necessary condition, not a verdict:
    a text that has either word is parsed (:func:`reach`).
    """
    words = ("service", "load") if update else ("service",)
    folded = text.lower()
    if "\\u" in folded:
        folded += "\n" + _ESCAPE.sub(_decode_escape, text).lower()
    return any(word in folded for word in words)


def _walk(tree: object) -> Reach:
    """Every SERVICE and LOAD in a parse tree whose names and IRIs are resolved."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue
    from rdflib.term import URIRef, Variable

    services: list[str] = []
    variables: list[str] = []
    loads: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [tree]
    # Without recursion: a tree rdflib could build may be deeper than Python lets a walk go.
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                term = node.get("term")
                if isinstance(term, URIRef):
                    services.append(str(term))
                else:  # a variable, or anything else the engine would have to work out
                    variables.append(f"?{term}" if isinstance(term, Variable) else str(term))
            elif node.name == "Load":
                loads.append(str(node.get("iri")))
            stack.extend(node.values())
        elif isinstance(node, ParseResults):
            stack.extend(node)
            stack.extend(node.values())  # named results that are not in the list too
        elif isinstance(node, (list, tuple, dict)):
            stack.extend(node.values() if isinstance(node, dict) else node)
    return Reach(tuple(services), tuple(variables), tuple(loads))


def _absolute(found: Reach, prologues: list) -> Reach:
    """``found``, unless a request that names an endpoint declares BASE.

    rdflib resolves a relative IRI against BASE with Python's ``urljoin``, the engine as RFC
    3986 says: ``BASE <http://h/a/../../x> … SERVICE <sparql>`` is ``http://h/sparql`` to
    one and ``http://h/a/../../sparql`` to the other, and ``<sparql?>`` or ``<.//sparql>``
    differ likewise.  An endpoint must then be written as an absolute IRI (a prefixed name
    whose PREFIX is one), which neither resolves.

    :raises Unreadable: when ``found`` has an endpoint and a prologue declares BASE.
    """
    from rdflib.plugins.sparql.parserutils import CompValue

    declared = any(isinstance(d, CompValue) and d.name == "Base" for prologue in prologues for d in prologue or [])
    if declared and (found.services or found.variables):
        raise Unreadable(
            "it declares BASE, and names a SERVICE endpoint: write the endpoint as an absolute IRI "
            "(rdflib and the engine resolve a relative IRI differently)"
        )
    return found


def _parse(text: str, update: bool) -> Reach:
    """:func:`reach` without its cache.

    :raises Unreadable: when rdflib cannot parse ``text``, or it could read it otherwise than the engine.
    """
    from functools import partial

    from rdflib.plugins.sparql.algebra import translatePName, translatePrologue, traverse
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    if len(text) > MAX_CHECKED_CHARS:
        raise Unreadable(
            f"it is {len(text):,} characters long, and this endpoint checks requests that name "
            f"SERVICE{' or LOAD' if update else ''} of at most {MAX_CHECKED_CHARS:,}"
        )
    if "\\u" in text.lower():
        # rdflib decodes codepoint escapes in the whole text before parsing it, as SPARQL 1.1
        # says; the engine decodes them only inside IRIs and strings.  An escaped quote in a
        # string then hides a SERVICE from one of them: refuse rather than guess.
        raise Unreadable(
            "it has a codepoint escape (\\u or \\U), which this endpoint and its engine read "
            "differently; write the characters themselves"
        )
    # The engine ends a comment at a carriage return, rdflib only at a line feed: `# …\rSERVICE`
    # would hide a SERVICE from rdflib.  Elsewhere the two are alike to both (white space, or
    # not allowed in an IRI or a short string), so rdflib reads the text with line feeds.
    text = text.replace("\r", "\n")
    try:
        if update:
            operations = parseUpdate(text)
            prologue = None
            resolved = []
            # Each operation's prologue adds to the ones before it, as in rdflib's translateUpdate.
            for declarations, operation in zip(operations.prologue or [], operations.request or [], strict=False):
                prologue = translatePrologue(declarations, None, None, prologue)
                resolved.append(traverse(operation, visitPost=partial(translatePName, prologue=prologue)))
            return _absolute(_walk(resolved), operations.prologue or [])
        query = parseQuery(text)
        prologue = translatePrologue(query[0], None)
        return _absolute(_walk(traverse(query[1], visitPost=partial(translatePName, prologue=prologue))), [query[0]])
    except RecursionError:
        raise Unreadable("it nests too deeply, or has too many patterns in a row, for rdflib's parser") from None
    except Exception as exc:  # pyparsing's ParseException, an unknown prefix, …: rdflib could not read it
        message = " ".join(str(exc).split())
        raise Unreadable(message[:300] or type(exc).__name__) from None


class _Verdicts:
    """A bounded LRU of verdicts (a Reach, or why the text is unreadable), by (update, text).

    An unreadable text's verdict is the message alone: an exception would hold on to the
    parser's frames."""

    def __init__(self, entries: int, chars: int) -> None:
        self.entries, self.chars = entries, chars
        self._held: OrderedDict[tuple[bool, str], Reach | str] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[bool, str]) -> Reach | str | None:
        with self._lock:
            found = self._held.get(key)
            if found is not None:
                self._held.move_to_end(key)
            return found

    def put(self, key: tuple[bool, str], verdict: Reach | str) -> None:
        with self._lock:
            if key in self._held:
                return
            self._held[key] = verdict
            self._size += len(key[1])
            while len(self._held) > self.entries or self._size > self.chars:
                (_, old), _ = self._held.popitem(last=False)
                self._size -= len(old)


_verdicts = _Verdicts(_CACHE_ENTRIES, _CACHE_CHARS)


def reach(text: str, *, update: bool) -> Reach:
    """The SERVICE endpoints and LOAD sources that ``text`` (a query, or an update) names.

    :raises Unreadable: when it names SERVICE or LOAD and rdflib cannot read it (see the module's docstring).
    """
    if not may_reach(text, update=update):
        return Reach()
    key = (update, text)
    verdict = _verdicts.get(key)
    if verdict is None:
        try:
            verdict = _parse(text, update)
        except Unreadable as exc:
            verdict = str(exc)
        _verdicts.put(key, verdict)
    if isinstance(verdict, str):
        raise Unreadable(verdict)
    return verdict


def refusal(text: str, *, update: bool, allowed: Collection[str]) -> tuple[int, str] | None:
    """Why this endpoint refuses ``text``, as (HTTP status, message); None when it may run.

    A SERVICE endpoint must be on ``allowed`` exactly (the IRI as the engine resolves it);
    a variable endpoint is refused; LOAD is refused whatever its source.
    """
    try:
        found = reach(text, update=update)
    except Unreadable as exc:
        return 400, f"this endpoint could not read the query to check what it would reach: {exc}"
    if found.loads:
        return 403, f"LOAD is refused by this endpoint (LOAD <{found.loads[0]}>)"
    if found.variables:
        return 403, (
            f"SERVICE {', '.join(found.variables)} is refused: this endpoint calls only the endpoints on "
            "its allow-list, named by their IRI (start the server with --allow-service URL)"
        )
    refused = sorted({t for t in found.services if t not in allowed})
    if refused:
        return 403, (
            f"SERVICE to {', '.join(refused)} is refused: not on this endpoint's allow-list "
            "(start the server with --allow-service URL)"
        )
    return None


# One thread parses at a time: a request that takes long to parse holds that thread, not
# the event loop, and no more than one core's share of the process.
_checker: ThreadPoolExecutor | None = None
# Requests of a process being checked or waiting for the checker thread; past it, 503 at once
# (a parse may take seconds: a queue of them would hold their requests that long).
MAX_PENDING_CHECKS = 4
_pending = 0
_checker_lock = threading.Lock()


def _checker_thread() -> ThreadPoolExecutor:
    global _checker
    with _checker_lock:
        if _checker is None:
            _checker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="budgetkg-reach")
        return _checker


async def check(text: str, *, update: bool, allowed: Collection[str]) -> JSONResponse | None:
    """The error answer for a request that may not run (see :func:`refusal`); None when it may.

    The common request, which cannot reach anything, and one checked before are answered
    here; another is parsed in a thread of its own.
    """
    global _pending
    if not may_reach(text, update=update):
        return None
    if _verdicts.get((update, text)) is not None:
        found = refusal(text, update=update, allowed=allowed)
    elif _pending >= MAX_PENDING_CHECKS:
        return error(
            503,
            "this server process is busy checking other requests that name SERVICE or LOAD; try again",
            headers={"Retry-After": "1"},
        )
    else:
        _pending += 1
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                _checker_thread(), lambda: refusal(text, update=update, allowed=allowed)
            )
        finally:
            _pending -= 1
    return None if found is None else error(*found)
