"""budgetkg: Chinese government department budget disclosures as a linked-open-data knowledge graph.

The verbs a user needs, loaded on first use so that ``import budgetkg`` loads nothing else:
read a disclosure (:func:`read_document`), check its accounting identities
(:func:`check_document`), build the knowledge graph into a store (:func:`build`), open the
store (:func:`open_store`) and ask it questions (:func:`run_query`, :func:`run_select`).  The
stages behind them are the subpackages, from the bottom up: ``template``, ``read``, ``check``,
``rdf``, ``load``, ``query``, ``publish``, ``server`` and ``tooling``; a lower stage never
imports a higher one (``tests/test_layout.py``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .check.accounts import check_document
    from .errors import BudgetkgError, DocumentError
    from .load.graph import build
    from .load.store import open_store
    from .query.library import run_query, run_select
    from .read.document import read_document
    from .records import Document

__all__ = [
    "read_document",
    "check_document",
    "build",
    "open_store",
    "run_query",
    "run_select",
    "Document",
    "BudgetkgError",
    "DocumentError",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "read_document": ".read.document",
    "check_document": ".check.accounts",
    "build": ".load.graph",
    "open_store": ".load.store",
    "run_query": ".query.library",
    "run_select": ".query.library",
    "Document": ".records",
    "BudgetkgError": ".errors",
    "DocumentError": ".errors",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
