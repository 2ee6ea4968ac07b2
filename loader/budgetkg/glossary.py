"""第四部分 (名词解释): the glossary, term → definition."""

from __future__ import annotations

import re

from .records import GlossaryEntry, Source
from .sections import Line, is_heading
from .template import strip_ordinal
from .text import clean_label

__all__ = ["read_glossary"]

_ENTRY = re.compile(r"^\*\*(?P<term>[^*]+?)[:：]\s*\*\*\s*(?P<definition>.*)$|^(?P<term2>[一二三四五六七八九十]+、[^：:]{1,30})[:：](?P<definition2>.*)$")


def read_glossary(lines: list[Line], filename: str) -> tuple[list[GlossaryEntry], dict[int, str]]:
    """Glossary entries; a line that is not an entry continues the definition above it."""
    entries: list[GlossaryEntry] = []
    kinds: dict[int, str] = {}
    for line in lines:
        if line.blank:
            continue
        text = line.text.strip()
        if is_heading(text):
            kinds[line.no] = "heading"
            continue
        m = _ENTRY.match(text)
        if m:
            term = strip_ordinal(m.group("term") or m.group("term2"))
            definition = (m.group("definition") if m.group("term") else m.group("definition2")).strip()
            entries.append(GlossaryEntry(clean_label(term), definition, Source(filename, line.no)))
            kinds[line.no] = "glossary"
        elif entries:
            last = entries[-1]
            entries[-1] = GlossaryEntry(last.term, last.definition + text, last.source)
            kinds[line.no] = "glossary"
        else:
            kinds[line.no] = "prose"
    return entries, kinds
