"""The per-workspace rate limit through a gateway of its own, started with a tiny limit (the bucket's arithmetic is
unit-tested with a clock in tests/unit/test_rate_limit.py)."""

import base64
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from tests.conftest import Tenant
from tools.suite import Endpoints, Suite

BURST = 3


@pytest.fixture(scope="module")
async def limited(suite: Endpoints, database: str) -> AsyncIterator[httpx.AsyncClient]:
    """A second gateway in front of the session's services, allowing bursts of 3 and then one request per 2 s."""
    gateway = Suite(env={"MONGODB_URI": suite.mongodb_uri, "CDP_MONGODB_DATABASE": database})
    child = gateway.spawn("gateway", "gateway", env={
        "CDP_GATEWAY_PORT": "0", "CDP_GATEWAY_HOST": "127.0.0.1",
        "CDP_GATEWAY_RATE_LIMIT_PER_SECOND": "0.5", "CDP_GATEWAY_RATE_LIMIT_BURST": str(BURST),
        **{f"CDP_GATEWAY_{name.upper()}_TARGET": suite.grpc(name) for name in ("ingest", "segmentation", "profile")},
    })
    try:
        port = child.wait_ready(60)["port"]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield client
    finally:
        assert gateway.stop() == {"gateway": 0}


async def test_over_the_limit_is_429_per_workspace_on_every_kind_of_route(limited: httpx.AsyncClient,
                                                                          tenant: Tenant, store: Store) -> None:
    other = Tenant(f"r{uuid.uuid4().hex[:9]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    await ensure_workspace(store, other.name, other.token, other.write_key)
    profile = f"{tenant.base}/profiles/userId:nobody/audiences"
    for _ in range(BURST):  # the burst, whatever the answer (a 404 counts as much as a 200)
        assert (await limited.get(profile, headers=tenant.headers)).status_code == 404
    # A caller without a valid token is refused as such, and takes nothing from the workspace's bucket.
    assert (await limited.get(profile, headers={"auth-token": "wrong"})).status_code == 403

    segment = {"authorization": "Basic " + base64.b64encode(f"{tenant.write_key}:".encode()).decode()}
    for reply in (
        await limited.get(profile, headers=tenant.headers),
        await limited.get(f"{tenant.base}/profiles", headers=tenant.headers),
        await limited.post(f"{tenant.base}/track", json={"userId": "u", "event": "E"}, headers=tenant.headers),
        await limited.post("/v1/track", json={"userId": "u", "event": "E"}, headers=segment),
        await limited.get(f"{tenant.base}/audiences", headers=tenant.headers),
    ):
        assert reply.status_code == 429, reply.text
        assert reply.json()["error"]["code"] == "rate_limit_error"
        assert int(reply.headers["retry-after"]) >= 1 and reply.headers["x-request-id"]
    assert await store.events.count_documents({"workspace": tenant.name}) == 0  # nothing over the limit was stored

    # Another workspace has its own bucket.
    assert (await limited.get(f"{other.base}/profiles", headers=other.headers)).status_code == 200
