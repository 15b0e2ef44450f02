"""Watching the real suite: the series each process serves move with traffic, and a request's id reaches the log
lines of the service that handled its calls."""

import json
import uuid
from typing import Any

import grpc
import httpx
from prometheus_client.parser import text_string_to_metric_families

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from cdp.segmentation.v1 import segmentation_pb2 as seg
from cdp.segmentation.v1 import segmentation_pb2_grpc
from tests.conftest import Tenant, eventually
from tools.suite import Endpoints, Suite

PROCESSES = ("gateway", "ingest", "segmentation", "profile")
TRACK = "/track/{client}/{account}/{brand}/v1"

type Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: httpx.AsyncClient, url: str) -> Samples:
    reply = await http.get(url)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain"), reply.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(reply.text) for s in family.samples}


async def scrape_all(http: httpx.AsyncClient, suite: Endpoints) -> dict[str, Samples]:
    return {process: await scrape(http, suite.metrics_url(process)) for process in PROCESSES}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def rpc(service: str, method: str, code: str = "OK") -> dict[str, str]:
    return {"grpc_service": service, "grpc_method": method, "grpc_code": code}


async def test_traffic_moves_the_series_of_every_process(http: httpx.AsyncClient, suite: Endpoints,
                                                         tenant: Tenant) -> None:
    before = await scrape_all(http, suite)
    person = f"watched-{uuid.uuid4().hex[:8]}"
    first = {"userId": person, "messageId": f"m1-{person}", "traits": {"plan": "pro"}}
    reply = await http.post(f"{tenant.base}/identify", json=first, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    batch = [{"type": "identify", **first},  # a replay: a duplicate
             {"type": "track", "userId": person, "event": "Signed In", "messageId": f"m2-{person}"},
             {"type": "track", "userId": person, "event": "Bad", "properties": {"$where": 1}}]  # rejected by ingest
    reply = await http.post(f"{tenant.base}/batch", json={"batch": batch}, headers=tenant.headers)
    assert reply.status_code == 200 and len(reply.json()["rejected"]) == 1, reply.text
    for who, status in ((person, 200), ("nobody", 404)):
        reply = await http.get(f"{tenant.base}/profiles/userId:{who}/audiences", headers=tenant.headers)
        assert reply.status_code == status, reply.text
    pros = {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}}
    reply = await http.post(f"{tenant.base}/audiences", json={"name": "pros", "conditions": [pros]},
                            headers=tenant.headers)
    assert reply.status_code == 201, reply.text
    assert (await http.get(f"/no/such/{person}")).status_code == 404

    async def moved() -> dict[str, Samples]:
        """Every series this traffic moves, including what the workers and the backfill do after the answers."""
        now = await scrape_all(http, suite)
        seg_before, seg_now = before["segmentation"], now["segmentation"]
        assert value(seg_now, "cdp_profile_evaluations_total", reason="event") > \
            value(seg_before, "cdp_profile_evaluations_total", reason="event")
        assert value(seg_now, "cdp_backfills_total", kind="audience", outcome="ready") > \
            value(seg_before, "cdp_backfills_total", kind="audience", outcome="ready")
        return now

    after = await eventually(moved, timeout=30)

    def delta(process: str, name: str, **labels: str) -> float:
        return value(after[process], name, **labels) - value(before[process], name, **labels)

    gateway = {
        (f"{TRACK}/identify", "POST", "200"): 1,
        (f"{TRACK}/batch", "POST", "200"): 1,
        (f"{TRACK}/profiles/{{profile_id}}/audiences", "GET", "200"): 1,
        (f"{TRACK}/profiles/{{profile_id}}/audiences", "GET", "404"): 1,
        (f"{TRACK}/audiences", "POST", "201"): 1,
        ("unmatched", "GET", "404"): 1,
    }
    for (route, method, status), count in gateway.items():
        labels = {"route": route, "method": method, "status": status}
        assert delta("gateway", "cdp_http_requests_total", **labels) == count, labels
        assert delta("gateway", "cdp_http_request_duration_seconds_count", **labels) == count, labels
    # Scrapes are requests too, and paths never become labels.
    assert delta("gateway", "cdp_http_requests_total", route="/metrics", method="GET", status="200") >= 1
    assert not any(person in str(labels) for _, labels in after["gateway"])

    ingest = rpc("cdp.ingest.v1.IngestService", "Ingest")
    assert delta("ingest", "cdp_grpc_server_handled_total", **ingest) == 2
    assert delta("ingest", "cdp_grpc_server_handling_seconds_count", **ingest) == 2
    assert {o: delta("ingest", "cdp_events_ingested_total", outcome=o) for o in ("accepted", "duplicate", "rejected")
            } == {"accepted": 2, "duplicate": 1, "rejected": 1}

    profile = "cdp.profile.v1.ProfileService"
    assert delta("profile", "cdp_grpc_server_handled_total", **rpc(profile, "GetProfile")) == 1
    assert delta("profile", "cdp_grpc_server_handled_total", **rpc(profile, "GetProfile", "NOT_FOUND")) == 1

    segmentation = after["segmentation"]
    assert delta("segmentation", "cdp_grpc_server_handled_total",
                 **rpc("cdp.segmentation.v1.SegmentationService", "CreateAudience")) == 1
    assert ("cdp_due_queue_depth", frozenset()) in segmentation
    assert ("cdp_due_queue_oldest_age_seconds", frozenset()) in segmentation
    assert value(segmentation, "cdp_due_queue_measured_timestamp_seconds") > 0  # measured at start, not at scrape
    # The process's own series come with the registry.
    assert all(("process_cpu_seconds_total", frozenset()) in after[p] for p in PROCESSES)


async def test_a_stream_cut_by_its_deadline_is_counted(http: httpx.AsyncClient, suite: Endpoints, tenant: Tenant,
                                                       channels: dict[str, grpc.aio.Channel]) -> None:
    labels = rpc("cdp.segmentation.v1.SegmentationService", "WatchMemberships", "DEADLINE_EXCEEDED")
    before = value(await scrape(http, suite.metrics_url("segmentation")), "cdp_grpc_server_handled_total", **labels)
    stub = segmentation_pb2_grpc.SegmentationServiceStub(channels["segmentation"])
    stream = stub.WatchMemberships(seg.WatchMembershipsRequest(), metadata=tenant.metadata, timeout=0.5)
    try:
        await stream.read()
        raise AssertionError("expected the deadline to end the stream")
    except grpc.aio.AioRpcError as error:
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED

    async def counted() -> bool:
        now = value(await scrape(http, suite.metrics_url("segmentation")), "cdp_grpc_server_handled_total", **labels)
        assert now == before + 1
        return True

    await eventually(counted)


def _lines(suite: Suite, process: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in list(suite.child(process).tail) if line.startswith("{")]


def _merge(person: str) -> list[dict[str, Any]]:
    """Messages that make two profiles (one by anonymousId, one by userId) and then merge them, which ingest logs
    while it handles the call that merges. Each is sent on its own: the profiles must be stored before the merge."""
    return [{"type": "track", "anonymousId": f"anon-{person}", "event": "Viewed"},
            {"type": "track", "userId": person, "event": "Viewed"},
            {"type": "identify", "userId": person, "anonymousId": f"anon-{person}"}]


async def test_a_request_id_reaches_the_log_lines_of_the_service_that_handled_it(
    http: httpx.AsyncClient, processes: tuple[Suite, Endpoints], tenant: Tenant,
    channels: dict[str, grpc.aio.Channel],
) -> None:
    running, _ = processes
    *making, merging = _merge(f"p-{uuid.uuid4().hex[:8]}")
    for message in making:
        assert (await http.post(f"{tenant.base}/{message['type']}", json=message, headers=tenant.headers)).is_success
    chosen = f"trace-{uuid.uuid4().hex}"
    reply = await http.post(f"{tenant.base}/identify", json=merging, headers={**tenant.headers, "x-request-id": chosen})
    assert reply.status_code == 200 and reply.headers["x-request-id"] == chosen, reply.text

    # Internal callers that send no id get a fresh one for every call.
    stub = ingest_pb2_grpc.IngestServiceStub(channels["ingest"])
    for _ in range(2):
        for m in _merge(uuid.uuid4().hex[:8]):
            message = common_pb2.Message(type=m["type"], user_id=m.get("userId", ""), event=m.get("event", ""),
                                         anonymous_id=m.get("anonymousId", ""))
            await stub.Ingest(ingest_pb2.IngestRequest(messages=[message]), metadata=tenant.metadata)

    async def merges() -> list[str]:
        lines = [line for line in _lines(running, "ingest")
                 if line["msg"] == "merging profiles" and line.get("workspace") == tenant.name]
        assert len(lines) == 3, lines
        return [line["request_id"] for line in lines]

    through_gateway, *direct = await eventually(merges)
    assert through_gateway == chosen
    assert len(set(direct)) == 2 and all(len(rid) == 36 and rid != chosen for rid in direct), direct
    assert [line["status"] for line in _lines(running, "gateway") if line.get("request_id") == chosen] == [200]
