"""Errors as a page for a browser: the one JSON error shape (:func:`.responses.error`), rewritten
on its way out when the request prefers HTML (:func:`.pages.wants_html`).

Done in one place, around the whole application, so that every error (the endpoint's, a
resource's 404, Starlette's own) reaches a browser as a page and a program as JSON, without
each handler having to know who asked.  Only the server's own error bodies are read (JSON of
at most :data:`MAX_ERROR_BYTES`); anything else passes unchanged.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from jinja2 import Environment
from starlette.types import Message, Scope, Send

from .labels import language
from .pages import wants_html
from .sparql import ProtocolError, read_form

__all__ = ["html_errors", "MAX_ERROR_BYTES"]

# An error body of the server is a sentence or a few: a longer JSON body is no error of ours.
MAX_ERROR_BYTES = 65_536


def _page(templates: Environment, body: bytes, status: int, lang: str) -> bytes | None:
    """The HTML page of the error ``body`` says, None when it is not in the one error shape."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("ok") is not False or not isinstance(data.get("errors"), list):
        return None
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    errors = [str(e) for e in data["errors"]]
    return templates.get_template("error.html").render(status=status, reason=reason, errors=errors, lang=lang).encode()


def _language(scope: Scope) -> str:
    try:
        params = read_form(scope.get("query_string", b""))
    except ProtocolError:  # too many fields: the error says so, in the default language
        return language(None)
    return language(next(iter(params.get("lang", [])), None))


def html_errors(scope: Scope, send: Send, templates: Environment) -> Send:
    """``send``, turning an error in the one JSON shape into an HTML page when ``scope``'s request
    prefers HTML; other answers pass unchanged."""
    accept = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept"), "")
    if not wants_html(accept) or scope.get("method") == "HEAD":
        return send
    held: list[Message] = []  # the start of an error answer, then its body, until it ends
    size = 0

    async def sending(message: Message) -> None:
        nonlocal size
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers", ()))
            if message["status"] >= 400 and headers.get(b"content-type", b"").startswith(b"application/json"):
                held.append(message)
                return
        elif held and message["type"] == "http.response.body":
            held.append(message)
            size += len(message.get("body", b""))
            if size <= MAX_ERROR_BYTES and message.get("more_body", False):
                return
            start, parts = held[0], held[1:]
            held.clear()
            body = b"".join(m.get("body", b"") for m in parts)
            page = None
            if size <= MAX_ERROR_BYTES and not message.get("more_body", False):
                page = _page(templates, body, start["status"], _language(scope))
            if page is None:  # not ours: as it was
                await send(start)
                await send({**parts[-1], "body": body})
                return
            kept = [
                (k, v) for k, v in start.get("headers", ()) if k not in (b"content-type", b"content-length", b"vary")
            ]
            kept += [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(page)).encode()),
                (b"vary", b"Accept"),
            ]
            await send({**start, "headers": kept})
            await send({"type": "http.response.body", "body": page, "more_body": False})
            return
        await send(message)

    return sending
