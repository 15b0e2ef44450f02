"""Audience definitions in the store: create, read, list. Names are unique per workspace."""

import uuid
from typing import Any

from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock, utc_now
from services.common.errors import ConflictError, NotFoundError
from services.common.store import Store
from services.segmentation.definitions import check_audience, check_name

# Stored fields that are not part of the public definition.
_INTERNAL = {"_id", "workspace"}


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["_id"], **{k: v for k, v in doc.items() if k not in _INTERNAL}}


class Audiences:
    def __init__(self, store: Store, clock: Clock = utc_now) -> None:
        self.store = store
        self.clock = clock

    async def create(self, workspace: str, definition: dict[str, Any]) -> dict[str, Any]:
        checked = check_audience(definition)
        now = self.clock()
        doc = {
            "_id": str(uuid.uuid4()),
            "workspace": workspace,
            "name": checked["name"],
            "description": checked.get("description", ""),
            "conditions": checked["conditions"],
            "created_at": now,
            "updated_at": now,
        }
        try:
            await self.store.audiences.insert_one(doc)
        except DuplicateKeyError:
            raise ConflictError(f"an audience named {checked['name']!r} exists already") from None
        return _public(doc)

    async def get(self, workspace: str, name: str) -> dict[str, Any]:
        doc = await self.store.audiences.find_one({"workspace": workspace, "name": check_name(name)})
        if doc is None:
            raise NotFoundError(f"no audience named {name!r}")
        return _public(doc)

    async def list(self, workspace: str) -> list[dict[str, Any]]:
        return [_public(doc) async for doc in self.store.audiences.find({"workspace": workspace}).sort("name", 1)]
