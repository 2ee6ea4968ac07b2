"""第一部分: the department, its duties, internal divisions (处室) and sub-units."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..records import Division, LineKind
from ..resources import read_toml
from ..template.labels import clean_label, match_key
from .sections import Line, heading_text, is_section_heading

__all__ = ["Overview", "read_overview", "split_list", "unit_kind"]

_COUNT = re.compile(r"共设\s*(\d+)\s*个")


@dataclass
class Overview:
    duties: list[str] = field(default_factory=list)
    divisions: list[Division] = field(default_factory=list)
    divisions_declared: int | None = None
    sub_units: list[tuple[str, int]] = field(default_factory=list)
    kinds: dict[int, LineKind] = field(default_factory=dict)


def split_list(text: str) -> list[str]:
    """Split an enumeration on 、 outside brackets.

    >>> split_list("办公室（保密工作办公室）、政策法规处（宣传处）、财务处")
    ['办公室（保密工作办公室）', '政策法规处（宣传处）', '财务处']
    """
    items, depth, current = [], 0, ""
    for ch in text:
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        if ch == "、" and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += ch
    items.append(current.strip())
    return [i for i in items if i]


def _cut(text: str, stops: str) -> str:
    """``text`` up to the first of ``stops`` outside brackets."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        elif depth == 0 and ch in stops:
            return text[:i]
    return text


@cache
def _suffixes() -> list[tuple[str, str]]:
    raw = read_toml("unit-kinds.toml")
    return sorted(raw["suffixes"].items(), key=lambda kv: -len(kv[0]))


def unit_kind(name: str) -> str:
    """The kind of a unit from its name.

    >>> unit_kind("广州市职业技术教育研究院（世界技能大赛中国（广州）研究中心）"), unit_kind("广州市技师学院")
    ('institute', 'college')
    """
    base = match_key(name)
    end = len(base)  # base[:end] is the name without the bracketed parts that end it
    while end and base[end - 1] == "）":
        depth, i = 0, end - 1
        for i in range(end - 1, -1, -1):
            depth += {"）": 1, "（": -1}.get(base[i], 0)
            if depth == 0:
                break
        end = i  # each character is looked at once: no copy of the name per bracket
    base = base[:end]
    return next((kind for suffix, kind in _suffixes() if base.endswith(suffix)), "unit")


def read_overview(lines: list[Line]) -> Overview:
    out = Overview()
    section = ""
    for line in lines:
        if line.blank:
            continue
        if is_section_heading(line.text):
            title = match_key(heading_text(line.text))
            section = (
                "duties"
                if "主要职责" in title
                else "divisions"
                if "机构设置" in title
                else ("units" if "预算构成" in title else "other")
            )
            out.kinds[line.no] = "heading"
            continue
        out.kinds[line.no] = "prose"
        text = clean_label(line.text)
        if section == "duties":
            out.duties.append(text)
        elif section == "divisions" and "包括" in text:
            m = _COUNT.search(text)
            out.divisions_declared = int(m.group(1)) if m else None
            listed = _cut(text.split("包括", 1)[1].lstrip("：:"), "，,。；;")
            out.divisions = [Division(name, line.no) for name in split_list(listed)]
        elif section == "units" and "包括" in text:
            tail = text.rsplit("包括", 1)[1].lstrip("：:")
            out.sub_units = [(name, line.no) for name in split_list(_cut(tail, "。；;"))]
    return out
