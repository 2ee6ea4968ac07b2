"""第三部分 (部门预算情况说明): narrative figures and the key-project table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

from ..errors import DocumentError
from ..records import Amount, LineKind, NarrativeFigure, Source
from ..resources import read_toml
from ..template.labels import checked_amount, clean_label, match_key, strip_html
from ..template.spec import template
from .periods import sentence_start, stated_period
from .sections import Line, heading_text, is_section_heading

__all__ = ["Narrative", "read_narrative", "KeyRow", "narrative_sums", "growth_rate"]

_NUMBER = r"\d[\d,]*(?:\.\d+)?"


@dataclass(frozen=True)
class KeyRow:
    name: str
    amount: Amount
    goal: str
    source: Source


@dataclass
class Narrative:
    figures: list[NarrativeFigure] = field(default_factory=list)
    key_rows: list[KeyRow] = field(default_factory=list)
    kinds: dict[int, LineKind] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


@cache
def _patterns() -> list[dict[str, Any]]:
    raw = read_toml("narrative.toml")
    return [dict(f, regex=f["pattern"].replace("{n}", _NUMBER)) for f in raw["figure"]]


@cache
def narrative_sums() -> list[tuple[str, tuple[str, ...]]]:
    """The sums the narrative's own figures must satisfy (``[[sum]]`` of narrative.toml)."""
    raw = read_toml("narrative.toml")
    return [(s["total"], tuple(s["parts"])) for s in raw.get("sum", [])]


def _figure(m: re.Match[str], group: str, src: Source, label: str, negative: bool = False) -> Amount:
    """The figure of ``group`` in a narrative line; its offset is its column in the line (as
    cleaned of stray spaces and HTML)."""
    amount = checked_amount(m.group(group), src.file, src.line, m.start(group) + 1, label)
    return Amount(amount.text, -amount.value) if negative else amount


def _figures(prose: list[Line], filename: str, year: int, out: Narrative) -> None:
    cleaned = [(line, clean_label(line.text)) for line in prose]
    for spec in _patterns():
        for line, text in cleaned:
            m = re.search(spec["regex"], text)
            if not m:
                continue
            src, label = Source(filename, line.no, place=line.place()), spec["label"]
            groups = m.groupdict()
            compare = spec.get("compare_to")
            target = (compare["table"], compare["row"], compare["column"]) if compare else None
            # The change on last year and the growth rate hold for the same period as the figure.
            period = stated_period(text, sentence_start(text, m.start("value")), year, filename, line.no)
            out.figures.append(
                NarrativeFigure(spec["key"], label, _figure(m, "value", src, label), spec["unit"], src, target, period)
            )
            if groups.get("change"):
                out.figures.append(
                    NarrativeFigure(
                        spec["key"] + "-change",
                        label + "比上年增减",
                        _figure(m, "change", src, label, groups["dir"] == "减少"),
                        spec["unit"],
                        src,
                        period=period,
                    )
                )
            if groups.get("rate"):
                out.figures.append(
                    NarrativeFigure(
                        spec["key"] + "-growth-rate",
                        label + "增长率",
                        _figure(m, "rate", src, label, groups["trend"] == "下降"),
                        "%",
                        src,
                        period=period,
                    )
                )
            break
        else:
            out.missing.append(spec["key"])


def read_narrative(lines: list[Line], filename: str, year: int) -> Narrative:
    """Read the prose figures, with the period each one's sentence states, and the 重点项目
    table of 第三部分.

    :param lines: the lines of 第三部分.
    :param filename: the document, for errors.
    :param year: the budget's year (what 本年度 stands for).
    :raises DocumentError: a table line out of place, a malformed amount or date.
    """
    out = Narrative()
    prose: list[Line] = []
    tpl = template()
    header = tuple(tuple(match_key(h) for h in row) for row in tpl.key_project_header)
    in_key_table = closed = False
    for line in lines:
        if line.blank:
            continue
        text = line.text.rstrip("\r")
        if is_section_heading(text):
            out.kinds[line.no] = "heading"
            in_key_table = match_key(tpl.key_project_heading) in match_key(heading_text(text))
            continue
        if "\t" in text:
            cells = text.split("\t")
            tokens = tuple(match_key(c) for c in cells if clean_label(c))
            if not in_key_table or closed:
                raise DocumentError(
                    "unplaced-row",
                    filename,
                    line.no,
                    expected="prose (no table here but 重点项目预算绩效目标)",
                    found=text.strip(),
                )
            if tokens == header[0]:
                out.kinds[line.no] = "header"
                continue
            if len(cells) > 3 and any(c.strip() for c in cells[3:]):
                raise DocumentError(
                    "too-many-cells",
                    filename,
                    line.no,
                    expected="3 cells (project, amount, goal)",
                    found=f"{len(cells)} cells",
                    offset=4,
                    context="重点项目预算绩效目标",
                )
            if len(cells) < 2:
                raise DocumentError(
                    "too-few-cells",
                    filename,
                    line.no,
                    expected="3 cells (project, amount, goal)",
                    found=f"{len(cells)} cells",
                    context="重点项目预算绩效目标",
                )
            amount = checked_amount(cells[1].strip(), filename, line.no, 2, "重点项目预算绩效目标")
            goal = strip_html(cells[2]).strip() if len(cells) > 2 else ""
            out.key_rows.append(
                KeyRow(
                    clean_label(cells[0]),
                    amount,
                    goal,
                    Source(filename, line.no, None, "重点项目预算绩效目标", ("预算数",), line.place(1)),
                )
            )
            out.kinds[line.no] = "row"
            continue
        plain = clean_label(text)
        if in_key_table and out.key_rows and plain.startswith("注"):
            closed = True
            out.kinds[line.no] = "note"
            continue
        out.kinds[line.no] = "prose"
        prose.append(line)
    if in_key_table and out.key_rows and not closed:
        last = lines[-1]
        raise DocumentError(
            "truncated-table",
            filename,
            last.no,
            expected="the 重点项目 table to end with its note (注：…)",
            found="the end of 第三部分",
        )
    _figures(prose, filename, year, out)
    return out


def growth_rate(value: Decimal, change: Decimal) -> Decimal | None:
    """The growth rate in % implied by this year's figure and its change on last year."""
    previous = value - change
    return None if previous == 0 else change / previous * 100
