"""Finding profiles by identifier and reading what the engine knows of them: traits, computed traits, audiences."""

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


from services.common.cursors import encode_cursor
from services.common.errors import NotFoundError, ValidationError
from services.common.identifiers import id_problem
from services.common.store import Store
from services.profile.names import DefinitionNames
from services.profile.paging import decode_scroll, resumed_size

# Identifier type -> the profile field that holds it.
ID_FIELDS = {"id": "_id", "userId": "user_id", "anonymousId": "anonymous_ids", "email": "emails"}
# Trait class -> the parts of a profile it selects ("" is the default: custom and computed traits).
TRAIT_CLASSES: dict[str, frozenset[str]] = {
    "": frozenset({"traits", "computed"}),
    "computed_trait": frozenset({"computed"}),
    "audience": frozenset({"audiences"}),
}
PROFILES_PAGE = 100
# An email is the one identifier several profiles may share; more than this many is not one person's.
_MAX_SHARED = 100
# Merges chain (a survivor may itself be merged later); a longer chain than this is a cycle or damage.
_MAX_MERGE_HOPS = 8

type Doc = dict[str, Any]


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
    if problem := id_problem(value):
        raise ValidationError(f"{kind} {problem}")
    return ID_FIELDS[kind], value.lower() if kind == "email" else value


def identifier_key(identifier: str) -> str:
    """The identifier as it is matched (an email lower-cased): what a scroll id of one person's listing is bound to."""
    return "{}:{}".format(*parse_identifier(identifier))


def select_traits(view: ProfileView, trait_class: str, include: Sequence[str]) -> ProfileView:
    """The view with only the parts `trait_class` selects and, when `include` names keys, only those keys."""
    if trait_class not in TRAIT_CLASSES:
        raise ValidationError(f"class must be audience or computed_trait, not {trait_class!r}")
    parts = TRAIT_CLASSES[trait_class]
    wanted = set(include)

    def kept(key: str) -> bool:
        return not wanted or key in wanted

    return replace(
        view,
        traits={k: v for k, v in view.traits.items() if kept(k)} if "traits" in parts else {},
        computed={k: v for k, v in view.computed.items() if kept(k)} if "computed" in parts else {},
        audiences=[a for a in view.audiences if kept(a)] if "audiences" in parts else [],
    )


class Profiles:
    def __init__(self, store: Store, names: DefinitionNames) -> None:
        self.store = store
        self.names = names

    async def resolve(self, workspace: str, identifier: str) -> list[Doc]:
        """The live profile documents the identifier names, in id order; NotFoundError when none.

        Several only for a shared email. A merged-away profile answers as its survivor, so two profiles that
        shared an email and were merged since answer once."""
        id_field, value = parse_identifier(identifier)
        query = {"workspace": workspace, id_field: value}
        # Only an email may name several profiles; the other kinds are held by one profile at most, and find_one
        # is the cheaper read (it closes its cursor at once; the embedded store makes a find pay a getMore).
        if id_field == "emails":
            found = await self.store.profiles.find(query).limit(_MAX_SHARED).to_list(None)
        else:
            found = [doc] if (doc := await self.store.profiles.find_one(query)) else []
        live: dict[str, Doc] = {}
        for doc in found:
            survivor = await self._live(workspace, doc)
            if survivor is not None:
                live.setdefault(survivor["_id"], survivor)
        if not live:
            raise NotFoundError(f"no profile with {identifier}")
        return [live[key] for key in sorted(live)]

    async def find(self, workspace: str, identifier: str) -> list[ProfileView]:
        """Every profile the identifier names, with audiences and computed traits."""
        return await self.views(workspace, await self.resolve(workspace, identifier))

    async def traits(self, workspace: str, identifier: str, trait_class: str,
                     include: Sequence[str]) -> list[ProfileView]:
        """`find`, reduced to one class of traits and to some keys (see select_traits)."""
        select_traits(ProfileView(id=""), trait_class, include)  # a bad class is refused before any read
        return [select_traits(view, trait_class, include) for view in await self.find(workspace, identifier)]

    async def page(self, workspace: str, size: int, scroll_id: str) -> tuple[list[ProfileView], str]:
        """A page of the workspace's live profiles in id order, and the scroll id of the next ("" after the last).

        Keyed on the last id served: profiles created meanwhile with a lower id are not served (they were not
        there when the scroll began), and none is served twice."""
        query: Doc = {"workspace": workspace, "merged_into": {"$in": [None, ""]}}
        state = decode_scroll("profiles", scroll_id) if scroll_id else None
        if state is not None:
            if not isinstance(after := state.get("after"), str):
                raise ValidationError("scrollId is damaged (it holds no position)")
            query["_id"] = {"$gt": after}
        size = resumed_size(size, state, PROFILES_PAGE)
        docs = await self.store.profiles.find(query).sort("_id", 1).limit(size + 1).to_list(size + 1)
        more = len(docs) > size
        docs = docs[:size]
        next_scroll = encode_cursor("profiles", {"after": docs[-1]["_id"], "size": size}) if more else ""
        return await self.views(workspace, docs), next_scroll

    async def views(self, workspace: str, docs: Sequence[Doc]) -> list[ProfileView]:
        """Profile documents with their memberships and computed traits, named (they are stored by id)."""
        ids = [d["_id"] for d in docs]
        # Limited to as many as asked for: the cursor closes with its first batch when every profile has a state.
        states = {s["_id"]: s async for s in self.store.profile_state.find(
            {"workspace": workspace, "_id": {"$in": ids}}, {"audiences": 1, "computed": 1}).limit(len(ids))}
        audience_names, trait_names = await self._names(workspace, states.values())
        return [self._view(doc, states.get(doc["_id"], {}), audience_names, trait_names) for doc in docs]

    @staticmethod
    def _view(doc: Doc, state: Doc, audience_names: dict[str, str], trait_names: dict[str, str]) -> ProfileView:
        # A definition deleted since the state was written has no name any more: it is left out.
        return ProfileView(
            id=doc["_id"],
            user_id=doc.get("user_id") or "",
            anonymous_ids=doc.get("anonymous_ids", []),
            emails=doc.get("emails", []),
            traits=doc.get("traits", {}),
            audiences=sorted(audience_names[a] for a in state.get("audiences", []) if a in audience_names),
            computed={trait_names[t]: v for t, v in state.get("computed", {}).items() if t in trait_names},
            created_at=doc.get("created_at"),
            updated_at=doc.get("updated_at"),
        )

    async def _names(self, workspace: str, states: Iterable[Doc]) -> tuple[dict[str, str], dict[str, str]]:
        """Memberships and computed values are stored by definition id (names may change): name them."""
        states = list(states)
        # Two independent reads (when not cached): issued together, a reader waits for the slower, not for both.
        audiences, traits = await asyncio.gather(
            self.names.audiences(workspace, (a for s in states for a in s.get("audiences", []))),
            self.names.computed_traits(workspace, (t for s in states for t in s.get("computed", {}))))
        return audiences, traits

    async def _live(self, workspace: str, doc: Doc) -> Doc | None:
        """A merged profile answers as the profile it was merged into (its old id keeps working)."""
        for _ in range(_MAX_MERGE_HOPS):
            if not doc.get("merged_into"):
                return doc
            found = await self.store.profiles.find_one({"_id": doc["merged_into"], "workspace": workspace})
            if found is None:
                return None
            doc = found
        return None
