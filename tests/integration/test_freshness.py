"""Memberships follow events and the clock through the real processes: ingest -> due queue -> segmentation
workers -> profile API, with no new event needed for a window to open or close."""

from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx

from cdp.segmentation.v1 import segmentation_pb2 as seg
from cdp.segmentation.v1 import segmentation_pb2_grpc
from services.common.store import Store
from tests.conftest import Tenant, eventually


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


async def create_audience(http: httpx.AsyncClient, tenant: Tenant, name: str, conditions: list[Any]) -> str:
    """Create an audience and wait until its backfill is done, so that what follows is the workers' doing."""
    reply = await http.post(f"{tenant.base}/audiences", json={"name": name, "conditions": conditions},
                            headers=tenant.headers)
    assert reply.status_code == 201, reply.text
    audience_id = reply.json()["id"]

    async def ready() -> bool:
        got = await http.get(f"{tenant.base}/audiences/{audience_id}", headers=tenant.headers)
        return got.json()["status"]["state"] == "ready"

    await eventually(ready, timeout=20)
    return audience_id


async def track(http: httpx.AsyncClient, tenant: Tenant, user: str, event: str, timestamp: str | None = None) -> None:
    body = {"userId": user, "event": event, **({"timestamp": timestamp} if timestamp else {})}
    reply = await http.post(f"{tenant.base}/track", json=body, headers=tenant.headers)
    assert reply.status_code == 200, reply.text


def audiences_of(http: httpx.AsyncClient, tenant: Tenant, user: str):  # type: ignore[no-untyped-def]
    async def probe() -> list[str]:
        reply = await http.get(f"{tenant.base}/profiles/userId:{user}/audiences", headers=tenant.headers)
        return reply.json().get("audiences", []) if reply.status_code == 200 else []
    return probe


async def test_an_event_moves_a_profile_in_and_a_one_minute_window_lets_it_out_on_time(
    http: httpx.AsyncClient, tenant: Tenant, store: Store
) -> None:
    await create_audience(http, tenant, "recent visitors", [{"mode": "required", "event": {
        "name": "Visited", "window": {"kind": "quick", "last": {"amount": 1, "unit": "minutes"}}}}])
    await track(http, tenant, "ann", "Visited", timestamp=ago(56))
    assert await eventually(audiences_of(http, tenant, "ann"), timeout=5) == ["recent visitors"]

    async def left() -> bool:
        return await audiences_of(http, tenant, "ann")() == []

    await eventually(left, timeout=15)
    log = await store.membership_log.find({"workspace": tenant.name}).sort("at", 1).to_list(None)
    assert [(e["change"], e["reason"]) for e in log] == [("entered", "event"), ("exited", "time")]
    # It left when the window said, not at some later sweep: within a couple of seconds of the boundary.
    event = await store.events.find_one({"workspace": tenant.name})
    boundary = event["timestamp"] + timedelta(minutes=1)
    assert timedelta(0) <= log[1]["at"] - boundary < timedelta(seconds=3), (log[1]["at"], boundary)


async def test_a_relative_window_is_entered_later_with_no_new_event(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await create_audience(http, tenant, "warming up", [{"mode": "required", "event": {"window": {
        "kind": "relative", "from": {"amount": 2, "unit": "minutes"}, "to": {"amount": 1, "unit": "minutes"}}}}])
    await track(http, tenant, "bob", "Signed In", timestamp=ago(57))
    assert await audiences_of(http, tenant, "bob")() == []
    assert await eventually(audiences_of(http, tenant, "bob"), timeout=15) == ["warming up"]


async def test_watch_memberships_streams_changes_and_resumes(
    http: httpx.AsyncClient, tenant: Tenant, channels: dict[str, grpc.aio.Channel]
) -> None:
    await create_audience(http, tenant, "buyers", [{"mode": "required", "event": {"name": "Bought"}}])
    stub = segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"])
    stream = stub.WatchMemberships(seg.WatchMembershipsRequest(), metadata=tenant.metadata, timeout=30)
    await track(http, tenant, "cy", "Bought")
    first = (await stream.read()).change
    assert (first.audience, first.change, first.reason) == ("buyers", "entered", "event")
    stream.cancel()

    await track(http, tenant, "dee", "Bought")
    resumed = stub.WatchMemberships(seg.WatchMembershipsRequest(after=first.position), metadata=tenant.metadata,
                                    timeout=30)
    second = (await resumed.read()).change
    assert second.profile_id != first.profile_id and second.change == "entered"
    resumed.cancel()


async def test_a_malformed_position_is_invalid(tenant: Tenant, channels: dict[str, grpc.aio.Channel]) -> None:
    stub = segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"])
    stream = stub.WatchMemberships(seg.WatchMembershipsRequest(after="nonsense!"), metadata=tenant.metadata)
    try:
        await stream.read()
        raise AssertionError("expected INVALID_ARGUMENT")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
