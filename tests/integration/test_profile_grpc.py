"""ProfileService called directly over gRPC, as internal callers do: every RPC, its errors, and tenancy."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.profile.v1 import profile_pb2 as pb
from cdp.profile.v1.profile_pb2_grpc import ProfileServiceStub
from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.profile_data import T0, log_membership, send, tracks


@pytest.fixture
def profiles(channels: dict[str, grpc.aio.Channel]) -> ProfileServiceStub:
    return ProfileServiceStub(channels["profile"])


def stamp(seconds: float) -> Timestamp:
    made = Timestamp()
    made.FromDatetime(T0 + timedelta(seconds=seconds))
    return made


async def refused(call: Awaitable[Any], code: grpc.StatusCode) -> str:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    return caught.value.details() or ""


async def test_traits_by_class(http: httpx.AsyncClient, tenant: Tenant, profiles: ProfileServiceStub,
                               store: Store) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "joe", "traits": {"plan": "pro", "city": "Leeds"}}])
    [default] = (await profiles.GetTraits(pb.GetTraitsRequest(identifier="userId:joe"),
                                          metadata=tenant.metadata)).profiles
    assert json_format.MessageToDict(default.traits) == {"plan": "pro", "city": "Leeds"}
    [only] = (await profiles.GetTraits(pb.GetTraitsRequest(identifier="userId:joe", include=["city"]),
                                       metadata=tenant.metadata)).profiles
    assert json_format.MessageToDict(only.traits) == {"city": "Leeds"}
    for trait_class in ("computed_trait", "audience"):
        [selected] = (await profiles.GetTraits(pb.GetTraitsRequest(identifier="userId:joe", trait_class=trait_class),
                                               metadata=tenant.metadata)).profiles
        assert selected.id == default.id and not selected.traits.fields
    assert "class" in await refused(profiles.GetTraits(pb.GetTraitsRequest(identifier="userId:joe", trait_class="x"),
                                                       metadata=tenant.metadata), grpc.StatusCode.INVALID_ARGUMENT)


async def test_events_paged_and_filtered(http: httpx.AsyncClient, tenant: Tenant,
                                         profiles: ProfileServiceStub) -> None:
    results = await send(http, tenant, tracks("e", ["A", "B", "A", "C", "A"]))
    request = pb.ListEventsRequest(identifier="userId:e", start=stamp(1), end=stamp(5), sort="asc", size=2,
                                   exclude=["C"])
    served: list[pb.ProfileEvent] = []
    while True:
        reply = await profiles.ListEvents(request, metadata=tenant.metadata)
        served.extend(reply.events)
        if not reply.scroll_id:
            break
        request = pb.ListEventsRequest(identifier="userId:e", scroll_id=reply.scroll_id)
    assert [e.event_id for e in served] == [results[i]["eventId"] for i in (1, 2, 4)]
    first = served[0]
    assert (first.action, first.message.type, first.message.event, first.external_id) == ("B", "track", "B", "e")
    assert first.timestamp.ToDatetime().isoformat() == "2026-01-01T00:00:01" and first.message.timestamp.endswith("Z")
    assert json_format.MessageToDict(first.message.properties) == {"i": 1.0}
    for bad in (pb.ListEventsRequest(identifier="userId:e", size=101), pb.ListEventsRequest(identifier="userId:e",
                sort="sideways"), pb.ListEventsRequest(identifier="userId:e", scroll_id="!!")):
        await refused(profiles.ListEvents(bad, metadata=tenant.metadata), grpc.StatusCode.INVALID_ARGUMENT)
    await refused(profiles.ListEvents(pb.ListEventsRequest(identifier="userId:nobody"), metadata=tenant.metadata),
                  grpc.StatusCode.NOT_FOUND)


async def test_meta(http: httpx.AsyncClient, tenant: Tenant, profiles: ProfileServiceStub) -> None:
    await send(http, tenant, tracks("m", ["A", "B", "A"]))
    [meta] = (await profiles.GetMeta(pb.GetMetaRequest(identifier="userId:m"), metadata=tenant.metadata)).profiles
    assert meta.profile.user_id == "m" and meta.profile.HasField("created_at")
    assert {k: v.timestamp.ToDatetime() for k, v in meta.first_events.items()} == {
        "A": T0.replace(tzinfo=None), "B": (T0 + timedelta(seconds=1)).replace(tzinfo=None)}
    assert meta.last_events["A"].timestamp.ToDatetime() == (T0 + timedelta(seconds=2)).replace(tzinfo=None)
    assert meta.last_activity_time == meta.last_events["A"].timestamp


async def test_profiles_listed_in_pages(http: httpx.AsyncClient, tenant: Tenant,
                                        profiles: ProfileServiceStub) -> None:
    await send(http, tenant, [{"type": "identify", "userId": f"u{i}"} for i in range(7)])
    listed: list[str] = []
    scroll = ""
    while True:
        reply = await profiles.ListProfiles(pb.ListProfilesRequest(size=3, scroll_id=scroll), metadata=tenant.metadata)
        assert len(reply.profiles) <= 3
        listed.extend(p.user_id for p in reply.profiles)
        if not (scroll := reply.scroll_id):
            break
    assert sorted(listed) == [f"u{i}" for i in range(7)]


async def test_membership_history(http: httpx.AsyncClient, tenant: Tenant, profiles: ProfileServiceStub,
                                  store: Store) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "h"}])
    [profile] = (await profiles.GetProfile(pb.GetProfileRequest(identifier="userId:h"),
                                           metadata=tenant.metadata)).profiles
    await log_membership(store, tenant, profile.id, [("vip", "entered", T0), ("vip", "exited", T0 + timedelta(1))])
    reply = await profiles.GetMembershipHistory(pb.GetMembershipHistoryRequest(identifier="userId:h", size=1),
                                                metadata=tenant.metadata)
    [change] = reply.changes
    assert (change.audience, change.change, change.profile_id, change.reason) == ("vip", "exited", profile.id, "event")
    rest = await profiles.GetMembershipHistory(pb.GetMembershipHistoryRequest(identifier="userId:h",
                                                                              scroll_id=reply.scroll_id),
                                               metadata=tenant.metadata)
    assert [c.change for c in rest.changes] == ["entered"] and not rest.scroll_id


async def test_every_rpc_is_scoped_by_the_callers_workspace(http: httpx.AsyncClient, tenant: Tenant,
                                                            profiles: ProfileServiceStub) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "secret", "traits": {"email": "s@example.com"}}])
    [mine] = (await profiles.ListProfiles(pb.ListProfilesRequest(size=1), metadata=tenant.metadata)).profiles
    other = (("x-cdp-workspace", f"o{uuid.uuid4().hex[:9]}/marketing/MARKETING"),)
    calls: list[Callable[..., Awaitable[Any]]] = [
        lambda i, **kw: profiles.GetProfile(pb.GetProfileRequest(identifier=i), **kw),
        lambda i, **kw: profiles.GetTraits(pb.GetTraitsRequest(identifier=i), **kw),
        lambda i, **kw: profiles.ListEvents(pb.ListEventsRequest(identifier=i), **kw),
        lambda i, **kw: profiles.GetMeta(pb.GetMetaRequest(identifier=i), **kw),
        lambda i, **kw: profiles.GetMembershipHistory(pb.GetMembershipHistoryRequest(identifier=i), **kw),
    ]
    for call in calls:
        for identifier in ("userId:secret", f"id:{mine.id}", "email:s@example.com"):
            await call(identifier, metadata=tenant.metadata)
            await refused(call(identifier, metadata=other), grpc.StatusCode.NOT_FOUND)
        assert "x-cdp-workspace" in await refused(call("userId:secret"), grpc.StatusCode.UNAUTHENTICATED)
    assert not (await profiles.ListProfiles(pb.ListProfilesRequest(), metadata=other)).profiles
    await refused(profiles.ListProfiles(pb.ListProfilesRequest()), grpc.StatusCode.UNAUTHENTICATED)
