"""Names of audiences and computed traits by id, as the read models show them, cached for a few seconds.

Memberships and computed values are stored by definition id, so every read names them. Definitions are few and
renamed rarely, while reads are the hot path: a short cache saves two store reads of three or four per profile
read. A rename shows after at most `ttl` seconds (a reader sees the old name or the new one, never none); a
definition created meanwhile is looked up at once (an id not in the cache is always read). A deleted definition is
left out once its memberships are gone from the profile states, whatever the cache holds.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.common.store import Store

type MonotonicClock = Callable[[], float]

# Entries of every workspace together; past this, the cache starts over rather than grow without bound.
_MAX_ENTRIES = 100_000


class DefinitionNames:
    def __init__(self, store: Store, ttl: float, clock: MonotonicClock = time.monotonic) -> None:
        self.store = store
        self.ttl = ttl
        self.clock = clock
        # (collection, workspace, id) -> (expires at, name; None for an id no definition has).
        self._cache: dict[tuple[str, str, str], tuple[float, str | None]] = {}

    async def audiences(self, workspace: str, ids: Iterable[str]) -> dict[str, str]:
        return await self._names(self.store.audiences, workspace, ids)

    async def computed_traits(self, workspace: str, ids: Iterable[str]) -> dict[str, str]:
        return await self._names(self.store.computed_traits, workspace, ids)

    async def _names(self, collection: AsyncCollection[dict[str, Any]], workspace: str,
                     ids: Iterable[str]) -> dict[str, str]:
        """The names of those ids that name a definition."""
        now = self.clock()
        known: dict[str, str | None] = {}
        missing: list[str] = []
        for key in sorted(set(ids)):
            cached = self._cache.get((collection.name, workspace, key))
            if cached is not None and cached[0] > now:
                known[key] = cached[1]
            else:
                missing.append(key)
        if missing:
            found = {d["_id"]: d["name"] async for d in collection.find(
                {"workspace": workspace, "_id": {"$in": missing}}, {"name": 1})}
            if len(self._cache) + len(missing) > _MAX_ENTRIES:
                self._cache.clear()
            for key in missing:
                known[key] = found.get(key)
                self._cache[(collection.name, workspace, key)] = (now + self.ttl, known[key])
        return {key: name for key, name in known.items() if name is not None}
