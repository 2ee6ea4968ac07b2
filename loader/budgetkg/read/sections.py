"""Splitting a disclosure into its title, table of contents and four parts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import DocumentError
from ..records import LineKind
from ..template.labels import match_key
from .grid import Line

__all__ = [
    "Line",
    "Parts",
    "split_lines",
    "MAX_LINE_CHARS",
    "split_parts",
    "require_part",
    "end_of_part",
    "heading_text",
    "is_heading",
    "is_section_heading",
]

_HEADING = re.compile(r"^\s*#{1,6}\s+")
_PART = re.compile(r"^第([一二三四])部分")
_PART_NUMBER = {"一": 1, "二": 2, "三": 3, "四": 4}
_PART_NAMES = {1: "第一部分 概况", 2: "第二部分 部门预算表", 3: "第三部分 部门预算情况说明", 4: "第四部分 名词解释"}
# The longest line of the bundled document has 537 characters (a project's goal in 表12); 10,000
# is twenty times that, several pages of prose in one paragraph or cell.  Every step of reading is
# linear in the text, but some work is per line or per name (the fuzzy matching of names, the
# cache of match keys), and this bound keeps each of them small whatever the document holds.
MAX_LINE_CHARS = 10_000


def split_lines(text: str) -> list[Line]:
    """The numbered lines of a decoded document.  Their length is bounded (``MAX_LINE_CHARS``)
    where every form's lines are, in :func:`budgetkg.read.forms.read_grid`."""
    return [Line(i, t.rstrip("\r")) for i, t in enumerate(text.split("\n"), 1)]


def is_heading(text: str) -> bool:
    return _HEADING.match(text) is not None


_NUMERALS = frozenset("一二三四五六七八九十")
# The longest section heading of the bundled document has 14 characters after its ordinal
# (重点项目预算绩效目标情况); a sentence that happens to start with 一、 is longer, or punctuated.
_MAX_SECTION_HEADING = 40
_SENTENCE_MARKS = frozenset("。：:；;，,")


def is_section_heading(text: str) -> bool:
    """A heading of the running text (第一部分, 第三部分): marked as a Markdown heading, or, as a
    PDF, workbook or web page prints it without marks, a short unpunctuated line numbered
    ``一、`` … ``十、``.  Decided with str methods over the printed text, never a pattern search.

    >>> is_section_heading("## 一、主要职责"), is_section_heading("六、重点项目预算绩效目标情况")
    (True, True)
    >>> is_section_heading("一、财政拨款收入：指预算单位从本级财政部门取得的财政拨款")
    False
    """
    if is_heading(text):
        return True
    if "\t" in text:
        return False
    number, sep, rest = text.replace("**", "").strip().partition("、")
    return (
        bool(sep)
        and 0 < len(number) <= 3
        and all(c in _NUMERALS for c in number)
        and 0 < len(rest) <= _MAX_SECTION_HEADING
        and not any(c in _SENTENCE_MARKS for c in rest)
    )


def heading_text(text: str) -> str:
    """A heading without Markdown marks: ``## **四、政府采购情况**`` → ``四、政府采购情况``."""
    return _HEADING.sub("", text).replace("**", "").strip()


def _part_of(text: str) -> int | None:
    plain = match_key(heading_text(text) if is_heading(text) else text)
    m = _PART.match(plain)
    return _PART_NUMBER[m.group(1)] if m else None


@dataclass
class Parts:
    title: list[Line] = field(default_factory=list)
    parts: dict[int, list[Line]] = field(default_factory=dict)
    heading_lines: dict[int, Line] = field(default_factory=dict)
    kinds: dict[int, LineKind] = field(default_factory=dict)


def split_parts(lines: list[Line], filename: str) -> Parts:
    """Assign every line to the title block, the table of contents or one of the parts.

    The table of contents repeats the part headings; it ends where a part heading
    appears for the second time.
    """
    out = Parts()
    in_toc = False
    toc_parts: set[int] = set()
    current: int | None = None
    for line in lines:
        if line.blank:
            continue
        text = line.text
        plain = match_key(heading_text(text))
        part = _part_of(text) if (is_heading(text) or _PART.match(plain)) else None
        if plain in ("目录", "目次"):
            in_toc = True
            out.kinds[line.no] = "toc"
            continue
        if in_toc:
            if part is not None and part in toc_parts:
                in_toc = False
            else:
                if part is not None:
                    toc_parts.add(part)
                out.kinds[line.no] = "toc"
                continue
        if part is not None and part not in out.parts and (current is None or part > current):
            current = part
            out.parts[part] = []
            out.heading_lines[part] = line
            out.kinds[line.no] = "heading"
            continue
        if current is None:
            out.title.append(line)
            out.kinds[line.no] = "title"
        else:
            out.parts[current].append(line)
    if not out.parts:
        first = next((ln for ln in lines if not ln.blank), lines[0] if lines else Line(1, ""))
        raise DocumentError(
            "not-a-budget",
            filename,
            first.no,
            # the tables alone (a bureau's workbook attached to its PDF) are the common case
            expected="a department budget disclosure with parts 第一部分 … 第四部分 (its text, not its tables alone)",
            found=first.text.strip(),
        )
    return out


def require_part(parts: Parts, number: int, lines: list[Line], filename: str) -> list[Line]:
    """The lines of part ``number``, or a missing-part error at the line where it should begin."""
    if number in parts.parts:
        return parts.parts[number]
    at = end_of_part(parts, number, lines)
    found = heading_text(at.text) if at in parts.heading_lines.values() else "the end of the document"
    raise DocumentError("missing-part", filename, at.no, expected=f"a heading for {_PART_NAMES[number]}", found=found)


def end_of_part(parts: Parts, number: int, lines: list[Line]) -> Line:
    """The line that ends part ``number``: the next part's heading, or the document's last line."""
    following = [parts.heading_lines[n] for n in sorted(parts.heading_lines) if n > number]
    return following[0] if following else next((ln for ln in reversed(lines) if not ln.blank), lines[-1])
