"""Checking a read document: its accounting identities (勾稽关系), each with the lines it rests on.

:mod:`.identities` states and evaluates the identities; :mod:`.accounts` runs them over a
document and gives the :class:`CheckReport` that ``budgetkg check`` prints and the graph records.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .accounts import CheckReport, check_document
    from .identities import Identity, Term, check_identities

__all__ = ["check_document", "CheckReport", "check_identities", "Identity", "Term"]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "check_document": ".accounts",
    "CheckReport": ".accounts",
    "check_identities": ".identities",
    "Identity": ".identities",
    "Term": ".identities",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
