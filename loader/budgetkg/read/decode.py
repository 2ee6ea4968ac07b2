"""Decoding a disclosure's bytes into text: UTF-8 or GB18030, and nothing binary."""

from __future__ import annotations

import re

from ..errors import DocumentError

__all__ = ["decode"]

# Bytes of UTF-8 Chinese (16 characters) before the first byte that is not UTF-8 that make a
# file one of mixed encodings.  A GB18030 file's Chinese can be valid UTF-8 for a character or
# two by chance (说 is CB B5, a two-byte UTF-8 sequence), never for sixteen in a row.
_MIXED_AFTER = 48
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f]")  # tab, line feed and carriage return are text


def decode(data: bytes, filename: str) -> str:
    """Decode a document: UTF-8 (with or without BOM) or GB18030; anything else is an error.

    >>> decode("表".encode("gb18030"), "x.txt")
    '表'
    """
    if not data.strip():
        raise DocumentError("empty-document", filename, 1, expected="a budget disclosure", found="an empty file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DocumentError(
            "bad-encoding", filename, 1, expected="UTF-8 or GB18030 text", found="a UTF-16 byte-order mark"
        )
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise DocumentError("binary-document", filename, line, expected="text", found="a NUL byte")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        start = utf8_error.start
        if sum(1 for byte in data[:start] if byte >= 0x80) >= _MIXED_AFTER:
            # UTF-8 Chinese before the first byte that is not UTF-8: a file of mixed encodings.
            # Decoding it all as GB18030 would turn its UTF-8 part into other Chinese characters
            # without a word.
            raise DocumentError(
                "bad-encoding",
                filename,
                data.count(b"\n", 0, start) + 1,
                expected="text in one encoding, UTF-8 or GB18030",
                found=f"UTF-8 text, then byte 0x{data[start]:02x} at byte offset {start}, which is not UTF-8",
            ) from None
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise DocumentError(
                "bad-encoding",
                filename,
                data.count(b"\n", 0, start) + 1,
                expected="UTF-8 or GB18030 text",
                found=f"byte 0x{data[start]:02x} at byte offset {start}",
            ) from None
    control = _CONTROL.search(text)
    if control is not None:
        raise DocumentError(
            "binary-document",
            filename,
            text.count("\n", 0, control.start()) + 1,
            expected="text",
            found=f"control character U+{ord(control.group()):04X}",
        )
    return text
