"""One query engine in a process of its own, timing the queries it is sent (for ``budgetkg bench``).

The benchmark times the library's queries on pyoxigraph's on-disk store, on its copy in
memory and on an rdflib Graph.  In one process they slow each other down: beside the copy
in memory, the on-disk store answered the same queries slower (glibc's ``malloc`` searched a
heap the copy had left full of free chunks), and slower beside the rdflib Graph too
(docs/benchmarks.md).  A user's
process holds one of them, so each answers in a process of its own here.

    python -m budgetkg.tooling.timed_engine KIND STORE [NTRIPLES]

KIND is ``on disk`` or ``in memory`` (the store folder STORE, read as
:func:`budgetkg.load.store.open_store` does) or ``rdflib`` (an ``rdflib.Graph`` parsed from the
N-Triples file NTRIPLES).  Once the engine is loaded the process writes ``{"ready": true}``;
then it reads one JSON object a line, ``{"query": TEXT}`` (with ``"default_graph": [IRI, …]``
to query those graphs instead of the union of every graph; pyoxigraph only), runs the query
once and writes ``{"seconds": S}``, or ``{"error": MESSAGE}``.  It ends when its input closes.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args

__all__ = ["EngineKind", "KINDS", "engine"]

EngineKind = Literal["rdflib", "on disk", "in memory"]
KINDS: tuple[EngineKind, ...] = get_args(EngineKind)


def engine(kind: str, store: Path, ntriples: Path | None = None) -> Callable[[dict[str, Any]], object]:
    """A function that runs one request (``{"query": …}``) on the engine ``kind``, loaded here."""
    if kind == "rdflib":
        import rdflib

        graph = rdflib.Graph()
        graph.parse(str(ntriples), format="nt")
        return lambda request: list(graph.query(request["query"]))
    if kind not in KINDS:
        raise ValueError(f"unknown engine {kind!r}: one of {', '.join(KINDS)}")
    from pyoxigraph import NamedNode

    from ..load.store import open_store, solutions

    opened = open_store(store, in_memory=kind == "in memory")

    def run(request: dict[str, Any]) -> object:
        graphs = request.get("default_graph")
        if graphs is None:
            return list(solutions(opened, request["query"], use_default_graph_as_union=True))
        return list(solutions(opened, request["query"], default_graph=[NamedNode(g) for g in graphs]))

    return run


def _serve(kind: str, store: Path, ntriples: Path | None) -> None:
    run = engine(kind, store, ntriples)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            t = time.perf_counter()
            run(request)
            answer: dict[str, object] = {"seconds": time.perf_counter() - t}
        except Exception as e:  # the benchmark reports it and stops
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    _serve(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
