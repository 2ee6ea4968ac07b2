"""The headers every answer of the server carries: what a browser may do with it.

Names and goals on the pages come from documents nobody vetted (the templates escape
them); these headers are the second wall, should anything reach a page unescaped: no
script but the server's own files, no page of the server inside another site's frame,
no guessing of a type other than the one the server gave.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import Message, Send

__all__ = ["security_headers", "with_headers"]


def security_headers(public_url: str) -> list[tuple[bytes, bytes]]:
    """The headers for a server whose pages are at ``public_url``.

    Scripts only from the server itself (the query page's is /static/budgetkg/query.js);
    styles from it too, and inline, since YASGUI and pyLODE's ontology page style
    elements as they draw them; the query page may send its queries to the public URL's
    origin as well as its own (a page reached by another name than the public one).
    """
    parts = urlsplit(public_url)
    public_origin = f"{parts.scheme}://{parts.netloc}"
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        f"font-src 'self' data:; connect-src 'self' {public_origin}; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"content-security-policy", policy.encode("latin-1")),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]


def with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send``, adding ``headers`` to the start of the answer."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", ()), *headers]
        await send(message)

    return sending
