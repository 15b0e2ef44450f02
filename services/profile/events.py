"""A profile's events: paging through them with filters, and the first and last event of each action.

Events are read in `(timestamp, _id)` order, which the events index `by_profile_time_id` serves (timestamp is
when the event happened, corrected for the sender's clock; `_id` breaks ties between events of one millisecond).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from services.common.cursors import encode_cursor
from services.common.errors import ValidationError
from services.common.store import Store, chunks
from services.profile.paging import (
    TimePosition,
    from_millis,
    resume_scroll,
    resumed_size,
    time_page,
    to_millis,
)
from services.profile.profiles import Profiles, identifier_key

DEFAULT_SIZE = 10
SORTS = ("desc", "asc")

type Doc = dict[str, Any]


def action(doc: Doc) -> str:
    """What an event records, as the Profile API names and filters it: a track call's event name, else its type."""
    return (doc.get("event") or "") if doc.get("type") == "track" else (doc.get("type") or "")


def _of_actions(names: Sequence[str]) -> Doc:
    """The filter matching events whose `action` is one of `names` (mirrors `action`)."""
    return {"$or": [{"type": "track", "event": {"$in": list(names)}},
                    {"type": {"$in": [n for n in names if n != "track"]}}]}


# `action` as an aggregation expression, for grouping by it in the store.
_ACTION_EXPRESSION = {"$cond": [{"$eq": ["$type", "track"]}, "$event", "$type"]}


def _to_ms(instant: datetime | None) -> datetime | None:
    return from_millis(to_millis(instant)) if instant is not None else None


@dataclass(frozen=True)
class EventQuery:
    """Which events to list and in what order. Empty fields are unset: a resumed scroll takes them from its start."""

    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    sort: str = ""  # "desc" (the default) or "asc"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def check(self) -> "EventQuery":
        """The query if valid, its bounds cut to milliseconds (the store's precision, and the scroll id's)."""
        if self.sort not in ("", *SORTS):
            raise ValidationError(f"sort must be asc or desc, not {self.sort!r}")
        if self.start and self.end and self.start >= self.end:
            raise ValidationError("start must be before end")
        return replace(self, start=_to_ms(self.start), end=_to_ms(self.end))

    @property
    def descending(self) -> bool:
        return self.sort != "asc"

    def resumed_from(self, begun: "EventQuery") -> "EventQuery":
        """This page's query given the one the scroll began with: a field set here must be the same as there."""
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(begun, item.name)
            if mine and mine != theirs:
                raise ValidationError(f"{item.name} differs from the query the scrollId was issued for; "
                                      "start a new scroll to change it")
        return begun

    def conditions(self) -> list[Doc]:
        """Store filters for this query, beside the workspace and the profiles."""
        found: list[Doc] = []
        if self.start or self.end:
            found.append({"timestamp": {k: v for k, v in (("$gte", self.start), ("$lt", self.end)) if v}})
        if self.include:
            found.append(_of_actions(self.include))
        if self.exclude:
            found.append({"$nor": [_of_actions(self.exclude)]})
        return found

    def to_state(self) -> Doc:
        return {"start": to_millis(self.start) if self.start else None, "end": to_millis(self.end) if self.end else None,
                "sort": "desc" if self.descending else "asc", "include": list(self.include), "exclude": list(self.exclude)}

    @classmethod
    def from_state(cls, state: Any) -> "EventQuery":
        if not isinstance(state, dict):
            raise ValidationError("scrollId is damaged (it holds no query)")
        try:
            return cls(start=from_millis(state["start"]) if state.get("start") is not None else None,
                       end=from_millis(state["end"]) if state.get("end") is not None else None,
                       sort=str(state.get("sort", "")), include=tuple(map(str, state.get("include", ()))),
                       exclude=tuple(map(str, state.get("exclude", ())))).check()
        except TypeError:
            raise ValidationError("scrollId is damaged (its query is not one we issue)") from None


@dataclass(frozen=True)
class EventView:
    """One stored event, with the userId and email of the profile it belongs to."""

    id: str
    profile_id: str
    action: str
    timestamp: datetime
    received_at: datetime | None
    stored: Doc = field(repr=False)  # the event document as ingest stored it
    external_id: str = ""
    email: str = ""


class Events:
    def __init__(self, store: Store, profiles: Profiles) -> None:
        self.store = store
        self.profiles = profiles

    async def page(self, workspace: str, identifier: str, query: EventQuery, size: int,
                   scroll_id: str) -> tuple[list[EventView], str]:
        """A page of the events of every profile the identifier names, and the next page's scroll id ("" at the end)."""
        query = query.check()
        bound = identifier_key(identifier)
        after: TimePosition | None = None
        if (state := resume_scroll("events", scroll_id, bound)) is not None:
            query = query.resumed_from(EventQuery.from_state(state.get("query")))
            after = TimePosition.from_state(state.get("after"))
        size = resumed_size(size, state, DEFAULT_SIZE)
        owners = {doc["_id"]: doc for doc in await self.profiles.resolve(workspace, identifier)}
        docs, last = await time_page(
            self.store.events, [{"workspace": workspace, "profile_id": {"$in": sorted(owners)}}, *query.conditions()],
            "timestamp", query.descending, size, after)
        scroll = encode_cursor("events", {"profile": bound, "query": query.to_state(), "after": last.to_state(),
                                          "size": size}) if last else ""
        return [event_view(doc, owners[doc["profile_id"]]) for doc in docs], scroll

    async def firsts_and_lasts(self, workspace: str, profiles: Sequence[Doc]) -> dict[str, tuple[
            dict[str, EventView], dict[str, EventView]]]:
        """Per profile id: the first and the last event of each action, by action."""
        owners = {doc["_id"]: doc for doc in profiles}
        groups = await (await self.store.events.aggregate([
            {"$match": {"workspace": workspace, "profile_id": {"$in": sorted(owners)}}},
            {"$sort": {"timestamp": 1, "_id": 1}},
            {"$group": {"_id": {"profile": "$profile_id", "action": _ACTION_EXPRESSION},
                        "first": {"$first": "$_id"}, "last": {"$last": "$_id"}}},
        ])).to_list(None)
        wanted = sorted({g[end] for g in groups for end in ("first", "last")})
        stored: dict[str, Doc] = {}
        for chunk in chunks(wanted):
            stored.update({d["_id"]: d async for d in self.store.events.find(
                {"workspace": workspace, "_id": {"$in": chunk}})})
        found: dict[str, tuple[dict[str, EventView], dict[str, EventView]]] = {p: ({}, {}) for p in owners}
        for group in groups:
            profile_id, name = group["_id"]["profile"], group["_id"]["action"]
            for index, end in enumerate(("first", "last")):
                if group[end] in stored:  # an event moved to another profile by a merge meanwhile is gone here
                    found[profile_id][index][name] = event_view(stored[group[end]], owners[profile_id])
        return found


def event_view(doc: Doc, owner: Doc) -> EventView:
    emails = owner.get("emails") or [""]
    return EventView(id=doc["_id"], profile_id=owner["_id"], action=action(doc), timestamp=doc["timestamp"],
                     received_at=doc.get("received_at"), stored=doc, external_id=owner.get("user_id") or "",
                     email=emails[0])

