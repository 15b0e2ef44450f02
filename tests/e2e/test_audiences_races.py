"""Backfills and due-queue workers write the same `profile_state` documents; these tests replay, step by step, the
interleavings that the REST tests can only hit by chance (a marketer creates a definition while events flow).

They drive the engine's own pieces in-process (`Engine`, `DueWorker`) against a database of their own, so that the
suite's running workers cannot claim what they queue, and a test clock, so that nothing depends on timing. Each
interleaving is one a real deployment goes through: a worker reads the workspace's definitions once per batch of
up to 25 profiles and evaluates them one after another; a backfill computes its result, then reads what is stored
to write the difference.
"""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common.store import Store
from services.segmentation.engine import Engine
from services.segmentation.worker import Claim, DueWorker

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TOTAL_REVENUE = {"name": "total_revenue", "kind": "sum", "property": "revenue", "event": {"name": "Order Completed"},
                 "window": None}
BIG_SPENDERS = {"name": "big spenders", "conditions": [
    {"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}}]}
ORDERED = {"name": "ordered", "conditions": [{"mode": "required", "event": {"name": "Order Completed"}}]}


def at_t0() -> datetime:
    """The test clock: the engine and the worker see the same instant, so windows cannot move under them."""
    return T0


@pytest.fixture(scope="module")
async def private(mongodb_uri: str) -> AsyncIterator[Store]:
    store = Store(mongodb_uri, f"races_{uuid.uuid4().hex[:12]}", appname="tests")
    await store.ensure_indexes("events", "profiles", "due", "audiences", "computed_traits", "profile_state",
                               "membership_log")
    yield store
    await store.client.drop_database(store.db.name)
    await store.close()


@pytest.fixture
def workspace() -> str:
    return f"r{uuid.uuid4().hex[:10]}/marketing/MARKETING"


async def add_profile(store: Store, workspace: str) -> str:
    profile_id = str(uuid.uuid4())
    await store.profiles.insert_one({"_id": profile_id, "workspace": workspace, "traits": {}})
    return profile_id


async def add_order(store: Store, workspace: str, profile_id: str, revenue: float, at: datetime) -> None:
    """An order as ingest stores it, with the due mark ingest makes."""
    await store.events.insert_one({"_id": str(uuid.uuid4()), "workspace": workspace, "profile_id": profile_id,
                                   "type": "track", "event": "Order Completed", "name": "",
                                   "properties": {"revenue": revenue}, "timestamp": at})
    await store.due.update_one({"_id": profile_id}, {"$set": {"workspace": workspace, "due_at": at},
                                                     "$inc": {"seq": 1}}, upsert=True)


async def add_definition(store: Store, workspace: str, kind: str, body: dict[str, Any]) -> str:
    definition_id = str(uuid.uuid4())
    collection = store.audiences if kind == "audience" else store.computed_traits
    await collection.insert_one({"_id": definition_id, "workspace": workspace, "version": 1,
                                 "status": {"state": "building"}, **body})
    return definition_id


async def state(store: Store, profile_id: str) -> dict[str, Any]:
    return await store.profile_state.find_one({"_id": profile_id}) or {}


async def test_a_worker_with_older_definitions_does_not_undo_a_backfill(private: Store, workspace: str) -> None:
    whale = await add_profile(private, workspace)
    await add_order(private, workspace, whale, 600, T0 - timedelta(days=1))
    worker = DueWorker(private, owner="worker", clock=at_t0)
    # The worker starts a batch: it reads the workspace's definitions (none yet) ...
    stale = await worker.definitions(workspace)
    # ... meanwhile a marketer creates total_revenue and big spenders, and both are backfilled ...
    trait_id = await add_definition(private, workspace, "computed_trait", TOTAL_REVENUE)
    audience_id = await add_definition(private, workspace, "audience", BIG_SPENDERS)
    engine = Engine(private, clock=at_t0)
    await engine.backfill(workspace, "computed_trait", trait_id)
    await engine.backfill(workspace, "audience", audience_id)
    backfilled = await state(private, whale)
    assert (backfilled["computed"], backfilled["audiences"]) == ({trait_id: 600}, [audience_id])
    # ... and then the worker reaches the whale in its batch.
    await worker.evaluate(Claim(whale, workspace, 1, "event"), stale)

    after = await state(private, whale)
    assert (after.get("computed"), after.get("audiences")) == ({trait_id: 600}, [audience_id])


async def test_a_backfill_does_not_undo_what_a_worker_wrote_meanwhile(private: Store, workspace: str) -> None:
    buyer = await add_profile(private, workspace)
    audience_id = await add_definition(private, workspace, "audience", ORDERED)
    worker = DueWorker(private, owner="worker", clock=at_t0)

    async def an_order_arrives_and_is_evaluated(fraction: float) -> None:
        # The engine reports progress 0.5 once it has computed who the members are, before it writes them: the
        # moment a new event's evaluation can slip in.
        if fraction == 0.5 and not await private.events.count_documents({"profile_id": buyer}):
            await add_order(private, workspace, buyer, 20, T0)
            await worker.evaluate(Claim(buyer, workspace, 1, "event"), await worker.definitions(workspace))
            assert (await state(private, buyer))["audiences"] == [audience_id]

    await Engine(private, clock=at_t0).backfill(workspace, "audience", audience_id, an_order_arrives_and_is_evaluated)

    assert (await state(private, buyer)).get("audiences") == [audience_id]
