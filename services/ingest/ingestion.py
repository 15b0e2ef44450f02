"""Storing messages: dedup by messageId, identity resolution, traits, the event, the due mark.

Each message is handled as check -> apply -> record, every step idempotent, so a crash anywhere is repaired by a
retry: the event is written last, so a message whose event exists was fully applied and a replay of it is
answered from the stored event without touching anything.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.common.clock import Clock, utc_now
from services.common.errors import ValidationError
from services.common.store import Store
from services.ingest.messages import RawMessage, TrackingMessage, validate

log = logging.getLogger(__name__)

# Ids derived from (workspace, sender's id) make replays and concurrent first sightings land on one document.
_IDS = uuid.UUID("6f1c5a0e-4d1b-4c55-9a53-2f0b0c6f3a11")
MAX_BATCH = 2500


def event_id(workspace: str, message_id: str) -> str:
    return str(uuid.uuid5(_IDS, f"event\x00{workspace}\x00{message_id}"))


def new_profile_id(workspace: str, kind: str, value: str) -> str:
    return str(uuid.uuid5(_IDS, f"profile\x00{workspace}\x00{kind}\x00{value}"))


@dataclass(frozen=True)
class Result:
    accepted: bool
    message_id: str = ""
    event_id: str = ""
    profile_id: str = ""
    duplicate: bool = False
    error: str = ""


class Ingestor:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def ingest(self, workspace: str, raws: Sequence[RawMessage]) -> list[Result]:
        if not raws:
            raise ValidationError("a batch needs at least one message")
        if len(raws) > MAX_BATCH:
            raise ValidationError(f"a batch holds at most {MAX_BATCH} messages, not {len(raws)}")
        received_at = self.clock()
        for raw in raws:
            raw.message_id = raw.message_id or str(uuid.uuid4())
        ids = [event_id(workspace, raw.message_id) for raw in raws]
        stored = {
            doc["_id"]: doc["profile_id"]
            async for doc in self.store.events.find({"_id": {"$in": ids}, "workspace": workspace}, {"profile_id": 1})
        }
        results: list[Result] = []
        for raw, eid in zip(raws, ids, strict=True):
            if eid in stored:
                results.append(Result(True, raw.message_id, eid, stored[eid], duplicate=True))
                continue
            try:
                message = validate(raw, received_at)
            except ValidationError as error:
                results.append(Result(False, raw.message_id, error=str(error)))
                continue
            profile_id = await self._apply(workspace, message, received_at)
            await self._record(workspace, eid, profile_id, message)
            stored[eid] = profile_id
            results.append(Result(True, raw.message_id, eid, profile_id))
        return results

    async def _apply(self, workspace: str, message: TrackingMessage, now: datetime) -> str:
        """Resolve the message to its profile and apply what it says about the person; returns the profile id."""
        profile_id = await self._resolve(workspace, message)
        update: dict[str, Any] = {
            "$setOnInsert": {"workspace": workspace, "created_at": now},
            "$set": {"updated_at": now},
        }
        if message.user_id:
            update["$set"]["user_id"] = message.user_id
        add: dict[str, Any] = {}
        if message.anonymous_id:
            add["anonymous_ids"] = message.anonymous_id
        if message.email:
            add["emails"] = message.email
        if add:
            update["$addToSet"] = add
        if message.type == "identify":
            # Identify merges traits at the top level, as Segment does; keys were checked in validate().
            update["$set"].update({f"traits.{key}": value for key, value in message.traits.items()})
        await self.store.profiles.update_one({"_id": profile_id, "workspace": workspace}, update, upsert=True)
        return profile_id

    async def _resolve(self, workspace: str, message: TrackingMessage) -> str:
        if message.user_id:
            known = await self.store.profiles.find_one({"workspace": workspace, "user_id": message.user_id}, {"_id": 1})
            if known:
                return known["_id"]
        if message.anonymous_id:
            anonymous = await self.store.profiles.find_one(
                {"workspace": workspace, "anonymous_ids": message.anonymous_id}, {"user_id": 1}
            )
            # An anonymous profile becomes the user's, unless it already belongs to another user.
            if anonymous and (not message.user_id or anonymous.get("user_id") in (None, "", message.user_id)):
                return anonymous["_id"]
        if message.user_id:
            return new_profile_id(workspace, "userId", message.user_id)
        return new_profile_id(workspace, "anonymousId", message.anonymous_id)

    async def _record(self, workspace: str, eid: str, profile_id: str, message: TrackingMessage) -> None:
        """Store the event (once, whatever the retries) and mark its profile due for re-evaluation now."""
        event = {
            "workspace": workspace,
            "profile_id": profile_id,
            "message_id": message.message_id,
            "type": message.type,
            "event": message.event,
            "name": message.name,
            "user_id": message.user_id,
            "anonymous_id": message.anonymous_id,
            "properties": message.properties,
            "traits": message.traits,
            "context": message.context,
            "timestamp": message.timestamp,
            "received_at": message.received_at,
            "sent_at": message.sent_at,
            "original_timestamp": message.original_timestamp,
        }
        await self.store.events.update_one({"_id": eid}, {"$setOnInsert": event}, upsert=True)
        # `seq` lets a worker that finishes after this mark see that the profile changed under it.
        await self.store.due.update_one(
            {"_id": profile_id},
            {"$set": {"workspace": workspace, "due_at": message.received_at}, "$inc": {"seq": 1}},
            upsert=True,
        )
