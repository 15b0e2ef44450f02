"""Identity resolution: which profile a message belongs to, and merging the profiles a message proves are one person.

Every identifier (userId, email, anonymousId) is *claimed* by one profile through an `identities` document whose
`_id` derives from (workspace, kind, value). The first claim wins atomically (an upsert with `$setOnInsert`), so two
requests racing over a new person land on one profile with no lock and no unique index; the loser of a race sees
the winner's claim and resolves again.

Rules (issue 3, after Segment's identity resolution):
- priority userId > email > anonymousId; the profile owning the message's userId survives, else the first found
  profile that has a userId, else the first found;
- a profile owning another identifier of the message is merged into the survivor, unless it belongs to a
  *different* userId: then that identifier is dropped from the message instead, never merged;
- a profile gets its userId once (`user_id` is set only where it is absent or equal).

A merge marks the loser `merged_into` first, then moves identifiers, traits the survivor lacks, claims and events,
and empties the loser. Every step is idempotent, and whoever meets a marked profile completes the merge before going
on, so a crash midway is finished by the next message that touches either profile.
"""

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.common.errors import ContendedError
from services.common.store import Store, chunks

log = logging.getLogger(__name__)

_IDS = uuid.UUID("6f1c5a0e-4d1b-4c55-9a53-2f0b0c6f3a11")
PRIORITY = ("userId", "email", "anonymousId")
_MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Identifier:
    kind: str  # one of PRIORITY
    value: str
    # False for an alias's previousId met as someone's userId: it finds that profile but is never claimed anew.
    claim: bool = True


def claim_id(workspace: str, identifier: Identifier) -> str:
    return str(uuid.uuid5(_IDS, f"identity\x00{workspace}\x00{identifier.kind}\x00{identifier.value}"))


def new_profile_id(workspace: str, identifier: Identifier) -> str:
    """A new person's profile id, derived from their first identifier so that racing creators agree on it."""
    return str(uuid.uuid5(_IDS, f"profile\x00{workspace}\x00{identifier.kind}\x00{identifier.value}"))


@dataclass
class Resolution:
    profile_id: str
    # Identifiers owned by a profile of another userId: not used for this message.
    dropped: list[Identifier] = field(default_factory=list)
    # Profiles merged into profile_id by this message.
    merged: list[str] = field(default_factory=list)
    # Identifiers this message claimed for profile_id (new to it).
    claimed: list[Identifier] = field(default_factory=list)


def decide(found: list[tuple[Identifier, str, str]], user_id: str) -> Resolution:
    """The rules, pure: given (identifier, owning profile, that profile's userId) for each identifier already
    owned, in priority order, and the message's userId, which profile survives, which merge into it and which
    identifiers are dropped. An empty `profile_id` means none is owned: the person is new."""

    def another_user(user: str, owner_user: str) -> bool:
        return bool(user) and owner_user not in ("", user)

    dropped = [i for i, _, owner_user in found if another_user(user_id, owner_user)]
    fits = [(i, owner, owner_user) for i, owner, owner_user in found if not another_user(user_id, owner_user)]
    if not fits:
        return Resolution("", dropped)
    survivor, user = next(((owner, u) for _, owner, u in fits if u), (fits[0][1], ""))
    user = user_id or user
    merged: list[str] = []
    for identifier, owner, owner_user in fits:
        if another_user(user, owner_user):
            dropped.append(identifier)
        elif owner != survivor and owner not in merged:
            merged.append(owner)
    return Resolution(survivor, dropped, merged)


class _Conflict(Exception):
    """Someone changed an identity under us; resolve again from fresh state."""


@dataclass
class _Profile:
    user_id: str = ""
    merged_into: str = ""
    emails: frozenset[str] = frozenset()


class IdentityResolver:
    """Resolves the messages of one batch in one workspace, caching what it has read along the way."""

    def __init__(self, store: Store, workspace: str, now: datetime,
                 before_merge: Callable[[], Awaitable[None]] | None = None) -> None:
        self.store = store
        self.workspace = workspace
        self.now = now
        # Called before a merge begins: whatever the caller holds unwritten must reach the store to be moved.
        self.before_merge = before_merge
        self._claims: dict[str, str | None] = {}  # claim id -> owning profile id (None: unclaimed)
        self._profiles: dict[str, _Profile | None] = {}  # profile id -> what resolution needs (None: no document)

    async def prefetch(self, identifiers: Iterable[Identifier]) -> None:
        """Read every claim and owning profile a batch needs in two queries, instead of per message."""
        wanted = {claim_id(self.workspace, i) for i in identifiers} - self._claims.keys()
        if not wanted:
            return
        self._claims.update(dict.fromkeys(wanted))
        for chunk in chunks(sorted(wanted)):
            async for doc in self.store.identities.find({"_id": {"$in": chunk}, "workspace": self.workspace}):
                self._claims[doc["_id"]] = doc["profile_id"]
        await self._load_profiles({p for p in self._claims.values() if p} - self._profiles.keys())

    async def _load_profiles(self, ids: set[str]) -> None:
        if not ids:
            return
        self._profiles.update(dict.fromkeys(ids))
        for chunk in chunks(sorted(ids)):
            query = {"_id": {"$in": chunk}, "workspace": self.workspace}
            async for doc in self.store.profiles.find(query, {"user_id": 1, "merged_into": 1, "emails": 1}):
                self._profiles[doc["_id"]] = _Profile(doc.get("user_id") or "", doc.get("merged_into") or "",
                                                      frozenset(doc.get("emails", [])))

    def exists(self, profile_id: str) -> bool:
        """Whether the profile's document is known to exist (read, or written by this resolver)."""
        return self._profiles.get(profile_id) is not None

    def has_email(self, profile_id: str, email: str) -> bool:
        """Whether the stored profile is known to list this email already."""
        profile = self._profiles.get(profile_id)
        return profile is not None and email in profile.emails

    async def is_claimed(self, identifier: Identifier) -> bool:
        await self.prefetch([identifier])
        return self._claims[claim_id(self.workspace, identifier)] is not None

    async def resolve(self, identifiers: list[Identifier], user_id: str) -> Resolution:
        """The profile these identifiers (in priority order) belong to, claiming and merging as the rules say."""
        for attempt in range(_MAX_ATTEMPTS):
            try:
                return await self._resolve_once(identifiers, user_id)
            except _Conflict:
                log.info("identity race, resolving again", extra={"attempt": attempt, "workspace": self.workspace})
                self._forget(identifiers)
        raise ContendedError(f"identity resolution kept racing with other requests for {_MAX_ATTEMPTS} attempts; "
                             "retry")

    def _forget(self, identifiers: list[Identifier]) -> None:
        for identifier in identifiers:
            owner = self._claims.pop(claim_id(self.workspace, identifier), None)
            if owner:
                self._profiles.pop(owner, None)

    async def _owner(self, identifier: Identifier) -> str | None:
        """The live profile that owns the identifier, completing any merge met on the way."""
        await self.prefetch([identifier])
        profile_id = self._claims[claim_id(self.workspace, identifier)]
        for _ in range(_MAX_ATTEMPTS):
            if profile_id is None:
                return None
            await self._load_profiles({profile_id} - self._profiles.keys())
            profile = self._profiles[profile_id]
            if profile is None or not profile.merged_into:
                return profile_id
            await self._complete_merge(profile_id, profile.merged_into)
            profile_id = profile.merged_into
        raise _Conflict

    def _user(self, profile_id: str) -> str:
        profile = self._profiles.get(profile_id)
        return profile.user_id if profile else ""

    async def _resolve_once(self, identifiers: list[Identifier], user_id: str) -> Resolution:
        found = [(i, owner, self._user(owner)) for i in identifiers if (owner := await self._owner(i))]
        resolution = decide(found, user_id)
        if not resolution.profile_id:
            first = next(i for i in identifiers if i not in resolution.dropped)
            resolution.profile_id = new_profile_id(self.workspace, first)
        survivor = resolution.profile_id

        if user_id and self._user(survivor) != user_id:
            await self._give_user(survivor, user_id)
        for identifier in identifiers:
            if identifier.claim and identifier not in resolution.dropped and not await self._owner(identifier):
                await self._claim(identifier, survivor)
                resolution.claimed.append(identifier)
        for loser in resolution.merged:
            await self._merge(loser, survivor)
        return resolution

    async def _give_user(self, profile_id: str, user_id: str) -> None:
        """Set the profile's userId where it has none; a profile that got another meanwhile is a conflict."""
        try:
            await self.store.profiles.update_one(
                {"_id": profile_id, "workspace": self.workspace, "user_id": {"$in": [None, "", user_id]}},
                {"$set": {"user_id": user_id}, "$setOnInsert": {"created_at": self.now, "updated_at": self.now}},
                upsert=True,
            )
        except DuplicateKeyError:  # the document exists with another user_id: the filter missed, the insert clashed
            raise _Conflict from None
        self._profiles[profile_id] = _Profile(user_id=user_id)

    async def _claim(self, identifier: Identifier, profile_id: str) -> None:
        key = claim_id(self.workspace, identifier)
        doc = await self.store.identities.find_one_and_update(
            {"_id": key},
            {"$setOnInsert": {"workspace": self.workspace, "kind": identifier.kind, "value": identifier.value,
                              "profile_id": profile_id, "claimed_at": self.now}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        self._claims[key] = doc["profile_id"]
        if doc["profile_id"] != profile_id:
            raise _Conflict

    async def _merge(self, loser: str, survivor: str) -> None:
        if self.before_merge is not None:
            await self.before_merge()
        marked = await self.store.profiles.update_one(
            {"_id": loser, "workspace": self.workspace, "merged_into": {"$in": [None, survivor]}},
            {"$set": {"merged_into": survivor}},
        )
        if marked.matched_count == 0:  # merged elsewhere meanwhile
            raise _Conflict
        log.info("merging profiles", extra={"workspace": self.workspace, "loser": loser, "survivor": survivor})
        await self._complete_merge(loser, survivor)

    async def _complete_merge(self, loser: str, survivor: str) -> None:
        """Move everything of `loser` (already marked merged_into survivor) to `survivor`; idempotent."""
        docs = {d["_id"]: d async for d in self.store.profiles.find(
            {"_id": {"$in": [loser, survivor]}, "workspace": self.workspace})}
        old, kept = docs.get(loser, {}), docs.get(survivor, {})
        update: dict[str, Any] = {
            "$setOnInsert": {"created_at": old.get("created_at", self.now)},
            "$set": {"updated_at": self.now, **{
                f"traits.{k}": v for k, v in old.get("traits", {}).items() if k not in kept.get("traits", {})}},
            "$addToSet": {"anonymous_ids": {"$each": old.get("anonymous_ids", [])},
                          "emails": {"$each": old.get("emails", [])}},
        }
        if old.get("user_id") and not kept.get("user_id"):
            update["$set"]["user_id"] = old["user_id"]
        await self.store.profiles.update_one({"_id": survivor, "workspace": self.workspace}, update, upsert=True)
        await self.store.identities.update_many(
            {"workspace": self.workspace, "profile_id": loser}, {"$set": {"profile_id": survivor}})
        await self.store.events.update_many(
            {"workspace": self.workspace, "profile_id": loser}, {"$set": {"profile_id": survivor}})
        await self.store.profiles.update_one(
            {"_id": loser, "workspace": self.workspace},
            {"$unset": {"anonymous_ids": "", "emails": "", "traits": "", "user_id": ""},
             "$set": {"merged_into": survivor, "updated_at": self.now}},
        )
        self._profiles[loser] = _Profile(merged_into=survivor)
        for key, owner in self._claims.items():
            if owner == loser:
                self._claims[key] = survivor
        await self._load_profiles({survivor} - self._profiles.keys())
