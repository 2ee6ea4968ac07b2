"""The one prefix table of budgetkg, read from ``ontology/prefixes.ttl`` (its ``sh:declare``).

Turtle and TriG exports, the code-list files and the server's RDF answers all write their
prefixes from it, so a prefix means the same namespace everywhere.
"""

from __future__ import annotations

from functools import cache

from ..resources import ontology_dir
from .namespaces import SH

__all__ = ["prefix_table", "prefixes_for"]


@cache
def prefix_table() -> dict[str, str]:
    """Prefix → namespace, in the order ``ontology/prefixes.ttl`` declares them.

    >>> prefix_table()["qb"]
    'http://purl.org/linked-data/cube#'
    """
    from pyoxigraph import RdfFormat, parse

    quads = list(parse(ontology_dir().joinpath("prefixes.ttl").read_bytes(), format=RdfFormat.TURTLE))
    declarations = [q.object for q in quads if q.predicate == SH.declare]
    value = {(q.subject, q.predicate): q.object.value for q in quads}
    return {value[d, SH.prefix]: value[d, SH.namespace] for d in declarations}


def prefixes_for(*names: str) -> dict[str, str]:
    """The namespaces of some prefixes of the table.

    :raises KeyError: for a prefix the table does not declare.
    """
    table = prefix_table()
    return {name: table[name] for name in names}
