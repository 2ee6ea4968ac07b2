"""The SPARQL 1.1 Protocol at /sparql: reading the request, choosing the format, refusing what is not allowed."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from .accept import media_ranges
from .answers import GRAPH_FORMATS, TABLE_FORMATS

__all__ = ["SparqlRequest", "ProtocolError", "MAX_FORM_FIELDS", "read_request", "read_form", "negotiate"]

_MEDIA = {media: name for name, (media, _) in TABLE_FORMATS.items()}
_GRAPH_MEDIA = {media: name for name, (media, _) in GRAPH_FORMATS.items()}
_ALIASES = {
    "application/json": "json",
    "text/plain": "nt",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/x-turtle": "ttl",
    "text/rdf+n3": "ttl",
    "text/n3": "ttl",
}
# The `format` parameter (browsers, SPARQLWrapper's names): (result-table format, graph format).
_FORMAT_PARAM = {
    "json": ("json", "jsonld"),
    "xml": ("xml", "rdfxml"),
    "csv": ("csv", "ttl"),
    "tsv": ("tsv", "ttl"),
    "ttl": ("json", "ttl"),
    "turtle": ("json", "ttl"),
    "n3": ("json", "ttl"),
    "nt": ("json", "nt"),
    "ntriples": ("json", "nt"),
    "jsonld": ("json", "jsonld"),
    "json-ld": ("json", "jsonld"),
    "rdfxml": ("xml", "rdfxml"),
    "rdf+xml": ("xml", "rdfxml"),
    "rdf": ("xml", "rdfxml"),
}


# Fields a query string or form may have: a request has a few (query, format, the graphs of
# its dataset); each default-graph-uri is one more graph the query's dataset is made of.
MAX_FORM_FIELDS = 1_000


class ProtocolError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class SparqlRequest:
    query: str | None
    update: str | None
    format: str | None
    # The protocol's dataset: default-graph-uri and named-graph-uri (empty: the query's own,
    # else the union of every graph as the default graph).
    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


def _unquote(part: bytes) -> str:
    """One name or value of a form, percent-decoded (``+`` is a space), as UTF-8."""
    try:
        # The codec decodes every %XX at once, in C, several times faster than urllib's
        # parse_qs (docs/benchmarks.md).  Each % becomes \x, after the backslashes that are there
        # are doubled so that none of them is read as an escape.
        return (
            part.replace(b"\\", b"\\\\")
            .replace(b"+", b" ")
            .replace(b"%", b"\\x")
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )
    except UnicodeDecodeError:  # a % without two hex digits after it, or bytes that are not UTF-8
        return unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8", "replace")


def read_form(data: bytes) -> dict[str, list[str]]:
    """The fields of a query string or an application/x-www-form-urlencoded body, each name
    with its values in order, read as ``urllib.parse.parse_qs(keep_blank_values=True)`` reads them.

    >>> read_form(b"query=ASK+%7B%7D&default-graph-uri=a&default-graph-uri=b&format")
    {'query': ['ASK {}'], 'default-graph-uri': ['a', 'b'], 'format': ['']}

    :raises ProtocolError: 400 when it has more than :data:`MAX_FORM_FIELDS` fields (its
        ``&`` counted: the pairs, empty or not, as urllib's ``max_num_fields`` counts them).
    """
    if data.count(b"&") >= MAX_FORM_FIELDS:
        raise ProtocolError(400, f"the request has more than {MAX_FORM_FIELDS} fields in its query string or form")
    fields: dict[str, list[str]] = {}
    for pair in data.split(b"&"):
        if pair:
            name, _, value = pair.partition(b"=")
            fields.setdefault(_unquote(name), []).append(_unquote(value))
    return fields


def _first(params: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = params.get(name)
    return values[0] if values else default


def _dataset(params: dict[str, list[str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The graphs named by default-graph-uri and named-graph-uri, each an absolute IRI."""
    from pyoxigraph import NamedNode

    graphs = {name: tuple(params.get(name, [])) for name in ("default-graph-uri", "named-graph-uri")}
    for name, iris in graphs.items():
        for iri in iris:
            try:
                NamedNode(iri)
            except ValueError:
                raise ProtocolError(400, f"{name} is not an absolute IRI: {iri!r}") from None
    return graphs["default-graph-uri"], graphs["named-graph-uri"]


def read_request(method: str, query_string: bytes, content_type: str, body: bytes) -> SparqlRequest:
    """The query or update of a request: GET ?query=, POST form (query= / update=) or POST direct."""
    params = read_form(query_string)
    fmt = _first(params, "format")
    dataset = _dataset(params)
    if method == "GET":
        return SparqlRequest(_first(params, "query"), None, fmt, *dataset)
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ProtocolError(400, "the request body is not UTF-8") from None
    if kind == "application/x-www-form-urlencoded":
        form = read_form(body)
        default, named = _dataset(form)
        return SparqlRequest(
            _first(form, "query"),
            _first(form, "update"),
            _first(form, "format", fmt),
            dataset[0] + default,
            dataset[1] + named,
        )
    if kind == "application/sparql-query":
        return SparqlRequest(text, None, fmt, *dataset)
    if kind == "application/sparql-update":
        return SparqlRequest(None, text, fmt)
    raise ProtocolError(
        415,
        f"No supported content Content-Type given: {content_type or 'none'}; use "
        "application/x-www-form-urlencoded, application/sparql-query or application/sparql-update",
    )


def negotiate(accept: str, fmt: str | None) -> tuple[str, str]:
    """(table format, graph format) for a request: the `format` parameter, else the Accept header.

    Each of the two is the format of the media range with the highest weight, the first
    such range on a tie; ``*/*``, ``application/*`` and ``text/*`` stand for the first
    format of its kind that no range refuses (weight 0).  A header without any valid range is
    read as none at all (any format), see :mod:`budgetkg.server.accept`.

    :raises ProtocolError: 406 when no format the header accepts is served, or the
        `format` parameter names none.
    """
    if fmt and "/" in fmt:  # a media type, as Virtuoso's format parameter takes: read it as Accept
        return negotiate(fmt, None)
    if fmt:
        pair = _FORMAT_PARAM.get(fmt.lower())
        if pair is None:
            raise ProtocolError(
                406, f"unknown format {_cut(fmt)!r}: {', '.join(sorted(_FORMAT_PARAM))}, or a media type"
            )
        return pair
    ranges = list(media_ranges(accept))
    if not ranges:
        return "json", "ttl"
    refused = {_MEDIA.get(media) or _GRAPH_MEDIA.get(media) or _ALIASES.get(media) for media, q in ranges if q == 0}
    table = next(name for name in [*TABLE_FORMATS, "json"] if name not in refused)
    graph = next(name for name in [*GRAPH_FORMATS, "ttl"] if name not in refused)
    best_table: tuple[float, str] | None = None
    best_graph: tuple[float, str] | None = None
    for media, q in ranges:
        if q == 0:  # "not acceptable" (RFC 9110, section 12.4.2)
            continue
        name = _MEDIA.get(media) or _ALIASES.get(media)
        gname = _GRAPH_MEDIA.get(media) or _ALIASES.get(media)
        if media in ("*/*", "application/*", "text/*"):
            name, gname = table, graph
        if name in TABLE_FORMATS and (best_table is None or q > best_table[0]):
            best_table = (q, name)
        if gname in GRAPH_FORMATS and (best_graph is None or q > best_graph[0]):
            best_graph = (q, gname)
    if best_table is None and best_graph is None:
        raise ProtocolError(
            406,
            f"none of the formats in Accept: {_cut(accept)} is served; use one of "
            + ", ".join(m for m, _ in [*TABLE_FORMATS.values(), *GRAPH_FORMATS.values()]),
        )
    return best_table[1] if best_table else "json", best_graph[1] if best_graph else "ttl"


def _cut(text: str, length: int = 200) -> str:
    """``text`` as an error message quotes it: at most ``length`` characters of what a client sent."""
    return text if len(text) <= length else text[:length] + "…"
