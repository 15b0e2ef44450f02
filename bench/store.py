"""Raw store speed: the operations this project issues, timed over the wire, one store (or engine) at a time.

What it measures. Each operation the services issue, through our `Store` (pymongo's AsyncMongoClient over the
MongoDB wire protocol), on a collection of its own in a fresh database, with the project's real indexes:

  insert_one    insert_one of a new event-like document (string uuid `_id`, workspace, profile_id, properties,
                timestamp)
  upsert        update_one({_id}, {$setOnInsert: event}, upsert=True) of a new `_id`: ingest's event write
  bulk_upsert   bulk_write of 100 UpdateOne upserts by `_id` (ordered=False): the fastest idempotent write
  find_indexed  find_one({workspace, user_id}) of an existing profile through the (workspace, user_id) index:
                identity resolution
  due_mark      update_one({_id}, {$set, $inc}, upsert=True) of an existing due entry: ingest's due mark
  claim         find_one_and_update(due_at <= now and lease free, sort due_at, $set lease): a worker's claim

Writes of new documents run sequentially (one call at a time, awaited); the upsert, the lookup, the due mark and
the claim also run with `--concurrency` callers at once (asyncio.gather behind a semaphore), as services issue
concurrent calls. Per row: calls/s and docs/s (a bulk call carries 100 documents), mean/p50/p99 latency of one
call in ms (measured from issue to reply, queueing behind the semaphore excluded), and the collection's size
before and after: the embedded store slows as collections grow, so a figure means little without its size.

Why. It is the basis for choosing the embedded engine (sqlite or memory), and the "raw store" baseline that later
benchmarks compare their end-to-end figures against, measured in the same run on the same machine.

  python -m bench.store                                 # the embedded store, each of --engines in a temp dir
  MONGODB_URI=mongodb://host/ python -m bench.store     # that store, in a bench_<hex> database dropped after
  python -m bench.store --docs 300 --json var/bench-store.json
"""

import argparse
import asyncio
import json
import math
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from pymongo import ASCENDING, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from services.common.store import DUE, EVENTS, INDEXES, PROFILES, Store
from tools.suite import Suite

WORKSPACE = "bench/workspace/BENCH"
BATCH = 100
LEASE = timedelta(minutes=5)
ENGINES = ("sqlite", "memory")

Doc = dict[str, Any]
Collection = AsyncCollection[Doc]
Call = Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Params:
    docs: int  # new documents written by each write row
    profiles: int  # profiles and due entries seeded for lookups, marks and claims
    lookups: int  # find_one calls per mode
    marks: int  # due marks per mode
    claims: int  # claims per mode
    concurrency: int
    seed: int


@dataclass
class Row:
    op: str
    mode: str  # "seq" or "c<N>"
    calls: int
    docs: int
    seconds: float
    size_before: int
    size_after: int
    latencies_ms: list[float] = field(repr=False)
    note: str = ""

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def docs_per_s(self) -> float:
        return self.docs / self.seconds if self.seconds else 0.0

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies_ms) / len(self.latencies_ms) if self.latencies_ms else 0.0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies_ms, 99)

    def to_json(self) -> dict[str, Any]:
        data = {key: value for key, value in asdict(self).items() if key != "latencies_ms"}
        return data | {"calls_per_s": round(self.calls_per_s, 2), "docs_per_s": round(self.docs_per_s, 2),
                       "mean_ms": round(self.mean_ms, 3), "p50_ms": round(self.p50_ms, 3),
                       "p99_ms": round(self.p99_ms, 3)}


@dataclass
class EngineResult:
    engine: str  # "sqlite", "memory", or "external" for MONGODB_URI
    database: str
    startup_s: float
    wall_s: float = 0.0
    rows: list[Row] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "database": self.database, "startup_s": round(self.startup_s, 3),
                "wall_s": round(self.wall_s, 3), "rows": [row.to_json() for row in self.rows]}


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the slowest call, as it should be)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


async def timed(calls: Sequence[Call], concurrency: int) -> tuple[float, list[float], list[Any]]:
    """Run the calls (one at a time, or `concurrency` at once); returns wall seconds, per-call ms and results."""
    latencies = [0.0] * len(calls)
    results: list[Any] = [None] * len(calls)

    async def one(index: int) -> None:
        began = time.perf_counter()
        results[index] = await calls[index]()
        latencies[index] = (time.perf_counter() - began) * 1000

    began = time.perf_counter()
    if concurrency <= 1:
        for index in range(len(calls)):
            await one(index)
    else:
        gate = asyncio.Semaphore(concurrency)

        async def gated(index: int) -> None:
            async with gate:
                await one(index)

        await asyncio.gather(*(gated(index) for index in range(len(calls))))
    return time.perf_counter() - began, latencies, results


# Column layout of the table: (header, width, format of one row).
COLUMNS: list[tuple[str, int, Callable[[Row], str]]] = [
    ("op", 12, lambda r: r.op),
    ("mode", 4, lambda r: r.mode),
    ("calls", 6, lambda r: str(r.calls)),
    ("docs", 6, lambda r: str(r.docs)),
    ("size", 11, lambda r: f"{r.size_before}->{r.size_after}"),
    ("calls/s", 8, lambda r: f"{r.calls_per_s:.1f}"),
    ("docs/s", 8, lambda r: f"{r.docs_per_s:.1f}"),
    ("mean ms", 8, lambda r: f"{r.mean_ms:.2f}"),
    ("p50 ms", 8, lambda r: f"{r.p50_ms:.2f}"),
    ("p99 ms", 8, lambda r: f"{r.p99_ms:.2f}"),
]


def header() -> str:
    return "  ".join(f"{name:<{width}}" if i < 2 else f"{name:>{width}}"
                     for i, (name, width, _) in enumerate(COLUMNS)) + "  note"


def line(row: Row) -> str:
    cells = "  ".join(f"{cell(row):<{width}}" if i < 2 else f"{cell(row):>{width}}"
                      for i, (_, width, cell) in enumerate(COLUMNS))
    return f"{cells}  {row.note}".rstrip()


def summary(result: EngineResult, concurrency: int) -> str:
    """One line: docs/s of each operation, sequential then concurrent."""
    parts: dict[str, list[str]] = {}
    for row in result.rows:
        rate = f"{row.docs_per_s:.0f}" if row.mode == "seq" else f"{row.mode} {row.docs_per_s:.0f}"
        parts.setdefault(row.op, []).append(rate)
    ops = " | ".join(f"{op} {', '.join(rates)}" for op, rates in parts.items())
    startup = f"startup {result.startup_s:.1f} s, " if result.engine != "external" else ""
    return f"{result.engine:<8} docs/s: {ops}  ({startup}run {result.wall_s:.0f} s)"


class Bench:
    """The measurements on one connected store, each on a fresh collection of the run's database."""

    def __init__(self, store: Store, params: Params) -> None:
        self.store = store
        self.params = params
        self.rng = random.Random(params.seed)
        self.rows: list[Row] = []

    # --- helpers ---------------------------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def event(self, now: datetime) -> Doc:
        """An event as ingest stores it, minus the fields that are always null for a track call."""
        return {
            "_id": self.new_id(),
            "workspace": WORKSPACE,
            "profile_id": self.new_id(),
            "message_id": self.new_id(),
            "type": "track",
            "event": "Order Completed",
            "properties": {"order_id": f"o-{self.rng.randrange(10**9)}", "revenue": round(self.rng.uniform(1, 500), 2),
                           "currency": "GBP", "items": self.rng.randint(1, 5), "coupon": None},
            "timestamp": now - timedelta(seconds=self.rng.randrange(86_400)),
            "received_at": now,
        }

    async def collection(self, name: str, indexes_of: str) -> Collection:
        """A fresh collection with the indexes of the project's collection it stands in for."""
        collection = self.store.db[name]
        await collection.create_indexes(INDEXES[indexes_of])
        return collection

    async def seed(self, collection: Collection, docs: Sequence[Doc]) -> None:
        """Fill a collection the fastest idempotent way (bulk upserts by _id); not measured."""
        for start in range(0, len(docs), BATCH):
            await collection.bulk_write([UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": without_id(doc)}, upsert=True)
                                         for doc in docs[start:start + BATCH]], ordered=False)

    async def measure(self, op: str, concurrency: int, collection: Collection, calls: Sequence[Call],
                      docs_per_call: int = 1, check: Callable[[list[Any]], str] | None = None) -> Row:
        size_before = await collection.count_documents({})
        seconds, latencies, results = await timed(calls, concurrency)
        size_after = await collection.count_documents({})
        row = Row(op, "seq" if concurrency <= 1 else f"c{concurrency}", len(calls), len(calls) * docs_per_call,
                  seconds, size_before, size_after, latencies, check(results) if check else "")
        self.rows.append(row)
        print(line(row), flush=True)
        return row

    def modes(self) -> tuple[int, int]:
        return 1, self.params.concurrency

    # --- the operations --------------------------------------------------------------------------------------

    async def writes(self) -> None:
        n, now = self.params.docs, datetime.now(UTC)

        events = await self.collection("events_insert", EVENTS)
        await self.measure("insert_one", 1, events,
                           [partial(events.insert_one, self.event(now)) for _ in range(n)])

        for concurrency in self.modes():
            events = await self.collection(f"events_upsert_c{concurrency}", EVENTS)
            calls: list[Call] = []
            for _ in range(n):
                doc = self.event(now)
                calls.append(partial(events.update_one, {"_id": doc["_id"]}, {"$setOnInsert": without_id(doc)},
                                     upsert=True))
            await self.measure("upsert", concurrency, events, calls,
                               check=lambda results: missing("new upserts", sum(r.upserted_id is not None
                                                                                 for r in results), n))

        events = await self.collection("events_bulk", EVENTS)
        docs = [self.event(now) for _ in range(n)]
        batches = [[UpdateOne({"_id": doc["_id"]}, {"$setOnInsert": without_id(doc)}, upsert=True)
                    for doc in docs[start:start + BATCH]] for start in range(0, n, BATCH)]
        await self.measure("bulk_upsert", 1, events,
                           [partial(events.bulk_write, batch, ordered=False) for batch in batches],
                           docs_per_call=BATCH,
                           check=lambda results: missing("new upserts", sum(r.upserted_count for r in results), n))

    async def lookups(self) -> None:
        profiles = await self.collection(PROFILES, PROFILES)
        now = datetime.now(UTC)
        user_ids = [f"user-{i:06d}" for i in range(self.params.profiles)]
        await self.seed(profiles, [
            {"_id": self.new_id(), "workspace": WORKSPACE, "user_id": user_id, "anonymous_ids": [self.new_id()],
             "emails": [f"{user_id}@example.com"], "traits": {"plan": self.rng.choice(["free", "pro"])},
             "created_at": now, "updated_at": now}
            for user_id in user_ids])
        for concurrency in self.modes():
            wanted = [self.rng.choice(user_ids) for _ in range(self.params.lookups)]
            await self.measure("find_indexed", concurrency, profiles,
                               [partial(profiles.find_one, {"workspace": WORKSPACE, "user_id": user_id}, {"_id": 1})
                                for user_id in wanted],
                               check=lambda results: missing("found", sum(r is not None for r in results),
                                                             len(results)))

    async def due_marks(self) -> None:
        due = await self.collection(DUE, DUE)
        now = datetime.now(UTC)
        ids = [self.new_id() for _ in range(self.params.profiles)]
        await self.seed(due, [{"_id": id_, "workspace": WORKSPACE, "due_at": now - timedelta(seconds=i), "seq": 1}
                              for i, id_ in enumerate(ids)])
        for concurrency in self.modes():
            marks = [self.rng.choice(ids) for _ in range(self.params.marks)]
            await self.measure("due_mark", concurrency, due, [
                partial(due.update_one, {"_id": id_},
                        {"$set": {"workspace": WORKSPACE, "due_at": datetime.now(UTC)}, "$inc": {"seq": 1}},
                        upsert=True)
                for id_ in marks],
                check=lambda results: missing("matched", sum(r.matched_count for r in results), len(results)))

    async def claims(self) -> None:
        due = await self.collection("due_claims", DUE)
        total = max(self.params.profiles, 2 * self.params.claims)
        now = datetime.now(UTC)
        # Entries as ingest leaves them: due in the past, no lease field yet.
        await self.seed(due, [{"_id": self.new_id(), "workspace": WORKSPACE,
                               "due_at": now - timedelta(seconds=self.rng.randrange(3600)), "seq": 1}
                              for _ in range(total)])

        async def claim(owner: str) -> Doc | None:
            at = datetime.now(UTC)
            return await due.find_one_and_update(
                {"due_at": {"$lte": at},
                 "$or": [{"lease_until": {"$exists": False}}, {"lease_until": {"$lte": at}}]},
                {"$set": {"lease_until": at + LEASE, "lease_owner": owner}},
                sort=[("due_at", ASCENDING)], projection={"_id": 1, "due_at": 1},
                return_document=ReturnDocument.AFTER)

        for concurrency in self.modes():
            owner = f"worker-c{concurrency}"
            await self.measure("claim", concurrency, due,
                               [partial(claim, owner) for _ in range(self.params.claims)],
                               check=partial(check_claims, in_order=concurrency <= 1))

    async def run(self) -> list[Row]:
        print(header(), flush=True)
        await self.writes()
        await self.lookups()
        await self.due_marks()
        await self.claims()
        return self.rows


def without_id(doc: Doc) -> Doc:
    return {key: value for key, value in doc.items() if key != "_id"}


def missing(what: str, got: int, expected: int) -> str:
    return "" if got == expected else f"only {got}/{expected} {what}"


def check_claims(results: list[Any], in_order: bool) -> str:
    """Every claim must take one entry, no entry twice, and (when sequential) in due order."""
    claimed = [doc for doc in results if doc is not None]
    notes = []
    if len(claimed) < len(results):
        notes.append(f"{len(results) - len(claimed)} empty claims")
    if len({doc["_id"] for doc in claimed}) < len(claimed):
        notes.append("an entry claimed twice")
    due_at = [doc["due_at"] for doc in claimed]
    if in_order and due_at != sorted(due_at):
        notes.append("claims out of due order")
    return "; ".join(notes)


async def measure_store(uri: str, params: Params, drop: bool) -> tuple[str, list[Row]]:
    database = f"bench_{uuid.uuid4().hex[:12]}"
    store = Store(uri, database, appname="bench.store")
    try:
        await store.ping()
        return database, await Bench(store, params).run()
    finally:
        if drop:
            await store.client.drop_database(database)
        await store.close()


def run_embedded(engine: str, params: Params) -> EngineResult:
    began = time.perf_counter()
    suite = Suite()
    with tempfile.TemporaryDirectory(prefix=f"bench-store-{engine}-") as tmp:
        try:
            uri = suite.start_store(Path(tmp) / "store.sqlite3", port=0, engine=engine)
            startup = time.perf_counter() - began
            print(f"\n== {engine} (embedded store, ready in {startup:.1f} s at {uri})", flush=True)
            database, rows = asyncio.run(measure_store(uri, params, drop=False))
        finally:
            suite.stop()
    return EngineResult(engine, database, startup, time.perf_counter() - began, rows)


def run_external(uri: str, params: Params) -> EngineResult:
    began = time.perf_counter()
    print("\n== external (MONGODB_URI)", flush=True)
    database, rows = asyncio.run(measure_store(uri, params, drop=True))
    return EngineResult("external", database, 0.0, time.perf_counter() - began, rows)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.store", description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help="embedded engines to measure, comma-separated (ignored when MONGODB_URI is set)")
    parser.add_argument("--docs", type=int, default=500, help="new documents per write row")
    parser.add_argument("--profiles", type=int, default=500, help="profiles and due entries seeded")
    parser.add_argument("--lookups", type=int, default=500, help="find_one calls per mode")
    parser.add_argument("--marks", type=int, default=300, help="due marks per mode")
    parser.add_argument("--claims", type=int, default=100, help="claims per mode")
    parser.add_argument("--concurrency", type=int, default=16, help="callers at once in the concurrent rows")
    parser.add_argument("--seed", type=int, default=1, help="random seed (ids, lookups)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engine(s) {', '.join(sorted(unknown))}; choose from {', '.join(ENGINES)}")
    args.engines = engines
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = Params(args.docs, args.profiles, args.lookups, args.marks, args.claims, args.concurrency, args.seed)
    began = time.perf_counter()
    uri = os.environ.get("MONGODB_URI")
    results = [run_external(uri, params)] if uri else [run_embedded(engine, params) for engine in args.engines]
    wall = time.perf_counter() - began

    print(f"\nSummary (docs/s; sequential, then c{params.concurrency}; total wall {wall:.0f} s)")
    for result in results:
        print(summary(result, params.concurrency))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "bench.store", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
            "params": asdict(params), "wall_s": round(wall, 3), "results": [r.to_json() for r in results],
        }, indent=2, default=str) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
