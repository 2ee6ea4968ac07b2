"""Loading documents into a store: the per-document unit of work, the workers, the store on disk.

:mod:`.documents` reads, checks and maps one document; :mod:`.pipeline` does that in worker
processes; :mod:`.graph` orchestrates a build into a new store; :mod:`.store` opens, rebuilds
and updates the store (never half-written).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .documents import DocumentSummary, document_graph
    from .graph import BuildSummary, build, vocabulary_quads
    from .store import StoreBusy, StoreMissing, apply_update, default_store_path, open_store, rebuild

__all__ = [
    "build",
    "BuildSummary",
    "vocabulary_quads",
    "document_graph",
    "DocumentSummary",
    "open_store",
    "default_store_path",
    "rebuild",
    "apply_update",
    "StoreBusy",
    "StoreMissing",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "build": ".graph",
    "BuildSummary": ".graph",
    "vocabulary_quads": ".graph",
    "document_graph": ".documents",
    "DocumentSummary": ".documents",
    "open_store": ".store",
    "default_store_path": ".store",
    "rebuild": ".store",
    "apply_update": ".store",
    "StoreBusy": ".store",
    "StoreMissing": ".store",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
