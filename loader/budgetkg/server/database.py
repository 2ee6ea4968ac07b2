"""The store's live database, as one server process reads it: for its queries and its resource pages."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pyoxigraph import Store

from ..load.store import LiveStore

__all__ = ["Database", "FOLLOW_SECONDS", "StoreUnreadable"]

# How often an idle server looks whether a rebuild swapped the database.
FOLLOW_SECONDS = 1.0


class StoreUnreadable(OSError):
    """The live database cannot be opened just now: a rebuild is swapping it, or the store was removed.

    Every request that reads the store answers it the same way (503, try again), whichever
    handler asked: the server maps this one exception, not each handler its own OSError.
    """


class Database:
    """The live database of a store (on disk, or a copy in memory: see
    :func:`budgetkg.load.store.open_store`), opened again when a rebuild swaps it."""

    def __init__(self, store_dir: Path, *, in_memory: bool | None = False) -> None:
        self._live = LiveStore(store_dir, in_memory=in_memory)
        self._opening = asyncio.Lock()

    async def store(self) -> Store:
        """The live database; when a rebuild has moved it, opened again in a thread, since a
        copy into memory takes seconds that the event loop must spend serving others.

        :raises StoreUnreadable: when it cannot be opened just now.
        """
        try:
            store = self._live.if_current()
            if store is not None:
                return store
            async with self._opening:
                while (store := self._live.if_current()) is None:
                    await asyncio.to_thread(self._open)
                return store
        except OSError as exc:
            raise StoreUnreadable(str(exc)) from exc

    def _open(self) -> None:
        # Returns nothing: a future whose result is the store kept it (and the files of its
        # database) alive after the next swap.
        self._live.get()

    async def follow(self) -> None:
        """Take up a rebuild now, so that the next request does not wait for the new database.

        Opening the new database lets go of the old one, whose files (and disk space) a later
        build deletes.  When the new one cannot be opened just now (the store is in the middle
        of a swap, or was removed), the old one is let go of all the same, and the next call
        tries again.
        """
        try:
            await self.store()
        except Exception:  # only a moved database is opened: the one held is not current
            self._live.let_go()
