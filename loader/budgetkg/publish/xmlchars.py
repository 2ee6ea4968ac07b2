"""The characters XML 1.0 cannot carry, found in what budgetkg writes as XML (answers, dumps)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

__all__ = ["xml_cannot_carry", "drop_if_not_xml"]

# Not even as a character reference (XML 1.0's production Char): the C0 controls but tab, line
# feed and carriage return, and U+FFFE, U+FFFF, as their UTF-8 bytes (a byte under 0x20 is
# never part of a longer character).  pyoxigraph's writers and rdflib's put them into the XML
# as they are, and the result is not XML.  One character class or one fixed sequence at a
# time: a single linear scan.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]")


def xml_cannot_carry(content: bytes) -> int | None:
    """The first character of ``content`` (UTF-8) that XML cannot carry, as its code point; None when none.

    >>> xml_cannot_carry("a\\tb".encode()), xml_cannot_carry("a\\x01b".encode())
    (None, 1)
    """
    found = _NOT_XML.search(content)
    return None if found is None else ord(found.group().decode("utf-8"))


def drop_if_not_xml(path: Path) -> None:
    """Remove the RDF/XML file ``path`` when it holds a character XML cannot carry (a literal of
    the store had one): the catalogue then lists the other dumps, and the log says why this one
    is missing."""
    tail, code = b"", None
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            code = xml_cannot_carry(tail + chunk)
            if code is not None:
                break
            tail = chunk[-2:]  # a character of three bytes cut between two reads
    if code is None:
        return
    path.unlink()
    print(
        f"budgetkg: the RDF/XML dump is left out: a literal of the store holds U+{code:04X}, which XML cannot carry",
        file=sys.stderr,
        flush=True,
    )
