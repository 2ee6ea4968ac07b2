"""Reading a disclosure into :class:`budgetkg.records.Document`, with every figure traced to its line.

Today one front end, the PDF-to-text output (:mod:`.decode` for its bytes, :mod:`.sections`
for its parts, then the readers of tables, overview, narrative and glossary, joined by
:mod:`.document`).  This is where the other forms land (PDF, spreadsheet, HTML): one module per
form onto a shared grid model, then the same template reader.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .decode import decode
    from .document import read_document, read_title

__all__ = ["read_document", "read_title", "decode"]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {"read_document": ".document", "read_title": ".document", "decode": ".decode"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
