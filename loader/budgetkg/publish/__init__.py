"""Publishing a store: RDF exports and statistics, the Frictionless Data Package (FDP), charts,
the network view and a local Oxigraph server to hand a store to.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .charts import write_report
    from .export import export_bytes, export_file, store_stats, to_networkx, write_export
    from .fdp import write_fdp
    from .network import budget_network
    from .oxigraph_server import oxigraph_server

__all__ = [
    "export_file",
    "export_bytes",
    "write_export",
    "store_stats",
    "to_networkx",
    "write_fdp",
    "write_report",
    "budget_network",
    "oxigraph_server",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "export_file": ".export",
    "export_bytes": ".export",
    "write_export": ".export",
    "store_stats": ".export",
    "to_networkx": ".export",
    "write_fdp": ".fdp",
    "write_report": ".charts",
    "budget_network": ".network",
    "oxigraph_server": ".oxigraph_server",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
