"""Themes of projects, assigned by the rules of ``data/theme-rules.toml``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ..resources import read_toml

__all__ = ["Rule", "ThemeMatch", "rules", "themes_for"]


@dataclass(frozen=True)
class Rule:
    id: str
    theme: str
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None


@dataclass(frozen=True)
class ThemeMatch:
    rule: str
    theme: str
    matched: str


@cache
def rules() -> tuple[Rule, ...]:
    raw = read_toml("theme-rules.toml")
    return tuple(
        Rule(r["id"], r["theme"], re.compile(r["pattern"]), re.compile(r["unless"]) if r.get("unless") else None)
        for r in raw["rule"]
    )


def themes_for(name: str) -> list[ThemeMatch]:
    """The themes a project name gets, one per matching rule (a theme at most once).

    >>> [m.theme for m in themes_for("广州市技师学院入驻科教城搬迁开办项目")]
    ['kjc-relocation']
    """
    out: list[ThemeMatch] = []
    for rule in rules():
        m = rule.pattern.search(name)
        if m and not (rule.unless and rule.unless.search(name)) and rule.theme not in {x.theme for x in out}:
            out.append(ThemeMatch(rule.id, rule.theme, m.group(0)))
    return out
