"""The tracking routes of both styles through the real gateway and services: answers, gzip, dedup, batches."""

import gzip
import json
import uuid
from typing import Any

import httpx
import pytest

from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.conftest import basic, nothing_written, written


async def events(store: Store, tenant: Tenant) -> list[dict[str, Any]]:
    return await store.events.find({"workspace": tenant.name}).sort("type").to_list()


@pytest.mark.parametrize(
    ("kind", "body"),
    [
        ("identify", {"userId": "u1", "traits": {"plan": "pro"}}),
        ("track", {"userId": "u1", "event": "Order Completed", "properties": {"revenue": 12.5}}),
        ("page", {"anonymousId": "a1", "name": "Pricing"}),
        ("screen", {"userId": "u1", "name": "Basket"}),
    ],
)
async def test_intilery_single_calls(http: httpx.AsyncClient, tenant: Tenant, store: Store, kind: str,
                                     body: dict[str, Any]) -> None:
    reply = await http.post(f"{tenant.base}/{kind}", json=body, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"success": True, "eventId": reply.json()["eventId"]}
    (event,) = await events(store, tenant)
    assert (event["_id"], event["type"]) == (reply.json()["eventId"], kind)


@pytest.mark.parametrize("path", ["identify", "track", "page", "screen", "group", "alias"])
async def test_segment_single_calls_with_basic_auth(http: httpx.AsyncClient, tenant: Tenant, store: Store,
                                                    path: str) -> None:
    body = {"userId": "u1", "event": "Clicked", "name": "Home", "groupId": "acme", "previousId": "anon-9"}
    reply = await http.post(f"/v1/{path}", json=body, headers=basic(tenant.write_key))
    assert (reply.status_code, reply.json()) == (200, {"success": True}), reply.text
    assert [e["type"] for e in await events(store, tenant)] == [path]


async def test_analytics_js_paths_take_the_write_key_in_a_text_body_and_answer_cors(
    http: httpx.AsyncClient, tenant: Tenant, store: Store
) -> None:
    """analytics.js: one-letter paths, `text/plain` JSON with writeKey, from another origin."""
    origin = {"origin": "https://shop.example.com"}
    preflight = await http.options("/v1/t", headers={**origin, "access-control-request-method": "POST",
                                                     "access-control-request-headers": "content-type"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == "*"
    for path, body in (("t", {"type": "track", "anonymousId": "a1", "event": "Viewed"}),
                       ("p", {"type": "page", "anonymousId": "a1", "name": "Home"}),
                       ("b", {"batch": [{"type": "identify", "anonymousId": "a1", "userId": "u1"}]})):
        reply = await http.post(f"/v1/{path}", content=json.dumps({**body, "writeKey": tenant.write_key}),
                                headers={**origin, "content-type": "text/plain"})
        assert reply.status_code == 200, (path, reply.text)
        assert reply.headers["access-control-allow-origin"] == "*"
    assert sorted(e["type"] for e in await events(store, tenant)) == ["identify", "page", "track"]
    # The auth-token routes stay same-origin.
    other = await http.post(f"{tenant.base}/track", json={"userId": "u", "event": "E"},
                            headers={**tenant.headers, **origin})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize("style", ["intilery", "segment"])
async def test_gzip_bodies(http: httpx.AsyncClient, tenant: Tenant, store: Store, style: str) -> None:
    path, headers = ((f"{tenant.base}/batch", tenant.headers) if style == "intilery"
                     else ("/v1/batch", basic(tenant.write_key)))
    body = {"batch": [{"type": "track", "userId": "u1", "event": f"E{i}", "properties": {"pad": "x" * 500}}
                      for i in range(20)]}
    reply = await http.post(path, content=gzip.compress(json.dumps(body).encode()),
                            headers={**headers, "content-encoding": "gzip", "content-type": "application/json"})
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["results"]) == 20 and reply.json()["rejected"] == []
    assert (await written(store, tenant))["events"] == 20
    single = await http.post(f"{tenant.base}/identify" if style == "intilery" else "/v1/identify",
                             content=gzip.compress(b'{"userId": "u1", "traits": {"plan": "pro"}}'),
                             headers={**headers, "content-encoding": "gzip"})
    assert single.status_code == 200, single.text
    assert (await written(store, tenant))["events"] == 21


async def test_a_replayed_message_is_stored_once_across_styles(http: httpx.AsyncClient, tenant: Tenant,
                                                               store: Store) -> None:
    message = {"type": "track", "userId": "u1", "event": "Order Completed", "messageId": "m-1",
               "properties": {"revenue": 10}}
    first = await http.post(f"{tenant.base}/batch", json={"batch": [message]}, headers=tenant.headers)
    again = await http.post("/v1/batch", json={"batch": [message, message]}, headers=basic(tenant.write_key))
    single = await http.post(f"{tenant.base}/track", json=message, headers=tenant.headers)
    assert [r.status_code for r in (first, again, single)] == [200, 200, 200]
    event_id = first.json()["results"][0]["eventId"]
    assert [(r["eventId"], r["duplicate"]) for r in again.json()["results"]] == [(event_id, True)] * 2
    assert single.json()["eventId"] == event_id
    assert (await written(store, tenant))["events"] == 1


async def test_a_batch_stores_its_valid_messages_and_lists_the_others(http: httpx.AsyncClient, tenant: Tenant,
                                                                      store: Store) -> None:
    batch = [
        {"type": "identify", "userId": "u1", "traits": {"plan": "pro"}},
        {"type": "track", "userId": "u1"},  # ingest: no event
        {"type": "track", "userId": {"id": 1}, "event": "E"},  # gateway: wrong JSON type
        "not a message",
        {"type": "page", "userId": "u1", "name": "Home", "timestamp": "yesterday"},  # ingest: bad timestamp
        {"type": "track", "userId": "u1", "event": "E", "properties": {"pad": "x" * 40_000}},  # over 32 KB
        {"type": "merge", "userId": "u1"},  # ingest: unknown type
        {"type": "track", "anonymousId": 12345, "event": "E"},  # a numeric id, stringified
    ]
    reply = await http.post(f"{tenant.base}/batch", json={"batch": batch}, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    answer = reply.json()
    assert answer["success"] is True
    assert [r["index"] for r in answer["results"]] == [0, 7]
    reasons = {r["index"]: r["message"] for r in answer["rejected"]}
    assert list(reasons) == [1, 2, 3, 4, 5, 6]
    assert "event must not be empty" in reasons[1]
    assert "userId must be a string or a number" in reasons[2]
    assert "a message must be a JSON object" in reasons[3]
    assert "timestamp 'yesterday'" in reasons[4]
    assert "bytes per message" in reasons[5]
    assert "type must be one of" in reasons[6]
    stored = await events(store, tenant)
    assert sorted((e["type"], e["user_id"] or e["anonymous_id"]) for e in stored) == [
        ("identify", "u1"), ("track", "12345")]


@pytest.mark.parametrize("style", ["intilery", "segment"])
async def test_a_batch_with_nothing_valid_is_400_and_lists_why(http: httpx.AsyncClient, tenant: Tenant,
                                                               store: Store, style: str) -> None:
    path, headers = ((f"{tenant.base}/batch", tenant.headers) if style == "intilery"
                     else ("/v1/batch", basic(tenant.write_key)))
    reply = await http.post(path, json={"batch": [{"type": "track", "userId": "u"}, {"type": "identify"}]},
                            headers=headers)
    assert reply.status_code == 400, reply.text
    body = reply.json()
    assert body["success"] is False and body["error"]["code"] == "validation_error"
    assert "no message of the batch was stored" in body["message"]
    assert [r["index"] for r in body["rejected"]] == [0, 1] and body["results"] == []
    assert await nothing_written(store, tenant)


async def test_batch_context_and_sent_at_apply_to_each_message(http: httpx.AsyncClient, tenant: Tenant,
                                                               store: Store) -> None:
    body = {
        "context": {"library": {"name": "analytics-node"}, "ip": "10.0.0.1"},
        "sentAt": "2026-12-03T10:00:05Z",
        "batch": [
            {"type": "track", "userId": "u1", "event": "A", "timestamp": "2026-12-03T10:00:00Z"},
            {"type": "track", "userId": "u1", "event": "B", "context": {"ip": "10.0.0.2"},
             "timestamp": "2026-12-03T10:00:00Z", "sentAt": "2026-12-03T10:00:00Z"},
        ],
    }
    reply = await http.post("/v1/batch", json=body, headers=basic(tenant.write_key))
    assert reply.status_code == 200, reply.text
    stored = {e["event"]: e for e in await store.events.find({"workspace": tenant.name}).to_list()}
    assert stored["A"]["context"] == {"library": {"name": "analytics-node"}, "ip": "10.0.0.1"}
    assert stored["B"]["context"] == {"library": {"name": "analytics-node"}, "ip": "10.0.0.2"}
    assert stored["A"]["sent_at"].isoformat() == "2026-12-03T10:00:05+00:00"
    # Clock skew: A was sent 5 s after it happened, B at once: each lands that far before its arrival.
    gap = stored["B"]["timestamp"] - stored["A"]["timestamp"]
    assert 4.5 <= gap.total_seconds() <= 5.5


async def test_the_write_key_may_come_in_the_body(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    reply = await http.post("/v1/identify", json={"userId": "u1", "writeKey": tenant.write_key})
    assert (reply.status_code, reply.json()) == (200, {"success": True})
    assert (await written(store, tenant))["events"] == 1


async def test_write_keys_and_tokens_are_not_interchangeable(http: httpx.AsyncClient, tenant: Tenant,
                                                             store: Store) -> None:
    for reply in (
        await http.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(tenant.token)),
        await http.post(f"{tenant.base}/track", json={"userId": "u", "event": "E"},
                        headers={"auth-token": tenant.write_key}),
    ):
        assert reply.status_code in (401, 403), reply.text
        assert reply.json()["error"]["code"] == "authentication_error"
    assert await nothing_written(store, tenant)


async def test_a_bad_write_key_is_401_with_a_basic_challenge(http: httpx.AsyncClient, tenant: Tenant) -> None:
    reply = await http.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(uuid.uuid4().hex))
    assert reply.status_code == 401
    assert reply.headers["www-authenticate"].startswith("Basic")
    assert reply.json()["success"] is False and reply.json()["error"]["code"] == "authentication_error"


async def test_openapi_describes_every_tracking_route(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    routes = [f"/track/{{client}}/{{account}}/{{brand}}/v1/{kind}"
              for kind in ("identify", "track", "page", "screen", "batch")]
    routes += [f"/v1/{kind}" for kind in ("identify", "track", "page", "screen", "group", "alias", "batch")]
    for route in routes:
        operation = paths[route]["post"]
        assert operation["summary"], route
        assert operation["requestBody"]["content"]["application/json"]["example"], route
        assert {"200", "400", "413", "503"} <= set(operation["responses"]), route
