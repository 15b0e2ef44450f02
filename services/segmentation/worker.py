"""The due-queue worker: claim due profiles, evaluate them in memory, write what changed, schedule the next look.

The `due` collection holds one document per profile with work pending: ingest sets `due_at` to now (and bumps
`seq`); a worker claims it with a lease (`find_one_and_update`, earliest first), evaluates the profile, writes its
state and the membership changes, then either schedules the next window crossing or deletes the entry, both
*only if `seq` is unchanged*: an event that arrived meanwhile keeps the profile due. A worker that dies mid-profile
loses nothing: its lease runs out and another worker takes the profile.

Membership log entries have ids derived from the profile's state version, so a retry after a crash between the
log write and the state write writes the same entries again, not new ones.
"""

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pymongo import ReturnDocument, UpdateOne

from services.common.clock import Clock, utc_now
from services.common.store import Store
from services.segmentation.evaluation import Definitions, Outcome, evaluate_profile

log = logging.getLogger(__name__)
_IDS = uuid.UUID("0b9f6c1e-7d55-4f0e-9a1e-5a4c2f6d8e31")


@dataclass
class Claim:
    profile_id: str
    workspace: str
    seq: int
    reason: str


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
        """Claim and evaluate up to `batch` due profiles; returns how many were evaluated."""
        claims = []
        for _ in range(self.batch):
            claim = await self._claim()
            if claim is None:
                break
            claims.append(claim)
        definitions: dict[str, Definitions] = {}
        for claim in claims:
            if claim.workspace not in definitions:
                definitions[claim.workspace] = await self.definitions(claim.workspace)
            await self.evaluate(claim, definitions[claim.workspace])
        self.evaluated += len(claims)
        return len(claims)

    async def _claim(self) -> Claim | None:
        now = self.clock()
        doc = await self.store.due.find_one_and_update(
            {"due_at": {"$lte": now}, "$or": [{"lease_until": None}, {"lease_until": {"$lt": now}}]},
            {"$set": {"lease_until": now + self.lease, "lease_owner": self.owner}},
            sort=[("due_at", 1)],
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            return None
        return Claim(doc["_id"], doc["workspace"], doc.get("seq", 0), doc.get("reason", "event"))

    async def definitions(self, workspace: str) -> Definitions:
        traits = [d async for d in self.store.computed_traits.find({"workspace": workspace})]
        audiences = [d async for d in self.store.audiences.find({"workspace": workspace})]
        return Definitions.of(traits, audiences)

    async def evaluate(self, claim: Claim, defs: Definitions, reschedule: bool = True) -> Outcome:
        """Evaluate one claimed profile now, write the difference, and reschedule or retire its due entry."""
        now = self.clock()
        started = time.time()
        profile = await self.store.profiles.find_one({"_id": claim.profile_id, "workspace": claim.workspace})
        live = profile is not None and not profile.get("merged_into")
        events = (await self.store.events.find({"workspace": claim.workspace, "profile_id": claim.profile_id})
                  .to_list(None)) if live else []
        # A merged-away or unknown profile is in no audience and has no computed traits.
        outcome = evaluate_profile(defs, events, profile.get("traits", {}), now) if live else Outcome()
        await self._write(claim, defs, outcome, now)
        if reschedule:
            await self._reschedule(claim, outcome.next_due)
        # Wall-clock bounds, so that the evaluations of several replicas can be checked never to overlap.
        log.debug("evaluated", extra={"event": "evaluated", "profile": claim.profile_id, "owner": self.owner,
                                      "started": started, "finished": time.time(), "reason": claim.reason})
        return outcome

    async def stored(self, profile_id: str) -> tuple[set[str], dict[str, Any]]:
        """What profile_state holds for a profile: its audiences and computed values."""
        state = await self.store.profile_state.find_one({"_id": profile_id}) or {}
        return set(state.get("audiences", [])), state.get("computed", {})

    async def _write(self, claim: Claim, defs: Definitions, outcome: Outcome, now: datetime) -> None:
        state = await self.store.profile_state.find_one({"_id": claim.profile_id}) or {}
        before = set(state.get("audiences", []))
        # Every evaluated profile keeps a state document (even an empty one): the reconciliation sweep walks them.
        if state and before == outcome.audiences and state.get("computed", {}) == outcome.computed:
            await self.store.profile_state.update_one({"_id": claim.profile_id}, {"$set": {"evaluated_at": now}})
            return
        version = state.get("version", 0) + 1
        names = {a["_id"]: a["name"] for a in defs.audiences}
        changes = [(a, "entered") for a in sorted(outcome.audiences - before)]
        changes += [(a, "exited") for a in sorted(before - outcome.audiences)]
        if changes:
            await self.store.membership_log.bulk_write([UpdateOne(
                {"_id": str(uuid.uuid5(_IDS, f"{claim.profile_id}\x00{version}\x00{audience}\x00{change}"))},
                {"$setOnInsert": {"workspace": claim.workspace, "profile_id": claim.profile_id,
                                  "audience_id": audience, "audience": names.get(audience, ""), "change": change,
                                  "at": now, "reason": claim.reason}},
                upsert=True) for audience, change in changes], ordered=False)
        await self.store.profile_state.update_one(
            {"_id": claim.profile_id},
            {"$set": {"workspace": claim.workspace, "audiences": sorted(outcome.audiences),
                      "computed": outcome.computed, "version": version, "evaluated_at": now}},
            upsert=True,
        )

    async def _reschedule(self, claim: Claim, next_due: datetime | None) -> None:
        mine = {"_id": claim.profile_id, "seq": claim.seq}
        if next_due is None:
            done = (await self.store.due.delete_one(mine)).deleted_count
        else:
            done = (await self.store.due.update_one(mine, {"$set": {"due_at": next_due, "reason": "time"},
                                                           "$unset": {"lease_until": "", "lease_owner": ""}})
                    ).matched_count
        if done:
            return
        # New data arrived while we worked: leave it due now, just let go of the lease.
        await self.store.due.update_one({"_id": claim.profile_id, "lease_owner": self.owner},
                                        {"$unset": {"lease_until": "", "lease_owner": ""}})
