"""第四部分 (名词解释): the glossary, term → definition."""

from __future__ import annotations

from ..records import GlossaryEntry, LineKind, Source
from ..template.labels import clean_label
from ..template.spec import strip_ordinal
from .sections import Line, is_heading

__all__ = ["read_glossary"]

_NUMERALS = frozenset("一二三四五六七八九十")
_COLONS = ":："


def _entry(text: str) -> tuple[str, str] | None:
    """The term and definition of a glossary line, ``**term：** definition`` or
    ``一、term：definition`` (a term of at most 30 characters), or None.

    >>> _entry("**财政拨款收入：** 指市级财政当年拨付的资金。"), _entry("三、基本支出：指保障机构正常运转的支出。")
    (('财政拨款收入', '指市级财政当年拨付的资金。'), ('三、基本支出', '指保障机构正常运转的支出。'))
    >>> _entry("**重点** 说明"), _entry("一、" + "长" * 31 + "：定义")
    (None, None)
    """
    if text.startswith("**"):
        end = text.find("*", 2)
        term = text[2:end].rstrip()
        if end < 0 or not text.startswith("**", end) or len(term) < 2 or term[-1] not in _COLONS:
            return None
        return term[:-1], text[end + 2 :].strip()
    numerals = len(text) - len(text.lstrip("".join(_NUMERALS)))
    if not numerals or not text.startswith("、", numerals):
        return None
    colon = min((i for i in (text.find(c, numerals + 1) for c in _COLONS) if i >= 0), default=-1)
    if colon < 0 or not 1 <= colon - numerals - 1 <= 30:
        return None
    return text[:colon], text[colon + 1 :].strip()


def read_glossary(lines: list[Line], filename: str) -> tuple[list[GlossaryEntry], dict[int, LineKind]]:
    """Glossary entries; a line that is not an entry continues the definition above it."""
    entries: list[GlossaryEntry] = []
    parts: list[list[str]] = []  # the lines that continue each entry's definition
    kinds: dict[int, LineKind] = {}
    for line in lines:
        if line.blank:
            continue
        text = line.text.strip()
        if is_heading(text):
            kinds[line.no] = "heading"
            continue
        entry = _entry(text)
        if entry:
            term, definition = entry
            entries.append(
                GlossaryEntry(
                    clean_label(strip_ordinal(term)), definition, Source(filename, line.no, place=line.place())
                )
            )
            parts.append([])
            kinds[line.no] = "glossary"
        elif entries:
            parts[-1].append(text)  # joined once at the end: adding to a string each line is quadratic
            kinds[line.no] = "glossary"
        else:
            kinds[line.no] = "prose"
    entries = [
        GlossaryEntry(e.term, e.definition + "".join(more), e.source) for e, more in zip(entries, parts, strict=True)
    ]
    return entries, kinds
