"""``python -m budgetkg.server.update_process [--max-memory BYTES] [--base IRI] [--using IRI …] [--using-named IRI …]
STORE WAIT [ENDPOINT …]``: apply one SPARQL update.

The update is read from standard input; its relative IRIs are resolved against the ``--base``
IRI, and its ``WHERE`` sees the ``--using`` / ``--using-named`` graphs, or the union of the
store's graphs (:mod:`budgetkg.server.update_dataset`).

The process in which ``budgetkg serve`` applies each update (:mod:`budgetkg.server.updates`),
so that it can be killed at the time limit; a module of its own, outside the server's
package, so that it starts without importing the server.  Its memory is bounded as a server
process's is (:mod:`budgetkg.server.runner`): a thread reads its resident memory, and past
``--max-memory`` bytes the process says so and ends at once (an ``INSERT … WHERE`` over a cross
join with ``GROUP_CONCAT`` grows without bound, and pyoxigraph cannot stop it).  Without
``--max-memory`` it is not bounded (the process of a test).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

from pyoxigraph import NamedNode

from ..load.store import StoreBusy, StoreMissing, apply_update
from .runner import WATCH_SECONDS, resident_bytes
from .update_dataset import plan

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """The child: ``python -m budgetkg.server.update_process [--max-memory BYTES] [--base IRI] [--using IRI …]
    [--using-named IRI …] STORE WAIT [ENDPOINT …]`` applies the update read from its standard
    input (its relative IRIs against the base, its WHERE on the --using graphs, or the union of
    the store's: see :mod:`budgetkg.server.update_dataset`), waiting up to WAIT seconds for the
    store's lock, under the egress guard that lets it connect to the ENDPOINTs only, holding
    at most BYTES of resident memory, and writes JSON lines: the new database's name once the
    store is held, then the outcome (``memory`` when it passed that limit)."""
    args = argv or sys.argv[1:]
    max_memory, base = None, None
    given: dict[str, list[str]] = {"--using": [], "--using-named": []}
    while args[0].startswith("--"):
        if args[0] == "--max-memory":
            max_memory = int(args[1])
        elif args[0] == "--base":
            base = args[1]
        else:
            given[args[0]].append(args[1])
        args = args[2:]
    store, wait, *endpoints = args
    # The engine would call an update's SERVICE endpoints from this process too: it connects
    # only to the server's allowed ones (wall 2; the server checked the parsed update already).
    from .egress import guard

    guard(endpoints)
    update = sys.stdin.buffer.read().decode("utf-8")
    saying = threading.Lock()  # the watchdog's thread says things too

    def say(**message: str) -> None:
        with saying:
            print(json.dumps(message), flush=True)

    if max_memory is not None:
        threading.Thread(target=_watch_memory, args=(max_memory, say), daemon=True).start()

    try:
        # Read once the store is held: rdflib can take long over a hostile text, and the time
        # limit then stops the update as any other (a "timeout", not a store "busy").
        apply_update(
            update,
            path=Path(store),
            wait=float(wait),
            started=lambda name: say(database=name),
            base_iri=base,
            prepare=lambda db: plan(update, tuple(given["--using"]), tuple(given["--using-named"])).apply(
                g.value for g in db.named_graphs() if isinstance(g, NamedNode)
            ),
        )
    except SyntaxError as exc:
        say(outcome="syntax-error", message=str(exc))
    except StoreBusy:
        say(outcome="busy")
    except StoreMissing:
        say(outcome="missing")
    except (ValueError, RuntimeError) as exc:  # pyoxigraph's evaluation errors (CREATE of a graph that exists…)
        say(outcome="error", message=str(exc))
    except OSError:  # of the database's files: the message would name them (the log has it)
        say(outcome="error", message="the database could not be written")
        raise
    else:
        say(outcome="applied")
    return 0


def _watch_memory(limit: int, say) -> None:
    """The watchdog's thread: past ``limit`` bytes of resident memory, say so and end the process."""
    while (size := resident_bytes()) is not None:
        if size > limit:
            say(outcome="memory")
            os._exit(3)
        time.sleep(WATCH_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
