"""Storing a batch of messages: dedup by messageId, identity, traits, the event, the due mark.

A batch is handled as check -> apply -> record, every step idempotent, so a crash anywhere is repaired by the
sender's retry: events are written last, so a message whose event exists was fully applied, and a replay of it
is answered from the stored event without touching anything. Identity claims and merges are written as they are
decided (later messages of the batch depend on them); profile, event and due writes are gathered and sent as
three bulk writes, so a batch of known people costs a handful of round trips whatever its size.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from pymongo import UpdateOne

from services.common.clock import Clock, utc_now
from services.common.errors import ValidationError
from services.common.store import Store, chunks
from services.ingest.identity import Identifier, IdentityResolver
from services.ingest.messages import RawMessage, TrackingMessage, validate

log = logging.getLogger(__name__)

_IDS = uuid.UUID("6f1c5a0e-4d1b-4c55-9a53-2f0b0c6f3a11")
MAX_BATCH = 2500

INGESTED = Counter("cdp_events_ingested_total", "Messages ingested, by outcome: accepted (stored now), rejected "
                   "(invalid, not stored), duplicate (its messageId was stored before)", ["outcome"])
_ACCEPTED, _REJECTED, _DUPLICATE = (INGESTED.labels(outcome) for outcome in ("accepted", "rejected", "duplicate"))


def event_id(workspace: str, message_id: str) -> str:
    """Our id for a message's event: the same for every replay of the same messageId in the workspace."""
    return str(uuid.uuid5(_IDS, f"event\x00{workspace}\x00{message_id}"))


@dataclass(frozen=True)
class Result:
    accepted: bool
    message_id: str = ""
    event_id: str = ""
    profile_id: str = ""
    duplicate: bool = False
    error: str = ""


def identifiers(message: TrackingMessage) -> list[Identifier]:
    """The message's identifiers in priority order (an alias's previousId is resolved by the caller)."""
    found = [Identifier("userId", message.user_id), Identifier("email", message.email),
             Identifier("anonymousId", message.anonymous_id)]
    return [i for i in found if i.value]


def profile_update(message: TrackingMessage, new_ids: list[Identifier], new_email: bool,
                   now: datetime) -> dict[str, Any] | None:
    """What the message says about its person: identify traits merged per key (null unsets), ids added; None when
    it says nothing new (a track of a known person), so that no write is spent on it."""
    update: dict[str, Any] = {"$setOnInsert": {"created_at": now}, "$set": {"updated_at": now}}
    if message.type == "identify":
        # Keys were checked in validate(): none is an operator or a path.
        update["$set"].update({f"traits.{k}": v for k, v in message.traits.items() if v is not None})
        if unset := {f"traits.{k}": "" for k, v in message.traits.items() if v is None}:
            update["$unset"] = unset
    add = {"anonymous_ids": [i.value for i in new_ids if i.kind == "anonymousId"]}
    if new_email:
        # Emails are data as well as identifiers: a profile lists every email its person used, even one whose
        # identity belongs to another person, and the Profile API finds all profiles that carry an email.
        add["emails"] = [message.email]
    update["$addToSet"] = {k: {"$each": v} for k, v in add.items() if v}
    if message.type != "identify" and not update["$addToSet"]:
        return None
    return update


def event_document(workspace: str, profile_id: str, message: TrackingMessage) -> dict[str, Any]:
    return {
        "workspace": workspace,
        "profile_id": profile_id,
        "message_id": message.message_id,
        "type": message.type,
        "event": message.event,
        "name": message.name,
        "user_id": message.user_id,
        "anonymous_id": message.anonymous_id,
        "group_id": message.group_id,
        "previous_id": message.previous_id,
        "properties": message.properties,
        "traits": message.traits,
        "context": message.context,
        "timestamp": message.timestamp,
        "received_at": message.received_at,
        "sent_at": message.sent_at,
        "original_timestamp": message.original_timestamp,
    }


class Ingestor:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def ingest(self, workspace: str, raws: Sequence[RawMessage]) -> list[Result]:
        """Store what is valid of the batch; one result per message, in order."""
        if not raws:
            raise ValidationError("a batch needs at least one message")
        if len(raws) > MAX_BATCH:
            raise ValidationError(f"a batch holds at most {MAX_BATCH} messages, not {len(raws)}")
        now = self.clock()
        for raw in raws:
            raw.message_id = raw.message_id.strip() or str(uuid.uuid4())
        ids = [event_id(workspace, raw.message_id) for raw in raws]
        stored: dict[str, str] = {}
        for chunk in chunks(ids):
            query = {"_id": {"$in": chunk}, "workspace": workspace}
            stored.update({doc["_id"]: doc["profile_id"] async for doc in self.store.events.find(query, {"profile_id": 1})})
        results: list[Result | None] = [None] * len(raws)
        valid: list[tuple[int, TrackingMessage]] = []
        for index, raw in enumerate(raws):
            if ids[index] in stored:
                continue
            try:
                valid.append((index, validate(raw, now)))
            except ValidationError as error:
                results[index] = Result(False, raw.message_id, error=str(error))

        pending = _Writes(self.store, workspace, now)
        # A merge moves the loser's events and fields as stored: what earlier messages of this batch wrote for it
        # must be stored first (a person seen anonymously, then by userId, then identified as both, in one batch).
        resolver = IdentityResolver(self.store, workspace, now, before_merge=pending.flush)
        await resolver.prefetch(i for _, message in valid for i in identifiers(message))
        created: set[str] = set()  # profiles this batch writes (so later messages need not create them again)
        for index, message in valid:
            eid = ids[index]
            if eid in stored:  # a replay within this batch
                continue
            wanted = identifiers(message)
            if message.previous_id:
                wanted.append(await self._previous(resolver, message.previous_id))
            resolution = await resolver.resolve(wanted, message.user_id)
            profile_id = resolution.profile_id
            new_email = bool(message.email) and not resolver.has_email(profile_id, message.email)
            missing = not resolver.exists(profile_id) and profile_id not in created
            update = profile_update(message, resolution.claimed, new_email, now)
            if update is not None or missing:
                pending.profiles.append(UpdateOne({"_id": profile_id, "workspace": workspace}, update or {
                    "$setOnInsert": {"created_at": now, "updated_at": now}}, upsert=True))
                created.add(profile_id)
            pending.events.append(UpdateOne(
                {"_id": eid}, {"$setOnInsert": event_document(workspace, profile_id, message)}, upsert=True))
            pending.due.update(dict.fromkeys([profile_id, *resolution.merged]))
            stored[eid] = profile_id
            results[index] = Result(True, message.message_id, eid, profile_id)

        await pending.flush()
        answered = [r or Result(True, raws[i].message_id, ids[i], stored[ids[i]], duplicate=True)
                    for i, r in enumerate(results)]
        _count(answered)
        return answered

    @staticmethod
    async def _previous(resolver: IdentityResolver, previous_id: str) -> Identifier:
        """An alias's previousId: a userId it already names is followed (never claimed again), else an anonymousId."""
        as_user = Identifier("userId", previous_id, claim=False)
        if await resolver.is_claimed(as_user):
            return as_user
        return Identifier("anonymousId", previous_id)

@dataclass
class _Writes:
    """A batch's profile, event and due writes, gathered to be sent as three bulk writes."""

    store: Store
    workspace: str
    now: datetime
    profiles: list[UpdateOne] = field(default_factory=list)
    events: list[UpdateOne] = field(default_factory=list)
    due: dict[str, None] = field(default_factory=dict)

    async def flush(self) -> None:
        """Profiles, then events, then due marks: a message's event exists only once all it says is applied, and
        its profile is marked due once its event exists."""
        if self.profiles:
            await self.store.profiles.bulk_write(self.profiles, ordered=True)
        if self.events:
            await self.store.events.bulk_write(self.events, ordered=False)
        if self.due:
            # `seq` lets a worker that finishes after this mark see that the profile changed under it.
            mark = {"$set": {"workspace": self.workspace, "due_at": self.now, "reason": "event"}, "$inc": {"seq": 1}}
            await self.store.due.bulk_write([UpdateOne({"_id": p}, mark, upsert=True) for p in self.due],
                                            ordered=False)
        self.profiles, self.events, self.due = [], [], {}


def _count(results: list[Result]) -> None:
    """Counted once the batch is stored: a batch the store refused is retried by its sender and counted then."""
    duplicates = sum(r.duplicate for r in results)
    rejected = sum(not r.accepted for r in results)
    _ACCEPTED.inc(len(results) - duplicates - rejected)
    _REJECTED.inc(rejected)
    _DUPLICATE.inc(duplicates)
