"""Audience definitions in the store, checked whole against the workspace; previews and member lists.

`definitions.check_audience` checks the definition on its own; here it is checked against the workspace too: every
audience and computed trait it names must exist, and audiences must not refer to each other in a cycle.
"""

from typing import Any, ClassVar, Protocol

from services.common.clock import Clock, utc_now
from services.common.cursors import decode_cursor, encode_cursor
from services.common.errors import ValidationError
from services.common.store import Store
from services.segmentation.definition_store import BackfillQueue, Definitions, Kind, audience_references
from services.segmentation.definitions import Reference, check_audience, find_cycle, references

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
