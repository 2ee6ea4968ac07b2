"""Reading a disclosure into :class:`budgetkg.records.Document`, every figure traced to where it
was printed.

One front end per form turns a file into the shared grid model (:mod:`.grid`: lines of text
and table rows whose cells keep their places): :mod:`.text` (with :mod:`.decode`), :mod:`.pdf`,
:mod:`.spreadsheet` (.xlsx, .xls) and :mod:`.html`; :mod:`.forms` tells the form by content.
Then one template reader, which does not know the form: :mod:`.sections` for the parts, the
readers of tables, overview, narrative and glossary, joined by :mod:`.document`.
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
