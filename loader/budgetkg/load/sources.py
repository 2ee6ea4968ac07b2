"""The source files of a store's documents, kept beside the database, each named by its checksum.

Layout::

    STORE/sources/<sha256>      the bytes of a document as built (the checksum the graph records,
                                bkg:checksumSha256 of its bkg:SourceDocument)

So that a figure's page can show where it was printed (``/source/...``), a build keeps
each document's file here, and a build or ``budgetkg remove`` lets go of the files no
document of the new database records.  Both run while the build holds the store's lock,
just before the new database is swapped in (the ``settle`` step of
:func:`budgetkg.load.store.rebuild`).  A file is written beside its final name and renamed
into place, so a reader sees it whole or not at all; being named by its checksum, one
written again is the same.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import Store

from ..read.forms import read_source
from .documents import Source, source_name
from .store import solutions

__all__ = ["SOURCES", "recorded_checksums", "keep_sources", "source_path"]

SOURCES = "sources"

_CHECKSUMS = """
PREFIX bkg: <https://w3id.org/budgetkg/ontology#>
SELECT DISTINCT ?sum WHERE { GRAPH ?g { ?source a bkg:SourceDocument ; bkg:checksumSha256 ?sum } }
"""


def recorded_checksums(store: Store) -> set[str]:
    """The checksums of the source documents of every document graph in ``store``."""
    return {row["sum"].value for row in solutions(store, _CHECKSUMS)}


def _is_checksum(name: str) -> bool:
    return len(name) == 64 and all(c in "0123456789abcdef" for c in name)


def source_path(folder: Path, checksum: str) -> Path | None:
    """The kept file of the document with ``checksum`` in the store at ``folder``, None when
    there is none (or ``checksum`` is not a SHA-256 in lowercase hex: never a path a caller made)."""
    if not _is_checksum(checksum):
        return None
    path = folder / SOURCES / checksum
    return path if path.is_file() else None


def keep_sources(folder: Path, documents: Iterable[Source], store: Store) -> None:
    """Keep the files of ``documents`` that ``store`` (the new database) records, and remove
    every kept file it does not record any more.

    Each document is read again (bounded as a build reads it) and kept under the checksum
    of the bytes read: a file changed since it was mapped has another checksum, which the
    graph does not record, and is not kept.

    :param folder: the store folder.
    :param documents: the documents just built (none for a removal).
    :param store: the database about to be swapped in.
    """
    wanted = recorded_checksums(store)
    kept = folder / SOURCES
    kept.mkdir(exist_ok=True)
    for document in documents:
        data = read_source(document, source_name(document))
        checksum = hashlib.sha256(data).hexdigest()
        if checksum not in wanted or (kept / checksum).is_file():
            continue
        handle, part = tempfile.mkstemp(dir=kept, prefix=".part-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, kept / checksum)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    for path in kept.iterdir():
        # A part a killed build left, and a file no document records any more.
        if path.name.startswith(".part-") or (_is_checksum(path.name) and path.name not in wanted):
            path.unlink(missing_ok=True)
