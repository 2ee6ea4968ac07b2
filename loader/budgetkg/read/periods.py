"""The date or period a sentence of the narrative opens with.

第三部分 states when its figures hold at the head of a sentence: "2024年本部门收入预算…",
"2024年，本部门机关运行经费安排…", "截至2023年12月24日，本部门固定资产金额…", "本年度拟购置固定资产…".
A figure takes the period its own sentence (up to the previous 。) opens with; a year printed
further on ("比2023年疫情期间有所增长") compares and is not the figure's period.  Read by scanning
a few characters at the sentence head: no pattern, bounded, linear.
"""

from __future__ import annotations

from datetime import date

from ..errors import DocumentError
from ..records import ReferencePeriod

__all__ = ["sentence_start", "stated_period"]

_SENTENCE_END = "。"
# "as at": the figure is a stock counted on that day (or month, or year end).
_AS_AT = ("截至", "截止到", "截止")
# The budget's own year, not printed as a number.
_THIS_YEAR = "本年度"
# A year's end is its last day.
_YEAR_END = ("年底", "年末")
# What may follow the opening phrase: the end of the clause, or the department as subject
# (本部门, 本单位); anything else ("2024年轻工学院…") makes the number part of a name.
_FOLLOWERS = ("，", ",", "本")


def sentence_start(text: str, offset: int) -> int:
    """Where the sentence holding ``offset`` starts: just after the last 。 before it."""
    return text.rfind(_SENTENCE_END, 0, offset) + 1


def _digits(text: str, i: int, most: int) -> tuple[int | None, int]:
    """The number of at most ``most`` ASCII digits at ``i``, and where it ends."""
    j = i
    while j < len(text) and j - i < most and "0" <= text[j] <= "9":
        j += 1
    return (int(text[i:j]) if j > i else None), j


def stated_period(text: str, start: int, year: int, filename: str, lineno: int) -> ReferencePeriod | None:
    """The period the sentence at ``start`` of ``text`` opens with, or None if it opens with none.

    :param text: the line, cleaned of stray spaces and HTML.
    :param start: where the sentence starts in ``text``.
    :param year: the budget's year, what 本年度 stands for.
    :param filename: the document, for errors.
    :param lineno: the line, for errors.
    :raises DocumentError: ``bad-date`` for a printed date that is not a day of the calendar.
    """
    i = start
    for word in _AS_AT:
        if text.startswith(word, i):
            i += len(word)
            break
    if text.startswith(_THIS_YEAR, i):
        return ReferencePeriod(year, printed=text[start : i + len(_THIS_YEAR)])
    y, j = _digits(text, i, 4)
    if y is None or j - i != 4 or not text.startswith("年", j):
        return None
    month = day = None
    if text.startswith(_YEAR_END, j):
        month, day, j = 12, 31, j + 2
    else:
        j += 1
        m, k = _digits(text, j, 2)
        if m is not None and text.startswith("月", k):
            month, j = m, k + 1
            d, k = _digits(text, j, 2)
            if d is not None and text.startswith("日", k):
                day, j = d, k + 1
    if not text.startswith(_FOLLOWERS, j):
        return None
    printed = text[start:j]
    try:
        date(y, month or 1, day or 1)
    except ValueError:
        raise DocumentError(
            "bad-date",
            filename,
            lineno,
            expected="a day of the calendar (年 1–9999, 月 1–12, 日 within the month)",
            found=printed,
            offset=start + 1,
        ) from None
    return ReferencePeriod(y, month, day, printed)
