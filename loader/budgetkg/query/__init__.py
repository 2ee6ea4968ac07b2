"""Asking questions: the query library (``queries/*.rq``), running SPARQL on a local or remote
store, results as tables or DataFrames, and pushing to a remote store.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .frames import query_frame
    from .library import QueryError, Result, render_table, run_query, run_select
    from .remote import Auth, Endpoint, RemoteStore, push

__all__ = [
    "run_query",
    "run_select",
    "render_table",
    "Result",
    "QueryError",
    "query_frame",
    "RemoteStore",
    "Endpoint",
    "Auth",
    "push",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "run_query": ".library",
    "run_select": ".library",
    "render_table": ".library",
    "Result": ".library",
    "QueryError": ".library",
    "query_frame": ".frames",
    "RemoteStore": ".remote",
    "Endpoint": ".remote",
    "Auth": ".remote",
    "push": ".remote",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
