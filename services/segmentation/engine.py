"""The engine: audiences and computed traits over a whole workspace, pushed down to the store.

Backfill computes a definition's result with one aggregation (conditions.conditions_expr, computed.pipeline) and
writes only the *difference* to what `profile_state` holds, so readers always see the old result or the new one,
never an empty one in between. A change then flows on to the audiences that refer to what changed, in dependency
order (cycles are refused when definitions are saved).
"""

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.errors import BulkWriteError

from services.common.clock import Clock, utc_now
from services.common.store import Store, chunks
from services.segmentation import computed
from services.segmentation.conditions import (
    References,
    bounds,
    conditions_expr,
    event_kind_filter,
    event_match_expr,
    settled,
    sliding,
    crossing_accumulator,
    uses,
)
from services.segmentation.definitions import references

log = logging.getLogger(__name__)

type Progress = Callable[[float], Awaitable[None]]
_BULK = 500
_IDS = uuid.UUID("3d0c7a52-9f1b-4f7e-8b8e-6f2b1c9d4e70")


async def _no_progress(fraction: float) -> None:
    return None


_NONE = object()


def _unchanged(profile_id: str, versions: dict[str, int | None]) -> dict[str, Any]:
    """A filter matching the profile's state only while it is as it was read (absent then: absent or unversioned).

    Not `"version": None` for the absent case: an upsert copies the filter's equalities into the document it
    creates, and a `version: null` would then fail the workers' `$inc` of it, on every retry."""
    version = versions.get(profile_id)
    return {"_id": profile_id, "version": {"$exists": False} if version is None else version}


def _event_specs(conditions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for c in conditions:
        if "event" in c:
            specs.append(c["event"])
        elif "group" in c:
            specs += _event_specs(c["group"]["conditions"])
    return specs


def _windowed_trait(trait: dict[str, Any]) -> list[dict[str, Any]]:
    spec = {**(trait.get("event") or {}), "window": trait.get("window")}
    return [spec] if sliding(spec) else []


def _audience_names(conditions: list[dict[str, Any]]) -> set[str]:
    return {r.name for r in references(conditions) if r.kind == "audience"}


def _computed_names(conditions: list[dict[str, Any]]) -> set[str]:
    return {r.name for r in references(conditions) if r.kind == "computed_trait"}


def _tested(conditions: list[dict[str, Any]], refs: References, now: datetime, counts: dict[int, Any],
            also: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The stages that join what the conditions need and test them: `{_id, m}` per document (and `also`)."""
    stages: list[dict[str, Any]] = []
    if uses(conditions, "computed_trait") or uses(conditions, "audience"):
        stages.append({"$lookup": {"from": "profile_state", "localField": "_id", "foreignField": "_id",
                                   "as": "__state"}})
    return [*stages, {"$project": {"m": conditions_expr(conditions, refs, now, counts), **(also or {})}}]


def _counters(conditions: list[dict[str, Any]]) -> dict[int, str]:
    """The field that holds each event condition's count in the event pass, by `id` of its spec."""
    return {id(spec): f"__n{i}" for i, spec in enumerate(_event_specs(conditions))}


def event_pipeline(workspace: str, conditions: list[dict[str, Any]], refs: References, now: datetime,
                   crossings: bool = False) -> list[dict[str, Any]]:
    """Over `events`: one pass over the events the conditions can count, a count per event condition and profile
    (as one would write the audience by hand), then the test, for every profile with such events. A profile
    with none counts zero everywhere, which is what `profile_pipeline` tests it with. With `crossings`, the same
    pass also gives each profile's next window crossing (`next`, as `crossing_pipeline` does).
    (A `$lookup` of each profile's events instead costs profiles x events on the embedded store; grouping each
    profile's events into an array and filtering it per condition costs twice this.)"""
    specs = _event_specs(conditions)
    counters = _counters(conditions)
    group: dict[str, Any] = {"_id": "$profile_id", **{
        counters[id(spec)]: {"$sum": {"$cond": [event_match_expr("$$ROOT", spec, bounds(spec.get("window"), now)),
                                                1, 0]}} for spec in specs}}
    moving = [spec for spec in specs if sliding(spec)] if crossings else []
    next_crossing = _add_crossings(group, moving, now)
    stages: list[dict[str, Any]] = [
        {"$match": {"workspace": workspace, **({"$or": [event_kind_filter(spec) for spec in specs]} if specs else {})}},
        {"$group": group},
    ]
    if uses(conditions, "trait"):
        stages += [{"$lookup": {"from": "profiles", "localField": "_id", "foreignField": "_id", "as": "__profile"}},
                   {"$set": {"traits": {"$arrayElemAt": ["$__profile.traits", 0]}}}]
    # With the crossing, the counts that time cannot change: what `settled` needs to tell which crossings matter.
    also = {"next": next_crossing, **{counters[id(spec)]: 1 for spec in specs if not sliding(spec)}} if moving else None
    return stages + _tested(conditions, refs, now, {key: f"${name}" for key, name in counters.items()}, also)


def _add_crossings(group: dict[str, Any], moving: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """Adds to a `$group` stage the accumulators of each profile's next window crossing under the `moving` specs;
    returns the expression of that instant over the group's output (null when none is to come)."""
    for i, spec in enumerate(moving):
        group[f"__x{i}"] = crossing_accumulator(spec, now)
    return {"$min": [f"$__x{i}" for i in range(len(moving))]}


def crossing_pipeline(workspace: str, moving: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Over `events`: for each profile with an event that one of the `moving` specs' windows will still let in or
    out, the first such instant (`next`): what `evaluation.next_due` says of the profile, for these specs."""
    group: dict[str, Any] = {"_id": "$profile_id"}
    next_crossing = _add_crossings(group, moving, now)
    return [
        {"$match": {"workspace": workspace, "$or": [event_kind_filter(spec) for spec in moving]}},
        {"$group": group},
        {"$project": {"next": next_crossing}},
        {"$match": {"next": {"$ne": None}}},
    ]


def profile_pipeline(workspace: str, conditions: list[dict[str, Any]], refs: References,
                     now: datetime) -> list[dict[str, Any]]:
    """Over `profiles`: every live profile, tested as if it had no events."""
    return [{"$match": {"workspace": workspace, "merged_into": {"$exists": False}}},
            *_tested(conditions, refs, now, {id(spec): 0 for spec in _event_specs(conditions)})]


def admitted(profile_verdicts: dict[str, bool], event_verdicts: dict[str, bool]) -> set[str]:
    """Members from the two passes: every live profile (tested with no events), overridden by its verdict with
    its events where it has any. Events belong to live profiles only (a merge moves them), but the live set counts."""
    verdicts = dict(profile_verdicts)
    verdicts.update({p: m for p, m in event_verdicts.items() if p in verdicts})
    return {profile for profile, admit in verdicts.items() if admit}


class Engine:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def references(self, workspace: str) -> References:
        traits = {d["name"]: (d["_id"], computed.empty(d["kind"])) async for d in
                  self.store.computed_traits.find({"workspace": workspace}, {"name": 1, "kind": 1})}
        audiences = {d["name"]: d["_id"] async for d in
                     self.store.audiences.find({"workspace": workspace}, {"name": 1})}
        return References(computed_traits=traits, audiences=audiences)

    async def members_now(self, workspace: str, conditions: list[dict[str, Any]]) -> set[str]:
        """Every live profile of the workspace that `conditions` admit now, computed by the store."""
        return (await self._verdicts(workspace, conditions))[0]

    async def _verdicts(self, workspace: str, conditions: list[dict[str, Any]],
                        crossings: bool = False) -> tuple[set[str], dict[str, datetime]]:
        """`members_now`, and with `crossings` the next window crossing of every profile that has one."""
        refs, now = await self.references(workspace), self.clock()
        cursor = await self.store.profiles.aggregate(profile_pipeline(workspace, conditions, refs, now))
        without_events = {d["_id"]: d["m"] async for d in cursor}
        with_events: dict[str, bool] = {}
        next_crossings: dict[str, datetime] = {}
        if uses(conditions, "event"):
            spec_of = {name: key for key, name in _counters(conditions).items()}
            cursor = await self.store.events.aggregate(event_pipeline(workspace, conditions, refs, now, crossings))
            async for d in cursor:
                with_events[d["_id"]] = d["m"]
                # A crossing matters only where time can still change the verdict: the counts that cannot move
                # may settle it (a profile that ordered stays out of "viewed but never ordered" whatever the time).
                fixed = {spec_of[k]: v for k, v in d.items() if k in spec_of}
                if d.get("next") is not None and settled(conditions, fixed) is None:
                    next_crossings[d["_id"]] = d["next"]
        return admitted(without_events, with_events), next_crossings

    async def preview(self, workspace: str, audience: dict[str, Any], sample: int = 10) -> tuple[int, list[str]]:
        """How many profiles a (checked, unsaved) definition admits now, and a few of them."""
        members = sorted(await self.members_now(workspace, audience["conditions"]))
        return len(members), members[:sample]

    async def preview_trait(self, workspace: str, trait: dict[str, Any],
                            sample: int = 10) -> tuple[int, list[tuple[str, Any]]]:
        """How many profiles a (checked, unsaved) computed trait gives a value now, and the first few (profile id,
        value) in id order: the backfill's pipeline, counted and cut in the store. Values of profiles merged away
        meanwhile may be among them, as a backfill would see them."""
        pipeline = [*computed.pipeline(trait, workspace, self.clock()),
                    {"$facet": {"n": [{"$count": "n"}], "sample": [{"$sort": {"_id": 1}}, {"$limit": sample}]}}]
        [result] = await (await self.store.events.aggregate(pipeline)).to_list(None)
        # The embedded store counts an empty input as [{n: 0}], MongoDB as nothing at all.
        size = result["n"][0]["n"] if result["n"] else 0
        return size, [(d["_id"], d["value"]) for d in result["sample"]]

    async def members(self, workspace: str, audience_id: str, limit: int, after: str) -> tuple[list[str], str]:
        """A page of an audience's stored members in profile id order, after the id `after` (from the first when
        empty), and the last id served when more remain ("" at the end)."""
        query: dict[str, Any] = {"workspace": workspace, "audiences": audience_id}
        if after:
            query["_id"] = {"$gt": after}
        page = [d["_id"] async for d in
                self.store.profile_state.find(query, {"_id": 1}).sort("_id", 1).limit(limit + 1)]
        return page[:limit], (page[limit - 1] if len(page) > limit else "")

    async def backfill(self, workspace: str, kind: str, definition_id: str, progress: Progress = _no_progress) -> None:
        """Compute the definition over the whole workspace, store the difference, and carry it to dependents."""
        if kind == "audience":
            doc = await self.store.audiences.find_one({"_id": definition_id, "workspace": workspace})
            if doc is None:
                return
            await self._backfill_audience(workspace, doc, progress)
            await self._cascade(workspace, audiences={doc["name"]}, traits=set())
        else:
            doc = await self.store.computed_traits.find_one({"_id": definition_id, "workspace": workspace})
            if doc is None:
                return
            await self._backfill_trait(workspace, doc, progress)
            await self._cascade(workspace, audiences=set(), traits={doc["name"]})

    async def _backfill_audience(self, workspace: str, doc: dict[str, Any], progress: Progress) -> None:
        audience_id, started = doc["_id"], self.clock()
        # What is stored is read *before* the result is computed, and every write is conditional on the profile's
        # state version being unchanged: a worker's newer evaluation is never undone by this older one.
        versions, current = await self._states(workspace, lambda state: audience_id in state.get("audiences", []))
        wanted, crossings = await self._verdicts(workspace, doc["conditions"], crossings=True)
        await progress(0.5)
        entered, exited = wanted - set(current), set(current) - wanted
        ops = [UpdateOne(_unchanged(p, versions), {"$addToSet": {"audiences": audience_id},
                                                   "$set": {"workspace": workspace}}, upsert=True)
               for p in sorted(entered)]
        ops += [UpdateOne(_unchanged(p, versions), {"$pull": {"audiences": audience_id}}) for p in sorted(exited)]
        await self._write(ops, progress)
        _, now_in = await self._states(workspace, lambda state: audience_id in state.get("audiences", []),
                                       entered | exited)
        # What did not apply (a worker got there first) is evaluated again by the workers, as is every profile
        # that received an event while this ran; one whose membership a sliding window may change is scheduled.
        applied_in, applied_out = entered & set(now_in), exited - set(now_in)
        await self._log(workspace, doc, entered=applied_in, exited=applied_out)
        await self._requeue(workspace, started, (entered - applied_in) | (exited - applied_out), crossings)
        log.info("audience backfilled", extra={"workspace": workspace, "audience": doc["name"],
                                               "members": len(wanted), "entered": len(applied_in),
                                               "exited": len(applied_out)})

    async def _log(self, workspace: str, doc: dict[str, Any], entered: set[str], exited: set[str]) -> None:
        """Membership changes a (re)definition makes go to the log like any other, with the reason "definition".
        Ids derive from the definition's version, so a backfill run again writes the same entries."""
        now, version = self.clock(), doc.get("version", 0)
        ops = [UpdateOne(
            {"_id": str(uuid.uuid5(_IDS, f"{profile}\x00{doc['_id']}\x00v{version}\x00{change}"))},
            {"$setOnInsert": {"workspace": workspace, "profile_id": profile, "audience_id": doc["_id"],
                              "audience": doc["name"], "change": change, "at": now, "reason": "definition"}},
            upsert=True) for change, profiles in (("entered", entered), ("exited", exited)) for profile in sorted(profiles)]
        for start in range(0, len(ops), _BULK):
            await self.store.membership_log.bulk_write(ops[start:start + _BULK], ordered=False)

    async def _backfill_trait(self, workspace: str, doc: dict[str, Any], progress: Progress) -> None:
        trait_id, key, started = doc["_id"], f"computed.{doc['_id']}", self.clock()
        versions, current = await self._states(workspace, lambda state: trait_id in state.get("computed", {}))
        cursor = await self.store.events.aggregate(computed.pipeline(doc, workspace, self.clock()))
        wanted = {d["_id"]: d["value"] async for d in cursor if d["value"] != computed.empty(doc["kind"])}
        await progress(0.5)
        values = {p: s["computed"][trait_id] for p, s in current.items()}
        changed = {p for p, v in wanted.items() if p not in values or values[p] != v}
        dropped = values.keys() - wanted.keys()
        ops = [UpdateOne(_unchanged(p, versions), {"$set": {key: wanted[p], "workspace": workspace}}, upsert=True)
               for p in sorted(changed)]
        ops += [UpdateOne(_unchanged(p, versions), {"$unset": {key: ""}}) for p in sorted(dropped)]
        await self._write(ops, progress)
        _, after = await self._states(workspace, lambda state: True, changed | dropped)
        missed = {p for p in changed if after.get(p, {}).get("computed", {}).get(trait_id, _NONE) != wanted[p]}
        missed |= {p for p in dropped if trait_id in after.get(p, {}).get("computed", {})}
        await self._requeue(workspace, started, missed, await self._crossings(workspace, _windowed_trait(doc)))
        log.info("computed trait backfilled", extra={"workspace": workspace, "trait": doc["name"],
                                                     "profiles": len(wanted), "changed": len(ops) - len(missed)})

    async def _states(self, workspace: str, holds: Callable[[dict[str, Any]], bool],
                      only: set[str] | None = None) -> tuple[dict[str, int | None], dict[str, dict[str, Any]]]:
        """Every state's version, and the states for which `holds` (of `only` these profiles, when given)."""
        versions: dict[str, int | None] = {}
        found: dict[str, dict[str, Any]] = {}
        queries = [{"workspace": workspace, "_id": {"$in": chunk}} for chunk in chunks(sorted(only))] if only is not None \
            else [{"workspace": workspace}]
        for query in queries:
            async for state in self.store.profile_state.find(query, {"version": 1, "audiences": 1, "computed": 1}):
                versions[state["_id"]] = state.get("version")
                if holds(state):
                    found[state["_id"]] = state
        return versions, found

    async def _write(self, ops: list[UpdateOne], progress: Progress) -> None:
        for start in range(0, len(ops), _BULK):
            try:
                await self.store.profile_state.bulk_write(ops[start:start + _BULK], ordered=False)
            except BulkWriteError:
                pass  # an upsert that met a state created meanwhile: found and handed to the workers afterwards
            await progress(0.5 + 0.5 * min(1.0, (start + _BULK) / len(ops)))
        await progress(1.0)

    async def _crossings(self, workspace: str, moving: list[dict[str, Any]]) -> dict[str, datetime]:
        """Each profile's next window crossing under the `moving` specs (see crossing_pipeline)."""
        if not moving:
            return {}
        cursor = await self.store.events.aggregate(crossing_pipeline(workspace, moving, self.clock()))
        return {d["_id"]: d["next"] async for d in cursor}

    async def _requeue(self, workspace: str, started: datetime, profiles: set[str],
                       crossings: dict[str, datetime]) -> None:
        """Hand profiles to the workers: due now, `profiles` and every profile that received an event since
        `started`; due at its next window crossing (unless due sooner), every profile with an event a sliding
        window of the definition will still let in or out, so that it changes on time with no new data.

        Every mark bumps `seq`, so that a worker evaluating the profile with the definitions as they were before
        keeps the entry due instead of scheduling it by those."""
        now = self.clock()
        due = set(profiles)
        due |= {d["profile_id"] async for d in self.store.events.find(
            {"workspace": workspace, "received_at": {"$gte": started}}, {"profile_id": 1})}
        mark = {"$set": {"workspace": workspace, "due_at": now, "reason": "definition"}, "$inc": {"seq": 1}}
        ops = [UpdateOne({"_id": p}, mark, upsert=True) for p in sorted(due)]
        ops += [UpdateOne({"_id": p}, {"$min": {"due_at": at}, "$set": {"workspace": workspace},
                                       "$setOnInsert": {"reason": "time"}, "$inc": {"seq": 1}}, upsert=True)
                for p, at in sorted(crossings.items()) if p not in due]
        for start in range(0, len(ops), _BULK):
            await self.store.due.bulk_write(ops[start:start + _BULK], ordered=False)

    async def _cascade(self, workspace: str, audiences: set[str], traits: set[str]) -> None:
        """Re-backfill every audience that refers, directly or not, to the changed audiences or traits."""
        definitions = [d async for d in self.store.audiences.find({"workspace": workspace})]
        for doc in _dependents(definitions, audiences, traits):
            await self._backfill_audience(workspace, doc, _no_progress)

    async def forget(self, workspace: str, kind: str, definition_id: str) -> None:
        """Remove a deleted definition's results from every profile."""
        if kind == "audience":
            await self.store.profile_state.update_many(
                {"workspace": workspace, "audiences": definition_id}, {"$pull": {"audiences": definition_id}})
        else:
            key = f"computed.{definition_id}"
            await self.store.profile_state.update_many(
                {"workspace": workspace, key: {"$exists": True}}, {"$unset": {key: ""}})


def dependency_order(definitions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audiences ordered so that each comes after the audiences it refers to (cycles are refused on save; should a
    concurrent edit make one anyway, its members keep their given order)."""
    names = {d["name"] for d in definitions}
    ordered: list[dict[str, Any]] = []
    pending = list(definitions)
    while pending:
        done = {d["name"] for d in ordered}
        ready = [d for d in pending if not (_audience_names(d["conditions"]) & names) - done - {d["name"]}] or pending
        ordered += ready
        pending = [d for d in pending if d not in ready]
    return ordered


def _dependents(definitions: list[dict[str, Any]], audiences: set[str], traits: set[str]) -> list[dict[str, Any]]:
    """The audiences a change to `audiences`/`traits` reaches, directly or through other audiences, in dependency
    order."""
    affected: set[str] = set()
    grew = True
    while grew:
        grew = False
        for d in definitions:
            if d["name"] not in affected and (_audience_names(d["conditions"]) & (audiences | affected)
                                              or _computed_names(d["conditions"]) & traits):
                affected.add(d["name"])
                grew = True
    return [d for d in dependency_order(definitions) if d["name"] in affected]
