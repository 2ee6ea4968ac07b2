"""Classification codes: functional (支出功能分类科目) and economic (支出经济分类科目).

Code lists are versioned by budget year and kept as CSV under ``ontology/codelists``;
a document uses the list of its own year, or of the latest earlier year on file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

from ..resources import ontology_dir, read_csv
from .labels import match_key

__all__ = ["CodeList", "code_list", "list_year", "code_level", "parent_code", "LEVELS"]

# 类 / 款 / 项: digits of each level, by scheme.
LEVELS = {"functional": {3: "class", 5: "section", 7: "item"}, "economic": {3: "class", 5: "section"}}


def code_level(scheme: str, code: str) -> str | None:
    """The level of a code, or None when its length is not one the scheme has.

    >>> code_level("functional", "2080101"), code_level("economic", "2080101")
    ('item', None)
    """
    return LEVELS[scheme].get(len(code)) if code.isdigit() else None


def parent_code(code: str) -> str | None:
    """The code one level up: 类 has none, 款 and 项 drop their last two digits.

    >>> parent_code("2080101"), parent_code("208")
    ('20801', None)
    """
    return code[:-2] if len(code) > 3 else None


@dataclass(frozen=True)
class CodeList:
    scheme: str
    year: int
    labels: dict[str, tuple[str, str]]

    def class_by_name(self, name: str) -> str | None:
        """The 类 code whose Chinese label is ``name``."""
        return self._classes.get(match_key(name))

    @cached_property
    def _classes(self) -> dict[str, str]:
        # Looked up for many rows of the tables: one dict, not a scan of the list for each row.
        classes: dict[str, str] = {}
        for code, (zh, _en) in self.labels.items():
            if len(code) == 3:
                classes.setdefault(match_key(zh), code)
        return classes


def available_years(scheme: str) -> list[int]:
    names = [f.name for f in ontology_dir().joinpath("codelists").iterdir()]
    return sorted(int(n[len(scheme) + 1 : -4]) for n in names if n.startswith(scheme + "-") and n.endswith(".csv"))


@cache
def list_year(scheme: str, year: int) -> int:
    """The year of the list of ``scheme`` that a budget of ``year`` uses: its own, else the
    latest earlier one on file (the earliest for a year before them all)."""
    years = available_years(scheme)
    usable = [y for y in years if y <= year] or years[:1]
    return usable[-1]


def code_list(scheme: str, year: int) -> CodeList:
    """The code list of ``scheme`` for budget ``year`` (or the latest earlier one on file)."""
    chosen = list_year(scheme, year)
    rows = read_csv(f"codelists/{scheme}-{chosen}.csv")
    return CodeList(scheme, chosen, {r["code"]: (r["label_zh"], r["label_en"]) for r in rows})
