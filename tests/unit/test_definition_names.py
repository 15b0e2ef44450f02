"""The profile service's cache of definition names, with a fake collection and a clock the test moves."""

from collections.abc import AsyncIterator
from typing import Any, cast

from services.common.store import Store
from services.profile.names import DefinitionNames


class Collection:
    """Answers `find({"workspace", "_id": {"$in": ids}})` from a dict, counting the reads."""

    def __init__(self, name: str, docs: dict[str, str]) -> None:
        self.name, self.docs, self.reads = name, docs, 0

    def find(self, query: dict[str, Any], projection: dict[str, int]) -> AsyncIterator[dict[str, str]]:
        self.reads += 1
        wanted = query["_id"]["$in"]

        async def found() -> AsyncIterator[dict[str, str]]:
            for key in wanted:
                if key in self.docs:
                    yield {"_id": key, "name": self.docs[key]}

        return found()


class FakeStore:
    def __init__(self) -> None:
        self.audiences = Collection("audiences", {"a1": "buyers", "a2": "pros"})
        self.computed_traits = Collection("computed_traits", {"t1": "orders"})


class Clock:
    now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_names_are_cached_for_the_ttl_and_new_ids_read_at_once() -> None:
    store, clock = FakeStore(), Clock()
    names = DefinitionNames(cast(Store, store), ttl=5, clock=clock)
    assert await names.audiences("w", ["a1", "a2", "gone"]) == {"a1": "buyers", "a2": "pros"}
    store.audiences.docs["a1"] = "renamed"
    assert await names.audiences("w", ["a1", "gone"]) == {"a1": "buyers"}  # from the cache, unknown ids included
    assert store.audiences.reads == 1
    store.audiences.docs["a3"] = "new"
    assert await names.audiences("w", ["a1", "a3"]) == {"a1": "buyers", "a3": "new"}  # only a3 is read
    assert store.audiences.reads == 2
    clock.now += 5
    assert await names.audiences("w", ["a1"]) == {"a1": "renamed"}  # the rename shows once the entry expires
    assert await names.computed_traits("w", ["t1", "a1"]) == {"t1": "orders"}  # collections do not mix
    assert await names.audiences("w", []) == {} and store.audiences.reads == 3


async def test_workspaces_do_not_share_entries() -> None:
    store = FakeStore()
    names = DefinitionNames(cast(Store, store), ttl=60)
    await names.audiences("w1", ["a1"])
    await names.audiences("w2", ["a1"])
    assert store.audiences.reads == 2
