"""``python -m budgetkg.server.update_process STORE WAIT [ENDPOINT …]``: apply one SPARQL update.

The update is read from standard input.

The process in which ``budgetkg serve`` applies each update (:mod:`budgetkg.server.updates`),
so that it can be killed at the time limit; a module of its own, outside the server's
package, so that it starts without importing the server.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..load.store import StoreBusy, StoreMissing, apply_update

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """The child: ``python -m budgetkg.server.update_process STORE WAIT [ENDPOINT …]`` applies the update read from its
    standard input, waiting up to WAIT seconds for the store's lock, under the egress guard that
    lets it connect to the ENDPOINTs only, and writes JSON lines: the
    new database's name once the store is held, then the outcome."""
    store, wait, *endpoints = argv or sys.argv[1:]
    # The engine would call an update's SERVICE endpoints from this process too: it connects
    # only to the server's allowed ones (wall 2; the server checked the parsed update already).
    from .egress import guard

    guard(endpoints)
    update = sys.stdin.buffer.read().decode("utf-8")

    def say(**message: str) -> None:
        print(json.dumps(message), flush=True)

    try:
        apply_update(update, path=Path(store), wait=float(wait), started=lambda name: say(database=name))
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


if __name__ == "__main__":
    sys.exit(main())
