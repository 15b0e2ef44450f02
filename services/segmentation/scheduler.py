"""The segmentation service's periodic work, driven by APScheduler (AsyncIOScheduler):

- `claim-due`, every `claim_interval`: drain the due queue (claims are leased per profile, so every replica runs
  this job and they share the work without doing any profile twice at once);
- `reconcile`, every `reconcile_interval`: a singleton (a store-held lease) that re-evaluates the profiles
  evaluated longest ago and repairs and counts any drift between what is stored and a fresh evaluation;
- `measure-due`, at start and every `measure_interval`: the due-queue gauges (`DueWorker.measure_queue`). Measured
  here rather than when Prometheus scrapes: a scrape is answered on another thread from what was last measured, so
  it never waits on the store (nor fails with it), and the store sees two indexed reads per interval per replica
  however many scrapers there are.

Stopping shuts the scheduler and waits for the jobs in flight, so a SIGTERM never cuts a profile in half (and
if it did, the lease would hand the profile to another worker).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from prometheus_client import Counter
from pymongo.errors import PyMongoError

from services.common.store import Store
from services.segmentation.leases import Leases
from services.segmentation.worker import Claim, DueWorker

log = logging.getLogger(__name__)

DRIFT_REPAIRED = Counter("cdp_reconcile_drift_repaired_total", "Profiles whose stored memberships or computed "
                         "traits differed from a fresh evaluation, found and repaired by the reconciliation sweep")


class Jobs:
    def __init__(self, store: Store, worker: DueWorker, leases: Leases, claim_interval: float = 0.25,
                 reconcile_interval: float = 60.0, reconcile_sample: int = 200, measure_interval: float = 15.0) -> None:
        self.store = store
        self.worker = worker
        self.leases = leases
        self.claim_interval = claim_interval
        self.reconcile_interval = reconcile_interval
        self.reconcile_sample = reconcile_sample
        self.measure_interval = measure_interval
        self.drift_repaired = 0
        self._scheduler = AsyncIOScheduler()
        self._running: set[asyncio.Task[None]] = set()
        self._stopping = False

    async def start(self) -> None:
        self._scheduler.add_job(self._tracked(self.drain), "interval", seconds=self.claim_interval, id="claim-due",
                                max_instances=1, coalesce=True)
        self._scheduler.add_job(self._tracked(self.reconcile), "interval", seconds=self.reconcile_interval,
                                id="reconcile", max_instances=1, coalesce=True)
        self._scheduler.add_job(self._tracked(self.worker.measure_queue), "interval", seconds=self.measure_interval,
                                id="measure-due", max_instances=1, coalesce=True, next_run_time=datetime.now(UTC))
        self._scheduler.start()

    async def stop(self) -> None:
        self._stopping = True
        self._scheduler.shutdown(wait=False)
        if self._running:
            await asyncio.wait(self._running, timeout=30)
        try:
            await self.leases.release("reconcile")
        except PyMongoError as error:  # the store is down: the lease runs out by itself, and stopping goes on
            log.warning("reconcile lease not released", extra={"error": str(error)})

    def _tracked(self, job: Callable[[], Awaitable[None]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                await job()
            except Exception:  # a failed run is logged and retried at the next tick, never kills the scheduler
                log.exception("job failed", extra={"job": job.__name__})
            finally:
                self._running.discard(task)

        return run

    async def drain(self) -> None:
        """Evaluate due profiles until none is due (or we are stopping)."""
        while not self._stopping and await self.worker.run_once() == self.worker.batch:
            pass

    async def reconcile(self) -> None:
        """Re-evaluate the profiles evaluated longest ago; repair and count any that had drifted."""
        if self._stopping or not await self.leases.acquire("reconcile", timedelta(seconds=self.reconcile_interval * 2)):
            return
        oldest = await self.store.profile_state.find({}, {"workspace": 1}).sort("evaluated_at", 1).limit(
            self.reconcile_sample).to_list(None)
        definitions = {}
        drifted = 0
        for doc in oldest:
            if self._stopping:
                break
            workspace = doc["workspace"]
            if workspace not in definitions:
                definitions[workspace] = await self.worker.definitions(workspace)
            before = await self.worker.stored(doc["_id"])
            outcome = await self.worker.evaluate(Claim(doc["_id"], workspace, 0, "reconcile"), definitions[workspace],
                                                 reschedule=False)
            if before != (outcome.audiences, outcome.computed):
                drifted += 1
            else:  # the worker does not touch unchanged states; mark this one checked, so the sweep moves on
                checked = {"$set": {"evaluated_at": self.worker.clock()}}
                await self.store.profile_state.update_one({"_id": doc["_id"]}, checked)
        self.drift_repaired += drifted
        DRIFT_REPAIRED.inc(drifted)
        log.info("reconciled", extra={"checked": len(oldest), "drifted": drifted, "drift_total": self.drift_repaired})
