"""ProfileService over gRPC: proto in -> a domain read -> proto out."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.common.v1 import common_pb2
from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from services.common.errors import ValidationError
from services.common.grpc_server import rpc, workspace_of
from services.common.structs import dict_to_struct
from services.profile.catalog import Catalog, CatalogField, CatalogView
from services.profile.events import Events, EventQuery, EventView
from services.profile.history import History, MembershipChangeView
from services.profile.meta import Meta, MetaView
from services.profile.profiles import Profiles, ProfileView


# Message fields stored under the same names, as text.
_MESSAGE_TEXT = ("type", "message_id", "user_id", "anonymous_id", "event", "name", "group_id", "previous_id")


def _timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _datetime(message: Any, name: str) -> datetime | None:
    """A Timestamp field as an aware datetime, None when unset."""
    if not message.HasField(name):
        return None
    try:
        return getattr(message, name).ToDatetime(tzinfo=UTC)
    except ValueError as error:  # seconds beyond the years 1 to 9999, or nanos out of range
        raise ValidationError(f"{name}: {error}") from None


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else ""


def profile_message(view: ProfileView) -> profile_pb2.Profile:
    return profile_pb2.Profile(
        id=view.id,
        user_id=view.user_id,
        anonymous_ids=view.anonymous_ids,
        emails=view.emails,
        traits=dict_to_struct(view.traits),
        audiences=view.audiences,
        computed=dict_to_struct(view.computed),
        created_at=_timestamp(view.created_at),
        updated_at=_timestamp(view.updated_at),
    )


def stored_message(stored: Mapping[str, Any]) -> common_pb2.Message:
    """An event document as the tracking message it was, its instants as ISO strings."""
    text = {name: stored.get(name) or "" for name in _MESSAGE_TEXT}
    # Objects only where the message had something: an identify shows no `properties`, as it was sent.
    objects = {name: dict_to_struct(stored[name]) for name in ("properties", "traits", "context") if stored.get(name)}
    return common_pb2.Message(
        **text,
        **objects,
        timestamp=_iso(stored.get("timestamp")),
        sent_at=_iso(stored.get("sent_at")),
        original_timestamp=_iso(stored.get("original_timestamp")),
    )


def event_message(view: EventView) -> profile_pb2.ProfileEvent:
    return profile_pb2.ProfileEvent(
        event_id=view.id,
        profile_id=view.profile_id,
        external_id=view.external_id,
        email=view.email,
        action=view.action,
        timestamp=_timestamp(view.timestamp),
        received_at=_timestamp(view.received_at),
        message=stored_message(view.stored),
    )


def meta_message(view: MetaView) -> profile_pb2.ProfileMeta:
    return profile_pb2.ProfileMeta(
        profile=profile_message(view.profile),
        first_events={name: event_message(e) for name, e in view.first_events.items()},
        last_events={name: event_message(e) for name, e in view.last_events.items()},
        last_activity_time=_timestamp(view.last_activity_time),
    )


def change_message(view: MembershipChangeView) -> profile_pb2.MembershipChange:
    return profile_pb2.MembershipChange(profile_id=view.profile_id, audience_id=view.audience_id,
                                        audience=view.audience, change=view.change, at=_timestamp(view.at),
                                        reason=view.reason)


def catalog_field(found: CatalogField) -> profile_pb2.CatalogField:
    return profile_pb2.CatalogField(path=found.path, types=found.types)


def catalog_message(view: CatalogView) -> profile_pb2.GetCatalogResponse:
    events = [profile_pb2.CatalogEvent(type=e.type, name=e.name, seen=e.seen, last_seen=_timestamp(e.last_seen),
                                       properties=[catalog_field(f) for f in e.properties]) for e in view.events]
    return profile_pb2.GetCatalogResponse(events=events, traits=[catalog_field(f) for f in view.traits],
                                          events_read=view.events_read, profiles_read=view.profiles_read)


def event_query(request: profile_pb2.ListEventsRequest) -> EventQuery:
    return EventQuery(start=_datetime(request, "start"), end=_datetime(request, "end"), sort=request.sort,
                      include=tuple(request.include), exclude=tuple(request.exclude))


class ProfileServicer(profile_pb2_grpc.ProfileServiceServicer):
    def __init__(self, profiles: Profiles, events: Events, meta: Meta, history: History, catalog: Catalog) -> None:
        self.profiles = profiles
        self.events = events
        self.meta = meta
        self.history = history
        self.catalog = catalog

    @rpc
    async def GetProfile(
        self, request: profile_pb2.GetProfileRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetProfileResponse:
        views = await self.profiles.find(workspace_of(context), request.identifier)
        return profile_pb2.GetProfileResponse(profiles=[profile_message(v) for v in views])

    @rpc
    async def GetTraits(
        self, request: profile_pb2.GetTraitsRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetTraitsResponse:
        views = await self.profiles.traits(workspace_of(context), request.identifier, request.trait_class,
                                           list(request.include))
        return profile_pb2.GetTraitsResponse(profiles=[profile_message(v) for v in views])

    @rpc
    async def ListEvents(
        self, request: profile_pb2.ListEventsRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.ListEventsResponse:
        views, scroll_id = await self.events.page(workspace_of(context), request.identifier, event_query(request),
                                                  request.size, request.scroll_id)
        return profile_pb2.ListEventsResponse(events=[event_message(v) for v in views], scroll_id=scroll_id)

    @rpc
    async def GetMeta(
        self, request: profile_pb2.GetMetaRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetMetaResponse:
        views = await self.meta.read(workspace_of(context), request.identifier)
        return profile_pb2.GetMetaResponse(profiles=[meta_message(v) for v in views])

    @rpc
    async def ListProfiles(
        self, request: profile_pb2.ListProfilesRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.ListProfilesResponse:
        views, scroll_id = await self.profiles.page(workspace_of(context), request.size, request.scroll_id)
        return profile_pb2.ListProfilesResponse(profiles=[profile_message(v) for v in views], scroll_id=scroll_id)

    @rpc
    async def GetMembershipHistory(
        self, request: profile_pb2.GetMembershipHistoryRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetMembershipHistoryResponse:
        changes, scroll_id = await self.history.page(workspace_of(context), request.identifier, request.size,
                                                     request.scroll_id)
        return profile_pb2.GetMembershipHistoryResponse(changes=[change_message(c) for c in changes],
                                                        scroll_id=scroll_id)

    @rpc
    async def GetCatalog(
        self, request: profile_pb2.GetCatalogRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetCatalogResponse:
        return catalog_message(await self.catalog.read(workspace_of(context)))
