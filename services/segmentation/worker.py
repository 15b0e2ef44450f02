"""The due-queue worker: claim due profiles, evaluate them in memory, write what changed, schedule the next look.

The `due` collection holds one document per profile with work pending: ingest sets `due_at` to now (and bumps
`seq`); a worker claims a batch of the earliest with a lease, evaluates them, writes their state and membership
changes, then either schedules each profile's next window crossing or deletes its entry, both *only if `seq` is
unchanged*: an event that arrived meanwhile keeps the profile due. A worker that dies mid-batch loses nothing:
its leases run out and another worker takes the profiles.

A batch costs a fixed number of store round trips whatever its size (claim: find + bulk + find; read: profiles,
events, states; write: log, states, due), which is what lets the queue keep up under load.

Membership log entries have ids derived from the profile's state version, so a retry after a crash between the
log write and the state write writes the same entries again, not new ones.
"""

import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter, Gauge
from pymongo import DeleteOne, UpdateOne
from pymongo.errors import ConnectionFailure

from services.common.clock import Clock, utc_now
from services.common.store import Store, chunks
from services.segmentation.evaluation import Definitions, Outcome, evaluate_profile

log = logging.getLogger(__name__)
_IDS = uuid.UUID("0b9f6c1e-7d55-4f0e-9a1e-5a4c2f6d8e31")
_RELEASE = {"$unset": {"lease_until": "", "lease_owner": ""}}
_NONE = object()

EVALUATIONS = Counter("cdp_profile_evaluations_total", "Profiles evaluated and their changes written, by why: "
                      "event (new data), time (a window crossing), definition (handed over by a backfill), "
                      "reconcile (the reconciliation sweep)", ["reason"])
_REASONS = {reason: EVALUATIONS.labels(reason) for reason in ("event", "time", "definition", "reconcile")}
EVALUATION_FAILURES = Counter("cdp_profile_evaluation_failures_total", "Profiles whose evaluation or write failed "
                              "(left leased, retried when the lease runs out)")
DUE_DEPTH = Gauge("cdp_due_queue_depth", "Profiles due for evaluation now (waiting or being evaluated), in every "
                  "workspace; measured every few seconds by each segmentation replica")
DUE_OLDEST_AGE = Gauge("cdp_due_queue_oldest_age_seconds", "How long the longest-waiting due profile has been due "
                       "(0 when none is): how far the workers are behind")
DUE_MEASURED = Gauge("cdp_due_queue_measured_timestamp_seconds", "When the due queue was last measured (Unix time): "
                     "the two gauges above are as old as this")


@dataclass
class Claim:
    profile_id: str
    workspace: str
    seq: int
    reason: str


def _lease_free(now: datetime) -> dict[str, Any]:
    return {"$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]}


class DueWorker:
    def __init__(self, store: Store, owner: str, clock: Clock = utc_now, batch: int = 25,
                 lease: timedelta = timedelta(seconds=30)) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self.evaluated = 0

    async def run_once(self) -> int:
        """Claim up to `batch` due profiles and evaluate them; returns how many."""
        claims = await self.claim()
        by_workspace: dict[str, list[Claim]] = defaultdict(list)
        for claim in claims:
            by_workspace[claim.workspace].append(claim)
        for workspace, mine in by_workspace.items():
            await self._evaluate_isolated(mine, await self.definitions(workspace))
        self.evaluated += len(claims)
        return len(claims)

    async def _evaluate_isolated(self, claims: list[Claim], defs: Definitions) -> None:
        """`evaluate_many`, one profile at a time if the batch fails: a profile whose evaluation or write fails
        (damaged data) keeps its lease and is retried when it runs out, but never holds back the rest of its
        batch. A lost store is not a profile's fault: it is raised at once, and every lease runs out alike."""
        try:
            await self.evaluate_many(claims, defs)
            return
        except ConnectionFailure:
            raise
        except Exception:
            if len(claims) == 1:
                EVALUATION_FAILURES.inc()
                log.exception("evaluation failed", extra={"profile": claims[0].profile_id})
                return
            log.warning("batch failed; evaluating its profiles one by one", exc_info=True)
        for claim in claims:
            try:
                await self.evaluate_many([claim], defs)
            except ConnectionFailure:
                raise
            except Exception:
                EVALUATION_FAILURES.inc()
                log.exception("evaluation failed", extra={"profile": claim.profile_id})

    async def claim(self) -> list[Claim]:
        """Lease the earliest due profiles. Each lease is conditional on the entry being unchanged since it was
        read, so of several replicas claiming at once, each profile goes to exactly one."""
        now = self.clock()
        until = now + self.lease
        candidates = await self.store.due.find({"due_at": {"$lte": now}, **_lease_free(now)}).sort(
            "due_at", 1).limit(self.batch).to_list(None)
        if not candidates:
            return []
        await self.store.due.bulk_write([UpdateOne(
            {"_id": c["_id"], "seq": c.get("seq", 0), **_lease_free(now)},
            {"$set": {"lease_until": until, "lease_owner": self.owner}}) for c in candidates], ordered=False)
        ids = [c["_id"] for c in candidates]
        won = await self.store.due.find({"_id": {"$in": ids}, "lease_owner": self.owner, "lease_until": until}
                                        ).to_list(None)
        return [Claim(d["_id"], d["workspace"], d.get("seq", 0), d.get("reason", "event")) for d in won]

    async def definitions(self, workspace: str) -> Definitions:
        traits = [d async for d in self.store.computed_traits.find({"workspace": workspace})]
        audiences = [d async for d in self.store.audiences.find({"workspace": workspace})]
        return Definitions.of(traits, audiences)

    async def evaluate(self, claim: Claim, defs: Definitions, reschedule: bool = True) -> Outcome:
        """Evaluate one profile (see evaluate_many)."""
        return (await self.evaluate_many([claim], defs, reschedule))[claim.profile_id]

    async def evaluate_many(self, claims: list[Claim], defs: Definitions, reschedule: bool = True
                            ) -> dict[str, Outcome]:
        """Evaluate profiles of one workspace now, write the differences, and reschedule or retire their entries."""
        now, started = self.clock(), time.time()
        workspace = claims[0].workspace
        ids = [c.profile_id for c in claims]
        profiles, events, states = await self._read(workspace, ids)
        outcomes: dict[str, Outcome] = {}
        for claim in claims:
            profile = profiles.get(claim.profile_id)
            # A merged-away or unknown profile is in no audience and has no computed traits.
            live = profile is not None and not profile.get("merged_into")
            outcomes[claim.profile_id] = (evaluate_profile(defs, events[claim.profile_id], profile.get("traits", {}),
                                                           now) if live and profile else Outcome())
        await self._write(claims, defs, outcomes, states, now)
        if reschedule:
            await self._reschedule(claims, outcomes)
        for claim in claims:
            (_REASONS.get(claim.reason) or EVALUATIONS.labels("other")).inc()
        # Wall-clock bounds, so that the evaluations of several replicas can be checked never to overlap.
        for claim in claims:
            log.debug("evaluated", extra={"event": "evaluated", "profile": claim.profile_id, "owner": self.owner,
                                          "started": started, "finished": time.time(), "reason": claim.reason})
        return outcomes

    async def measure_queue(self) -> None:
        """Refresh the due-queue gauges: a count and a find of the earliest, both on the `due_at` index."""
        now = self.clock()
        due_now = {"due_at": {"$lte": now}}
        depth = await self.store.due.count_documents(due_now)
        oldest = await self.store.due.find_one(due_now, {"due_at": 1}, sort=[("due_at", 1)])
        DUE_DEPTH.set(depth)
        DUE_OLDEST_AGE.set((now - oldest["due_at"]).total_seconds() if oldest else 0)
        DUE_MEASURED.set(now.timestamp())

    async def _read(self, workspace: str, ids: list[str]) -> tuple[dict[str, Any], dict[str, list[Any]], dict[str, Any]]:
        profiles: dict[str, Any] = {}
        events: dict[str, list[Any]] = defaultdict(list)
        states: dict[str, Any] = {}
        for chunk in chunks(ids):
            profiles.update({d["_id"]: d async for d in self.store.profiles.find(
                {"_id": {"$in": chunk}, "workspace": workspace})})
            async for event in self.store.events.find({"workspace": workspace, "profile_id": {"$in": chunk}}):
                events[event["profile_id"]].append(event)
            states.update({d["_id"]: d async for d in self.store.profile_state.find({"_id": {"$in": chunk}})})
        return profiles, events, states

    async def stored(self, profile_id: str) -> tuple[set[str], dict[str, Any]]:
        """What profile_state holds for a profile: its audiences and computed values."""
        state = await self.store.profile_state.find_one({"_id": profile_id}) or {}
        return set(state.get("audiences", [])), state.get("computed", {})

    async def _write(self, claims: list[Claim], defs: Definitions, outcomes: dict[str, Outcome],
                     states: dict[str, Any], now: datetime) -> None:
        """Write each profile's changes as per-definition edits, for the definitions this worker read: a definition
        created since (and backfilled meanwhile) is left as its backfill wrote it, never undone by a stale view."""
        names = {a["_id"]: a["name"] for a in defs.audiences}
        traits = {t["_id"] for t in defs.traits}
        log_ops: list[UpdateOne] = []
        state_ops: list[UpdateOne] = []
        for claim in claims:
            outcome, state = outcomes[claim.profile_id], states.get(claim.profile_id, {})
            before = set(state.get("audiences", [])) & names.keys()
            computed_before = {k: v for k, v in state.get("computed", {}).items() if k in traits}
            entered, exited = sorted(outcome.audiences - before), sorted(before - outcome.audiences)
            changed = {f"computed.{k}": v for k, v in outcome.computed.items() if computed_before.get(k, _NONE) != v}
            removed = {f"computed.{k}": "" for k in computed_before.keys() - outcome.computed.keys()}
            # Every evaluated profile keeps a state document (even an empty one): the reconciliation sweep walks them.
            # An unchanged one is not written at all: most evaluations change nothing, and writes are the cost.
            if state and not (entered or exited or changed or removed):
                continue
            version = (state.get("version") or 0) + 1
            log_ops += [UpdateOne(
                {"_id": str(uuid.uuid5(_IDS, f"{claim.profile_id}\x00{version}\x00{audience}\x00{change}"))},
                {"$setOnInsert": {"workspace": claim.workspace, "profile_id": claim.profile_id,
                                  "audience_id": audience, "audience": names[audience], "change": change,
                                  "at": now, "reason": claim.reason}},
                upsert=True) for change, audiences in (("entered", entered), ("exited", exited)) for audience in audiences]
            update: dict[str, Any] = {"$set": {"workspace": claim.workspace, "evaluated_at": now, **changed},
                                      "$inc": {"version": 1}, "$addToSet": {"audiences": {"$each": entered}}}
            if removed:
                update["$unset"] = removed
            state_ops.append(UpdateOne({"_id": claim.profile_id}, update, upsert=True))
            if exited:  # a second edit: one update may not both add to and pull from the same array
                state_ops.append(UpdateOne({"_id": claim.profile_id}, {"$pull": {"audiences": {"$in": exited}}}))
        # The log first: a crash before the state write repeats the same entries (same ids), never loses one.
        if log_ops:
            await self.store.membership_log.bulk_write(log_ops, ordered=False)
        if state_ops:
            await self.store.profile_state.bulk_write(state_ops, ordered=True)

    async def _reschedule(self, claims: list[Claim], outcomes: dict[str, Outcome]) -> None:
        """Retire or reschedule each entry if nothing arrived meanwhile; else just give its lease back."""
        finish: list[UpdateOne | DeleteOne] = []
        for claim in claims:
            mine = {"_id": claim.profile_id, "seq": claim.seq, "lease_owner": self.owner}
            next_due = outcomes[claim.profile_id].next_due
            finish.append(DeleteOne(mine) if next_due is None else UpdateOne(
                mine, {"$set": {"due_at": next_due, "reason": "time"}, **_RELEASE}))
        await self.store.due.bulk_write(finish, ordered=False)
        # Entries still leased to us are those whose seq moved: new data arrived, so they stay due now.
        await self.store.due.update_many(
            {"_id": {"$in": [c.profile_id for c in claims]}, "lease_owner": self.owner}, _RELEASE)
