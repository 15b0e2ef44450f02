"""The backfill runner against the real store, with a stand-in engine that records its calls.

The engine's own results are its tests' business; these hold the runner's promises: status transitions, one build
per definition at a time across runners, newer versions superseding older ones, leases taken over from a runner
that died, and deletes forgotten. Each test has a database of its own, so the suite's segmentation service (whose
runner sweeps every workspace of its database) never claims these definitions.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from services.common.clock import utc_now
from services.common.store import AUDIENCES, COMPUTED_TRAITS, Store
from services.segmentation.audiences import Audiences
from services.segmentation.backfill import BackfillRunner, Progress
from services.segmentation.computed_traits_store import ComputedTraits
from services.segmentation.definition_store import UNLEASED, Definitions

WORKSPACE = "acme/marketing/MARKETING"
ORDERS = {"name": "orders", "kind": "count", "event": {"name": "Order Completed"}}
BROWSERS = {"name": "browsers", "conditions": [{"mode": "required", "event": {"type": "page"}}]}
DEADLINE = 10.0


class FakeEngine:
    """Records calls; a build waits on `gate` (when set) and raises `failure` (when set)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.cancelled: list[str] = []
        self.gate: asyncio.Event | None = None
        self.failure: Exception | None = None
        self.building = asyncio.Event()

    async def backfill(self, workspace: str, kind: str, definition_id: str, progress: Progress) -> None:
        self.calls.append(("backfill", kind, definition_id))
        await progress(0.5)
        self.building.set()
        try:
            if self.gate is not None:
                await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled.append(definition_id)
            raise
        if self.failure is not None:
            raise self.failure

    async def forget(self, workspace: str, kind: str, definition_id: str) -> None:
        self.calls.append(("forget", kind, definition_id))

    async def preview(self, workspace: str, audience: dict[str, Any], sample: int = 10) -> tuple[int, list[str]]:
        raise AssertionError("not used here")

    async def members(self, workspace: str, audience_id: str, limit: int, cursor: str) -> tuple[list[str], str]:
        raise AssertionError("not used here")

    async def preview_trait(self, workspace: str, trait: dict[str, Any],
                            sample: int = 10) -> tuple[int, list[tuple[str, Any]]]:
        raise AssertionError("not used here")


@pytest.fixture
async def own_store(mongodb_uri: str) -> AsyncIterator[Store]:
    opened = Store(mongodb_uri, f"test_backfill_{uuid.uuid4().hex[:10]}", appname="tests")
    await opened.ensure_indexes(AUDIENCES, COMPUTED_TRAITS)
    yield opened
    await opened.client.drop_database(opened.db.name)
    await opened.close()


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


@pytest.fixture
async def runner(own_store: Store, engine: FakeEngine) -> AsyncIterator[BackfillRunner]:
    made = BackfillRunner(own_store, engine, lease_seconds=30, progress_seconds=0)
    yield made
    await made.stop()


async def stored(definitions: Definitions, definition_id: str) -> dict[str, Any]:
    doc = await definitions.collection.find_one({"_id": definition_id})
    assert doc is not None
    return doc


async def until(condition: Any) -> None:
    """Poll an async condition until it holds, within the deadline."""
    async with asyncio.timeout(DEADLINE):
        while not await condition():
            await asyncio.sleep(0.02)


@pytest.mark.parametrize("kind", ["audience", "computed_trait"])
async def test_building_then_ready(own_store: Store, runner: BackfillRunner, engine: FakeEngine, kind: str) -> None:
    definitions: Definitions = (Audiences(own_store, runner, engine) if kind == "audience"
                                else ComputedTraits(own_store, runner, engine))
    created = await definitions.create(WORKSPACE, BROWSERS if kind == "audience" else ORDERS)
    assert created["status"]["state"] == "building" and created["status"]["progress"] == 0
    assert created["version"] == 1
    engine.gate = asyncio.Event()

    assert await runner.sweep() == 1
    await asyncio.wait_for(engine.building.wait(), DEADLINE)
    midway = await stored(definitions, created["id"])
    assert midway["status"]["state"] == "building" and midway["status"]["progress"] == 0.5
    assert midway["backfill_lease_until"] > utc_now() and midway["backfill_owner"] == runner.owner

    engine.gate.set()
    await runner.idle()
    done = await stored(definitions, created["id"])
    assert (done["status"]["state"], done["status"]["progress"], done["status"]["error"]) == ("ready", 1.0, "")
    assert done["backfill_lease_until"] == UNLEASED
    assert engine.calls == [("backfill", kind, created["id"])]
    assert await runner.sweep() == 0  # nothing left to build


async def test_building_then_failed(own_store: Store, runner: BackfillRunner, engine: FakeEngine) -> None:
    definitions = ComputedTraits(own_store, runner, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.failure = RuntimeError("the store refused the pipeline")
    await runner.sweep()
    await runner.idle()
    done = await stored(definitions, created["id"])
    assert done["status"]["state"] == "failed"
    assert done["status"]["error"] == "the store refused the pipeline"
    assert await runner.sweep() == 0  # a failed build waits for an update; it is not retried in a loop

    engine.failure = None
    await definitions.update(WORKSPACE, created["id"], ORDERS)
    await runner.sweep()
    await runner.idle()
    assert (await stored(definitions, created["id"]))["status"]["state"] == "ready"


async def test_an_update_here_supersedes_the_build_at_once(
    own_store: Store, runner: BackfillRunner, engine: FakeEngine
) -> None:
    definitions = ComputedTraits(own_store, runner, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    await runner.sweep()
    await asyncio.wait_for(engine.building.wait(), DEADLINE)

    updated = await definitions.update(WORKSPACE, created["id"], {**ORDERS, "event": {"name": "Order Refunded"}})
    assert updated["version"] == 2 and updated["status"] == {**updated["status"], "state": "building", "progress": 0}
    await until(lambda: _async(engine.cancelled == [created["id"]]))  # the old build stopped, not waited for
    engine.gate.set()
    await runner.idle()
    done = await stored(definitions, created["id"])
    assert (done["version"], done["status"]["state"]) == (2, "ready")
    assert engine.calls == [("backfill", "computed_trait", created["id"])] * 2


async def test_an_old_build_that_finishes_never_marks_a_newer_version_ready(
    own_store: Store, runner: BackfillRunner, engine: FakeEngine
) -> None:
    definitions = ComputedTraits(own_store, runner, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    await runner.sweep()
    await asyncio.wait_for(engine.building.wait(), DEADLINE)
    # Another replica updates it: this runner is not told, and its build of version 1 completes.
    await definitions.collection.update_one({"_id": created["id"]}, {"$inc": {"version": 1}})
    engine.gate.set()
    await runner.idle()
    done = await stored(definitions, created["id"])
    assert (done["version"], done["status"]["state"]) == (2, "ready")
    assert len(engine.calls) == 2 and not engine.cancelled  # version 2 was built after version 1's result was dropped


async def test_one_build_per_definition_across_runners(own_store: Store, engine: FakeEngine) -> None:
    runners = [BackfillRunner(own_store, engine, owner=f"replica-{i}") for i in range(3)]
    definitions = ComputedTraits(own_store, runners[0], engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    try:
        assert sum(await asyncio.gather(*(r.sweep() for r in runners))) == 1
        await asyncio.wait_for(engine.building.wait(), DEADLINE)
        assert [await r.sweep() for r in runners] == [0, 0, 0]  # held by a live lease, even by its own runner
        engine.gate.set()
        for r in runners:
            await r.idle()
    finally:
        for r in runners:
            await r.stop()
    assert engine.calls == [("backfill", "computed_trait", created["id"])]


async def test_a_lease_left_by_a_dead_runner_is_taken_over(
    own_store: Store, runner: BackfillRunner, engine: FakeEngine
) -> None:
    definitions = ComputedTraits(own_store, runner, engine)
    orphan = await definitions.create(WORKSPACE, ORDERS)
    alive = await definitions.create(WORKSPACE, {**ORDERS, "name": "alive"})
    now = utc_now()
    await definitions.collection.update_one({"_id": orphan["id"]}, {"$set": {
        "backfill_owner": "dead-replica", "backfill_lease_until": now - timedelta(seconds=1)}})
    await definitions.collection.update_one({"_id": alive["id"]}, {"$set": {
        "backfill_owner": "live-replica", "backfill_lease_until": now + timedelta(minutes=5)}})

    assert await runner.sweep() == 1
    await runner.idle()
    assert (await stored(definitions, orphan["id"]))["status"]["state"] == "ready"
    assert (await stored(definitions, alive["id"]))["status"]["state"] == "building"
    assert engine.calls == [("backfill", "computed_trait", orphan["id"])]


async def test_the_sweeper_claims_on_start_and_on_every_change(own_store: Store, engine: FakeEngine) -> None:
    runner = BackfillRunner(own_store, engine, sweep_seconds=3600)
    definitions = ComputedTraits(own_store, runner, engine)
    waiting = await definitions.create(WORKSPACE, ORDERS)  # before the runner starts: left by a stopped replica
    await runner.start()
    try:
        await until(lambda: _state(definitions, waiting["id"], "ready"))  # found by the first sweep
        later = await definitions.create(WORKSPACE, {**ORDERS, "name": "later"})
        await until(lambda: _state(definitions, later["id"], "ready"))  # found at once, not an hour later
    finally:
        await runner.stop()


async def test_stopping_gives_the_lease_up(own_store: Store, engine: FakeEngine) -> None:
    first, second = BackfillRunner(own_store, engine, owner="first"), BackfillRunner(own_store, engine, owner="second")
    definitions = ComputedTraits(own_store, first, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    await first.sweep()
    await asyncio.wait_for(engine.building.wait(), DEADLINE)
    await first.stop()
    assert engine.cancelled == [created["id"]]
    left = await stored(definitions, created["id"])
    assert (left["status"]["state"], left["backfill_lease_until"]) == ("building", UNLEASED)

    engine.gate.set()
    assert await second.sweep() == 1  # at once, without waiting for the lease to run out
    await second.idle()
    await second.stop()
    assert (await stored(definitions, created["id"]))["status"]["state"] == "ready"


async def test_a_delete_is_forgotten_after_its_build_stops(
    own_store: Store, runner: BackfillRunner, engine: FakeEngine
) -> None:
    definitions = ComputedTraits(own_store, runner, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    await runner.sweep()
    await asyncio.wait_for(engine.building.wait(), DEADLINE)
    await definitions.delete(WORKSPACE, created["id"])
    await runner.idle()
    assert engine.cancelled == [created["id"]]
    assert engine.calls[0] == ("backfill", "computed_trait", created["id"])
    assert engine.calls[-1] == ("forget", "computed_trait", created["id"])  # after the build stopped writing


async def test_a_delete_elsewhere_is_noticed_at_the_next_renewal(own_store: Store, engine: FakeEngine) -> None:
    runner = BackfillRunner(own_store, engine, lease_seconds=0.3)
    definitions = ComputedTraits(own_store, runner, engine)
    created = await definitions.create(WORKSPACE, ORDERS)
    engine.gate = asyncio.Event()
    try:
        await runner.sweep()
        await asyncio.wait_for(engine.building.wait(), DEADLINE)
        await definitions.collection.delete_one({"_id": created["id"]})  # another replica's delete
        async with asyncio.timeout(DEADLINE):
            await runner.idle()
    finally:
        await runner.stop()
    assert engine.cancelled == [created["id"]]
    assert engine.calls == [("backfill", "computed_trait", created["id"]), ("forget", "computed_trait", created["id"])]


async def _async(value: bool) -> bool:
    return value


async def _state(definitions: Definitions, definition_id: str, state: str) -> bool:
    return (await stored(definitions, definition_id))["status"]["state"] == state
