"""Each service called directly over gRPC, as internal callers do: health, reflection, RPCs, errors."""

import grpc
import pytest
from google.protobuf import json_format
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from cdp.segmentation.v1 import segmentation_pb2 as seg
from cdp.segmentation.v1 import segmentation_pb2_grpc
from services.common.structs import dict_to_struct
from tests.conftest import Tenant

SERVICES = {
    "ingest": "cdp.ingest.v1.IngestService",
    "segmentation": "cdp.segmentation.v1.SegmentationService",
    "profile": "cdp.profile.v1.ProfileService",
}


@pytest.mark.parametrize("name", SERVICES)
async def test_health_and_reflection(channels: dict[str, grpc.aio.Channel], name: str) -> None:
    health = health_pb2_grpc.HealthStub(channels[name])
    for service in ("", SERVICES[name]):
        reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
    reflection = reflection_pb2_grpc.ServerReflectionStub(channels[name])
    async for reply in reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")])):
        listed = {s.name for s in reply.list_services_response.service}
        assert {SERVICES[name], "grpc.health.v1.Health"} <= listed
        break


async def test_ingest_answers_per_message(channels: dict[str, grpc.aio.Channel], tenant: Tenant) -> None:
    stub = ingest_pb2_grpc.IngestServiceStub(channels["ingest"])
    messages = [
        common_pb2.Message(type="identify", user_id="u1", message_id="a", traits=dict_to_struct({"plan": "pro"})),
        common_pb2.Message(type="track", user_id="u1"),  # no event name
        common_pb2.Message(type="track", anonymous_id="anon", event="Page Liked", message_id="b"),
        common_pb2.Message(type="identify", user_id="u1", message_id="a"),  # replay within the batch
    ]
    reply = await stub.Ingest(ingest_pb2.IngestRequest(messages=messages), metadata=tenant.metadata, timeout=10)
    assert [(r.index, r.accepted, r.duplicate) for r in reply.results] == [
        (0, True, False), (1, False, False), (2, True, False), (3, True, True)]
    assert "event must not be empty" in reply.results[1].error
    assert reply.results[3].event_id == reply.results[0].event_id
    assert reply.results[2].profile_id != reply.results[0].profile_id

    profiles = profile_pb2_grpc.ProfileServiceStub(channels["profile"])
    found = await profiles.GetProfile(profile_pb2.GetProfileRequest(identifier="userId:u1"), metadata=tenant.metadata)
    assert [p.id for p in found.profiles] == [reply.results[0].profile_id]
    assert json_format.MessageToDict(found.profiles[0].traits) == {"plan": "pro"}


async def test_calls_without_a_workspace_are_unauthenticated(channels: dict[str, grpc.aio.Channel]) -> None:
    calls = [
        ingest_pb2_grpc.IngestServiceStub(channels["ingest"]).Ingest(
            ingest_pb2.IngestRequest(messages=[common_pb2.Message(type="identify", user_id="u")])),
        profile_pb2_grpc.ProfileServiceStub(channels["profile"]).GetProfile(
            profile_pb2.GetProfileRequest(identifier="userId:u")),
        segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"]).ListAudiences(
            seg.ListAudiencesRequest()),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "x-cdp-workspace" in caught.value.details()


async def test_empty_batch_is_invalid(channels: dict[str, grpc.aio.Channel], tenant: Tenant) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await ingest_pb2_grpc.IngestServiceStub(channels["ingest"]).Ingest(
            ingest_pb2.IngestRequest(), metadata=tenant.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _audience(name: str) -> seg.Audience:
    return json_format.ParseDict({
        "name": name,
        "conditions": [
            {"mode": "required", "event": {"name": "Product Viewed",
                                           "where": [{"property": "price", "op": "gt", "value": 100}],
                                           "window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
            {"mode": "not_required", "event": {"name": "Order Completed"}},
        ],
    }, seg.Audience())


async def test_audiences_create_get_list(
    channels: dict[str, grpc.aio.Channel], tenant: Tenant, store
) -> None:
    stub = segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"])
    md = tenant.metadata
    created = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=_audience("browsers")), metadata=md)).audience
    assert created.id and created.created_at.seconds > 0
    assert created.conditions[0].event.where[0].value.number_value == 100
    stored = await store.audiences.find_one({"_id": created.id})
    assert stored["conditions"][0]["event"]["where"][0]["value"] == 100  # an int, as sent
    assert stored["conditions"][0]["event"]["window"]["last"] == {"amount": 30, "unit": "days"}

    got = (await stub.GetAudience(seg.GetAudienceRequest(name="browsers"), metadata=md)).audience
    assert got == created
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=_audience("aardvarks")), metadata=md)
    listed = (await stub.ListAudiences(seg.ListAudiencesRequest(), metadata=md)).audiences
    assert [a.name for a in listed] == ["aardvarks", "browsers"]

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateAudience(seg.CreateAudienceRequest(audience=_audience("browsers")), metadata=md)
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetAudience(seg.GetAudienceRequest(name="nope"), metadata=md)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    # Another workspace sees none of them.
    other = (("x-cdp-workspace", tenant.name + "-other"),)
    assert not (await stub.ListAudiences(seg.ListAudiencesRequest(), metadata=other)).audiences


async def test_invalid_audience_names_the_field_and_stores_nothing(
    channels: dict[str, grpc.aio.Channel], tenant: Tenant, store
) -> None:
    stub = segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"])
    bad = _audience("bad")
    bad.conditions[0].event.window.last.unit = "fortnights"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.CreateAudience(seg.CreateAudienceRequest(audience=bad), metadata=tenant.metadata)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "conditions[0].event.window.last.unit" in caught.value.details()
    assert await store.audiences.count_documents({"workspace": tenant.name}) == 0
