"""The template: what a disclosure of the 2024 Guangzhou form prints, as data.

The sections and tables it has and their column headers (:mod:`.spec`, from ``data/template.toml``),
the official code lists its codes come from (:mod:`.codes`), and the normalisation of labels and
amounts as a PDF-to-text conversion prints them (:mod:`.labels`), which the template and every
reader share.  It sits just above the core (``errors``, ``resources``, ``records``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .codes import CodeList, code_level, code_list, parent_code
    from .labels import checked_amount, clean_label, is_amount, is_no_amount, match_key, parse_amount, strip_html
    from .spec import TableSpec, strip_ordinal, template

__all__ = [
    "template",
    "TableSpec",
    "strip_ordinal",
    "code_list",
    "CodeList",
    "parent_code",
    "code_level",
    "clean_label",
    "match_key",
    "strip_html",
    "is_amount",
    "is_no_amount",
    "parse_amount",
    "checked_amount",
]

# Each name's module, imported on first use: importing the package loads none of them.
_HOMES = {
    "template": ".spec",
    "TableSpec": ".spec",
    "strip_ordinal": ".spec",
    "code_list": ".codes",
    "CodeList": ".codes",
    "parent_code": ".codes",
    "code_level": ".codes",
    "clean_label": ".labels",
    "match_key": ".labels",
    "strip_html": ".labels",
    "is_amount": ".labels",
    "is_no_amount": ".labels",
    "parse_amount": ".labels",
    "checked_amount": ".labels",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
