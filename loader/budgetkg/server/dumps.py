"""The server's downloadable dumps: written once per database, kept while a reader may want them."""

from __future__ import annotations

import fcntl
import gzip
import os
import shutil
import sys
import tempfile
from pathlib import Path

from pyoxigraph import Store

from ..load.store import generations, open_store
from ..publish.export import export_file, write_export
from .database import StoreUnreadable
from .describe import Dump

__all__ = ["write_dumps", "DumpFolders"]

_MEDIA = {
    "ttl": "text/turtle",
    "trig": "application/trig",
    "jsonld": "application/ld+json",
    "rdf": "application/rdf+xml",
    "gz": "application/gzip",
    "json": "application/json",
    "csv": "text/csv",
}


def write_dumps(store: Store, folder: Path) -> dict[str, Dump]:
    """Write the dumps of the store into ``folder``, streamed (a province's store does not fit in memory)."""
    from ..publish.fdp import write_fdp

    for fmt, suffix in (("ttl", "ttl"), ("trig", "trig"), ("jsonld", "jsonld"), ("rdfxml", "rdf")):
        export_file(store, fmt, folder / f"budgetkg.{suffix}")
    _drop_if_not_xml(folder / "budgetkg.rdf")
    for fmt in ("nt", "nq"):
        with open(folder / f"budgetkg.{fmt}.gz", "wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as gz:
            write_export(store, fmt, gz)  # type: ignore[arg-type]
    write_fdp(store, folder)
    return _listed(folder)


def _drop_if_not_xml(path: Path) -> None:
    """Remove the RDF/XML dump ``path`` when a literal of the store holds a character XML cannot
    carry (pyoxigraph writes it as it is, and the file would not be XML): the catalogue then
    lists the other dumps, and the log says why this one is missing."""
    from .answers import xml_cannot_carry

    tail, code = b"", None
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            code = xml_cannot_carry(tail + chunk)
            if code is not None:
                break
            tail = chunk[-2:]  # a character of three bytes cut between two reads
    if code is None:
        return
    path.unlink()
    print(
        f"budgetkg: the RDF/XML dump is left out: a literal of the store holds U+{code:04X}, which XML cannot carry",
        file=sys.stderr,
        flush=True,
    )


def _listed(folder: Path) -> dict[str, Dump]:
    """The dumps written into ``folder``, by file name."""
    return {p.name: Dump(p.name, _MEDIA[p.suffix[1:]], p) for p in sorted(folder.iterdir())}


class DumpFolders:
    """The dumps of the live database of a store, each generation in a folder of its own.

    A build or an update swaps the store's ``current`` database; the next call writes the
    new dumps.  The previous generation is kept until the one after, as the store keeps its
    previous database: a request that looked up a dump just before a swap still finds its
    file when it opens it.

    Alone, a server process writes its dumps into temporary folders of its own.  With
    ``shared``, the server processes of one ``budgetkg serve`` share that folder: the first
    to need a generation writes it (named after the database, ``data-<n>``) while the others
    wait for it under a lock, and the folder is removed by the command that made it.  Not
    thread-safe: the server calls it under a lock.
    """

    def __init__(self, store_dir: Path, *, shared: Path | None = None) -> None:
        self.store_dir = store_dir
        self.shared = shared
        self._database: str | None = None
        self._dumps: dict[str, Dump] = {}
        self._folders: list[Path] = []  # oldest first; at most two (alone)

    def current(self) -> dict[str, Dump]:
        """The dumps of the live database, written first if this generation has none yet.

        :raises StoreUnreadable: when the live database cannot be opened just now (a rebuild
            is swapping it, or the store was removed): answered 503 like every other reader's.
        """
        database = os.path.realpath(self.store_dir / "current")
        if database != self._database:
            self._dumps = self._shared(database) if self.shared else self._alone()
            self._database = database
        return self._dumps

    def _alone(self) -> dict[str, Dump]:
        folder = Path(tempfile.mkdtemp(prefix="budgetkg-dumps-"))
        try:
            dumps = write_dumps(self._open(), folder)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._folders.append(folder)
        while len(self._folders) > 2:
            shutil.rmtree(self._folders.pop(0), ignore_errors=True)
        return dumps

    def _shared(self, database: str) -> dict[str, Dump]:
        assert self.shared is not None
        name = Path(database).name
        folder = self.shared / name
        with open(self.shared / "lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
            if not folder.exists():
                # Written beside, then renamed: a process stopped while writing leaves no
                # generation that looks whole (what it leaves goes with the shared folder).
                partial = Path(tempfile.mkdtemp(prefix=f"{name}-", suffix=".partial", dir=self.shared))
                write_dumps(self._open(), partial)
                partial.rename(folder)
                for old in generations(self.shared)[:-2]:
                    shutil.rmtree(old, ignore_errors=True)
        return _listed(folder)

    def _open(self) -> Store:
        # Only the opening is the store's state: an OSError while writing (a full disk) is
        # the server's own failure, and stays a 500.
        try:
            return open_store(self.store_dir)
        except OSError as exc:
            raise StoreUnreadable(str(exc)) from exc

    def remove(self) -> None:
        """Delete every generation this process wrote alone (the server is stopping)."""
        for folder in self._folders:
            shutil.rmtree(folder, ignore_errors=True)
        self._folders.clear()
        self._dumps, self._database = {}, None
