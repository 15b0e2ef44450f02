"""Each transport limit, at and over its value: 32 KB per message, 500 KB per request, 2,500 messages per batch."""

import gzip
import json
from typing import Any

import httpx
import pytest

from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.conftest import basic, nothing_written, written

MESSAGE = 32 * 1024
REQUEST = 500 * 1024
MESSAGES = 2500


def sized(size: int, **fields: Any) -> dict[str, Any]:
    """A track message whose compact JSON is exactly `size` bytes."""
    message = {"type": "track", "userId": "u1", "event": "Padded", **fields, "properties": {"pad": ""}}
    base = len(json.dumps(message, separators=(",", ":")))
    message["properties"]["pad"] = "x" * (size - base)
    return message


def routes(tenant: Tenant) -> list[tuple[str, dict[str, str]]]:
    return [(tenant.base, tenant.headers), ("/v1", basic(tenant.write_key))]


async def test_a_message_of_32_kb_is_stored_and_one_byte_more_is_413(http: httpx.AsyncClient, tenant: Tenant,
                                                                     store: Store) -> None:
    for prefix, headers in routes(tenant):
        at_limit = await http.post(f"{prefix}/track", json=sized(MESSAGE), headers=headers)
        assert at_limit.status_code == 200, at_limit.text
        over = await http.post(f"{prefix}/track", json=sized(MESSAGE + 1), headers=headers)
        assert over.status_code == 413, over.text
        assert over.json()["success"] is False
        assert f"{MESSAGE + 1} bytes, over the limit of {MESSAGE} bytes per message" in over.json()["message"]
    assert (await written(store, tenant))["events"] == 2


async def test_a_numeric_message_under_32_kb_as_json_is_stored(http: httpx.AsyncClient, tenant: Tenant) -> None:
    message = {"type": "track", "userId": "u1", "event": "Scores", "properties": {f"k{i}": i for i in range(2600)}}
    assert len(json.dumps(message, separators=(",", ":"))) < MESSAGE
    reply = await http.post(f"{tenant.base}/track", json=message, headers=tenant.headers)
    assert reply.status_code == 200, reply.text


async def test_in_a_batch_a_message_over_32_kb_is_rejected_alone(http: httpx.AsyncClient, tenant: Tenant,
                                                                 store: Store) -> None:
    batch = [sized(MESSAGE, messageId="fits"), sized(MESSAGE + 1, messageId="over")]
    reply = await http.post(f"{tenant.base}/batch", json={"batch": batch}, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    assert [r["messageId"] for r in reply.json()["results"]] == ["fits"]
    assert [r["index"] for r in reply.json()["rejected"]] == [1]
    # Every message over: nothing stored, and the status says why.
    reply = await http.post("/v1/batch", json={"batch": [sized(MESSAGE + 1)] * 2}, headers=basic(tenant.write_key))
    assert reply.status_code == 413, reply.text
    assert [r["index"] for r in reply.json()["rejected"]] == [0, 1]
    assert (await written(store, tenant))["events"] == 1


async def test_a_request_of_500_kb_is_stored_and_more_is_413_even_gzipped(http: httpx.AsyncClient, tenant: Tenant,
                                                                          store: Store) -> None:
    per_message = 30 * 1024
    count = REQUEST // (per_message + 1) - 1
    batch = [sized(per_message, messageId=f"m{i}") for i in range(count)]
    envelope = {"batch": batch, "pad": ""}
    envelope["pad"] = "y" * (REQUEST - len(json.dumps(envelope, separators=(",", ":"))))
    at_limit = json.dumps(envelope, separators=(",", ":")).encode()
    assert len(at_limit) == REQUEST
    reply = await http.post(f"{tenant.base}/batch", content=at_limit, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    assert len(reply.json()["results"]) == count

    over = at_limit[:-1] + b' }'
    for body, headers in ((over, {}), (gzip.compress(over), {"content-encoding": "gzip"})):
        reply = await http.post(f"{tenant.base}/batch", content=body, headers={**tenant.headers, **headers})
        assert reply.status_code == 413, reply.text
        assert f"over the limit of {REQUEST} bytes" in reply.json()["message"]
    assert (await written(store, tenant))["events"] == count


async def test_a_gzip_bomb_is_413(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    inner = b'{"userId": "u", "event": "E", "properties": {"pad": "' + b"0" * 50_000_000 + b'"}}'
    bomb = gzip.compress(inner, compresslevel=9)
    assert len(bomb) < 100_000
    reply = await http.post("/v1/track", content=bomb, headers={**basic(tenant.write_key), "content-encoding": "gzip"})
    assert reply.status_code == 413, reply.text
    assert await nothing_written(store, tenant)


def limit_batch() -> list[dict[str, Any]]:
    """2,500 messages, cheap for the store: all but the last are rejected by ingest before it writes anything."""
    return [{"type": "track", "userId": "u"}] * (MESSAGES - 1) + [{"type": "track", "userId": "u", "event": "Last"}]


@pytest.mark.parametrize("prefix", ["intilery", "segment"])
async def test_2500_messages_reach_ingest(http: httpx.AsyncClient, tenant: Tenant, store: Store, prefix: str) -> None:
    path, headers = routes(tenant)[0 if prefix == "intilery" else 1]
    reply = await http.post(f"{path}/batch", json={"batch": limit_batch()}, headers=headers)
    assert reply.status_code == 200, reply.text
    assert [r["index"] for r in reply.json()["results"]] == [MESSAGES - 1]
    assert len(reply.json()["rejected"]) == MESSAGES - 1
    assert (await written(store, tenant))["events"] == 1


@pytest.mark.parametrize("prefix", ["intilery", "segment"])
async def test_2501_messages_are_413(http: httpx.AsyncClient, tenant: Tenant, store: Store, prefix: str) -> None:
    path, headers = routes(tenant)[0 if prefix == "intilery" else 1]
    reply = await http.post(f"{path}/batch", json={"batch": [*limit_batch(), limit_batch()[-1]]}, headers=headers)
    assert reply.status_code == 413, reply.text
    assert f"{MESSAGES + 1} messages, over the limit of {MESSAGES}" in reply.json()["message"]
    assert await nothing_written(store, tenant)


async def test_nesting_deeper_than_protobuf_carries_is_400(http: httpx.AsyncClient, tenant: Tenant,
                                                           store: Store) -> None:
    deep: Any = "leaf"
    for _ in range(32):  # the message, then 32 objects from `properties` down: 33 levels
        deep = {"x": deep}
    reply = await http.post(f"{tenant.base}/track", json={"userId": "u", "event": "E", "properties": deep},
                            headers=tenant.headers)
    assert reply.status_code == 400, reply.text
    assert "more than 32 levels" in reply.json()["message"]
    fits = await http.post(f"{tenant.base}/track", json={"userId": "u", "event": "E", "properties": deep["x"]},
                           headers=tenant.headers)
    assert fits.status_code == 200, fits.text
    assert (await written(store, tenant))["events"] == 1
