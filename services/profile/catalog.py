"""What a workspace has sent, for builders to offer: event names with their property paths, and trait paths.

Read from a bounded sample so that the cost stays flat as the workspace grows: the events that arrived last
(`CDP_PROFILE_CATALOG_EVENTS`, 10,000 by default; the `by_arrival` index serves the sort) and the first
`SAMPLED_PROFILES` live profiles in id order (ids are uuid5 hashes, so that is a sample unbiased by age, served by
the `by_workspace` index). Two aggregations, each grouping in the store: only names, paths and types come back,
never the documents. Paths go two levels deep (`product.price`), as far as a builder's picker is useful; deeper
ones can still be typed by hand.
"""

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.common.store import Store
# The event types a definition can name: what the catalog offers.
from services.segmentation.definitions import EVENT_TYPES

SAMPLED_PROFILES = 1_000
# What one answer lists at most: enough for a picker, bounded whatever the workspace sends.
MAX_EVENTS = 500
MAX_FIELDS = 200

# BSON type names (`$type`) in JSON's words.
_JSON_TYPES = {"double": "number", "int": "number", "long": "number", "decimal": "number", "string": "string",
               "bool": "boolean", "object": "object", "array": "array", "null": "null", "date": "string"}


@dataclass(frozen=True)
class CatalogField:
    path: str
    types: tuple[str, ...]


@dataclass(frozen=True)
class CatalogEvent:
    type: str
    name: str
    seen: int
    last_seen: datetime | None
    properties: list[CatalogField] = field(default_factory=list)


@dataclass(frozen=True)
class CatalogView:
    events: list[CatalogEvent]
    traits: list[CatalogField]
    events_read: int
    profiles_read: int


def _keys(source: str) -> dict[str, Any]:
    """An expression listing the paths of the object at `source` with their BSON types, one level below each key
    too: `[{k: "a", t: "object"}, {k: "a.b", t: "int"}, ...]`. Flat, so that grouping adds up scalars only."""
    def entry(path: Any, value: str) -> dict[str, Any]:
        return {"k": path, "t": {"$type": value}}

    # The key is bound by $let: the embedded store does not see $reduce's `this` inside a nested $map.
    below = {"$map": {"input": {"$objectToArray": "$$value_of"}, "as": "s",
                      "in": entry({"$concat": ["$$key", ".", "$$s.k"]}, "$$s.v")}}
    return {"$reduce": {
        "input": {"$objectToArray": {"$cond": [{"$eq": [{"$type": source}, "object"]}, source, {}]}},
        "initialValue": [],
        "in": {"$let": {"vars": {"key": "$$this.k", "value_of": "$$this.v"}, "in": {"$concatArrays": [
            "$$value", [entry("$$key", "$$value_of")],
            {"$cond": [{"$eq": [{"$type": "$$value_of"}, "object"]}, below, []]}]}}},
    }}


def _key_groups(extra_key: dict[str, Any]) -> list[dict[str, Any]]:
    """Stages from documents with `keys` (see `_keys`) to one document per (extra_key..., path) with its types."""
    return [{"$unwind": "$keys"},
            {"$group": {"_id": {**extra_key, "k": "$keys.k"}, "t": {"$addToSet": "$keys.t"}}},
            {"$limit": MAX_EVENTS * MAX_FIELDS}]


def fields(groups: Iterable[dict[str, Any]]) -> list[CatalogField]:
    """Paths and their JSON types from path groups (`{_id: {k}, t: [BSON types]}`), a path's groups merged."""
    found: dict[str, set[str]] = {}
    for group in groups:
        found.setdefault(group["_id"]["k"], set()).update(_JSON_TYPES.get(t, t) for t in group.get("t", []))
    return [CatalogField(path, tuple(sorted(types))) for path, types in sorted(found.items())][:MAX_FIELDS]


class Catalog:
    def __init__(self, store: Store, recent_events: int = 10_000) -> None:
        self.store = store
        self.recent_events = recent_events

    async def read(self, workspace: str) -> CatalogView:
        (events, traits_seen, events_read), (profile_traits, profiles_read) = await asyncio.gather(
            self._events(workspace), self._profile_traits(workspace))
        return CatalogView(events=events, traits=fields([*traits_seen, *profile_traits]),
                           events_read=events_read, profiles_read=profiles_read)

    async def _events(self, workspace: str) -> tuple[list[CatalogEvent], list[dict[str, Any]], int]:
        activity = {"type": {"$in": list(EVENT_TYPES)}}
        kind = {"type": "$type", "name": "$n"}
        pipeline: list[dict[str, Any]] = [
            {"$match": {"workspace": workspace}},
            {"$sort": {"received_at": -1}},
            {"$limit": self.recent_events},
            {"$project": {"type": 1, "timestamp": 1, "traits": 1, "properties": 1,
                          # A track call is named by `event`, a page or screen call by `name`, as the engine reads them.
                          "n": {"$cond": [{"$eq": ["$type", "track"]}, "$event", "$name"]}}},
            {"$facet": {
                "read": [{"$count": "n"}],
                "kinds": [{"$match": activity},
                          {"$group": {"_id": kind, "seen": {"$sum": 1}, "last": {"$max": "$timestamp"}}},
                          {"$sort": {"seen": -1}}, {"$limit": MAX_EVENTS}],
                "properties": [{"$match": activity}, {"$project": {"type": 1, "n": 1, "keys": _keys("$properties")}},
                               *_key_groups(kind)],
                "traits": [{"$match": {"type": "identify"}}, {"$project": {"keys": _keys("$traits")}},
                           *_key_groups({})],
            }},
        ]
        [result] = await (await self.store.events.aggregate(pipeline)).to_list(None)
        by_kind: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for group in result["properties"]:
            by_kind.setdefault((group["_id"]["type"], group["_id"].get("name") or ""), []).append(group)
        events = [CatalogEvent(type=k["_id"]["type"], name=k["_id"].get("name") or "", seen=k["seen"],
                               last_seen=k.get("last"),
                               properties=fields(by_kind.get((k["_id"]["type"], k["_id"].get("name") or ""), [])))
                  for k in result["kinds"]]
        events.sort(key=lambda e: (-e.seen, e.type, e.name))
        # The embedded store counts an empty input as [{n: 0}], MongoDB as nothing at all.
        read = result["read"][0]["n"] if result["read"] else 0
        return events, result["traits"], read

    async def _profile_traits(self, workspace: str) -> tuple[list[dict[str, Any]], int]:
        pipeline: list[dict[str, Any]] = [
            {"$match": {"workspace": workspace, "merged_into": {"$in": [None, ""]}}},
            {"$sort": {"_id": 1}},
            {"$limit": SAMPLED_PROFILES},
            {"$project": {"keys": _keys("$traits")}},
            {"$facet": {"read": [{"$count": "n"}], "traits": _key_groups({})}},
        ]
        [result] = await (await self.store.profiles.aggregate(pipeline)).to_list(None)
        return result["traits"], result["read"][0]["n"] if result["read"] else 0
