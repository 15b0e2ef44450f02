"""Definitions in the store: what audiences and computed traits share.

Both kinds are documents of the public JSON shape plus what the service keeps about them: `_id` (uuid4),
`workspace`, `status` ({state, progress, error, updated_at}: where the backfill stands), `version` (1, then one more
per update), `created_at`, `updated_at`, and the backfill runner's lease (`backfill_lease_until`,
`backfill_owner`; see backfill.py). Names are unique per workspace (a unique index). Audiences refer to audiences
and computed traits *by name*, so a definition another audience refers to can be neither deleted nor renamed:
either would silently break the referrer.

Every write that makes a new version sets the status to "building" and hands the definition to the backfill queue;
every delete hands it over to be forgotten. The queue runs both in the background.
"""

import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal, Protocol

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock, utc_now
from services.common.errors import ConflictError, InUseError, NotFoundError, ValidationError
from services.common.store import Store
from services.segmentation.definitions import Reference, check_name, references

type Kind = Literal["audience", "computed_trait"]
KINDS: tuple[Kind, ...] = ("audience", "computed_trait")

# A lease that has run out: the definition may be claimed by any backfill runner now.
UNLEASED = datetime(1970, 1, 1, tzinfo=UTC)
# Stored fields that are not part of the public definition.
_INTERNAL = {"_id", "workspace", "backfill_lease_until", "backfill_owner"}


def collection(store: Store, kind: Kind) -> AsyncCollection[dict[str, Any]]:
    return store.audiences if kind == "audience" else store.computed_traits


def building(now: datetime) -> dict[str, Any]:
    """The status of a version that has yet to be computed."""
    return {"state": "building", "progress": 0.0, "error": "", "updated_at": now}


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in _INTERNAL}}


class BackfillQueue(Protocol):
    """Where definitions go to be computed, or forgotten, in the background (backfill.BackfillRunner)."""

    def build(self, workspace: str, kind: Kind, definition_id: str) -> None: ...

    def forget(self, workspace: str, kind: Kind, definition_id: str) -> None: ...


async def audience_references(
    store: Store, workspace: str, excluding: str | None = None
) -> dict[str, list[Reference]]:
    """Every audience of the workspace (but `excluding`, an id) by name, with the references its conditions make.
    Definitions are few per workspace, so reading them all is cheaper than indexing every nested reference."""
    query: dict[str, Any] = {"workspace": workspace}
    if excluding is not None:
        query["_id"] = {"$ne": excluding}
    cursor = store.audiences.find(query, {"name": 1, "conditions": 1})
    return {doc["name"]: references(doc.get("conditions", [])) async for doc in cursor}


async def referrers(store: Store, workspace: str, kind: Kind, name: str) -> list[str]:
    """The names of the audiences whose conditions refer to the definition of this kind and name."""
    found = await audience_references(store, workspace)
    return sorted(a for a, refs in found.items() if any(r.kind == kind and r.name == name for r in refs))


class Definitions(ABC):
    """Create, read, list, update and delete one kind of definition; subclasses say how one is checked."""

    kind: ClassVar[Kind]
    label: ClassVar[str]  # the kind in words, for messages: "audience", "computed trait"

    def __init__(self, store: Store, backfills: BackfillQueue, clock: Clock = utc_now) -> None:
        self.store = store
        self.backfills = backfills
        self.clock = clock

    @property
    def collection(self) -> AsyncCollection[dict[str, Any]]:
        return collection(self.store, self.kind)

    @abstractmethod
    async def checked(self, workspace: str, definition: dict[str, Any], own_id: str | None) -> dict[str, Any]:
        """The fields to store (name, description and the kind's own), checked whole; ValidationError naming the
        first bad field. `own_id` is the definition being replaced, if any."""

    async def create(self, workspace: str, definition: dict[str, Any]) -> dict[str, Any]:
        fields = await self.checked(workspace, definition, None)
        now = self.clock()
        doc = {"_id": str(uuid.uuid4()), "workspace": workspace, **fields, "status": building(now), "version": 1,
               "created_at": now, "updated_at": now, "backfill_lease_until": UNLEASED}
        try:
            await self.collection.insert_one(doc)
        except DuplicateKeyError:
            raise self._taken(fields["name"]) from None
        self.backfills.build(workspace, self.kind, doc["_id"])
        return await self.shown(workspace, doc)

    async def shown(self, workspace: str, doc: dict[str, Any]) -> dict[str, Any]:
        """A stored definition as every answer gives it; a kind may add what it knows of it (an audience its size)."""
        return public(doc)

    async def get(self, workspace: str, definition_id: str) -> dict[str, Any]:
        return await self.shown(workspace, await self._find(workspace, definition_id))

    async def get_by_name(self, workspace: str, name: str) -> dict[str, Any]:
        doc = await self.collection.find_one({"workspace": workspace, "name": check_name(name)})
        if doc is None:
            raise NotFoundError(f"no {self.label} named {name!r}")
        return await self.shown(workspace, doc)

    async def list(self, workspace: str) -> list[dict[str, Any]]:
        return [await self.shown(workspace, doc)
                async for doc in self.collection.find({"workspace": workspace}).sort("name", 1)]

    async def update(self, workspace: str, definition_id: str, definition: dict[str, Any]) -> dict[str, Any]:
        """Replace the whole definition; a new version, built anew."""
        current = await self._find(workspace, definition_id)
        fields = await self.checked(workspace, definition, definition_id)
        if fields["name"] != current["name"]:
            await self._refuse_if_referred(workspace, current["name"], "renamed")
        now = self.clock()
        try:
            # On the version read: a concurrent update in between would otherwise be overwritten unseen. The lease
            # is left alone: a build of the old version may hold it, and hands over to this version when it sees it.
            updated = await self.collection.find_one_and_update(
                {"_id": definition_id, "workspace": workspace, "version": current.get("version")},
                {"$set": {**fields, "status": building(now), "updated_at": now}, "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise self._taken(fields["name"]) from None
        if updated is None:
            raise ConflictError(f"{self.label} {definition_id} was changed meanwhile: read it again and retry")
        self.backfills.build(workspace, self.kind, definition_id)
        return await self.shown(workspace, updated)

    async def delete(self, workspace: str, definition_id: str) -> None:
        current = await self._find(workspace, definition_id)
        await self._refuse_if_referred(workspace, current["name"], "deleted")
        deleted = await self.collection.delete_one({"_id": definition_id, "workspace": workspace})
        if not deleted.deleted_count:
            raise self._missing(definition_id)
        self.backfills.forget(workspace, self.kind, definition_id)

    async def _find(self, workspace: str, definition_id: str) -> dict[str, Any]:
        if not definition_id:
            raise ValidationError("id is required: the definition's id, as created")
        doc = await self.collection.find_one({"_id": definition_id, "workspace": workspace})
        if doc is None:
            raise self._missing(definition_id)
        return doc

    async def _refuse_if_referred(self, workspace: str, name: str, change: str) -> None:
        found = await referrers(self.store, workspace, self.kind, name)
        if found:
            who = (f"audience {found[0]!r} refers" if len(found) == 1
                   else f"audiences {', '.join(map(repr, found))} refer")
            raise InUseError(f"{self.label} {name!r} cannot be {change}: {who} to it by name; "
                             "change or delete the referring audience first")

    def _missing(self, definition_id: str) -> NotFoundError:
        return NotFoundError(f"no {self.label} with id {definition_id!r}")

    def _taken(self, name: str) -> ConflictError:
        return ConflictError(f"{self.label} name {name!r} is taken in this workspace")
