"""The dataset an update's ``WHERE`` sees: the protocol's, or the union of the store's graphs, as queries see it.

pyoxigraph evaluates an update's ``WHERE`` on the store's own default graph, which a budgetkg
store leaves empty (every triple is in a named graph), while the endpoint answers queries
with the union of the graphs as their default graph.  An ``INSERT … WHERE`` written as a query
is written would then match nothing.  And pyoxigraph takes no dataset for an update, so the
protocol's ``using-graph-uri`` and ``using-named-graph-uri`` cannot be handed to it.

Both are given to it the way SPARQL 1.1 Update says them in the update itself: ``USING`` and
``USING NAMED`` clauses, written before the ``WHERE`` of each ``DELETE``/``INSERT … WHERE``
operation (the grammar's ``Modify``).  Where they go is read from the parsed update (rdflib's
grammar, with the place of each ``WHERE`` kept), never from a search of the text:

- with ``using-graph-uri`` / ``using-named-graph-uri``, every such operation gets those graphs;
  one that has ``USING``, ``USING NAMED`` or ``WITH`` of its own is a conflict the protocol
  refuses (:class:`DatasetConflict`, answered 400);
- without them, every such operation with none of the three gets ``USING`` and ``USING NAMED``
  for each named graph the store has when the update starts (its blank-node graphs, which
  cannot be named, excepted), so its ``WHERE`` sees what a query sees.

What stays as SPARQL says it: a template without ``GRAPH`` writes to (and a ``DELETE WHERE``,
which has no ``USING``, matches and deletes in) the store's own default graph; graphs that
earlier operations of the same request create are not in a later one's union.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["DatasetConflict", "UpdatePlan", "plan"]


class DatasetConflict(ValueError):
    """The update cannot be given the dataset asked for (a ValueError: the update's process answers it as an error)."""


@dataclass(frozen=True)
class UpdatePlan:
    """Where an update gets its dataset: the offsets of the ``WHERE`` of its operations that get ``USING`` clauses.

    :param text: the update as sent.
    :param wheres: the offsets in ``text`` where the clauses go.
    :param using: the protocol's ``using-graph-uri`` graphs; with ``using_named``, none of both
        means the union of the store's graphs.
    """

    text: str
    wheres: tuple[int, ...]
    using: tuple[str, ...] = ()
    using_named: tuple[str, ...] = ()

    def apply(self, graphs: Iterable[str]) -> str:
        """The update with its ``USING`` clauses; ``graphs``: the store's named graphs (for the union)."""
        if not self.wheres:
            return self.text
        default, named = (self.using, self.using_named) if self.using or self.using_named else ((g := list(graphs)), g)
        if not default and not named:  # a store without named graphs: its default graph is all there is
            return self.text
        clauses = "".join(f"USING <{iri}> " for iri in default) + "".join(f"USING NAMED <{iri}> " for iri in named)
        parts, start = [], 0
        for at in self.wheres:
            parts += [self.text[start:at], clauses]
            start = at
        return "".join(parts) + self.text[start:]


@functools.cache
def _grammar():
    """rdflib's SPARQL Update grammar, with the offset of each ``Modify``'s ``WHERE`` kept as its ``where_at``.

    Built of rdflib's own productions: only ``Modify`` and the three that lead to it are made
    anew, as rdflib writes them, so that rdflib's grammar is left as it is."""
    from pyparsing import Forward, Keyword, Optional, ZeroOrMore
    from rdflib.plugins.sparql import parser as p
    from rdflib.plugins.sparql.parserutils import Comp, Param, ParamList, ParamValue

    where = Keyword("WHERE").add_parse_action(lambda text, at, tokens: ParamValue("where_at", [at], False))
    modify = Comp(
        "Modify",
        Optional(Keyword("WITH") + Param("withClause", p.iri))
        + (
            Param("delete", p.DeleteClause) + Optional(Param("insert", p.InsertClause))
            | Param("insert", p.InsertClause)
        )
        + ZeroOrMore(ParamList("using", p.UsingClause))
        + where
        + Param("where", p.GroupGraphPattern),
    )
    operation = (
        p.Load | p.Clear | p.Drop | p.Add | p.Move | p.Copy | p.Create | p.InsertData | p.DeleteData | p.DeleteWhere
    ) | modify
    update = Forward()
    update <<= ParamList("prologue", p.Prologue) + Optional(ParamList("request", operation) + Optional(";" + update))
    unit = Comp("Update", update)
    for comment in p.UpdateUnit.ignoreExprs:  # rdflib's own comment rule, which its productions hold already
        unit.ignore(comment)
    return unit


def plan(text: str, using: tuple[str, ...] = (), using_named: tuple[str, ...] = ()) -> UpdatePlan:
    """Where ``text`` gets its ``USING`` clauses: the protocol's ``using``/``using_named`` graphs, or the union.

    An update rdflib cannot read is left as it is, when no graphs are given: pyoxigraph then
    answers its syntax error, or applies it on the store's own default graph.

    :raises DatasetConflict: when graphs are given and an operation has ``USING``, ``USING NAMED``
        or ``WITH``, or they cannot be given since rdflib cannot read the update or it has a
        codepoint escape (``\\u``), which rdflib expands before it parses (the offsets would not
        be the text's).
    """
    given = bool(using or using_named)
    if not given and "where" not in text.lower():
        # Every DELETE/INSERT … WHERE has the keyword: without it there is nothing to give a
        # dataset, and rdflib (a second to import and build its grammar) is not needed.
        return UpdatePlan(text, ())
    from rdflib.plugins.sparql.parser import expandUnicodeEscapes

    # rdflib ends a comment at a line feed only, the engine at a carriage return too (as
    # budgetkg.server.reach reads it); the same length, so the offsets stay the text's.
    readable = text.replace("\r", "\n")
    expanded = expandUnicodeEscapes(readable)
    try:
        parsed = _grammar().parse_string(expanded, parse_all=True)[0]
    except RecursionError:
        parsed = None
    except Exception:  # pyparsing's ParseException, a bad codepoint escape…: rdflib could not read it
        parsed = None
    if parsed is None:
        if given:
            raise DatasetConflict("the update could not be read to give it using-graph-uri or using-named-graph-uri")
        return UpdatePlan(text, ())
    # A CompValue's get() takes no default (its second parameter is another thing): `in` tells.
    modifies = [op for op in (parsed["request"] if "request" in parsed else []) if op.name == "Modify"]  # noqa: SIM401
    if given:
        own = [op for op in modifies if "using" in op or "withClause" in op]
        if own:
            raise DatasetConflict(
                "the update names its own dataset (USING, USING NAMED or WITH) and the request gives "
                "using-graph-uri or using-named-graph-uri: give one of the two"
            )
    else:
        modifies = [op for op in modifies if "using" not in op and "withClause" not in op]
    if modifies and expanded != readable:
        if given:
            raise DatasetConflict(
                "an update with a codepoint escape (\\u or \\U) cannot be given using-graph-uri or "
                "using-named-graph-uri here; write the characters themselves"
            )
        raise DatasetConflict(
            "an update with a codepoint escape (\\u or \\U) cannot be given the union of the graphs as its "
            "WHERE's default graph here; write the characters themselves, or name the graphs with USING or WITH"
        )
    return UpdatePlan(text, tuple(op["where_at"] for op in modifies), using, using_named)
