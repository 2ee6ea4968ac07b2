"""Decoding a disclosure and normalising the quirks of its PDF-to-text conversion."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from .errors import DocumentError

__all__ = ["decode", "clean_label", "match_key", "strip_html", "parse_amount", "is_amount"]

_CJK = r"\u3400-\u9fff\uff08\uff09\u201c\u201d\u3001"
# A space between two CJK characters is never meaningful in a name or header:
# the converter breaks long cells ("事业单位经营支 出").
_STRAY_SPACE = re.compile(rf"(?<=[{_CJK}])[ \u3000]+(?=[{_CJK}])")
_TAG = re.compile(r"<(/?)(sup|sub|br|span|b|i|p)\b[^>]*>", re.IGNORECASE)
_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUP = re.compile(r"\s*<sup>\s*(\d+)\s*</sup>", re.IGNORECASE)
_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f]")  # tab, line feed and carriage return are text
_HALF_TO_FULL = str.maketrans({"(": "（", ")": "）", "[": "［", "]": "］", '"': "“", ":": "："})


def decode(data: bytes, filename: str) -> str:
    """Decode a document: UTF-8 (with or without BOM) or GB18030; anything else is an error.

    >>> decode("表".encode("gb18030"), "x.txt")
    '表'
    """
    if not data.strip():
        raise DocumentError("empty-document", filename, 1, expected="a budget disclosure", found="an empty file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DocumentError("bad-encoding", filename, 1, expected="UTF-8 or GB18030 text", found="a UTF-16 byte-order mark")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DocumentError("binary-document", filename, line, expected="text", found="a NUL byte")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            start = utf8_error.start
            raise DocumentError(
                "bad-encoding", filename, data.count(b"\n", 0, start) + 1,
                expected="UTF-8 or GB18030 text", found=f"byte 0x{data[start]:02x} at byte offset {start}",
            ) from None
    control = _CONTROL.search(text)
    if control is not None:
        raise DocumentError("binary-document", filename, text.count("\n", 0, control.start()) + 1, expected="text",
                            found=f"control character U+{ord(control.group()):04X}")
    return text


def strip_html(text: str) -> str:
    """Drop HTML fragments the converter leaves in text, keeping their content.

    >>> strip_html("134216m <sup>2</sup> ，总投资")
    '134216m² ，总投资'
    """
    text = _SUP.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    return _TAG.sub("", text)


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


def is_amount(text: str) -> bool:
    """True when ``text`` is an amount as the tables print them.

    >>> is_amount("797,407.58"), is_amount("0.00"), is_amount("1,2.3")
    (True, True, False)
    """
    return _AMOUNT.fullmatch(text.strip()) is not None


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
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise ValueError(text) from exc
