"""Backfill speed against the raw store, and the in-memory evaluator's speed on one core.

What it measures.

1. Backfill. A synthetic workspace (`--profiles` people, about `--events` events each, over the last 120 days:
   product views with a price, orders with a revenue, sign-ins, page views) and the product page's representative
   audience, "viewed a product over 100 in the last 30 days but never completed an order":

       required      Product Viewed where price > 100, window quick: last 30 days
       not_required  Order Completed

   Timed on the same store in the same run, alternately, `--repeat` times each (medians reported):
   - the engine: `services.segmentation.engine.Engine(store).backfill(...)` in-process against the store, exactly
     as the segmentation service's backfill runner calls it: one aggregation over the workspace's profiles (those
     without events), one over its events (a count per event condition and profile, and each profile's next
     window crossing), then the difference to `profile_state`, its `membership_log` entries and the `due` marks
     of the profiles a sliding window will change, written in bulk. Its stored memberships are removed
     (`Engine.forget`, not timed) before each run, so every run is a new audience's first backfill and writes
     every member;
   - the baseline: ONE hand-written aggregation over `events` that computes the same membership (a `$group` per
     profile counting matching views and orders), and writes nothing.
   The ratio backfill / baseline is the figure with a goal (<= 2.0); the engine's time is also split into its
   aggregations and its writes. Both member sets must be equal, or the run fails. On the embedded store the
   ratio is also given by the store process's CPU seconds (the engine's own process included), which other load
   on the machine does not move the way it moves wall time.

2. Evaluation. `services.segmentation.evaluation.evaluate_profile` (what the due-queue workers run per profile:
   computed traits, audiences in dependency order, the next due instant) with the seed's three audiences,
   (a) viewed over a price but never ordered, (b) active 30 to 90 days ago but not in the last 30, (c) big spenders
   by the `total_revenue` computed trait, over `--eval-profiles` synthetic profiles of `--eval-events` events each,
   in this process (one core): profile evaluations per CPU second. Goal >= 10,000/s.

How the embedded store is seeded. Inserts over the wire are slow on the embedded store (the server inserts one
document at a time and gets slower as a collection grows; see shared/notes/embedded-store.md), so without
MONGODB_URI the workspace is written *in-process*, straight into a fresh SQLite file with mongoeco's own client on
its `SQLiteEngine` (the same engine the wire server runs), with the project's indexes; then the wire server is
started on that file as a process of its own (`tools.suite`), exactly as the tests start it, and everything timed
goes over the wire with PyMongo. With MONGODB_URI the workspace is seeded over the wire with `insert_many` into a
database of its own, dropped afterwards. The seeding time is reported either way; it is not part of any ratio.

The embedded store answers nothing while it aggregates, not even the driver's heartbeat, and PyMongo cancels an
operation once a heartbeat has waited its connect timeout (20 s). The bench connects with long timeouts so that a
slow backfill is measured rather than lost; `--as-service` keeps the services' own settings, to see what the
segmentation service would meet.

  python -m bench.backfill                          # embedded store, default sizes (about 1 minute here)
  python -m bench.backfill --profiles 1000 --repeat 1
  python -m bench.backfill --profiles 1000 --repeat 1 --as-service     # the service's fate on that workspace
  MONGODB_URI=mongodb://host/ python -m bench.backfill --profiles 100000
  python -m bench.backfill --json var/bench-backfill.json
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pymongo.errors import PyMongoError

from bench.common import cpu_seconds
from services.common.store import AUDIENCES, EVENTS, INDEXES, PROFILE_STATE, PROFILES, Store
from services.segmentation import computed
from services.segmentation.conditions import ProfileData, evaluate
from services.segmentation.engine import Engine
from services.segmentation.evaluation import Definitions, evaluate_profile, next_due
from tools.suite import Suite

WORKSPACE = "bench/backfill/BENCH"
SEED_BATCH = 1000
HISTORY_DAYS = 120
PRICE = 100
RECENT_DAYS = 30
BACKFILL_GOAL = 2.0  # backfill time / one hand-written aggregation, at most
EVALUATION_GOAL = 10_000  # profile evaluations per CPU second, at least

Doc = dict[str, Any]

# The representative audience, in the public definition format.
VIEWED_NOT_ORDERED: Doc = {
    "name": "viewed expensive, never ordered",
    "conditions": [
        {"mode": "required", "event": {"name": "Product Viewed",
                                       "where": [{"property": "price", "op": "gt", "value": PRICE}],
                                       "window": {"kind": "quick", "last": {"amount": RECENT_DAYS, "unit": "days"}}}},
        {"mode": "not_required", "event": {"name": "Order Completed"}},
    ],
}
# The seed's other two examples, for the evaluator.
LAPSED: Doc = {
    "name": "lapsed",
    "conditions": [
        {"mode": "required", "event": {"window": {"kind": "relative", "from": {"amount": 90, "unit": "days"},
                                                  "to": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
    ],
}
TOTAL_REVENUE: Doc = {"name": "total_revenue", "kind": "sum", "property": "revenue",
                      "event": {"name": "Order Completed"}, "window": None}
BIG_SPENDERS: Doc = {"name": "big spenders", "conditions": [
    {"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}}]}


# --- the synthetic workspace ------------------------------------------------------------------------------------

class Workspace:
    """Deterministic people and events (a seeded RNG), shaped like what ingest stores."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, profile_id: str, last_seen_days: float = 0) -> Doc:
        """One event: mostly views (a third of them over the price), some orders, sign-ins and page views, in the
        `HISTORY_DAYS` before the person was last seen."""
        at = self.now - timedelta(days=last_seen_days, seconds=self.rng.randrange(HISTORY_DAYS * 86_400))
        at = at.replace(microsecond=at.microsecond // 1000 * 1000)  # BSON keeps milliseconds
        kind = self.rng.random()
        base: Doc = {"_id": self.new_id(), "workspace": WORKSPACE, "profile_id": profile_id, "message_id": "",
                     "type": "track", "event": "", "name": "", "properties": {}, "timestamp": at, "received_at": at}
        if kind < 0.55:
            base |= {"event": "Product Viewed",
                     "properties": {"price": self.rng.choice([self.rng.randint(5, 100), self.rng.randint(5, 300)]),
                                    "sku": f"sku-{self.rng.randrange(500)}"}}
        elif kind < 0.62:
            base |= {"event": "Order Completed", "properties": {"revenue": round(self.rng.uniform(10, 400), 2)}}
        elif kind < 0.85:
            base |= {"event": "Signed In"}
        else:
            base |= {"type": "page", "name": self.rng.choice(["Home", "Pricing", "Cart"])}
        base["message_id"] = base["_id"]
        return base

    def profile(self, events_each: int) -> tuple[Doc, list[Doc]]:
        profile_id = self.new_id()
        profile = {"_id": profile_id, "workspace": WORKSPACE, "user_id": f"user-{profile_id[:8]}",
                   "anonymous_ids": [], "emails": [], "traits": {"plan": self.rng.choice(["free", "pro"])},
                   "created_at": self.now, "updated_at": self.now}
        # Spread the history: some people did one thing, some many.
        count = max(1, min(3 * events_each, int(self.rng.expovariate(1 / events_each))))
        return profile, [self.event(profile_id) for _ in range(count)]


# --- seeding ------------------------------------------------------------------------------------------------------

async def seed_in_process(path: Path, database: str, profiles: list[Doc], events: list[Doc]) -> float:
    """Write the workspace straight into a SQLite file with mongoeco's in-process client (no wire); seconds."""
    from mongoeco import AsyncMongoClient as EmbeddedClient
    from mongoeco.engines.sqlite import SQLiteEngine

    began = time.perf_counter()
    client = EmbeddedClient(SQLiteEngine(str(path), aggregation_materialization_limit=None))
    await client.__aenter__()  # connects the engine
    try:
        db = client[database]
        for name in (EVENTS, PROFILES, PROFILE_STATE, AUDIENCES):
            # The project's indexes, as mongoeco's own IndexModel (it does not take PyMongo's).
            for index in INDEXES[name]:
                spec = index.document
                await db[name].create_index(list(spec["key"].items()), name=spec["name"],
                                            unique=spec.get("unique", False))
        for collection, docs in ((PROFILES, profiles), (EVENTS, events)):
            for start in range(0, len(docs), SEED_BATCH):
                await db[collection].insert_many(docs[start:start + SEED_BATCH], ordered=False)
    finally:
        await client.close()
    return time.perf_counter() - began


async def seed_over_wire(store: Store, profiles: list[Doc], events: list[Doc]) -> float:
    began = time.perf_counter()
    await store.ensure_indexes(EVENTS, PROFILES, PROFILE_STATE, AUDIENCES)
    for collection, docs in ((store.profiles, profiles), (store.events, events)):
        for start in range(0, len(docs), SEED_BATCH):
            await collection.insert_many(docs[start:start + SEED_BATCH], ordered=False)
    return time.perf_counter() - began


# --- the two ways of computing the audience ---------------------------------------------------------------------

def baseline_pipeline(now: datetime) -> list[Doc]:
    """The audience by hand, as one would write it for this one definition: one pass over the workspace's views and
    orders, a count of each per profile. (No profile is merged in this workspace, so `profiles` is not needed.)"""
    since = now - timedelta(days=RECENT_DAYS)
    expensive_recent_view = {"$and": [
        {"$eq": ["$event", "Product Viewed"]}, {"$isNumber": "$properties.price"},
        {"$gt": ["$properties.price", PRICE]}, {"$gte": ["$timestamp", since]}, {"$lte": ["$timestamp", now]}]}
    return [
        {"$match": {"workspace": WORKSPACE, "type": "track", "event": {"$in": ["Product Viewed", "Order Completed"]}}},
        {"$group": {"_id": "$profile_id",
                    "views": {"$sum": {"$cond": [expensive_recent_view, 1, 0]}},
                    "orders": {"$sum": {"$cond": [{"$eq": ["$event", "Order Completed"]}, 1, 0]}}}},
        {"$match": {"views": {"$gte": 1}, "orders": 0}},
        {"$project": {"_id": 1}},
    ]


class BackfillFailed(RuntimeError):
    pass


class Halfway:
    """The engine's progress callback: notes when it reports 0.5, i.e. its aggregation is done and writes begin."""

    def __init__(self) -> None:
        self.at: float | None = None

    async def progress(self, fraction: float) -> None:
        if fraction >= 0.5 and self.at is None:
            self.at = time.perf_counter()


@dataclass
class BackfillRun:
    baseline_s: float
    backfill_s: float
    aggregate_s: float  # the engine's aggregation: until it reports progress 0.5
    write_s: float  # the rest: reading current members, writing the difference
    members: int
    # CPU seconds of the store process (and of this one, which runs the engine) during each, where measurable.
    baseline_cpu_s: float | None = None
    backfill_cpu_s: float | None = None


async def measure_backfill(store: Store, repeat: int, store_pid: int | None) -> list[BackfillRun]:
    audience_id = str(uuid.uuid4())
    await store.audiences.insert_one({"_id": audience_id, "workspace": WORKSPACE, "version": 1,
                                      "status": {"state": "building"}, **VIEWED_NOT_ORDERED})
    # One clock for both, so that the 30-day window means the same instant range.
    now = datetime.now(UTC).replace(microsecond=0)
    engine = Engine(store, clock=lambda: now)

    def cpu() -> float | None:
        return cpu_seconds(store_pid) + time.process_time() if store_pid else None

    def spent(since: float | None) -> float | None:
        return cpu() - since if since is not None else None  # type: ignore[operator]

    runs = []
    for _ in range(repeat):
        began, cpu_began = time.perf_counter(), cpu()
        cursor = await store.events.aggregate(baseline_pipeline(now))
        baseline = {doc["_id"] async for doc in cursor}
        baseline_s, baseline_cpu_s = time.perf_counter() - began, spent(cpu_began)

        await engine.forget(WORKSPACE, "audience", audience_id)
        await store.due.delete_many({"workspace": WORKSPACE})  # as before a first backfill: nothing scheduled
        halfway = Halfway()
        began, cpu_began = time.perf_counter(), cpu()
        try:
            await engine.backfill(WORKSPACE, "audience", audience_id, halfway.progress)
        except PyMongoError as error:
            raise BackfillFailed(f"the engine's backfill failed after {time.perf_counter() - began:.1f} s "
                                 f"({type(error).__name__}: {str(error)[:160]})") from error
        backfill_s, backfill_cpu_s = time.perf_counter() - began, spent(cpu_began)
        aggregate_s = (halfway.at or time.perf_counter()) - began

        stored = {doc["_id"] async for doc in store.profile_state.find(
            {"workspace": WORKSPACE, "audiences": audience_id}, {"_id": 1})}
        if stored != baseline:
            raise RuntimeError(f"the engine and the hand-written pipeline disagree: {len(stored)} vs "
                               f"{len(baseline)} members, e.g. {sorted(stored ^ baseline)[:5]}")
        runs.append(BackfillRun(baseline_s, backfill_s, aggregate_s, backfill_s - aggregate_s, len(stored),
                                baseline_cpu_s, backfill_cpu_s))
        by_cpu = (f"; by CPU: baseline {baseline_cpu_s:.2f} s, backfill {backfill_cpu_s:.2f} s"
                  if baseline_cpu_s is not None and backfill_cpu_s is not None else "")
        print(f"  run {len(runs)}: baseline {baseline_s:.2f} s, backfill {backfill_s:.2f} s "
              f"(aggregations {aggregate_s:.2f} s + writes {backfill_s - aggregate_s:.2f} s){by_cpu}; "
              f"{len(stored)} members", flush=True)
    return runs


# --- the in-memory evaluator --------------------------------------------------------------------------------------

@dataclass
class EvaluationResult:
    profiles: int
    events_each: int
    cpu_s: float
    wall_s: float
    members: dict[str, int]
    parts_cpu_s: dict[str, float]  # the same evaluations, step by step: where the time goes

    @property
    def per_cpu_s(self) -> float:
        return self.profiles / self.cpu_s if self.cpu_s else 0.0


def measure_evaluation(profiles: int, events_each: int, seed: int) -> EvaluationResult:
    now = datetime.now(UTC)
    world = Workspace(seed + 1, now)
    people = []
    for _ in range(profiles):
        profile_id = world.new_id()
        # People last seen at different times, so that every audience has members and non-members.
        last_seen = world.rng.choice([0, 0, 10, 40, 100])
        people.append(([world.event(profile_id, last_seen) for _ in range(events_each)], {"plan": "pro"}))
    trait = {"_id": "t-total-revenue", **TOTAL_REVENUE}
    audiences = [{"_id": f"a-{i}", **a} for i, a in enumerate((VIEWED_NOT_ORDERED, LAPSED, BIG_SPENDERS))]
    defs = Definitions.of([trait], audiences)
    names = {a["_id"]: a["name"] for a in audiences}
    members = dict.fromkeys(names.values(), 0)
    cpu, wall = time.process_time(), time.perf_counter()
    for events, traits in people:
        outcome = evaluate_profile(defs, events, traits, now)
        for audience_id in outcome.audiences:
            members[names[audience_id]] += 1
    cpu_s, wall_s = time.process_time() - cpu, time.perf_counter() - wall
    return EvaluationResult(profiles, events_each, cpu_s, wall_s, members, evaluation_parts(defs, people, now))


def evaluation_parts(defs: Definitions, people: list[tuple[list[Doc], Doc]], now: datetime) -> dict[str, float]:
    """CPU seconds of each step `evaluate_profile` takes, timed apart over the same profiles (not part of the rate)."""
    parts = {"computed traits": 0.0, **{a["name"]: 0.0 for a in defs.audiences}, "next due": 0.0}
    for events, traits in people:
        began = time.process_time()
        data = ProfileData(events=events, traits=traits)
        for trait in defs.traits:
            value = computed.compute(trait, events, now)
            if value != computed.empty(trait["kind"]):
                data.computed[trait["name"]] = value
        parts["computed traits"] += time.process_time() - began
        for audience in defs.audiences:
            began = time.process_time()
            if evaluate(audience["conditions"], data, defs.refs, now):
                data.audiences.add(audience["name"])
            parts[audience["name"]] += time.process_time() - began
        began = time.process_time()
        next_due(defs, events, now)
        parts["next due"] += time.process_time() - began
    return parts


# --- the run ------------------------------------------------------------------------------------------------------

@dataclass
class Report:
    store: str
    profiles: int
    events: int
    seeding: str
    seed_s: float
    runs: list[BackfillRun] = field(default_factory=list)
    evaluation: EvaluationResult | None = None

    @property
    def baseline_s(self) -> float:
        return statistics.median(r.baseline_s for r in self.runs)

    @property
    def backfill_s(self) -> float:
        return statistics.median(r.backfill_s for r in self.runs)

    @property
    def ratio(self) -> float:
        return self.backfill_s / self.baseline_s

    @property
    def aggregation_ratio(self) -> float:
        return statistics.median(r.aggregate_s for r in self.runs) / self.baseline_s

    @property
    def cpu_ratio(self) -> float | None:
        if any(r.backfill_cpu_s is None or not r.baseline_cpu_s for r in self.runs):
            return None
        return statistics.median(r.backfill_cpu_s for r in self.runs) / statistics.median(  # type: ignore[misc]
            r.baseline_cpu_s for r in self.runs)


async def backfill_on(uri: str, database: str, report: Report, args: argparse.Namespace,
                      data: tuple[list[Doc], list[Doc]] | None, store_pid: int | None = None) -> None:
    store = Store(uri if args.as_service else patient(uri), database, appname="bench.backfill")
    try:
        if data is not None:
            report.seed_s = await seed_over_wire(store, *data)
            print(f"seeded over the wire in {report.seed_s:.1f} s", flush=True)
        report.runs = await measure_backfill(store, args.repeat, store_pid)
    finally:
        if data is not None:
            await store.client.drop_database(database)
        await store.close()


def patient(uri: str) -> str:
    """The URI with timeouts long enough for one slow aggregation. The embedded server answers nothing else while
    it aggregates (not even the driver's heartbeat), and PyMongo gives a server up, cancelling the operation, once
    a heartbeat has waited connectTimeoutMS (20 s by default)."""
    if "connectTimeoutMS" in uri:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}connectTimeoutMS=600000&socketTimeoutMS=0"


def run(args: argparse.Namespace) -> Report:
    world = Workspace(args.seed, datetime.now(UTC))
    profiles, events = [], []
    for _ in range(args.profiles):
        profile, history = world.profile(args.events)
        profiles.append(profile)
        events += history
    database = f"bench_{uuid.uuid4().hex[:12]}"
    external = os.environ.get("MONGODB_URI")
    report = Report(store="external (MONGODB_URI)" if external else "embedded (mongoeco wire server, SQLite)",
                    profiles=len(profiles), events=len(events),
                    seeding="over the wire, insert_many" if external else "in-process into the SQLite file",
                    seed_s=0.0)
    print(f"== {report.store}: {report.profiles} profiles, {report.events} events "
          f"({report.events / report.profiles:.1f} per profile), seeded {report.seeding}", flush=True)
    if external:
        asyncio.run(backfill_on(external, database, report, args, (profiles, events)))
    else:
        with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
            path = Path(tmp) / "store.sqlite3"
            report.seed_s = asyncio.run(seed_in_process(path, database, profiles, events))
            print(f"seeded in {report.seed_s:.1f} s "
                  f"({(report.profiles + report.events) / report.seed_s:.0f} docs/s)", flush=True)
            suite = Suite()
            try:
                uri = suite.start_store(path)
                asyncio.run(backfill_on(uri, database, report, args, None, suite.children[-1].popen.pid))
            finally:
                suite.stop()
    print(f"== the in-memory evaluator: {args.eval_profiles} profiles x {args.eval_events} events, one core",
          flush=True)
    report.evaluation = measure_evaluation(args.eval_profiles, args.eval_events, args.seed)
    return report


def summary(report: Report) -> str:
    ev = report.evaluation
    assert ev is not None
    verdict = "ok" if report.ratio <= BACKFILL_GOAL else "OVER GOAL"
    eval_verdict = "ok" if ev.per_cpu_s >= EVALUATION_GOAL else "BELOW GOAL"
    members = ", ".join(f"{name} {n}" for name, n in ev.members.items())
    total = sum(ev.parts_cpu_s.values()) or 1.0
    shares = {name: seconds / total for name, seconds in ev.parts_cpu_s.items()}
    lines = [
        "",
        (f"Store: {report.store}; workspace {report.profiles} profiles, {report.events} events; "
         f"seeded {report.seeding} in {report.seed_s:.1f} s (not timed below)."),
        (f"Backfill of '{VIEWED_NOT_ORDERED['name']}' ({report.runs[0].members} members), median of "
         f"{len(report.runs)}: {report.backfill_s:.2f} s through the engine vs {report.baseline_s:.2f} s for one "
         f"hand-written aggregation = ratio {report.ratio:.2f} (goal <= {BACKFILL_GOAL}) {verdict}"),
        (f"  of which the engine's aggregations alone: ratio {report.aggregation_ratio:.2f}; by the store's CPU "
         f"seconds (whole backfill): ratio "
         f"{'n/a' if report.cpu_ratio is None else format(report.cpu_ratio, '.2f')}; member sets equal."),
        (f"Evaluator: {ev.per_cpu_s:,.0f} profile evaluations per CPU second ({ev.profiles} profiles x "
         f"{ev.events_each} events, 3 audiences + 1 computed trait, {ev.cpu_s:.2f} CPU s) "
         f"(goal >= {EVALUATION_GOAL:,}) {eval_verdict}"),
        f"  members: {members}",
        "  CPU share by step: " + ", ".join(f"{name} {share:.0%}" for name, share in shares.items()),
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=500, help="profiles in the synthetic workspace")
    parser.add_argument("--events", type=int, default=8, help="mean events per profile (exponentially spread)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the backfill and of the baseline")
    parser.add_argument("--eval-profiles", type=int, default=2000, help="profiles the evaluator is timed on")
    parser.add_argument("--eval-events", type=int, default=50, help="events per profile for the evaluator")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--as-service", action="store_true",
                        help="connect with the services' own driver timeouts (an aggregation the embedded store "
                             "takes over 20 s to answer is then cancelled, as it would be in the service)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if min(args.profiles, args.events, args.repeat, args.eval_profiles, args.eval_events) < 1:
        parser.error("sizes must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    try:
        report = run(args)
    except BackfillFailed as failure:
        print(f"\nFAILED: {failure}")
        return 1
    print(summary(report))
    print(f"(total wall {time.perf_counter() - began:.0f} s)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        ev = report.evaluation
        args.json.write_text(json.dumps({
            "benchmark": "bench.backfill", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
            "store": report.store, "profiles": report.profiles, "events": report.events, "seeding": report.seeding,
            "seed_s": round(report.seed_s, 3), "runs": [asdict(r) for r in report.runs],
            "backfill_s": report.backfill_s, "baseline_s": report.baseline_s, "ratio": report.ratio,
            "aggregation_ratio": report.aggregation_ratio, "cpu_ratio": report.cpu_ratio,
            "goal_ratio": BACKFILL_GOAL,
            "evaluation": {**asdict(ev), "per_cpu_s": ev.per_cpu_s} if ev else None,
            "goal_evaluations_per_s": EVALUATION_GOAL,
        }, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
