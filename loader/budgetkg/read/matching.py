"""Fuzzy name matching, for names the document writes differently in different places."""

from __future__ import annotations

from difflib import SequenceMatcher

from ..template.labels import match_key

__all__ = [
    "similarity",
    "best_match",
    "MatchBudget",
    "TooManyComparisons",
    "UNIT_THRESHOLD",
    "PROJECT_THRESHOLD",
    "FUZZY_MAX_CHARS",
    "COMPARISON_BUDGET",
]

# Below these ratios two names are taken to name different things.  Unit names differ
# by a character or two ("…保障局数据服务中心" / "…保障数据服务中心"); project names in
# 第三部分 may drop or add a few characters, but their amount must also agree.
UNIT_THRESHOLD = 0.85
PROJECT_THRESHOLD = 0.6
# SequenceMatcher's time grows with the cube of the names' length at worst (names such as
# "abc…" / "acb…"), and a document can ask for as many comparisons as it has rows times units.
# Real unit and project names are under 50 characters: longer ones are compared only exactly,
# and each document gets a budget of n·m·min(n, m) for names of n and m characters, a few
# seconds at the worst rate measured (docs/benchmarks.md); the bundled document spends a
# small part of it.
FUZZY_MAX_CHARS = 100
COMPARISON_BUDGET = 500_000_000


class TooManyComparisons(Exception):
    """A document's names needed more fuzzy comparisons than its :class:`MatchBudget` allows."""


class MatchBudget:
    """What one document may spend on fuzzy comparisons of names.

    :param limit: the budget, in units of n·m·min(n, m) for names of n and m characters.
    """

    def __init__(self, limit: int = COMPARISON_BUDGET) -> None:
        self.left = limit

    def spend(self, a: str, b: str) -> None:
        """Take the cost of comparing ``a`` with ``b`` from the budget.

        :raises TooManyComparisons: when the budget cannot pay for it.
        """
        cost = len(a) * len(b) * min(len(a), len(b))
        if cost > self.left:
            raise TooManyComparisons(f"{a} / {b}")
        self.left -= cost


def similarity(a: str, b: str, budget: MatchBudget | None = None) -> float:
    """Similarity of two names in [0, 1], ignoring spaces and bracket widths; names longer than
    ``FUZZY_MAX_CHARS`` are only the same (1) or not (0).

    :raises TooManyComparisons: when ``budget`` cannot pay for the comparison.

    >>> similarity("市场中心就业补助资金", "市场中心市就业补助资金") > 0.9
    True
    """
    ka, kb = match_key(a), match_key(b)
    if ka == kb:
        return 1.0
    if max(len(ka), len(kb)) > FUZZY_MAX_CHARS:
        return 0.0
    if budget is not None:
        budget.spend(ka, kb)
    return SequenceMatcher(None, ka, kb, autojunk=False).ratio()


def best_match(name: str, candidates: list[str], budget: MatchBudget | None = None) -> tuple[str | None, float]:
    """The candidate most similar to ``name`` (first one on ties) and its similarity.

    :raises TooManyComparisons: when ``budget`` cannot pay for the comparisons.
    """
    key = match_key(name)
    # Most names are printed as they are listed: only a ratio of 1 can be that high, so the
    # first candidate with the same key wins without computing the others' ratios.
    exact = next((c for c in candidates if match_key(c) == key), None)
    if exact is not None:
        return exact, 1.0
    best, score = None, 0.0
    for candidate in candidates:
        s = similarity(name, candidate, budget)
        if s > score:
            best, score = candidate, s
    return best, score
