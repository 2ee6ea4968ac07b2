"""The server's downloadable dumps: those `budgetkg build` wrote, or written in the background.

The dumps of a database are written once, when the store changes (see
:mod:`budgetkg.publish.dumps`), never while a request waits: a request that finds the live
database without dumps is answered at once (the catalogue and VoID without them, a dump
503 with ``Retry-After``), and a background thread of this process writes them meanwhile.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

from ..load.store import StoreMissing
from ..publish.dumps import DUMPS_FOLDER, Dump, generation_dumps, write_generation
from .database import StoreUnreadable

__all__ = ["DumpFolders"]


class DumpFolders:
    """The dumps of the live database of a store, written in the background when missing.

    They are looked for in the store's ``dumps`` folder, where ``budgetkg build`` writes them,
    then in ``shared`` (the folder the server processes of one ``budgetkg serve`` share), or
    this process's own temporary folder when alone.  Missing, they are written into the store's
    folder when this process may write there, else into the other.
    """

    def __init__(self, store_dir: Path, *, shared: Path | None = None) -> None:
        self.store_dir = store_dir
        self.shared = shared
        self._own: Path | None = None  # this process's folder, when alone and the store's is read-only
        self._found: tuple[str, dict[str, Dump]] | None = None  # (database, its dumps)
        self._writing: threading.Thread | None = None  # the thread writing the dumps, while it runs
        self._failed: set[str] = set()  # databases whose dumps could not be written (not tried again)
        self._lock = threading.Lock()

    def _folders(self) -> list[Path]:
        folders = [self.store_dir / DUMPS_FOLDER]
        if self.shared is not None:
            folders.append(self.shared)
        elif self._own is not None:
            folders.append(self._own)
        return folders

    def current(self) -> dict[str, Dump] | None:
        """The dumps of the live database, or None while they are being written (a background
        thread is started to write them when none is).

        :raises StoreUnreadable: when the live database cannot be found just now (a rebuild is
            swapping it, or the store was removed): answered 503 like every other reader's.
        """
        try:
            database = os.readlink(self.store_dir / "current")
        except OSError as exc:
            raise StoreUnreadable(str(exc)) from exc
        found = self._found
        if found is not None and found[0] == database:
            return found[1]
        for folder in self._folders():
            dumps = generation_dumps(folder, Path(database).name)
            if dumps is not None:
                self._found = (database, dumps)
                return dumps
        with self._lock:
            if self._writing is None and database not in self._failed:
                # A daemon: a server stopping does not wait for it (a writer killed leaves a
                # partial folder, which the next one removes).
                self._writing = threading.Thread(
                    target=self._write, args=(database,), name="budgetkg-dumps", daemon=True
                )
                self._writing.start()
        return None

    def failed(self) -> bool:
        """Whether writing the live database's dumps failed (the log says why)."""
        try:
            return os.readlink(self.store_dir / "current") in self._failed
        except OSError:
            return False

    def _target(self) -> Path:
        store_folder = self.store_dir / DUMPS_FOLDER
        if os.access(self.store_dir, os.W_OK) and (not store_folder.exists() or os.access(store_folder, os.W_OK)):
            return store_folder
        if self.shared is not None:
            return self.shared
        if self._own is None:
            self._own = Path(tempfile.mkdtemp(prefix="budgetkg-dumps-"))
        return self._own

    def _write(self, database: str) -> None:
        try:
            write_generation(self.store_dir / database, self._target())
        except (OSError, StoreMissing) as exc:  # a full disk, a read-only folder, the database gone
            self._failed.add(database)
            print(f"budgetkg: the dumps of {database} could not be written: {exc}", file=sys.stderr, flush=True)
        except BaseException as exc:
            self._failed.add(database)
            print(f"budgetkg: writing the dumps of {database} failed: {exc!r}", file=sys.stderr, flush=True)
        finally:
            with self._lock:
                self._writing = None

    def wait(self, timeout: float) -> dict[str, Dump] | None:
        """The dumps of the live database once written, waiting at most ``timeout`` seconds for
        the thread writing them (for tests and scripts; the server never waits)."""
        found = self.current()
        thread = self._writing
        if found is None and thread is not None:
            thread.join(timeout)
            found = self.current()
        return found

    def remove(self) -> None:
        """Delete the folder this process wrote dumps into alone (the server is stopping)."""
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)
            self._own = None
        self._found = None
