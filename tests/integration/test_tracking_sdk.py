"""The official Segment Python library, unchanged, pointed at the gateway with its `host` setting."""

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from segment.analytics import Client

from services.common.store import Store
from tests.conftest import Tenant
from tools.suite import Endpoints


@pytest.fixture
def errors() -> list[Any]:
    return []


@pytest.fixture
def client(suite: Endpoints, tenant: Tenant, errors: list[Any]) -> Iterator[Client]:
    """A client whose upload errors are kept; max_retries=0 so a refused batch shows up at once."""
    made = Client(tenant.write_key, host=suite.gateway, on_error=lambda error, batch: errors.append(error),
                  max_retries=0, upload_size=100, upload_interval=0.2)
    yield made
    made.shutdown()


def send_all(client: Client) -> None:
    """Every call kind Segment's library has, queued, then flushed as one batch to `/v1/batch`."""
    happened = datetime.now(UTC) - timedelta(minutes=5)
    client.identify("sdk-user", {"email": "sdk@example.com", "plan": "pro"}, anonymous_id="sdk-anon",
                    message_id="sdk-1")
    client.track("sdk-user", "Order Completed", {"revenue": 42}, timestamp=happened, message_id="sdk-2")
    client.page("sdk-user", "Docs", "Pricing", {"url": "https://example.com/pricing"}, message_id="sdk-3")
    client.screen("sdk-user", "App", "Basket", message_id="sdk-4")
    client.group("sdk-user", "acme", {"name": "Acme"}, message_id="sdk-5")
    client.alias("sdk-anon-2", "sdk-user", message_id="sdk-6")
    client.flush()


async def test_the_sdk_delivers_a_batch_of_every_kind(client: Client, errors: list[Any], http: httpx.AsyncClient,
                                                      tenant: Tenant, store: Store) -> None:
    await asyncio.to_thread(send_all, client)
    assert errors == []
    stored = {e["message_id"]: e for e in await store.events.find({"workspace": tenant.name}).to_list()}
    assert {m: e["type"] for m, e in stored.items()} == {
        "sdk-1": "identify", "sdk-2": "track", "sdk-3": "page", "sdk-4": "screen", "sdk-5": "group",
        "sdk-6": "alias"}
    # The library sends sentAt once per batch: it reached every message, so the backdated track kept its time.
    assert all(e["sent_at"] is not None for e in stored.values())
    assert abs(stored["sdk-2"]["timestamp"] - (datetime.now(UTC) - timedelta(minutes=5))) < timedelta(seconds=30)
    assert stored["sdk-1"]["context"]["library"]["name"] == "analytics-python"

    profile = await http.get(f"{tenant.base}/profiles/userId:sdk-user/audiences", headers=tenant.headers)
    assert profile.status_code == 200, profile.text
    assert (profile.json()["email"], profile.json()["plan"]) == ("sdk@example.com", "pro")


async def test_the_sdk_in_sync_mode_with_gzip(suite: Endpoints, tenant: Tenant, store: Store) -> None:
    client = Client(tenant.write_key, host=suite.gateway, sync_mode=True, gzip=True)
    await asyncio.to_thread(client.track, user_id=7, event="Signed Up", properties={"plan": "free"})
    await asyncio.to_thread(client.identify, user_id=7, traits={"plan": "free"})
    stored = await store.events.find({"workspace": tenant.name}).to_list()
    assert sorted((e["type"], e["user_id"]) for e in stored) == [("identify", "7"), ("track", "7")]


async def test_the_sdk_sees_a_bad_write_key_as_an_error_it_does_not_retry(suite: Endpoints, tenant: Tenant,
                                                                          store: Store) -> None:
    from segment.analytics.request import APIError

    client = Client("not-a-write-key", host=suite.gateway, sync_mode=True)
    with pytest.raises(APIError) as caught:
        await asyncio.to_thread(client.track, user_id="u", event="E")
    assert caught.value.status == 401
    assert await store.events.count_documents({"workspace": tenant.name}) == 0
