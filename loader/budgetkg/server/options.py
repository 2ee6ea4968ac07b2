"""How a server behaves: :class:`ServerOptions`, with a safe default for every limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..rdf.iri import DEFAULT_BASE
from .describe import Publisher

__all__ = ["ServerOptions", "DEFAULT_PUBLIC_URL", "VOCABULARY_BASE"]

# Where ontology terms, code lists and structures live, whatever --base the data has.
VOCABULARY_BASE = "https://w3id.org/budgetkg/"
# The server's address when `serve` runs with its default host and port.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:7878/"


@dataclass
class ServerOptions:
    """How the server behaves; every limit has a default that keeps a public endpoint safe."""

    store: Path
    base: str = DEFAULT_BASE
    timeout: float = 30.0
    max_rows: int = 10_000
    max_request_bytes: int = 100_000
    allow_service: tuple[str, ...] = ()
    update_token: str | None = None
    workers: int = 2  # server processes (see budgetkg.server.run)
    max_memory: int = 1024  # MiB a server process may hold while it runs queries (see budgetkg.server.runner)
    max_answer_bytes: int = 16_000_000
    max_client_queries: int = (
        32  # running or waiting, per client address and server process (see budgetkg.server.admission)
    )
    in_memory: bool | None = None  # None: copy small stores into memory (see budgetkg.load.store.open_store)
    extra: dict[str, str] = field(default_factory=dict)
    # Set by budgetkg.server.run, whose supervisor starts a fresh process when one stops: a
    # process then stops itself when a query outlives the time limit, and the processes share
    # one folder of dumps.  Unset (the app in a test's or `serve --get`'s process), a runaway
    # query keeps its thread until it ends.
    supervised: bool = False
    dumps_dir: Path | None = None
    # Where clients reach the server: the endpoint's address in the descriptions and on the
    # query page (never the request's Host header, which any client writes).
    public_url: str = DEFAULT_PUBLIC_URL
    # Each connection's bounds (see budgetkg.server.connections).
    max_header_bytes: int = 32_768
    request_timeout: float = 10.0
    max_connections: int = 256
    # Set by budgetkg.server.run too: the clients' standing, shared by the processes (see
    # budgetkg.server.admission), and the notes by which a process asks for its replacement.
    supervisor_dir: Path | None = None
    # What only the publisher knows, stated in the catalogue (see budgetkg.server.describe).
    publisher: Publisher = field(default_factory=Publisher)

    @property
    def endpoint(self) -> str:
        """The SPARQL endpoint's public address."""
        return self.public_url + "sparql"
