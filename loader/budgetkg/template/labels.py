"""Labels and amounts as printed: normalising the quirks of a PDF-to-text conversion.

Shared by the template (its headers and code names are matched with :func:`match_key`) and
by the readers; decoding a document's bytes is :mod:`budgetkg.read.decode`.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from ..errors import DocumentError
from ..records import Amount

__all__ = [
    "clean_label",
    "match_key",
    "strip_html",
    "parse_amount",
    "is_amount",
    "amount_in_range",
    "checked_amount",
    "MAX_INTEGER_DIGITS",
    "MAX_DECIMALS",
]

# Every step of reading must stay linear in the text, which an attacker may write: the
# regular expressions left here are anchored or start with a literal, and none has two
# quantifiers that can match the same characters (no backtracking over a run of text);
# HTML fragments and amounts are scanned with str methods.  tests/test_reading_time.py
# times reading hostile inputs of growing size.

_CJK = r"\u3400-\u9fff\uff08\uff09\u201c\u201d\u3001"
# A space between two CJK characters is never meaningful in a name or header:
# the converter breaks long cells ("事业单位经营支 出").
_STRAY_SPACE = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}])")
_TAGS = frozenset({"sup", "sub", "br", "span", "b", "i", "p"})
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_DIGITS = frozenset("0123456789")
# The largest amount of the bundled document is 797,407.58 万元; China's whole national budget is
# about 3 × 10⁹ 万元 (10 digits).  Twelve integer digits leave a margin of 100 on that, and six
# decimals reach the fen (分) in 万元 (generated documents print four, to the yuan).  Beyond
# that a figure is a typing or conversion error; its sums would also leave the range of the
# store's xsd:decimal (pyoxigraph: 18 decimals in a 128-bit integer, about 1.7 × 10²⁰).
MAX_INTEGER_DIGITS = 12
MAX_DECIMALS = 6
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", "[": "［", "]": "］", '"': "“", ":": "："})


def _tag_end(text: str, start: int, close: int) -> int:
    """The end of the HTML tag that opens at ``text[start]`` (``<b>``, ``</span>``, ``<br/>``),
    or -1 when none opens there; ``close`` is the first ``>`` at or after ``start``."""
    i = start + 1 + (text.startswith("/", start + 1))
    name_end = i
    while name_end < len(text) and text[name_end].isascii() and text[name_end].isalpha():
        name_end += 1
    if text[i:name_end].lower() not in _TAGS:
        return -1
    if name_end < len(text) and (text[name_end].isalnum() or text[name_end] == "_"):
        return -1  # the name goes on (<bold>): not one of the tags
    return close + 1


def _superscript_end(text: str, start: int) -> tuple[int, str]:
    """``<sup> 2 </sup>`` at ``text[start]``: its end and digits, or (-1, "")."""
    if text[start : start + 5].lower() != "<sup>":
        return -1, ""
    i = start + 5
    while i < len(text) and text[i].isspace():
        i += 1
    j = i
    while j < len(text) and text[j] in _DIGITS:
        j += 1
    digits = text[i:j]
    while j < len(text) and text[j].isspace():
        j += 1
    if not digits or text[j : j + 6].lower() != "</sup>":
        return -1, ""
    return j + 6, digits


def _superscripts(text: str) -> str:
    """``m <sup>2</sup>`` → ``m²``: each ``<`` is looked at once."""
    if "</sup>" not in text.lower():
        return text
    out: list[str] = []
    done = 0  # text[:done] is in out
    start = text.find("<")
    while start >= 0:
        end, digits = _superscript_end(text, start)
        if end >= 0:
            out += [text[done:start].rstrip(), digits.translate(_SUPERSCRIPT)]
            done = end
        start = text.find("<", max(end, start + 1))
    return "".join(out) + text[done:]


def _without_tags(text: str) -> str:
    """``text`` without the tags of ``_TAGS``: each ``<`` is looked at once, and the ``>`` that
    ends a tag is found once for all the ``<`` before it."""
    out: list[str] = []
    done = 0
    close = -1  # the first ">" at or after the current "<"
    start = text.find("<")
    while start >= 0:
        if close < start:
            close = text.find(">", start)
            if close < 0:
                break  # no tag ends after here
        end = _tag_end(text, start, close)
        if end >= 0:
            out.append(text[done:start])
            done = end
        start = text.find("<", max(end, start + 1))
    return "".join(out) + text[done:]


def strip_html(text: str) -> str:
    """Drop HTML fragments the converter leaves in text, keeping their content; a
    superscript number becomes superscript digits.

    >>> strip_html("134216m <sup>2</sup> ，总投资")
    '134216m² ，总投资'
    >>> strip_html("<B>重点</b><br/>项目<bold>"), strip_html("<b<b<b")
    ('重点项目<bold>', '<b<b<b')
    """
    if "<" not in text:
        return text
    return _without_tags(_superscripts(text))


def clean_label(text: str) -> str:
    """A name or header as printed, without the converter's stray spaces and HTML.

    >>> clean_label(" 其他人力资源和社会保障 管理事务支出 ")
    '其他人力资源和社会保障管理事务支出'
    """
    return _STRAY_SPACE.sub("", strip_html(text)).strip()


@lru_cache(maxsize=8192)  # names repeat across the twelve tables
def match_key(text: str) -> str:
    """A key for comparing names: no spaces, full-width brackets and quotes.

    >>> match_key("研究院(世界技能大赛中国(广州)研究中心)") == match_key("研究院（世界技能大赛中国（广州）研究中心）")
    True
    """
    text = clean_label(text).translate(_HALF_TO_FULL)
    text = text.replace("\u201d", "\u201c").replace("'", "")
    return re.sub(r"\s+", "", text)


def _amount_parts(text: str) -> tuple[bool, str, str] | None:
    """Whether a printed amount is negative, its integer digits and its decimals; None when it is
    not an amount (ASCII digits, thousands separators in groups of three, a decimal point)."""
    negative = text.startswith("-")
    whole, point, decimals = (text[1:] if negative else text).partition(".")
    if point and not (decimals.isdigit() and decimals.isascii()):
        return None
    if "," in whole:
        groups = whole.split(",")
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            return None
        whole = "".join(groups)
    if not (whole.isdigit() and whole.isascii()):
        return None
    return negative, whole, decimals


def is_amount(text: str) -> bool:
    """True when ``text`` is an amount as the tables print them.

    >>> is_amount("797,407.58"), is_amount("0.00"), is_amount("1,2.3"), is_amount("１２")
    (True, True, False, False)
    """
    return _amount_parts(text.strip()) is not None


def amount_in_range(text: str) -> bool:
    """True when an amount has at most ``MAX_INTEGER_DIGITS`` digits before its decimal point
    and ``MAX_DECIMALS`` after.

    >>> amount_in_range("797,407.58"), amount_in_range("1" * 27 + ".00"), amount_in_range("1.0000001")
    (True, False, False)
    """
    parts = _amount_parts(text.strip())
    return parts is not None and _in_range(parts)


def _in_range(parts: tuple[bool, str, str]) -> bool:
    _, whole, decimals = parts
    return len(whole.lstrip("0")) <= MAX_INTEGER_DIGITS and len(decimals) <= MAX_DECIMALS


# What an amount cell holds when it has no amount: nothing, or a dash (-, full-width －, en and
# em dashes, the doubled em dash ——, the horizontal bar).
_NO_AMOUNT = re.compile(r"[-－–—―]{0,2}")


def is_no_amount(text: str) -> bool:
    """True when ``text`` is an amount cell with no amount: empty, or a dash.

    >>> is_no_amount("-"), is_no_amount("——"), is_no_amount(" "), is_no_amount("-1.00")
    (True, True, True, False)
    """
    return _NO_AMOUNT.fullmatch(text.strip()) is not None


def parse_amount(text: str) -> Decimal:
    """The exact value of a printed amount (thousands separators dropped).

    >>> parse_amount("797,407.58")
    Decimal('797407.58')
    """
    text = text.strip()
    if not is_amount(text):
        raise ValueError(f"not an amount: {text!r}")
    try:
        return Decimal(text.replace(",", ""))
    except InvalidOperation as exc:  # pragma: no cover - _amount_parts admits only valid decimals
        raise ValueError(text) from exc


_RANGE = f"at most {MAX_INTEGER_DIGITS} digits before the decimal point and {MAX_DECIMALS} after"


def checked_amount(
    raw: str, filename: str, line: int, offset: int, context: str, expected: str = "an amount"
) -> Amount:
    """The amount printed as ``raw`` at ``filename:line``, cell or column ``offset``; ``expected``
    says what the cell should hold, for an error.

    :raises DocumentError: ``bad-amount`` when it is not a number, ``amount-out-of-range``
        when it has more digits than any budget figure (see ``MAX_INTEGER_DIGITS``).
    """
    parts = _amount_parts(raw)  # once: a document may print millions of amounts
    if parts is None:
        raise DocumentError("bad-amount", filename, line, expected=expected, found=raw, offset=offset, context=context)
    if not _in_range(parts):
        raise DocumentError(
            "amount-out-of-range",
            filename,
            line,
            expected=f"{expected} of {_RANGE}",
            found=raw,
            offset=offset,
            context=context,
        )
    return Amount(raw, Decimal(raw.replace(",", "")))
