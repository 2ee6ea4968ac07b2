"""Remote SPARQL 1.1 endpoints: queries through SPARQLWrapper, pushes through the Graph Store Protocol
(or SPARQL Update where that is all an endpoint offers).

Engines differ, and this module absorbs the differences the query library meets:

* the default graph: Oxigraph serves the union of the named graphs only when started with
  ``--union-default-graph``, Virtuoso's default graph is every graph it holds, system
  graphs included — so queries name their default graphs (``default-graph-uri``): the
  vocabulary graph and every budgetkg dataset the endpoint holds;
* decimals come back in canonical form (``220`` for the printed ``220.00``) and Virtuoso's
  JSON says ``typed-literal``: results are turned into pyoxigraph terms, and tables
  print amounts to the cent;
* Virtuoso refuses anonymous writes: pushes take ``--user``/``--password`` with digest
  (Virtuoso) or basic authentication.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse, serialize

from ..errors import BudgetkgError
from ..rdf.graphs import GRAPH_KINDS, VOCABULARY_GRAPH, reference_graphs
from ..rdf.namespaces import RDF
from .sparql_text import names_dataset, query_form, with_dataset

__all__ = ["RemoteError", "Endpoint", "push"]


class RemoteError(BudgetkgError, OSError):
    """A remote endpoint refused a request or could not be reached."""


@dataclass(frozen=True)
class Auth:
    user: str | None = None
    password: str | None = None
    scheme: str = "digest"


class Endpoint:
    """A SPARQL 1.1 query endpoint.

    :param url: the query URL (``http://127.0.0.1:7878/query``, ``http://host:8890/sparql``).
    :param graphs: the default graphs of every query; None discovers the budgetkg graphs
        (the vocabulary, every ``bkg:BudgetDataset`` and ``bkg:ReferenceGraph``) on first use.
    """

    def __init__(self, url: str, *, auth: Auth | None = None, graphs: list[str] | None = None, timeout: int = 120):
        self.url = url
        self.auth = auth or Auth()
        self.timeout = timeout
        self._graphs = graphs

    def _client(self):
        from SPARQLWrapper import BASIC, DIGEST, JSON, POST, SPARQLWrapper

        client = SPARQLWrapper(self.url)
        client.setReturnFormat(JSON)
        client.setMethod(POST)
        client.setTimeout(self.timeout)
        if self.auth.user:
            client.setHTTPAuth(DIGEST if self.auth.scheme == "digest" else BASIC)
            client.setCredentials(self.auth.user, self.auth.password or "")
        return client

    def graphs(self) -> list[str]:
        if self._graphs is None:
            q = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g <{RDF.type.value}> ?kind }} {GRAPH_KINDS} }}"
            found = [b["g"]["value"] for b in self._json(q, default_graphs=[])["results"]["bindings"]]
            self._graphs = sorted(found) + [VOCABULARY_GRAPH.value]
        return self._graphs

    def _raw(
        self, query: str, *, default_graphs: list[str] | None = None, allow_cut: bool = False, graph: bool = False
    ) -> dict | bytes:
        """The endpoint's answer: SPARQL JSON results, or Turtle bytes if ``graph`` (CONSTRUCT, DESCRIBE)."""
        from SPARQLWrapper import TURTLE

        client = self._client()
        if graph:
            client.setReturnFormat(TURTLE)
        # SPARQLWrapper guesses the query form from its text and gets it wrong behind a
        # comment header (it then posts the text as an update): send the query without it.
        body = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
        if not names_dataset(body):
            graphs = self.graphs() if default_graphs is None else default_graphs
            # FROM clauses rather than default-graph-uri: the query is sent in a form POST (it can be
            # long), and Oxigraph refuses a form POST that also carries URL parameters.
            body = with_dataset(body, graphs) if graphs else body
        client.setQuery(body)
        try:
            result = client.query()
            data = result.convert()
        except urllib.error.HTTPError as exc:
            raise RemoteError(f"{self.url}: HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:  # not reached: say why (refused, unknown host …) and nothing else
            raise RemoteError(f"{self.url}: {exc.reason}") from None
        except Exception as exc:  # SPARQLWrapper's own errors
            raise RemoteError(f"{self.url}: {type(exc).__name__}: {str(exc)[:500]}") from None
        cut = {name.lower() for name in result.info()} & _CUT_HEADERS
        if cut and not allow_cut:
            raise RemoteError(
                f"{self.url}: the endpoint cut the answer at its row limit ({', '.join(sorted(cut))}): "
                "add LIMIT and OFFSET to the query, or raise the endpoint's limit"
            )
        if graph and not isinstance(data, bytes):
            raise RemoteError(f"{self.url}: asked for Turtle, got {result.info().get('content-type')}")
        return data

    def _json(self, query: str, **options) -> dict:
        data = self._raw(query, **options)
        if not isinstance(data, dict):  # a stranger's endpoint may answer anything
            raise RemoteError(f"{self.url}: asked for SPARQL JSON results, got {type(data).__name__}")
        return data

    def select(
        self, query: str, *, default_graphs: bool = True, allow_cut: bool = False
    ) -> tuple[list[str], list[list[object | None]]]:
        """Variables and rows (pyoxigraph terms) of a SELECT query.

        Unless the query names its own dataset (FROM), budgetkg's graphs are its default graph
        and, if it has GRAPH patterns, its named graphs.

        :param default_graphs: False leaves the dataset to the endpoint.
        :param allow_cut: accept an answer the endpoint cut at its row limit (else a RemoteError).
        """
        data = self._json(query, default_graphs=None if default_graphs else [], allow_cut=allow_cut)
        if "boolean" in data:
            raise RemoteError("only SELECT queries give a table")
        try:
            variables = [str(v) for v in data["head"]["vars"]]
            rows = [[_term(b.get(v)) for v in variables] for b in data["results"]["bindings"]]
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise RemoteError(
                f"{self.url}: the answer is not SPARQL JSON results ({type(exc).__name__}: {exc})"
            ) from None
        return variables, rows

    def ask(self, query: str) -> bool:
        """The answer to an ASK query, over budgetkg's graphs (as for :meth:`select`)."""
        data = self._json(query)
        if "boolean" not in data:
            raise RemoteError(f"{self.url}: an ASK query got no boolean answer")
        return bool(data["boolean"])

    def construct(self, query: str) -> list[Triple]:
        """The triples of a CONSTRUCT or DESCRIBE query, over budgetkg's graphs (as for :meth:`select`)."""
        data = self._raw(query, graph=True)
        assert isinstance(data, bytes)
        try:
            return [q.triple for q in parse(data, format=RdfFormat.TURTLE)]
        except SyntaxError as exc:
            raise RemoteError(f"{self.url}: the answer is not Turtle: {exc}") from None


# Response headers by which endpoints say they cut an answer at their row limit.
_CUT_HEADERS = {"x-budgetkg-truncated", "x-sparql-maxrows"}


# Virtuoso writes booleans as 1 and 0, valid but not canonical: read them as Oxigraph writes them,
# so that an export through any endpoint gives the same triples.
_CANONICAL_BOOLEAN = {"1": "true", "0": "false"}
_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def _term(binding: dict | None):
    """A term of SPARQL JSON results as a pyoxigraph term.

    >>> _term({"type": "typed-literal", "datatype": _BOOLEAN, "value": "1"})
    <Literal value=true datatype=<NamedNode value=http://www.w3.org/2001/XMLSchema#boolean>>
    """
    if binding is None:
        return None
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return NamedNode(value)
    if kind == "bnode":
        return BlankNode(value)
    if binding.get("xml:lang"):
        return Literal(value, language=binding["xml:lang"])
    if binding.get("datatype"):  # "typed-literal" (Virtuoso) or "literal" with a datatype
        if binding["datatype"] == _BOOLEAN:
            value = _CANONICAL_BOOLEAN.get(value, value)
        return Literal(value, datatype=NamedNode(binding["datatype"]))
    return Literal(value)


def _opener(url: str, auth: Auth) -> urllib.request.OpenerDirector:
    handlers = []
    if auth.user:
        passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        passwords.add_password(None, url, auth.user, auth.password or "")
        handler = (
            urllib.request.HTTPDigestAuthHandler if auth.scheme == "digest" else urllib.request.HTTPBasicAuthHandler
        )
        handlers.append(handler(passwords))
    return urllib.request.build_opener(*handlers)


def _ntriples(quads: Iterable[Quad]) -> bytes:
    # pyoxigraph writes the same lines faster than formatting each triple in Python.
    return serialize((q.triple for q in quads), format=RdfFormat.N_TRIPLES) or b""


def push(
    store: Store,
    url: str,
    *,
    protocol: str = "gsp",
    auth: Auth | None = None,
    graphs: list[str] | None = None,
    batch: int = 5000,
    settle_at: str | None = None,
) -> list[tuple[str, int]]:
    """Load each named graph of the store into a remote store, replacing the graph there.

    Pushing twice changes nothing: each graph is replaced as a whole (GSP ``PUT``, or
    ``DROP SILENT GRAPH`` followed by ``INSERT DATA`` batches with SPARQL Update), but the
    reference graphs, which several stores pushed to one endpoint state alike, are added
    to (GSP ``POST``, or ``INSERT DATA`` alone).  What a rebuilt document no longer
    states stays in them until they are settled (``settle_at``, :func:`settle`).

    :param url: the Graph Store Protocol URL (``…/store`` for Oxigraph,
        ``…/sparql-graph-crud-auth`` for Virtuoso) or, with ``protocol="update"``, the
        SPARQL Update endpoint.
    :param settle_at: a SPARQL Update endpoint of the same store on which to settle the
        reference graphs once every graph is pushed.
    :returns: (graph, number of triples) of every graph pushed.
    """
    auth = auth or Auth()
    opener = _opener(url, auth)
    names = sorted(g.value for g in store.named_graphs()) if graphs is None else graphs
    shared = set(reference_graphs(store))
    pushed = []
    for name in names:
        # In the store's index order: sorting them by their text took longer than writing them.
        quads = list(store.quads_for_pattern(None, None, None, NamedNode(name)))
        if protocol == "gsp":
            target = f"{url}{'&' if '?' in url else '?'}graph={urllib.parse.quote(name, safe='')}"
            _send(
                opener,
                urllib.request.Request(
                    target,
                    data=_ntriples(quads),
                    method="POST" if name in shared else "PUT",
                    headers={"Content-Type": "text/turtle; charset=utf-8"},
                ),
                auth,
            )
        elif protocol == "update":
            if name not in shared:
                _update(opener, url, f"DROP SILENT GRAPH <{name}>", auth)
            for start in range(0, len(quads), batch):
                body = _ntriples(quads[start : start + batch]).decode("utf-8")
                _update(opener, url, f"INSERT DATA {{ GRAPH <{name}> {{\n{body}}} }}", auth)
        else:
            raise BudgetkgError(f"unknown protocol {protocol!r}: gsp or update")
        pushed.append((name, len(quads)))
    if settle_at is not None:
        settle(settle_at, auth=auth)
    return pushed


def settle(url: str, *, auth: Auth | None = None) -> None:
    """Settle the reference graphs of a remote store, as each build settles the embedded
    store's (:func:`budgetkg.load.graph.settle_reference_graphs`): an organisation that no
    document graph there lists any more leaves them (a unit renamed in a rebuilt and pushed
    document), and so does a printed code that the code lists now have.

    :param url: the store's SPARQL Update endpoint; each operation is one request.
    """
    from ..load.graph import SETTLE_OPERATIONS

    auth = auth or Auth()
    opener = _opener(url, auth)
    for operation in SETTLE_OPERATIONS:
        _update(opener, url, operation, auth)


def _update(opener: urllib.request.OpenerDirector, url: str, update: str, auth: Auth) -> None:
    data = urllib.parse.urlencode({"update": update}).encode("utf-8")
    _send(
        opener,
        urllib.request.Request(
            url, data=data, method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
        auth,
    )


def _send(opener: urllib.request.OpenerDirector, request: urllib.request.Request, auth: Auth | None = None) -> None:
    if auth is not None and auth.user and auth.scheme == "digest" and request.data:
        # A server that answers 401 before reading a large body resets the connection
        # (Virtuoso does): get the challenge with an empty request first, then send the
        # body once, already authorised (the header is computed by urllib's digest handler).
        header = _digest_authorization(request, auth)
        if header:
            request.add_unredirected_header("Authorization", header)
    try:
        with opener.open(request, timeout=300) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        body = exc.read().decode("utf-8", "replace")[:300]
        raise RemoteError(f"{request.full_url.split('?')[0]}: HTTP {exc.code} {exc.reason}: {body}") from None
    except urllib.error.URLError as exc:
        raise RemoteError(f"{request.full_url.split('?')[0]}: {exc.reason}") from None


def _digest_authorization(request: urllib.request.Request, auth: Auth) -> str | None:
    assert auth.user is not None  # only called with a user
    probe = urllib.request.Request(
        request.full_url,
        method=request.get_method(),
        data=b"",
        headers={"Content-Type": request.get_header("Content-type") or "text/plain"},
    )
    try:
        with urllib.request.urlopen(probe, timeout=60) as response:
            response.read()
        return None
    except urllib.error.HTTPError as exc:
        challenge = exc.headers.get("WWW-Authenticate", "")
        if exc.code != 401 or not challenge.lower().startswith("digest "):
            return None
    except urllib.error.URLError as exc:
        raise RemoteError(f"{request.full_url.split('?')[0]}: {exc.reason}") from None
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, request.full_url, auth.user, auth.password or "")
    handler = urllib.request.HTTPDigestAuthHandler(passwords)
    fields = urllib.request.parse_keqv_list(urllib.request.parse_http_list(challenge[7:]))
    base = handler.get_authorization(request, fields)
    return f"Digest {base}" if base else None


class RemoteStore:
    """The part of pyoxigraph's ``Store`` that budgetkg's readers use, over a remote endpoint.

    It lets ``stats``, ``export`` and ``report`` work against any SPARQL 1.1 endpoint: the
    budgetkg graphs there (the vocabulary and every dataset) stand for the store.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    def named_graphs(self) -> list[NamedNode]:
        return [NamedNode(g) for g in self.endpoint.graphs()]

    def select(self, query: str) -> tuple[list[str], list[list[object | None]]]:
        return self.endpoint.select(query)

    def ask(self, query: str) -> bool:
        return self.endpoint.ask(query)

    def construct(self, query: str) -> list[Triple]:
        return self.endpoint.construct(query)

    def query(self, query: str, *, use_default_graph_as_union: bool = False, **_ignored):
        """SELECT: a list of {variable: term}; CONSTRUCT and DESCRIBE: a list of triples; ASK: a bool."""
        form = query_form(query)
        if form == "ASK":
            return self.ask(query)
        if form in ("CONSTRUCT", "DESCRIBE"):
            return self.construct(query)
        variables, rows = self.select(query)
        return [dict(zip(variables, row, strict=False)) for row in rows]

    def _count(self, where: str) -> int:
        """How many solutions ``where`` has; it names its graph, so no dataset is added."""
        _, rows = self.endpoint.select(f"SELECT (COUNT(*) AS ?n) {where}", default_graphs=False)
        count = rows[0][0] if rows and rows[0] else None
        if not isinstance(count, Literal) or not count.value.isdigit():
            raise RemoteError(f"{self.endpoint.url}: a COUNT query got {count!r}, not a number")
        return int(count.value)

    # Rows asked for at a time: endpoints cut longer answers (budgetkg's and Virtuoso's limit is
    # 10,000 rows by default), so a graph is read in pages, each as long as the endpoint gives.
    PAGE = 5_000

    def quads_for_pattern(self, subject=None, predicate=None, obj=None, graph=None):
        graphs = [graph] if graph is not None else self.named_graphs()
        terms = {"s": subject, "p": predicate, "o": obj}
        pattern = " ".join(str(t) if t is not None else f"?{name}" for name, t in terms.items())
        out = []
        for g in graphs:
            where = f"WHERE {{ GRAPH {g} {{ {pattern} }} }}"
            expected = self._count(where)
            rows = []
            while len(rows) < expected:  # a page the endpoint cuts shorter is fine: the next starts after it
                names, page = self.endpoint.select(
                    f"SELECT * {where} LIMIT {self.PAGE} OFFSET {len(rows)}", default_graphs=False, allow_cut=True
                )
                if not page:
                    break
                rows += [dict(zip(names, row, strict=False)) for row in page]
            found = {tuple(row[n] for n in sorted(row)) for row in rows}
            if len(rows) != expected or len(found) != expected:
                raise RemoteError(
                    f"{self.endpoint.url}: read {len(found)} distinct of the {expected} triples of "
                    f"{g} in pages (an endpoint whose order changes between pages cannot be read so)"
                )
            for row in rows:
                s, p, o = (terms[n] if terms[n] is not None else row[n] for n in ("s", "p", "o"))
                out.append(Quad(s, p, o, g))
        return out

    def __len__(self) -> int:
        return sum(self._count(f"WHERE {{ GRAPH {g} {{ ?s ?p ?o }} }}") for g in self.named_graphs())
