"""The embedded store: pyoxigraph on disk, rebuilt atomically.

Layout of a store folder::

    STORE/current -> data-<n>     the live database (a symbolic link, swapped atomically)
    STORE/data-<n>/               pyoxigraph (RocksDB) databases
    STORE/build.lock              held by the one build that may run at a time

A build writes a new database beside the live one (a hard-link backup of it when
it exists, so rebuilding one document keeps the others), loads the new named graphs
there, and only then swaps ``current``.  A build that fails or is killed leaves
``current`` as it was.  Readers open ``current`` read-only.
"""

from __future__ import annotations

import fcntl
import io
import os
import shutil
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO, cast

from pyoxigraph import BlankNode, NamedNode, Quad, RdfFormat, Store

from ..errors import BudgetkgError

__all__ = [
    "default_store_path",
    "StoreBusy",
    "StoreMissing",
    "open_store",
    "database_bytes",
    "IN_MEMORY_AUTO_BYTES",
    "LiveStore",
    "solutions",
    "data_bases",
    "rebuild",
    "apply_update",
    "BuildResult",
    "generations",
    "live_database",
    "remove_leftovers",
]


# N-Quads batches are bulk-loaded this many at a time, each in a thread: pyoxigraph's bulk
# loader works on one core below a million quads and releases the GIL meanwhile: many
# documents build faster on two cores (docs/benchmarks.md), with queries as fast once the
# store is compacted.
LOADS_AT_ONCE = 2


# How often a build or update that may wait for the store's lock tries it again.
LOCK_POLL_SECONDS = 0.05


class StoreBusy(BudgetkgError, OSError):
    """Another build holds the store."""


class StoreMissing(BudgetkgError, FileNotFoundError):
    """No store has been built at the location."""


def default_store_path() -> Path:
    """``$BUDGETKG_STORE``, else ``$XDG_DATA_HOME/budgetkg/store`` (``~/.local/share/budgetkg/store``)."""
    if os.environ.get("BUDGETKG_STORE"):
        return Path(os.environ["BUDGETKG_STORE"])
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return data_home / "budgetkg" / "store"


# "auto" copies a database into memory up to this size on disk (about six documents): the
# copy takes several times the database's size in memory, and answers the library queries
# much faster than RocksDB does (docs/benchmarks.md).
IN_MEMORY_AUTO_BYTES = 64 * 2**20


def database_bytes(database: Path) -> int:
    """The size on disk of one database folder."""
    return sum(f.stat().st_size for f in database.rglob("*") if f.is_file())


def open_store(path: Path | None = None, *, in_memory: bool | None = False) -> Store:
    """Open the live database of a store read-only, or a copy of it in memory.

    :param in_memory: True to copy the database into a pyoxigraph in-memory store, whose
        index lookups are several times faster than the on-disk store's (the copy does not
        see later builds); None to copy it when it is at most :data:`IN_MEMORY_AUTO_BYTES`
        on disk; False to read it on disk.
    :raises StoreMissing: when nothing has been built there yet.
    """
    folder = Path(path or default_store_path())
    current = folder / "current"
    if not current.exists():
        raise StoreMissing(f"no budgetkg store at {folder}: run `budgetkg build` first (or pass --store)")
    database = current.resolve()
    disk = Store.read_only(str(database))
    if in_memory is None:
        in_memory = database_bytes(database) <= IN_MEMORY_AUTO_BYTES
    if not in_memory:
        return disk
    memory = Store()
    memory.bulk_extend(disk)
    return memory


class LiveStore:
    """The live database of a store for a long-running reader, opened again once a rebuild swaps it."""

    def __init__(self, path: Path, *, in_memory: bool | None = False) -> None:
        self.path, self.in_memory = path, in_memory
        # Made once: joining paths at each query cost as much as reading the link.
        self._current = str(path / "current")
        # (the data-<n> folder `current` pointed at, the store opened there): one attribute, so
        # that a thread opening the next one never shows a reader a store with another's name.
        self._open: tuple[str, Store] | None = None

    def get(self) -> Store:
        """The store, opened (or copied into memory, see :func:`open_store`) again if ``current`` moved."""
        store = self.if_current()
        if store is None:
            database = os.readlink(self._current)
            store = open_store(self.path, in_memory=self.in_memory)
            self._open = (database, store)
        return store

    def if_current(self) -> Store | None:
        """The store if it is open and ``current`` has not moved since, else None (:meth:`get` would open it)."""
        # One readlink a call (realpath costs more): a rebuild points `current` at a new
        # data-<n>, never back at one it left.
        opened = self._open
        if opened is not None and os.readlink(self._current) == opened[0]:
            return opened[1]
        return None

    def let_go(self) -> None:
        """Close the store (the next :meth:`get` opens it again): a reader that cannot open a
        rebuild's database must not keep the files of the old one, which a later build deletes
        (their disk space would not be freed)."""
        self._open = None


def live_database(path: Path | None = None) -> Path:
    """The database folder (``data-<n>``) the store's ``current`` points at.

    :raises StoreMissing: when nothing has been built there yet.
    """
    folder = Path(path or default_store_path())
    try:
        return folder / os.readlink(folder / "current")
    except FileNotFoundError:
        raise StoreMissing(f"no budgetkg store at {folder}: run `budgetkg build` first (or pass --store)") from None


def solutions(store: Store, query: str, **options: Any) -> Iterable[Any]:
    """The solutions of a SELECT query: pyoxigraph types ``query()`` for every kind of query.

    ``store`` may also be a :class:`budgetkg.query.remote.RemoteStore`, whose ``query()`` answers alike.
    """
    return cast(Iterable[Any], store.query(query, **options))


def data_bases(store: Store) -> list[str]:
    """The bases the store's documents minted their data IRIs under (``void:uriSpace`` of each
    dataset), sorted; empty for a store built before budgetkg recorded them."""
    query = (
        "SELECT DISTINCT ?base WHERE { GRAPH ?g { ?g a <https://w3id.org/budgetkg/ontology#BudgetDataset> ; "
        "<http://rdfs.org/ns/void#uriSpace> ?base } }"
    )
    return sorted(row[0].value for row in solutions(store, query))


@contextmanager
def _lock(folder: Path, wait: float = 0.0) -> Iterator[None]:
    # The folders made here (the store's, and any parent missing): a first build that fails
    # removes them again, so that it leaves nothing behind.
    made = [p for p in (folder, *folder.parents) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "build.lock", "a+") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreBusy(
                        f"another budgetkg build is running on {folder}; try again when it has finished"
                    ) from None
                time.sleep(LOCK_POLL_SECONDS)
        try:
            yield
        except BaseException:
            if made:
                (folder / "build.lock").unlink(missing_ok=True)
                for empty in made:  # innermost first; a folder something else wrote into stays
                    try:
                        empty.rmdir()
                    except OSError:
                        break
            raise
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass(frozen=True)
class BuildResult:
    path: Path
    graphs: tuple[str, ...]  # every named graph of the new database
    quads: int


def generations(folder: Path) -> list[Path]:
    """The ``data-<n>`` folders in ``folder``, oldest (lowest n) first: a store's databases, or
    the server's dumps of them, which are named alike."""
    return sorted((p for p in folder.glob("data-*") if p.name[5:].isdigit()), key=lambda p: int(p.name[5:]))


def _remove_leftovers(folder: Path) -> None:
    """Remove what a build or update killed before its swap left: ``data-<n>`` folders newer than
    the one ``current`` points at (all of them when there is no ``current``) and ``.current-<n>``
    links.  Called with the build lock held, so no build is writing them; kept, a partial folder
    would count as the previous database, and the real one would be deleted as stale."""
    current = folder / "current"
    live = _generation(os.readlink(current)) if current.is_symlink() else 0
    for database in generations(folder):
        if _generation(database.name) > live:
            shutil.rmtree(database, ignore_errors=True)
    for link in folder.glob(".current-*"):
        link.unlink(missing_ok=True)


def _generation(name: str) -> int:
    """The n of a ``data-<n>`` name (0 for another name)."""
    base = Path(name).name
    return int(base[5:]) if base.startswith("data-") and base[5:].isdigit() else 0


def remove_leftovers(path: Path | None = None) -> bool:
    """Remove what a killed build or update left in a store (see :func:`_remove_leftovers`), unless
    a build holds the store (it does so itself); True when they were looked for."""
    folder = Path(path or default_store_path())
    try:
        with _lock(folder):
            _remove_leftovers(folder)
    except StoreBusy:
        return False
    return True


@contextmanager
def _next_database(folder: Path, wait: float = 0.0) -> Iterator[tuple[Path, Path]]:
    """Hold the build lock and yield (the live ``current`` link, a new database folder).

    When the block ends without an error, ``current`` is swapped to the new database in one
    atomic rename; on any error the new folder is removed and ``current`` is as it was (a kill
    leaves the folder, which the next build or update removes first).
    """
    with _lock(folder, wait):
        current = folder / "current"
        _remove_leftovers(folder)
        n = 1 + max((int(p.name[5:]) for p in generations(folder)), default=0)
        new, tmp_link = folder / f"data-{n}", folder / f".current-{n}"
        try:
            yield current, new
            os.symlink(new.name, tmp_link)
            os.replace(tmp_link, current)
        except BaseException:
            shutil.rmtree(new, ignore_errors=True)
            tmp_link.unlink(missing_ok=True)
            raise
        # Keep the previous database too: a reader that opened it before the swap may still use it.
        for stale in generations(folder)[:-2]:
            shutil.rmtree(stale, ignore_errors=True)


def rebuild(
    batches: Iterable[tuple[Sequence[NamedNode], Iterable[Quad] | bytes | BinaryIO]],
    *,
    path: Path | None = None,
    replace_all: bool = False,
    replacing: set[str] | None = None,
    settle: Callable[[Store], None] | None = None,
) -> BuildResult:
    """Replace named graphs of the store atomically.

    :param batches: (graph names, their quads or N-Quads, as bytes or a binary file), each name at most once; each graph
        replaces the graph of that name, other graphs are kept unless ``replace_all``.  A
        batch's quads may also name other graphs, which are added to, not replaced (the
        reference graphs that several documents state alike).  N-Quads are loaded as
        pyoxigraph wrote them: their IRIs are not checked again.
    :param settle: called on the new database once everything is loaded, before it is swapped in.
    :param path: the store folder (default: :func:`default_store_path`).
    :param replacing: the names of the graphs ``batches`` will write, when known in
        advance: the new database then starts empty and only the graphs that are kept are
        copied over, instead of copying everything and deleting what is replaced (deleting
        a graph costs about as much as loading it).
    :raises StoreBusy: when another build holds the store.
    """
    folder = Path(path or default_store_path())
    with _next_database(folder) as (current, new):
        old = Store.read_only(str(current.resolve())) if current.exists() and not replace_all else None
        keep: list[NamedNode | BlankNode] = []
        if old is not None and replacing is not None:
            existing = list(old.named_graphs())
            keep = [g for g in existing if g.value not in replacing]
            if len(keep) >= len(existing) - len(keep):
                keep, replacing = [], None  # most graphs stay: copy them all, delete the few replaced
        if old is not None and replacing is None:
            old.backup(str(new))
        store = Store(str(new))
        try:
            graphs = []
            # Quads given as Python objects are bulk-loaded together at the end: each bulk load
            # writes its own files, which compacting then merges (next to nothing after one load).
            pending: list[Iterable[Quad]] = []
            with ThreadPoolExecutor(LOADS_AT_ONCE, thread_name_prefix="budgetkg-load") as loader:
                loading: deque[Future[None]] = deque()
                for names, quads in batches:
                    for graph in names:
                        if graph.value in graphs:
                            raise ValueError(f"the graph {graph.value} is given twice")
                        if replacing is None and store.contains_named_graph(graph):
                            store.remove_graph(graph)
                        graphs.append(graph.value)
                    if isinstance(quads, (bytes, io.IOBase)):
                        # Checking every IRI again would cost a quarter of the load (docs/benchmarks.md);
                        # pyoxigraph checked them when made.
                        loading.append(loader.submit(store.bulk_load, quads, format=RdfFormat.N_QUADS, lenient=True))
                        # The next batch is drawn once a load is done: documents mapped meanwhile join it.
                        while len(loading) >= LOADS_AT_ONCE:
                            loading.popleft().result()
                    else:
                        pending.append(cast(Iterable[Quad], quads))
                while loading:
                    loading.popleft().result()
            if old is not None:
                pending += [old.quads_for_pattern(None, None, None, g) for g in keep if g.value not in graphs]
            if pending:
                store.bulk_extend(chain.from_iterable(pending))
            if settle is not None:
                settle(store)
            store.flush()
            # Compacting once after several bulk loads makes later queries faster for little
            # build time (docs/benchmarks.md).
            store.optimize()
            count = len(store)
            every_graph = tuple(sorted(g.value for g in store.named_graphs()))
        finally:
            # Closed before the folder is swapped in, or removed after an error: an open
            # database writes on, and its folder would outlive the removal.
            del store, old
    return BuildResult(folder, every_graph, count)


def apply_update(
    update: str, *, path: Path | None = None, wait: float = 0.0, started: Callable[[str], None] | None = None
) -> None:
    """Apply a SPARQL Update atomically: on a copy of the live database, swapped in when done.

    Readers (the server's processes) see the old or the new database, never a mix.

    :param wait: how long to wait for a build or another update that holds the store (default: not at all).
    :param started: called with the name of the new database folder (``data-<n>``) once the store
        is held, before anything is written: a process that stops this one can then tell from
        ``current`` whether the update was swapped in.
    :raises SyntaxError: when the update is not valid SPARQL.
    :raises StoreBusy: when a build holds the store for longer than ``wait``.
    """
    folder = Path(path or default_store_path())
    if not (folder / "current").exists():
        raise StoreMissing(f"no budgetkg store at {folder}: run `budgetkg build` first")
    with _next_database(folder, wait) as (current, new):
        if started is not None:
            started(new.name)
        Store.read_only(str(current.resolve())).backup(str(new))
        store = Store(str(new))
        try:
            store.update(update)
            store.flush()
        finally:
            # Closed before the folder is swapped in, or removed after an error: an open
            # database writes on, and its folder would outlive the removal.
            del store
