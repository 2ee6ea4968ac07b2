"""Tools for the developers of budgetkg, used only by the CLI and the tests: the synthetic document
generator, the benchmark and its timed engines.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bench import run_benchmarks
    from .synthetic import generate

__all__ = ["generate", "run_benchmarks"]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {"generate": ".synthetic", "run_benchmarks": ".bench"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
