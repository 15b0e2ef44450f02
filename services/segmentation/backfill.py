"""Backfills: computing a new version of a definition over its whole workspace, in the background.

A definition's document says what needs doing: `status.state == "building"` means its current `version` has yet to
be computed. Runners (one per segmentation process) take that work through a lease on the document itself,
`backfill_lease_until` and `backfill_owner`, claimed with `find_one_and_update`, so that:

- only one runner builds a definition at a time, however many replicas run, and none is lost: a runner renews its
  lease while it builds, and a runner that dies lets it run out, after which any runner's periodic sweep (and
  every runner's first sweep at start) claims the definition again;
- a newer version supersedes an older one: every write of a build (lease renewal, progress, the final status) is
  conditional on the version it builds, so an old build can never mark a newer version ready. A build that finds
  its version gone stops its engine call and, still holding the lease, builds the newer version;
- a definition deleted while it builds is forgotten by the runner that was building it, after it stopped writing.

The evaluation itself is the engine's (`engine.Engine.backfill` / `.forget`); this module only schedules it.
"""

import asyncio
import contextlib
import itertools
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from prometheus_client import Counter, Gauge
from pymongo import ReturnDocument

from services.common.clock import Clock, utc_now
from services.common.store import Store
from services.segmentation.definition_store import KINDS, UNLEASED, Kind, collection

log = logging.getLogger(__name__)

type Progress = Callable[[float], Awaitable[None]]

# A series per build running in this process (a handful at most: `concurrency`), removed when it ends.
PROGRESS = Gauge("cdp_backfill_progress_ratio", "How far each backfill running in this process is, 0 to 1",
                 ["kind", "workspace", "definition_id"])
FINISHED = Counter("cdp_backfills_total", "Backfills that ended in this process, by kind and outcome: ready, failed, "
                   "superseded (a newer version of the definition came meanwhile)", ["kind", "outcome"])


class BackfillEngine(Protocol):
    """What the runner needs of the evaluation engine (engine.Engine)."""

    async def backfill(self, workspace: str, kind: str, definition_id: str, progress: Progress) -> None: ...

    async def forget(self, workspace: str, kind: str, definition_id: str) -> None: ...


@dataclass(frozen=True)
class Job:
    kind: Kind
    workspace: str
    definition_id: str


@dataclass
class _Run:
    """A build this runner holds the lease of. `wake` asks it to check its version at once (it was updated or
    deleted here) instead of at its next lease renewal."""

    task: asyncio.Task[None] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class BackfillRunner:
    """Runs backfills and forgets in this process; a `Background` of the segmentation service."""

    def __init__(
        self,
        store: Store,
        engine: BackfillEngine,
        clock: Clock = utc_now,
        *,
        lease_seconds: float = 30.0,
        sweep_seconds: float = 10.0,
        concurrency: int = 2,
        progress_seconds: float = 1.0,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.engine = engine
        self.clock = clock
        self.lease = timedelta(seconds=lease_seconds)
        self.sweep_seconds = sweep_seconds
        self.concurrency = concurrency
        self.progress_seconds = progress_seconds
        self.owner = owner or f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
        self._runs: dict[tuple[Kind, str], _Run] = {}
        self._forgets: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._sweep_now = asyncio.Event()

    # --- Background ---------------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="backfill sweeper")

    async def stop(self) -> None:
        """Cancel every build and forget and wait for them; builds give their leases up for another replica."""
        tasks = [t for t in (self._sweeper, *(r.task for r in self._runs.values()), *self._forgets) if t]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # --- BackfillQueue (called by the definition stores) ---------------------------------------------------------

    def build(self, workspace: str, kind: Kind, definition_id: str) -> None:
        """A new version needs building: a build of an older one here hands over now, otherwise a sweep claims it."""
        run = self._runs.get((kind, definition_id))
        if run is not None:
            run.wake.set()
        self._sweep_now.set()

    def forget(self, workspace: str, kind: Kind, definition_id: str) -> None:
        task = asyncio.create_task(self._forget(Job(kind, workspace, definition_id)), name=f"forget {definition_id}")
        self._forgets.add(task)
        task.add_done_callback(self._forgets.discard)

    # --- Claiming -----------------------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Claim definitions waiting for a build (new, or left by a runner that died) while there is room; returns
        how many builds it started."""
        started, idle = 0, 0
        kinds = itertools.cycle(KINDS)  # take turns, so that neither kind starves the other
        while len(self._runs) < self.concurrency and idle < len(KINDS):
            kind = next(kinds)
            doc = await self._claim_waiting(kind)
            if doc is None:
                idle += 1
                continue
            self._start(kind, doc)
            started, idle = started + 1, 0
        return started

    async def idle(self) -> None:
        """Wait until this runner has no build or forget in progress."""
        while busy := [*(r.task for r in self._runs.values() if r.task), *self._forgets]:
            await asyncio.gather(*busy, return_exceptions=True)

    async def _sweep_forever(self) -> None:
        while True:
            self._sweep_now.clear()
            try:
                await self.sweep()
            except Exception:  # the store may be away for a while: keep sweeping, never die silently
                log.exception("backfill sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._sweep_now.wait(), self.sweep_seconds)

    async def _claim_waiting(self, kind: Kind) -> dict[str, Any] | None:
        # Across workspaces by design: runners serve every workspace. Definitions built here are skipped, since a
        # lease that ran out under a stalled event loop is still ours to finish.
        mine = [definition_id for k, definition_id in self._runs if k == kind]
        return await self._claim(kind, {"status.state": "building", "backfill_lease_until": {"$lte": self.clock()},
                                        "_id": {"$nin": mine}})

    async def _reclaim(self, job: Job) -> dict[str, Any] | None:
        """The newer version of a definition whose build was superseded, if it still needs building and the lease
        is still ours (or free)."""
        return await self._claim(job.kind, {
            "_id": job.definition_id, "workspace": job.workspace, "status.state": "building",
            "$or": [{"backfill_owner": self.owner}, {"backfill_lease_until": {"$lte": self.clock()}}],
        })

    async def _claim(self, kind: Kind, query: dict[str, Any]) -> dict[str, Any] | None:
        return await collection(self.store, kind).find_one_and_update(
            query,
            {"$set": {"backfill_lease_until": self.clock() + self.lease, "backfill_owner": self.owner}},
            sort=[("status.updated_at", 1)],
            return_document=ReturnDocument.AFTER,
        )

    def _start(self, kind: Kind, doc: dict[str, Any]) -> None:
        key = (kind, doc["_id"])
        run = _Run()
        run.task = asyncio.create_task(self._run(Job(kind, doc["workspace"], doc["_id"]), doc["version"], run.wake),
                                       name=f"backfill {kind} {doc['_id']}")
        self._runs[key] = run

        def finished(_: asyncio.Task[None]) -> None:
            self._runs.pop(key, None)
            self._sweep_now.set()  # room for another build

        run.task.add_done_callback(finished)

    # --- Building -----------------------------------------------------------------------------------------------

    async def _run(self, job: Job, version: int, wake: asyncio.Event) -> None:
        """Build `version`, then any newer version that superseded it, while the lease stays ours."""
        try:
            while True:
                if await self._attempt(job, version, wake):
                    return
                doc = await self._reclaim(job)
                if doc is None:
                    break
                version = doc["version"]
            if not await self._exists(job):  # deleted while we built: take back what the build wrote
                await self._forget(job, waited=True)
        except asyncio.CancelledError:
            await self._release(job)
            raise
        except Exception:  # the store failed us: the lease runs out and a sweep (maybe ours) retries
            log.exception("backfill interrupted", extra=_fields(job, version))
        finally:
            with contextlib.suppress(KeyError):  # a run that ended before its first attempt has no series
                PROGRESS.remove(job.kind, job.workspace, job.definition_id)

    async def _attempt(self, job: Job, version: int, wake: asyncio.Event) -> bool:
        """One engine call for one version. True when its outcome is recorded; False when the version was
        superseded or deleted (the engine call is then cancelled and nothing is recorded)."""
        log.info("backfill started", extra=_fields(job, version))
        PROGRESS.labels(job.kind, job.workspace, job.definition_id).set(0)
        build = asyncio.create_task(
            self.engine.backfill(job.workspace, job.kind, job.definition_id, self._progress(job, version, wake)))
        try:
            while not build.done():
                # A wake set before this build began counts too: it costs at most one early renewal.
                woken = asyncio.create_task(wake.wait())
                await asyncio.wait({build, woken}, timeout=self.lease.total_seconds() / 3,
                                   return_when=asyncio.FIRST_COMPLETED)
                woken.cancel()
                wake.clear()
                if not build.done() and not await self._renew(job, version):
                    log.info("backfill superseded", extra=_fields(job, version))
                    FINISHED.labels(job.kind, "superseded").inc()
                    return False
        finally:
            build.cancel()
            await asyncio.gather(build, return_exceptions=True)
        if build.cancelled():  # by the engine itself: treat it as a failure rather than retrying forever
            return await self._record(job, version, "failed", "the backfill was cancelled")
        error = build.exception()
        if error is None:
            log.info("backfill ready", extra=_fields(job, version))
            return await self._record(job, version, "ready", "")
        log.error("backfill failed", exc_info=error, extra=_fields(job, version))
        return await self._record(job, version, "failed", str(error) or type(error).__name__)

    def _ours(self, job: Job, version: int) -> dict[str, Any]:
        """The condition of every write a build makes: still this version, still building, still our lease."""
        return {"_id": job.definition_id, "workspace": job.workspace, "version": version,
                "status.state": "building", "backfill_owner": self.owner}

    async def _renew(self, job: Job, version: int) -> bool:
        renewed = await collection(self.store, job.kind).update_one(
            self._ours(job, version), {"$set": {"backfill_lease_until": self.clock() + self.lease}})
        return renewed.matched_count == 1

    async def _record(self, job: Job, version: int, state: str, error: str) -> bool:
        outcome: dict[str, Any] = {"status.state": state, "status.error": error, "status.updated_at": self.clock(),
                                   "backfill_lease_until": UNLEASED}
        if state == "ready":
            outcome["status.progress"] = 1.0
        recorded = await collection(self.store, job.kind).update_one(self._ours(job, version), {"$set": outcome})
        if recorded.matched_count == 1:
            FINISHED.labels(job.kind, state).inc()
            return True
        FINISHED.labels(job.kind, "superseded").inc()
        return False

    def _progress(self, job: Job, version: int, wake: asyncio.Event) -> Progress:
        """The engine's progress callback: writes status.progress, at most once per `progress_seconds`."""
        last = -float("inf")

        async def progress(fraction: float) -> None:
            nonlocal last
            if not math.isfinite(fraction):
                return
            fraction = min(max(fraction, 0.0), 1.0)
            # The gauge follows every step (it costs nothing); the stored progress, at most once per interval.
            PROGRESS.labels(job.kind, job.workspace, job.definition_id).set(fraction)
            if time.monotonic() - last < self.progress_seconds:
                return
            last = time.monotonic()
            written = await collection(self.store, job.kind).update_one(
                self._ours(job, version),
                {"$set": {"status.progress": fraction, "status.updated_at": self.clock()}})
            if not written.matched_count:
                wake.set()  # superseded or deleted: the build's watcher stops the engine call now

        return progress

    async def _release(self, job: Job) -> None:
        """Give the lease up (this process is stopping), so another runner need not wait for it to run out."""
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await collection(self.store, job.kind).update_one(
                    {"_id": job.definition_id, "workspace": job.workspace, "backfill_owner": self.owner},
                    {"$set": {"backfill_lease_until": UNLEASED}})

    async def _exists(self, job: Job) -> bool:
        found = await collection(self.store, job.kind).find_one(
            {"_id": job.definition_id, "workspace": job.workspace}, {"_id": 1})
        return found is not None

    # --- Forgetting ---------------------------------------------------------------------------------------------

    async def _forget(self, job: Job, waited: bool = False) -> None:
        """Remove a deleted definition from every profile. A build of it here is stopped first, so that nothing
        it writes afterwards survives."""
        run = self._runs.get((job.kind, job.definition_id))
        if run is not None and run.task is not None and not waited:
            run.wake.set()
            await asyncio.wait({run.task})
        try:
            await self.engine.forget(job.workspace, job.kind, job.definition_id)
            log.info("definition forgotten", extra=_fields(job))
        except Exception:
            log.exception("forget failed", extra=_fields(job))


def _fields(job: Job, version: int | None = None) -> dict[str, Any]:
    return {"kind": job.kind, "workspace": job.workspace, "definition_id": job.definition_id, "version": version}
