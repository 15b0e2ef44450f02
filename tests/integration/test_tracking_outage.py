"""A store outage answers 503 on every tracking route, so SDKs retry; never a 200 for an event not stored.

A suite of its own (store, services, gateway), since the test stops its store.
"""

import asyncio
import signal
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from tests.integration.conftest import basic
from tools.suite import Suite


@dataclass
class Outage:
    suite: Suite
    http: httpx.AsyncClient
    name: str
    token: str
    write_key: str

    def stop_store(self) -> None:
        (store,) = [child for child in self.suite.children if child.name == "store"]
        store.popen.send_signal(signal.SIGTERM)
        store.popen.wait(15)


@pytest.fixture
async def outage(database: str) -> AsyncIterator[Outage]:
    suite = Suite(env={"CDP_MONGODB_DATABASE": database})
    with tempfile.TemporaryDirectory(prefix="outage-") as tmp:
        try:
            uri = await asyncio.to_thread(suite.start_store, Path(tmp) / "store.sqlite3")
            endpoints = await asyncio.to_thread(suite.start_services, uri)
            made = Outage(suite, httpx.AsyncClient(base_url=endpoints.gateway, timeout=30),
                          f"o{uuid.uuid4().hex[:8]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
            store = Store(uri, database, appname="tests")
            await ensure_workspace(store, made.name, made.token, made.write_key)
            await store.close()
            yield made
            await made.http.aclose()
        finally:
            await asyncio.to_thread(suite.stop)


async def test_a_store_outage_is_503_on_every_route(outage: Outage) -> None:
    base, auth = f"/track/{outage.name}/v1", {"auth-token": outage.token}
    warm = await outage.http.post(f"{base}/track", json={"userId": "u", "event": "E"}, headers=auth)
    assert warm.status_code == 200, warm.text  # the token is now cached: the next call reaches ingest

    outage.stop_store()
    replies = await asyncio.gather(
        outage.http.post(f"{base}/track", json={"userId": "u", "event": "Lost"}, headers=auth),
        outage.http.post(f"{base}/batch", json={"batch": [{"type": "track", "userId": "u", "event": "Lost"}]},
                         headers=auth),
        # Not cached yet: the gateway's own credential lookup meets the outage.
        outage.http.post("/v1/batch", json={"batch": [{"type": "track", "userId": "u", "event": "Lost"}]},
                         headers=basic(outage.write_key)),
    )
    for reply in replies:
        assert reply.status_code == 503, reply.text
        assert reply.json()["success"] is False
        assert reply.json()["error"]["code"] == "internal_server_error"
