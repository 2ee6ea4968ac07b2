"""Reading an Accept header (RFC 9110, section 12.5.1): its media ranges, each with its weight.

    Accept = #( media-range [ weight ] )
    media-range = ( "*/*" / ( type "/" "*" ) / ( type "/" subtype ) ) parameters
    weight = OWS ";" OWS "q=" qvalue
    qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )

Read leniently, as RFC 9110 (section 2.2) lets a recipient recover a usable element from an
invalid one, and never with an error: an empty member, or one that is not ``type/subtype``
in tokens, is skipped; a weight that is not a qvalue (``q=abc``, ``q=5``, ``q=nan``) counts
as 1, as if the range had none.  The work is one pass over the header, whatever it holds.
"""

from __future__ import annotations

import string
from collections.abc import Iterator

__all__ = ["media_ranges"]

# RFC 9110, section 5.6.2: the characters of a token.
_TCHAR = frozenset("!#$%&'*+-.^_`|~" + string.ascii_letters + string.digits)


def _token(text: str) -> bool:
    return bool(text) and _TCHAR.issuperset(text)


def _qvalue(text: str) -> float:
    """The weight ``text`` gives; 1 when it is not a qvalue."""
    whole, _, fraction = text.partition(".")
    digits = not fraction or (fraction.isascii() and fraction.isdigit())
    if digits and len(fraction) <= 3 and (whole == "0" or (whole == "1" and not fraction.strip("0"))):
        return float(whole + "." + (fraction or "0"))
    return 1.0


def media_ranges(accept: str) -> Iterator[tuple[str, float]]:
    """Each valid media range of ``accept`` (its ``type/subtype`` in lower case) with its weight, in order.

    >>> list(media_ranges("text/html;q=abc, ,application/JSON ; q=0.5;x=y, nonsense, */*;q=0"))
    [('text/html', 1.0), ('application/json', 0.5), ('*/*', 0.0)]
    """
    for member in accept.split(","):
        media, *parameters = member.split(";")
        media = media.strip().lower()
        kind, slash, subtype = media.partition("/")
        if not slash or not _token(kind) or not _token(subtype):
            continue
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":  # the weight ends the media range's parameters
                weight = _qvalue(value.strip())
                break
        yield media, weight
