"""The downloadable dumps of a store: written once per database, in a folder of their own.

A store's dumps are written when it changes, never while a client waits: ``budgetkg build``
writes them once the new database is swapped in (:func:`write_generation`), and a server
that finds a database without them (an update through the endpoint, a build with
``--no-dumps``, a store built by an earlier budgetkg) writes them in a background thread
meanwhile (:class:`budgetkg.server.dumps.DumpFolders`).  Each database's dumps are a folder
named after it, beside the store's own::

    STORE/dumps/data-<n>/           the dumps of STORE/data-<n>, with their SHA256SUMS
    STORE/dumps/lock                held by the one process writing dumps at a time

A folder is written under a temporary name and renamed when whole, so that a folder named
after a database is always complete; the dumps of a database are kept while the store keeps
it (the previous database too: a reader that looked up a dump just before a swap still
finds its file).
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import Store

from .export import atomic_file, export_file, write_export

__all__ = ["Dump", "DUMPS_FOLDER", "write_dumps", "listed", "write_generation", "generation_dumps"]

# The folder of the dumps in a store's folder.
DUMPS_FOLDER = "dumps"
# Each dump's SHA-256, written with the dumps (a catalogue states them; hashing the files at
# each request would read them all again).
CHECKSUMS = "SHA256SUMS"

# Each dump's media type and, for a compressed one, the compression's, by the file's suffixes.
_MEDIA: dict[str, tuple[str, str | None]] = {
    ".ttl": ("text/turtle", None),
    ".trig": ("application/trig", None),
    ".jsonld": ("application/ld+json", None),
    ".rdf": ("application/rdf+xml", None),
    ".nt.gz": ("application/n-triples", "application/gzip"),
    ".nq.gz": ("application/n-quads", "application/gzip"),
    ".json": ("application/json", None),
    ".csv": ("text/csv", None),
}
# The dumps in RDF (the others are the Fiscal Data Package's descriptor and tables).
_RDF = {".ttl", ".trig", ".jsonld", ".rdf", ".nt.gz", ".nq.gz"}


@dataclass(frozen=True)
class Dump:
    """A dump file offered for download."""

    name: str
    media_type: str
    path: Path
    size: int
    sha256: str
    compression: str | None = None  # the media type of its compression (application/gzip), if compressed

    @property
    def rdf(self) -> bool:
        """Whether it holds RDF (VoID's ``void:dataDump`` lists only those)."""
        return _suffix(self.name) in _RDF


def _suffix(name: str) -> str:
    return next((s for s in sorted(_MEDIA, key=len, reverse=True) if name.endswith(s)), "")


def write_dumps(store: Store, folder: Path) -> dict[str, Dump]:
    """Write the dumps of the store into ``folder``, streamed (a province's store does not fit in
    memory), with their checksums; the dumps by file name."""
    from .fdp import write_fdp

    for fmt, suffix in (("ttl", "ttl"), ("trig", "trig"), ("jsonld", "jsonld"), ("rdfxml", "rdf")):
        export_file(store, fmt, folder / f"budgetkg.{suffix}")
    for fmt in ("nt", "nq"):
        with atomic_file(folder / f"budgetkg.{fmt}.gz") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as gz:
            write_export(store, fmt, gz)  # type: ignore[arg-type]
    write_fdp(store, folder)
    sums = []
    for path in sorted(p for p in folder.iterdir() if p.name != CHECKSUMS):
        with open(path, "rb") as handle:
            sums.append(f"{hashlib.file_digest(handle, 'sha256').hexdigest()}  {path.name}\n")
    with atomic_file(folder / CHECKSUMS) as handle:
        handle.write("".join(sums).encode())
    return listed(folder)


def listed(folder: Path) -> dict[str, Dump]:
    """The dumps written into ``folder`` (by :func:`write_dumps`), by file name."""
    sums = {}
    for line in (folder / CHECKSUMS).read_text("utf-8").splitlines():
        digest, _, name = line.partition("  ")
        sums[name] = digest
    out = {}
    for name, digest in sorted(sums.items()):
        path = folder / name
        media, compression = _MEDIA[_suffix(name)]
        out[name] = Dump(name, media, path, path.stat().st_size, digest, compression)
    return out


def generation_dumps(folder: Path, database: str) -> dict[str, Dump] | None:
    """The dumps of the database named ``database`` (``data-<n>``) in ``folder``, or None when
    they have not been written (yet)."""
    done = folder / database
    return listed(done) if (done / CHECKSUMS).exists() else None


def write_generation(database: Path, folder: Path) -> dict[str, Dump]:
    """Write the dumps of the database at ``database`` (a store's ``data-<n>``) into
    ``folder/data-<n>``, unless they are there already; then remove the dumps of the databases
    the store no longer keeps.  One process writes at a time (a lock in ``folder``): another
    waits, and finds them written.

    :raises OSError: when the database cannot be opened or the dumps cannot be written (a full
        disk); nothing half-written is left under the database's name.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed, or the process ends
        # Under the lock no other process writes: a partial folder is a killed writer's.
        for partial in folder.glob("*.partial"):
            shutil.rmtree(partial, ignore_errors=True)
        found = generation_dumps(folder, database.name)
        if found is None:
            partial = Path(tempfile.mkdtemp(prefix=f"{database.name}-", suffix=".partial", dir=folder))
            try:
                write_dumps(Store.read_only(str(database)), partial)
                partial.rename(folder / database.name)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)
                raise
            found = listed(folder / database.name)
        for old in folder.glob("data-*"):
            if old.is_dir() and not (database.parent / old.name).exists():
                shutil.rmtree(old, ignore_errors=True)
    return found
