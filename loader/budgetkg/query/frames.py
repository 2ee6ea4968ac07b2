"""Query results as pandas DataFrames, for notebooks and reports.

IRIs become their labels (with the IRI kept in a ``<column>_iri`` column), decimals
stay exact ``decimal.Decimal`` values; ``to_float`` converts chosen columns for plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode, Store

from ..rdf.namespaces import XSD
from .library import run_select

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["query_frame", "to_float"]

_NUMERIC = {XSD.decimal.value, XSD.integer.value}


def query_frame(
    store: Store, query: str, *, lang: str = "zh", documents: Sequence[str] = (), **params: str
) -> pd.DataFrame:
    """Run a library query (or a .rq file, or text) and return a DataFrame.

    ``documents``: ask only these documents of the store (see :func:`budgetkg.query.library.document_dataset`).

    >>> from budgetkg.load.documents import document_graph
    >>> from budgetkg.load.graph import vocabulary_quads
    >>> store = Store(); store.extend(document_graph()[1]); store.extend(vocabulary_quads())
    >>> query_frame(store, "three-public-expenses").iloc[1]["total"]
    Decimal('496.66')
    """
    import pandas as pd

    result = run_select(store, query, params=params, lang=lang, documents=documents)
    columns: dict[str, list[object]] = {}
    for i, name in enumerate(result.variables):
        values = [row[i] for row in result.rows]
        if any(isinstance(v, NamedNode) for v in values):
            columns[name] = [result.labels.get(v.value, v.value) if isinstance(v, NamedNode) else v for v in values]
            columns[f"{name}_iri"] = [v.value if isinstance(v, NamedNode) else None for v in values]
        else:
            columns[name] = [_python(v) for v in values]
    return pd.DataFrame(columns)


def _python(term: object) -> object:
    if isinstance(term, Literal):
        # A store may hold any literal: one that is not the number its datatype says (or an
        # integer past Python's 4,300 digits) stays its text.
        try:
            if term.datatype.value == XSD.decimal.value:
                return Decimal(term.value)
            if term.datatype.value == XSD.integer.value:
                return int(term.value)
        except (InvalidOperation, ValueError):
            pass
        return term.value
    return term


def to_float(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with the given Decimal columns as floats (for plotting only; never for sums)."""
    out = frame.copy()
    for c in columns:
        out[c] = out[c].map(lambda v: float(v) if v is not None else 0.0)
    return out
