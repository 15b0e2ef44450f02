"""Finding profiles by identifier and reading what the engine knows of them."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.common.errors import NotFoundError, ValidationError
from services.common.store import Store

# Identifier type -> the profile field that holds it.
ID_FIELDS = {"id": "_id", "userId": "user_id", "anonymousId": "anonymous_ids", "email": "emails"}


@dataclass(frozen=True)
class ProfileView:
    id: str
    user_id: str = ""
    anonymous_ids: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    traits: dict[str, Any] = field(default_factory=dict)
    audiences: list[str] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)  # computed trait name -> value
    created_at: datetime | None = None
    updated_at: datetime | None = None


def parse_identifier(identifier: str) -> tuple[str, str]:
    """`type:value` -> (store field, value). Emails match case-insensitively, so they are lower-cased."""
    kind, sep, value = identifier.partition(":")
    if not sep or not value:
        raise ValidationError("ProfileID must be in format of id_type:id")
    if kind not in ID_FIELDS:
        raise ValidationError(f"id_type must be one of {', '.join(ID_FIELDS)}, not {kind!r}")
    return ID_FIELDS[kind], value.lower() if kind == "email" else value


class Profiles:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def find(self, workspace: str, identifier: str) -> list[ProfileView]:
        """Every profile the identifier names (several only for a shared email); NotFoundError when none."""
        id_field, value = parse_identifier(identifier)
        docs = await self.store.profiles.find({"workspace": workspace, id_field: value}).sort("_id", 1).to_list(100)
        docs = [await self._live(workspace, doc) for doc in docs]
        docs = [doc for doc in docs if doc is not None]
        if not docs:
            raise NotFoundError(f"no profile with {identifier}")
        states = {
            s["_id"]: s
            async for s in self.store.profile_state.find(
                {"workspace": workspace, "_id": {"$in": [d["_id"] for d in docs]}}, {"audiences": 1, "computed": 1}
            )
        }
        audience_names, trait_names = await self._names(workspace, states.values())
        return [
            ProfileView(
                id=doc["_id"],
                user_id=doc.get("user_id", ""),
                anonymous_ids=doc.get("anonymous_ids", []),
                emails=doc.get("emails", []),
                traits=doc.get("traits", {}),
                audiences=sorted(audience_names[a] for a in states.get(doc["_id"], {}).get("audiences", [])
                                 if a in audience_names),
                computed={trait_names[t]: v for t, v in states.get(doc["_id"], {}).get("computed", {}).items()
                          if t in trait_names},
                created_at=doc.get("created_at"),
                updated_at=doc.get("updated_at"),
            )
            for doc in docs
        ]

    async def _names(self, workspace: str, states: Any) -> tuple[dict[str, str], dict[str, str]]:
        """Memberships and computed values are stored by definition id (names may change): name them."""
        audience_ids = {a for s in states for a in s.get("audiences", [])}
        trait_ids = {t for s in states for t in s.get("computed", {})}
        audiences = {d["_id"]: d["name"] async for d in self.store.audiences.find(
            {"workspace": workspace, "_id": {"$in": sorted(audience_ids)}}, {"name": 1})} if audience_ids else {}
        traits = {d["_id"]: d["name"] async for d in self.store.computed_traits.find(
            {"workspace": workspace, "_id": {"$in": sorted(trait_ids)}}, {"name": 1})} if trait_ids else {}
        return audiences, traits

    async def _live(self, workspace: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        """A merged profile answers as the profile it was merged into (its old id keeps working)."""
        for _ in range(8):
            if not doc.get("merged_into"):
                return doc
            found = await self.store.profiles.find_one({"_id": doc["merged_into"], "workspace": workspace})
            if found is None:
                return None
            doc = found
        return None
