"""The due-queue worker against the real store, with a clock the test moves: windows open and close on time."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.common.store import Store
from services.segmentation.engine import Engine
from services.segmentation.evaluation import next_due
from services.segmentation.worker import DueWorker
from tests.conftest import Tenant

T0 = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def put_definitions(store: Store, tenant: Tenant, audiences: list[dict[str, Any]],
                          traits: list[dict[str, Any]] = ()) -> dict[str, str]:
    ids = {}
    for trait in traits:
        ids[trait["name"]] = str(uuid.uuid4())
        await store.computed_traits.insert_one({"_id": ids[trait["name"]], "workspace": tenant.name, **trait})
    for audience in audiences:
        ids[audience["name"]] = str(uuid.uuid4())
        await store.audiences.insert_one({"_id": ids[audience["name"]], "workspace": tenant.name, **audience})
    return ids


async def put_profile(store: Store, tenant: Tenant, events: list[tuple[str, datetime, dict[str, Any]]],
                      traits: dict[str, Any] | None = None) -> str:
    """A profile with events, marked due now, as ingest leaves it."""
    profile_id = str(uuid.uuid4())
    await store.profiles.insert_one({"_id": profile_id, "workspace": tenant.name, "traits": traits or {}})
    if events:
        await store.events.insert_many([
            {"_id": str(uuid.uuid4()), "workspace": tenant.name, "profile_id": profile_id, "type": "track",
             "event": name, "name": "", "properties": props, "timestamp": at} for name, at, props in events])
    await store.due.update_one({"_id": profile_id}, {"$set": {"workspace": tenant.name, "due_at": T0,
                                                             "reason": "event"}, "$inc": {"seq": 1}}, upsert=True)
    return profile_id


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
async def store(mongodb_uri: str) -> AsyncIterator[Store]:
    """A database of this module's own: the suite's segmentation replicas must not claim what these tests queue."""
    private = Store(mongodb_uri, f"worker_{uuid.uuid4().hex[:12]}", appname="tests")
    await private.ensure_indexes("due", "profile_state", "membership_log")
    yield private
    await private.client.drop_database(private.db.name)
    await private.close()


@pytest.fixture
def tenant() -> Tenant:
    return Tenant(f"w{uuid.uuid4().hex[:10]}/marketing/MARKETING", "", "")


@pytest.fixture
def worker(store: Store, clock: Clock) -> DueWorker:
    return DueWorker(store, owner=f"test-{uuid.uuid4()}", clock=clock)


async def drain(worker: DueWorker) -> None:
    while await worker.run_once():
        pass


async def memberships(store: Store, profile_id: str) -> set[str]:
    return set((await store.profile_state.find_one({"_id": profile_id}) or {}).get("audiences", []))


async def test_a_quick_window_expires_on_time_and_the_change_is_logged(
    store: Store, tenant: Tenant, worker: DueWorker, clock: Clock
) -> None:
    ids = await put_definitions(store, tenant, [{"name": "recent", "conditions": [
        {"mode": "required", "event": {"name": "Visited", "window": {"kind": "quick", "last": {"amount": 1, "unit": "minutes"}}}}]}])
    profile = await put_profile(store, tenant, [("Visited", T0 - timedelta(seconds=20), {})])
    await drain(worker)
    assert await memberships(store, profile) == {ids["recent"]}
    due = await store.due.find_one({"_id": profile})
    assert due["due_at"] == T0 + timedelta(seconds=40, milliseconds=1) and "lease_until" not in due

    clock.now = T0 + timedelta(seconds=40)  # the edge itself: still inside
    await drain(worker)
    assert await memberships(store, profile) == {ids["recent"]}
    clock.now = T0 + timedelta(seconds=40, milliseconds=1)
    await drain(worker)
    assert await memberships(store, profile) == set()
    assert await store.due.find_one({"_id": profile}) is None  # nothing can change without new data
    log = await store.membership_log.find({"profile_id": profile}).sort("at", 1).to_list(None)
    assert [(e["audience"], e["change"], e["reason"]) for e in log] == [
        ("recent", "entered", "event"), ("recent", "exited", "time")]


async def test_a_relative_window_is_entered_later_with_no_new_event(
    store: Store, tenant: Tenant, worker: DueWorker, clock: Clock
) -> None:
    ids = await put_definitions(store, tenant, [{"name": "lapsed", "conditions": [
        {"mode": "required", "event": {"window": {"kind": "relative", "from": {"amount": 90, "unit": "days"},
                                                  "to": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}}]}])
    profile = await put_profile(store, tenant, [("Bought", T0 - timedelta(days=29), {})])
    await drain(worker)
    assert await memberships(store, profile) == set()
    clock.now = T0 + timedelta(days=1)  # exactly 30 days ago: inside both closed windows, so not yet lapsed
    await drain(worker)
    assert await memberships(store, profile) == set()
    clock.now = T0 + timedelta(days=1, milliseconds=1)
    await drain(worker)
    assert await memberships(store, profile) == {ids["lapsed"]}
    clock.now = T0 + timedelta(days=61, milliseconds=1)
    await drain(worker)
    assert await memberships(store, profile) == set()


async def test_computed_traits_feed_audiences(store: Store, tenant: Tenant, worker: DueWorker) -> None:
    ids = await put_definitions(
        store, tenant,
        [{"name": "big spenders", "conditions": [
            {"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}}]}],
        [{"name": "total_revenue", "kind": "sum", "property": "revenue", "event": {"name": "Order Completed"}}])
    big = await put_profile(store, tenant, [("Order Completed", T0 - timedelta(days=3), {"revenue": 400}),
                                            ("Order Completed", T0 - timedelta(days=1), {"revenue": 150.5})])
    small = await put_profile(store, tenant, [("Order Completed", T0, {"revenue": 20})])
    await drain(worker)
    assert await memberships(store, big) == {ids["big spenders"]}
    assert (await store.profile_state.find_one({"_id": big}))["computed"] == {ids["total_revenue"]: 550.5}
    assert await memberships(store, small) == set()


async def test_an_event_during_evaluation_keeps_the_profile_due(
    store: Store, tenant: Tenant, worker: DueWorker, clock: Clock
) -> None:
    await put_definitions(store, tenant, [{"name": "any", "conditions": [{"mode": "required", "event": {}}]}])
    profile = await put_profile(store, tenant, [])
    [claim] = await worker.claim()
    assert claim.profile_id == profile
    # Ingest marks the profile again while the worker holds it.
    await store.due.update_one({"_id": profile}, {"$set": {"due_at": T0}, "$inc": {"seq": 1}})
    await worker.evaluate(claim, await worker.definitions(tenant.name))
    due = await store.due.find_one({"_id": profile})
    assert due is not None and due["due_at"] == T0 and "lease_until" not in due


async def test_a_dead_workers_lease_runs_out_and_another_takes_the_profile(
    store: Store, tenant: Tenant, clock: Clock
) -> None:
    await put_definitions(store, tenant, [{"name": "any", "conditions": [{"mode": "required", "event": {}}]}])
    profile = await put_profile(store, tenant, [("Visited", T0, {})])
    dead = DueWorker(store, owner="dead", clock=clock)
    assert profile in [c.profile_id for c in await dead.claim()]  # claims, then "dies"
    alive = DueWorker(store, owner="alive", clock=clock)
    assert await alive.run_once() == 0 or await store.due.find_one({"_id": profile, "lease_owner": "dead"})
    clock.now = T0 + timedelta(seconds=31)
    await drain(alive)
    assert await memberships(store, profile) != set()


async def test_a_profile_that_cannot_be_written_never_holds_back_its_batch(
    store: Store, tenant: Tenant, worker: DueWorker
) -> None:
    ids = await put_definitions(store, tenant, [{"name": "any", "conditions": [{"mode": "required", "event": {}}]}])
    damaged, healthy = [await put_profile(store, tenant, [("Visited", T0, {})]) for _ in range(2)]
    # A state whose version is not a number: the worker's `$inc` of it fails, every time.
    await store.profile_state.insert_one({"_id": damaged, "workspace": tenant.name, "version": "damaged"})
    assert await worker.run_once() == 2
    assert await memberships(store, healthy) == {ids["any"]}
    assert await store.due.find_one({"_id": healthy}) is None
    # The damaged one is kept, leased (retried when the lease runs out), not lost.
    assert (await store.due.find_one({"_id": damaged}))["lease_owner"] == worker.owner


async def test_a_backfill_before_the_first_evaluation_leaves_a_state_the_worker_can_update(
    store: Store, tenant: Tenant, worker: DueWorker, clock: Clock
) -> None:
    ids = await put_definitions(store, tenant, [{"name": "pros", "conditions": [
        {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}}]}])
    profile = await put_profile(store, tenant, [("Visited", T0, {})], traits={"plan": "pro"})
    # The backfill gets to the new profile first (the workers are behind): it creates the profile's state.
    await Engine(store, clock=clock).backfill(tenant.name, "audience", ids["pros"])
    assert await memberships(store, profile) == {ids["pros"]}
    await store.profiles.update_one({"_id": profile}, {"$set": {"traits.plan": "free"}})
    await drain(worker)
    assert await memberships(store, profile) == set()
    assert (await store.profile_state.find_one({"_id": profile}))["version"] == 1


async def test_a_backfill_schedules_each_profile_at_the_crossing_the_worker_would_choose(
    store: Store, tenant: Tenant, worker: DueWorker, clock: Clock
) -> None:
    """The store's next crossing (`crossing_pipeline`) and the worker's (`next_due`) are the same instant, for
    events entering and leaving quick and relative windows, and for events that have left them for good."""
    ids = await put_definitions(store, tenant, [{"name": "windows", "conditions": [
        {"mode": "optional", "event": {"name": "Visited", "where": [{"property": "n", "op": "gt", "value": 1}],
                                       "window": {"kind": "quick", "last": {"amount": 2, "unit": "hours"}}}},
        {"mode": "optional", "event": {"type": "page", "window": {
            "kind": "relative", "from": {"amount": 3, "unit": "days"}, "to": {"amount": 1, "unit": "days"}}}}]}])
    histories = [
        [("Visited", T0 - timedelta(hours=1), {"n": 2})],  # leaves the quick window in an hour
        [("Visited", T0 - timedelta(hours=1), {"n": 0})],  # filtered out: never crosses
        [("Visited", T0 - timedelta(hours=3), {"n": 2})],  # left it already
        [("Visited", T0 - timedelta(minutes=5), {"n": 5}), ("Visited", T0 - timedelta(minutes=50), {"n": 5})],
    ]
    profiles = [await put_profile(store, tenant, events) for events in histories]
    page = await put_profile(store, tenant, [])
    await store.events.insert_one({"_id": str(uuid.uuid4()), "workspace": tenant.name, "profile_id": page,
                                   "type": "page", "name": "Home", "properties": {}, "timestamp": T0 - timedelta(hours=12)})
    profiles.append(page)
    await store.due.delete_many({"_id": {"$in": profiles}})
    await Engine(store, clock=clock).backfill(tenant.name, "audience", ids["windows"])
    by_store = {d["_id"]: d["due_at"] async for d in store.due.find({"_id": {"$in": profiles}})}
    await drain(worker)  # nothing is due now: the workers' own next due instants are asked for directly
    defs = await worker.definitions(tenant.name)
    by_worker = {}
    for profile in profiles:
        events = [e async for e in store.events.find({"profile_id": profile})]
        if (at := next_due(defs, events, T0)) is not None:
            by_worker[profile] = at
    assert by_store == by_worker
    assert set(by_store) == {profiles[0], profiles[3], page}
