"""Scale-out and faults with real processes: 2 ingest, 3 segmentation and 2 profile replicas on one store behind
one gateway. Every event is stored once, the replicas share the due queue without ever evaluating one profile at
the same time, a segmentation replica killed with -9 loses nothing, and every membership ends up equal to a
from-scratch evaluation by the store."""

import json
import signal
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from services.segmentation.engine import Engine
from tests.conftest import Tenant, eventually
from tools.suite import Endpoints, Suite

AUDIENCES = {
    "window shoppers": [
        {"mode": "required", "event": {"name": "Product Viewed", "where": [{"property": "price", "op": "gt", "value": 100}]}},
        {"mode": "not_required", "event": {"name": "Order Completed"}}],
    "big spenders": [{"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 100}}],
}
TRAIT = {"name": "total_revenue", "kind": "sum", "property": "revenue", "event": {"name": "Order Completed"}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Suite, Endpoints]]:
    suite = Suite(tail_lines=50_000, env={
        "CDP_DEBUG_LOGGERS": "services.segmentation.worker",
        "CDP_SEGMENTATION_CLAIM_LEASE_SECONDS": "3",
        "CDP_SEGMENTATION_CLAIM_BATCH": "5",
    })
    try:
        uri = suite.start_store(Path(tmp_path_factory.mktemp("scale")) / "store.sqlite3")
        yield suite, suite.start_services(uri, replicas={"ingest": 2, "segmentation": 3, "profile": 2})
    finally:
        codes = suite.stop()
        assert all(code in (0, -signal.SIGKILL) for code in codes.values()), codes


@pytest.fixture(scope="module")
async def cluster_store(cluster: tuple[Suite, Endpoints]) -> AsyncIterator[Store]:
    opened = Store(cluster[1].mongodb_uri, "cdp", appname="tests")
    yield opened
    await opened.close()


@pytest.fixture(scope="module")
async def cluster_tenant(cluster_store: Store) -> Tenant:
    made = Tenant(f"s{uuid.uuid4().hex[:8]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    await ensure_workspace(cluster_store, made.name, made.token, made.write_key)
    return made


@pytest.fixture(scope="module")
async def api(cluster: tuple[Suite, Endpoints], cluster_tenant: Tenant) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster[1].gateway, timeout=60) as client:
        created = await client.post(f"{cluster_tenant.base}/computed-traits", json=TRAIT, headers=cluster_tenant.headers)
        assert created.status_code == 201, created.text
        for name, conditions in AUDIENCES.items():
            created = await client.post(f"{cluster_tenant.base}/audiences", json={"name": name, "conditions": conditions},
                                        headers=cluster_tenant.headers)
            assert created.status_code == 201, created.text
        yield client


def history(user: str, kind: int) -> list[dict[str, Any]]:
    """Three kinds of people: window shoppers (0), big spenders (1), and cheap browsers who bought little (2)."""
    viewed = {"type": "track", "userId": user, "event": "Product Viewed",
              "properties": {"price": 150 if kind == 0 else 20}, "messageId": f"{user}-view"}
    if kind == 0:
        return [viewed]
    order = {"type": "track", "userId": user, "event": "Order Completed",
             "properties": {"revenue": 120 if kind == 1 else 10}, "messageId": f"{user}-order"}
    return [viewed, order]


def expected(kind: int) -> list[str]:
    return {0: ["window shoppers"], 1: ["big spenders"], 2: []}[kind]


async def send(api: httpx.AsyncClient, tenant: Tenant, users: list[str]) -> None:
    messages = [m for i, user in enumerate(users) for m in history(user, i % 3)]
    for start in range(0, len(messages), 20):
        reply = await api.post(f"{tenant.base}/batch", json={"batch": messages[start:start + 20]}, headers=tenant.headers)
        assert reply.status_code == 200 and not reply.json()["rejected"], reply.text


async def drained(store: Store) -> bool:
    return await store.due.count_documents({"due_at": {"$lte": datetime.now(UTC)}}) == 0


def evaluations(suite: Suite) -> list[dict[str, Any]]:
    found = []
    for child in suite.children:
        if child.name == "segmentation":
            found += [e for line in child.tail if '"evaluated"' in line and (e := json.loads(line)).get("event")]
    return found


async def from_scratch(store: Store, tenant: Tenant) -> dict[str, set[str]]:
    """Every audience's members as the store computes them now, by audience id."""
    engine = Engine(store)
    return {audience["_id"]: await engine.members_now(tenant.name, audience["conditions"])
            async for audience in store.audiences.find({"workspace": tenant.name})}


async def stored(store: Store, tenant: Tenant) -> dict[str, set[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    async for state in store.profile_state.find({"workspace": tenant.name}):
        for audience in state.get("audiences", []):
            members[audience].add(state["_id"])
    return members


async def test_replicas_share_the_work_and_every_event_and_membership_comes_out_right(
    cluster: tuple[Suite, Endpoints], cluster_store: Store, cluster_tenant: Tenant, api: httpx.AsyncClient
) -> None:
    users = [f"user-{i}" for i in range(30)]
    await send(api, cluster_tenant, users)
    await send(api, cluster_tenant, users)  # a full replay: stored once, counted once
    assert await cluster_store.events.count_documents({"workspace": cluster_tenant.name}) == 50
    await eventually(lambda: drained(cluster_store), timeout=60)

    for i, user in enumerate(users):
        reply = await api.get(f"{cluster_tenant.base}/profiles/userId:{user}/audiences", headers=cluster_tenant.headers)
        assert sorted(reply.json()["audiences"]) == expected(i % 3), (user, reply.json())

    done = evaluations(cluster[0])
    assert len({e["owner"] for e in done}) >= 2, "the work was not shared"
    by_profile: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for e in done:
        by_profile[e["profile"]].append((e["started"], e["finished"], e["owner"]))
    for profile, spans in by_profile.items():
        spans.sort()
        for (_, end, owner), (start, _, other) in zip(spans, spans[1:]):
            assert start >= end or owner == other, f"{profile} evaluated by {owner} and {other} at once"


async def test_a_segmentation_replica_killed_mid_run_loses_nothing(
    cluster: tuple[Suite, Endpoints], cluster_store: Store, cluster_tenant: Tenant, api: httpx.AsyncClient
) -> None:
    suite = cluster[0]
    before = len(evaluations(suite))
    await send(api, cluster_tenant, [f"late-{i}" for i in range(45)])
    victim = next(c for c in suite.children if c.name == "segmentation" and c.popen.poll() is None)

    async def working() -> bool:
        return len(evaluations(suite)) > before

    await eventually(working, timeout=30, every=0.02)
    victim.popen.send_signal(signal.SIGKILL)
    victim.popen.wait(10)
    await eventually(lambda: drained(cluster_store), timeout=60)
    # Leases the victim held run out (3 s here) and the survivors take those profiles.
    await eventually(lambda: _no_leases(cluster_store), timeout=30)
    truth = await from_scratch(cluster_store, cluster_tenant)
    assert all(truth.values()), truth  # both audiences have members: the comparison below means something
    assert await stored(cluster_store, cluster_tenant) == truth


async def _no_leases(store: Store) -> bool:
    return await store.due.count_documents({"lease_until": {"$ne": None}}) == 0 and await drained(store)
