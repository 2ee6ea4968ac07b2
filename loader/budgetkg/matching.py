"""Fuzzy name matching, for names the document writes differently in different places."""

from __future__ import annotations

from difflib import SequenceMatcher

from .text import match_key

__all__ = ["similarity", "best_match", "UNIT_THRESHOLD", "PROJECT_THRESHOLD"]

# Below these ratios two names are taken to name different things.  Unit names differ
# by a character or two ("…保障局数据服务中心" / "…保障数据服务中心"); project names in
# 第三部分 may drop or add a few characters, but their amount must also agree.
UNIT_THRESHOLD = 0.85
PROJECT_THRESHOLD = 0.6


def similarity(a: str, b: str) -> float:
    """Similarity of two names in [0, 1], ignoring spaces and bracket widths.

    >>> similarity("市场中心就业补助资金", "市场中心市就业补助资金") > 0.9
    True
    """
    ka, kb = match_key(a), match_key(b)
    if ka == kb:
        return 1.0
    return SequenceMatcher(None, ka, kb, autojunk=False).ratio()


def best_match(name: str, candidates: list[str]) -> tuple[str | None, float]:
    """The candidate most similar to ``name`` (first one on ties) and its similarity."""
    key = match_key(name)
    # Most names are printed as they are listed: only a ratio of 1 can be that high, so the
    # first candidate with the same key wins without computing the others' ratios.
    exact = next((c for c in candidates if match_key(c) == key), None)
    if exact is not None:
        return exact, 1.0
    best, score = None, 0.0
    for candidate in candidates:
        s = similarity(name, candidate)
        if s > score:
            best, score = candidate, s
    return best, score
