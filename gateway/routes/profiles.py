"""Intilery's Profile API, under `/track/{client}/{account}/{brand}/v1/profiles`.

`GET {idType}:{id}/audiences | /audiences/history | /traits | /events | /meta`, and `GET /profiles` to list them
all. Each route is one `ProfileService` call through `ProfileReader` (the workspace, from the `auth-token`, and
the call options), then Intilery's JSON shapes, made by the `*_body` functions below; every rule (identifiers,
classes, sizes, scroll ids) is the profile service's.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.profile.v1 import profile_pb2
from cdp.profile.v1.profile_pb2_grpc import ProfileServiceStub
from gateway.auth import Workspace
from services.common.structs import normalize, struct_to_dict

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1/profiles", tags=["profiles"])

# Where events come from, in Intilery's words: every event we store arrived through a Segment-spec API.
SOURCE = "SEGMENT_API"

ProfileId = Annotated[
    str,
    Path(
        description="`idType:id` with idType `id` (our profile id), `userId`, `anonymousId` or `email`. Emails "
                    "match case-insensitively, the others exactly; URL-encode `+` (`%2B`) and `@` (`%40`) if your "
                    "client does not.",
        examples=["email:joe.bloggs@intilery.com"],
        # Stated for OpenAPI only: the profile service checks identifiers, with Intilery's message.
        json_schema_extra={"pattern": "^(id|userId|anonymousId|email):.+$"},
    ),
]
ScrollId = Annotated[str, Query(alias="scrollId", description="The previous page's `scrollId`; none for the first")]
# The profile service's page limit, declared here too so that OpenAPI states it and a size beyond any int32
# never reaches the request message.
MAX_SIZE = 100
Size = Annotated[int | None, Query(ge=1, le=MAX_SIZE, description=f"Items per page, 1 to {MAX_SIZE}; with a "
                                   "`scrollId`, the size the scroll began with unless given")]


@dataclass(frozen=True)
class ProfileReader:
    """The profile service, called on behalf of the request's workspace."""

    stub: ProfileServiceStub
    options: dict[str, Any]
    workspace: str


async def profile_reader(request: Request, workspace: Workspace) -> ProfileReader:
    # Async though it awaits nothing: FastAPI would run a plain `def` dependency in a worker thread, per request.
    backends = request.app.state.backends
    return ProfileReader(backends.profile, backends.call_options(workspace), workspace)


Reader = Annotated[ProfileReader, Depends(profile_reader)]


def _names(csv: str | None) -> list[str]:
    """`a,b` -> ["a", "b"] (blanks dropped)."""
    return [name.strip() for name in (csv or "").split(",") if name.strip()]


def _iso(stamp: Timestamp) -> str:
    """An instant as Intilery writes it: UTC, milliseconds, `Z`."""
    return stamp.ToDatetime().isoformat(timespec="milliseconds") + "Z"


def _optional_iso(message: Any, name: str) -> str | None:
    return _iso(getattr(message, name)) if message.HasField(name) else None


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)  # a time without a zone is taken as UTC
    return stamp


def one_or_many(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """Intilery's rule: one profile answers as itself, several (a shared email) as `{"data": [...]}`."""
    return bodies[0] if len(bodies) == 1 else {"data": bodies}


def identity_body(profile: profile_pb2.Profile) -> dict[str, Any]:
    """The traits at the top level, then the profile's ids: `id`, `externalId` (the userId), `email`.

    Our ids win over traits of the same name; a trait `email` keeps the case it was sent in."""
    body = struct_to_dict(profile.traits)
    body["id"] = profile.id
    if profile.user_id:
        body["externalId"] = profile.user_id
    if profile.emails and "email" not in body:
        body["email"] = profile.emails[0]
    return body


def audiences_body(profile: profile_pb2.Profile) -> dict[str, Any]:
    # Static (uploaded) audiences do not exist here; the key stays for clients written against Intilery.
    return {**identity_body(profile), "audiences": list(profile.audiences), "audiencesStatic": []}


def traits_body(profile: profile_pb2.Profile, trait_class: str) -> dict[str, Any]:
    """The parts of a profile its trait class shows (the service has emptied the others)."""
    if trait_class == "audience":
        return {"id": profile.id, "audiences": list(profile.audiences)}
    computed = {"computed": struct_to_dict(profile.computed)}
    return {"id": profile.id, **computed} if trait_class == "computed_trait" else {**identity_body(profile), **computed}


def event_body(event: profile_pb2.ProfileEvent, workspace: str) -> dict[str, Any]:
    """One event in Intilery's shape; `rawData` is the message as stored (Segment's spec, camelCase)."""
    client, account, brand = workspace.split("/")
    raw = normalize(json_format.MessageToDict(event.message))
    raw["receivedAt"] = _optional_iso(event, "received_at")
    body: dict[str, Any] = {"id": event.profile_id, "customerId": event.profile_id, "eventId": event.event_id}
    if event.external_id:
        body["externalId"] = event.external_id
    if event.email:
        body["email"] = event.email
    return {**body, "eventTime": _optional_iso(event, "timestamp"), "receivedTime": raw["receivedAt"],
            "eventAction": event.action, "userId": event.message.user_id or None,
            "anonymousId": event.message.anonymous_id or None, "clientId": client, "accountId": account,
            "brandId": brand, "source": SOURCE, "rawData": raw}


def meta_body(meta: profile_pb2.ProfileMeta, workspace: str) -> dict[str, Any]:
    return {
        **audiences_body(meta.profile),
        "createdAt": _optional_iso(meta.profile, "created_at"),
        "firstEvent": {name: event_body(e, workspace) for name, e in sorted(meta.first_events.items())},
        "lastEvent": {name: event_body(e, workspace) for name, e in sorted(meta.last_events.items())},
        "lastActivityTime": _optional_iso(meta, "last_activity_time"),
    }


def change_body(change: profile_pb2.MembershipChange) -> dict[str, Any]:
    return {"audience": change.audience, "change": change.change, "at": _iso(change.at), "reason": change.reason,
            "audienceId": change.audience_id, "profileId": change.profile_id}


def page_body(data: list[dict[str, Any]], scroll_id: str) -> dict[str, Any]:
    """A page of a listing: `scrollId` is null after the last page."""
    return {"scrollId": scroll_id or None, "data": data}


# --- OpenAPI examples ---

_PROFILE_ID = "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"
_IDENTITY = {"lastName": "Bloggs", "firstName": "Joe", "email": "joe.bloggs@intilery.com",
             "externalId": "joe.bloggs@intilery.com", "id": _PROFILE_ID}
AUDIENCES_EXAMPLE = {**_IDENTITY, "audiences": ["high value customers"], "audiencesStatic": []}
TRAITS_EXAMPLE = {**_IDENTITY, "computed": {"total_revenue": 620.5, "orders": 4}}
EVENT_EXAMPLE = {
    "id": _PROFILE_ID, "customerId": _PROFILE_ID, "eventId": "ec717144-924c-5826-981b-848459c39176",
    "externalId": "joe.bloggs@intilery.com", "email": "joe.bloggs@intilery.com",
    "eventTime": "2026-11-19T13:39:17.380Z", "receivedTime": "2026-11-19T13:39:17.912Z",
    "eventAction": "Order Completed", "userId": "joe.bloggs@intilery.com", "anonymousId": None,
    "clientId": "intilery", "accountId": "marketing", "brandId": "MARKETING", "source": SOURCE,
    "rawData": {"type": "track", "messageId": "m-1", "userId": "joe.bloggs@intilery.com",
                "event": "Order Completed", "properties": {"revenue": 120}, "context": {"ip": "217.42.6.253"},
                "timestamp": "2026-11-19T13:39:17.380Z", "receivedAt": "2026-11-19T13:39:17.912Z"},
}
EVENTS_EXAMPLE = {"scrollId": "eyJsIjoiZXZlbnRzIn0", "data": [EVENT_EXAMPLE]}
META_EXAMPLE = {**AUDIENCES_EXAMPLE, "createdAt": "2026-10-20T13:49:41.697Z",
                "firstEvent": {"Order Completed": EVENT_EXAMPLE}, "lastEvent": {"Order Completed": EVENT_EXAMPLE},
                "lastActivityTime": "2026-11-19T13:39:17.380Z"}
LIST_EXAMPLE = {"scrollId": "eyJhZnRlciI6IjRjOTBiOWNmIn0", "data": [{**AUDIENCES_EXAMPLE, "computed": {}}]}
HISTORY_EXAMPLE = {"scrollId": None, "data": [
    {"audience": "high value customers", "change": "entered", "at": "2026-11-19T13:39:18.020Z", "reason": "event",
     "audienceId": "0b6f4a52-2f0c-4c59-9d36-3f7c1b7f4d10", "profileId": _PROFILE_ID}]}


def _responses(example: dict[str, Any], what: str, *, per_profile: bool = True,
               identified: bool = True) -> dict[int | str, dict[str, Any]]:
    """OpenAPI responses of a route: `per_profile` answers one body per profile (so `{"data": [...]}` for a shared
    email), `identified` takes an identifier (so 404 when no profile has it)."""
    shared = " (`{\"data\": [...]}` of them when an email is shared by several profiles)" if per_profile else ""
    found: dict[int | str, dict[str, Any]] = {
        200: {"description": what + shared, "content": {"application/json": {"example": example}}},
        400: {"description": "Malformed identifier or parameter"},
        403: {"description": "Missing or wrong auth-token, or a token of another workspace"},
        429: {"description": "Over the workspace's rate limit; see `Retry-After`"},
    }
    if identified:
        found[404] = {"description": "No profile has this identifier"}
    return found


# --- Routes ---


@router.get("/{profile_id}/audiences", summary="A profile's traits and the audiences it is in",
            responses=_responses(AUDIENCES_EXAMPLE, "The profile's traits, ids and audiences"))
async def audiences(reader: Reader, profile_id: ProfileId) -> dict[str, Any]:
    reply = await reader.stub.GetProfile(profile_pb2.GetProfileRequest(identifier=profile_id), **reader.options)
    return one_or_many([audiences_body(p) for p in reply.profiles])


@router.get("/{profile_id}/audiences/history", summary="The audiences a profile entered and exited, newest first",
            responses=_responses(HISTORY_EXAMPLE, "A page of membership changes", per_profile=False))
async def audience_history(reader: Reader, profile_id: ProfileId, scroll_id: ScrollId = "",
                           size: Size = None) -> dict[str, Any]:
    reply = await reader.stub.GetMembershipHistory(profile_pb2.GetMembershipHistoryRequest(
        identifier=profile_id, size=size or 0, scroll_id=scroll_id), **reader.options)
    return page_body([change_body(c) for c in reply.changes], reply.scroll_id)


@router.get("/{profile_id}/traits", summary="A profile's traits, with its computed traits under `computed`",
            responses=_responses(TRAITS_EXAMPLE, "The profile's traits"))
async def traits(
    reader: Reader,
    profile_id: ProfileId,
    trait_class: Annotated[str | None, Query(
        alias="class", description="`computed_trait` for only the computed traits (`{\"id\", \"computed\"}`), "
                                   "`audience` for only the audiences (`{\"id\", \"audiences\"}`)",
        examples=["computed_trait"], json_schema_extra={"enum": ["audience", "computed_trait"]})] = None,
    include: Annotated[str | None, Query(description="Comma-separated keys to keep (trait, computed trait or "
                                                     "audience names); `id`, `externalId` and `email` always stay",
                                         examples=["firstName,total_revenue"])] = None,
) -> dict[str, Any]:
    reply = await reader.stub.GetTraits(profile_pb2.GetTraitsRequest(
        identifier=profile_id, trait_class=trait_class or "", include=_names(include)), **reader.options)
    return one_or_many([traits_body(p, trait_class or "") for p in reply.profiles])


@router.get("/{profile_id}/events", summary="A profile's events, newest first, a page at a time",
            description="Events of every profile the identifier names, in one order. Pass `scrollId` back for the "
                        "next page (the other parameters may be repeated or left out); it is null after the last "
                        "page, and events stored meanwhile never make a page repeat or skip one.",
            responses=_responses(EVENTS_EXAMPLE, "A page of events", per_profile=False))
async def events(
    reader: Reader,
    profile_id: ProfileId,
    start: Annotated[datetime | None, Query(description="Events at or after this instant (ISO 8601; UTC when "
                                                        "it has no zone)", examples=["2026-01-02T00:00:00Z"])] = None,
    end: Annotated[datetime | None, Query(description="Events before this instant (ISO 8601)",
                                          examples=["2026-12-31T00:00:00Z"])] = None,
    sort: Annotated[str | None, Query(description="`desc` (newest first, the default) or `asc`", examples=["asc"],
                                      json_schema_extra={"enum": ["desc", "asc"]})] = None,
    size: Size = None,
    include: Annotated[str | None, Query(description="Comma-separated actions to keep: track event names, or "
                                                     "`identify`, `page`, `screen`, `group`, `alias`",
                                         examples=["Order Completed,page"])] = None,
    exclude: Annotated[str | None, Query(description="Comma-separated actions to leave out",
                                         examples=["Page Viewed,Experiment Viewed"])] = None,
    scroll_id: ScrollId = "",
) -> dict[str, Any]:
    reply = await reader.stub.ListEvents(profile_pb2.ListEventsRequest(
        identifier=profile_id, start=_timestamp(start), end=_timestamp(end), sort=sort or "", size=size or 0,
        include=_names(include), exclude=_names(exclude), scroll_id=scroll_id), **reader.options)
    return page_body([event_body(e, reader.workspace) for e in reply.events], reply.scroll_id)


@router.get("/{profile_id}/meta", summary="A profile's traits and metadata: created, first and last events",
            description="`firstEvent` and `lastEvent` map each action to its first and last event; "
                        "`lastActivityTime` is the latest event's time (null without events).",
            responses=_responses(META_EXAMPLE, "The profile's traits and metadata"))
async def meta(reader: Reader, profile_id: ProfileId) -> dict[str, Any]:
    reply = await reader.stub.GetMeta(profile_pb2.GetMetaRequest(identifier=profile_id), **reader.options)
    return one_or_many([meta_body(m, reader.workspace) for m in reply.profiles])


@router.get("", summary="Every profile of the workspace, 100 at a time",
            description="Profiles with their traits, ids, computed traits and audiences, in a stable order; pass "
                        "`scrollId` back for the next page (null after the last). A profile merged into another "
                        "is not listed: its survivor is.",
            responses=_responses(LIST_EXAMPLE, "A page of profiles", per_profile=False, identified=False))
async def list_profiles(reader: Reader, scroll_id: ScrollId = "",
                        size: Size = None) -> dict[str, Any]:
    reply = await reader.stub.ListProfiles(profile_pb2.ListProfilesRequest(size=size or 0, scroll_id=scroll_id),
                                           **reader.options)
    return page_body([{**audiences_body(p), "computed": struct_to_dict(p.computed)} for p in reply.profiles],
                     reply.scroll_id)
