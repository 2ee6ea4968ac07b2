"""``budgetkg serve``: the SPARQL endpoint, linked-data pages and dumps of a store, over HTTP.

:mod:`.app` makes the ASGI app from the process's state (:mod:`.site`) and its handlers
(:mod:`.endpoint`, :mod:`.catalogue`, :mod:`.pages`), :mod:`.run` serves it; what a request may reach is
:mod:`.reach` (the SERVICE allow-list, wall 1) and what a server process may connect to is
:mod:`.egress` (wall 2).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import create_app
    from .options import ServerOptions

__all__ = ["ServerOptions", "create_app"]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {"ServerOptions": ".options", "create_app": ".app"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
