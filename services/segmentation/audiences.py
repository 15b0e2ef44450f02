"""Audience definitions in the store, checked whole against the workspace; previews and member lists.

`definitions.check_audience` checks the definition on its own; here it is checked against the workspace too: every
audience and computed trait it names must exist, and audiences must not refer to each other in a cycle.
"""

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

from services.common.clock import Clock, utc_now
from services.common.cursors import decode_cursor, encode_cursor
from services.common.errors import ValidationError
from services.common.store import Store, chunks
from services.segmentation.definition_store import BackfillQueue, Definitions, Kind, audience_references, public
from services.segmentation.definitions import Reference, check_audience, find_cycle, references
from services.segmentation.sizes import DEFAULT_BUCKET, DEFAULT_BUCKETS, Change, SizePoint, period, sizes

MAX_MEMBERS_PAGE = 1000
DEFAULT_MEMBERS_PAGE = 100
PREVIEW_SAMPLE = 10


class AudienceEngine(Protocol):
    """What audiences need of the evaluation engine (engine.Engine)."""

    async def preview(self, workspace: str, audience: dict[str, Any], sample: int = 10) -> tuple[int, list[str]]: ...

    async def members(self, workspace: str, audience_id: str, limit: int, after: str) -> tuple[list[str], str]: ...


class Audiences(Definitions):
    kind: ClassVar[Kind] = "audience"
    label: ClassVar[str] = "audience"

    def __init__(self, store: Store, backfills: BackfillQueue, engine: AudienceEngine, clock: Clock = utc_now) -> None:
        super().__init__(store, backfills, clock)
        self.engine = engine

    async def checked(self, workspace: str, definition: dict[str, Any], own_id: str | None) -> dict[str, Any]:
        return await self._checked(workspace, check_audience(definition), own_id)

    async def preview(self, workspace: str, definition: dict[str, Any]) -> tuple[int, list[str]]:
        """How many profiles an unsaved definition matches now, and some of their ids. A draft needs no name."""
        fields = await self._checked(workspace, check_audience(definition, require_name=False), None)
        return await self.engine.preview(workspace, fields, PREVIEW_SAMPLE)

    async def members(self, workspace: str, audience_id: str, limit: int, cursor: str) -> tuple[list[str], str]:
        """One page of the audience's member ids and the cursor of the next ("" after the last). A cursor names
        the last id served and the audience it pages, so one of another audience is refused, not misread."""
        limit = limit or DEFAULT_MEMBERS_PAGE
        if not 1 <= limit <= MAX_MEMBERS_PAGE:
            raise ValidationError(f"limit: must be 1 to {MAX_MEMBERS_PAGE}, not {limit}")
        after = ""
        if cursor:
            state = decode_cursor("members", cursor, "cursor")
            if state.get("audience") != audience_id:
                raise ValidationError("cursor was issued for another audience")
            if not isinstance(after := state.get("after"), str) or not after:
                raise ValidationError("cursor is damaged (it holds no position)")
        await self._find(workspace, audience_id)
        ids, last = await self.engine.members(workspace, audience_id, limit, after)
        return ids, encode_cursor("members", {"audience": audience_id, "after": last}) if last else ""

    async def shown(self, workspace: str, doc: dict[str, Any]) -> dict[str, Any]:
        """An audience as read, with its size: its stored members, counted on the `by_audience` index."""
        return {**public(doc), "size": await self._size(workspace, doc["_id"])}

    async def _size(self, workspace: str, audience_id: str, among: Sequence[str] | None = None) -> int:
        query: dict[str, Any] = {"workspace": workspace, "audiences": audience_id}
        if among is None:
            return await self.store.profile_state.count_documents(query)
        return sum([await self.store.profile_state.count_documents({**query, "_id": {"$in": chunk}})
                    for chunk in chunks(among)])

    async def size_history(self, workspace: str, audience_id: str, bucket: str,
                           buckets: int) -> Sequence[SizePoint]:
        """The audience's size at the end of each of the last `buckets` hours or days (see sizes.py)."""
        start, ends = period(self.clock(), bucket or DEFAULT_BUCKET, buckets or DEFAULT_BUCKETS)
        await self._find(workspace, audience_id)
        changes = [Change(d["profile_id"], d["at"], d["change"] == "entered")
                   async for d in self.store.membership_log.find(
                       {"workspace": workspace, "audience_id": audience_id, "at": {"$gt": start, "$lte": ends[-1]}},
                       {"profile_id": 1, "at": 1, "change": 1}).sort([("at", 1), ("_id", 1)])]
        changed = sorted({c.profile_id for c in changes})
        size_now = await self._size(workspace, audience_id)
        return sizes(changes, ends, size_now, await self._size(workspace, audience_id, changed) if changed else 0)

    async def _checked(self, workspace: str, checked: dict[str, Any], own_id: str | None) -> dict[str, Any]:
        fields = {"name": checked["name"], "description": checked.get("description", ""),
                  "conditions": checked["conditions"]}
        await self._check_references(workspace, fields["name"], references(fields["conditions"]), own_id)
        return fields

    async def _check_references(self, workspace: str, name: str, refs: list[Reference], own_id: str | None) -> None:
        others = await audience_references(self.store, workspace, excluding=own_id)
        computed = {r.name for r in refs if r.kind == "computed_trait"}
        existing = {
            doc["name"]
            async for doc in self.store.computed_traits.find(
                {"workspace": workspace, "name": {"$in": sorted(computed)}}, {"name": 1})
        }
        for ref in refs:
            known = others if ref.kind == "audience" else existing
            if ref.name not in known:
                raise ValidationError(f"{ref.path}: no {ref.kind.replace('_', ' ')} named {ref.name!r}")
        graph = {other: [r.name for r in found if r.kind == "audience"] for other, found in others.items()}
        graph[name] = [r.name for r in refs if r.kind == "audience"]
        for ref in refs:
            cycle = find_cycle(graph, ref.name) if ref.kind == "audience" else None
            if cycle:
                raise ValidationError(f"{ref.path}: audiences would refer to each other in a cycle: "
                                      f"{' -> '.join(_from(name, cycle))}")


def _from(name: str, cycle: list[str]) -> list[str]:
    """The cycle told from `name` when it passes through it (a -> b -> a rather than b -> a -> b)."""
    if name not in cycle[:-1]:
        return cycle
    at = cycle.index(name)
    return [*cycle[at:-1], *cycle[:at], name]
