"""Ingest throughput: events/s through gRPC and through REST, each against the raw store, and our CPU per event.

What it measures. The whole suite runs as real processes (tools.suite, as `make run` and the tests run it). For
each path, on a database of its own so that both meet the same fresh collections:

  grpc   `IngestService.Ingest` calls of --batch track messages each, one call at a time
  rest   `POST /v1/batch` of the same messages as JSON with the write key (HTTP Basic), one request at a time,
         through the gateway and then ingest

and, just before it in the same run and store, the baseline:

  raw    `insert_many` of the same number of documents, shaped as ingest stores events, in the same batch size,
         into a fresh collection with the events collection's indexes

The ratio path/raw says what our processes cost on top of the store's own write speed (the embedded store slows
as a collection grows, so only fresh collections of equal size are compared). Ingest does more than the raw insert
(identity claims, profile upserts, due marks), and it writes with bulk upserts, which the embedded store runs
faster than insert_many: a ratio above 1 is possible there. CPU: user+system seconds of the gateway and ingest
processes (from /proc/<pid>/stat) spent during the timed calls, per 1,000 events: the figure that does not
depend on the store. Goals (issue 3): ratio >= 0.5 for grpc and >= 0.3 for rest.

  python -m bench.ingest                               # the embedded store (SQLite), in a temp dir
  MONGODB_URI=mongodb://host/ python -m bench.ingest   # that store, in bench_<hex> databases dropped after
  python -m bench.ingest --events 1000 --batch 100 --json var/bench-ingest.json
"""

import argparse
import asyncio
import base64
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx

from bench.common import cpu_seconds, drop_database
from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from gateway.messages import to_message
from services.common.store import EVENTS, INDEXES, Store
from services.common.tenancy import WORKSPACE_METADATA_KEY, ensure_workspace
from tools.suite import Endpoints, Suite

WORKSPACE = "bench/ingest/BENCH"
PATHS = ("grpc", "rest")
GOALS = {"grpc": 0.5, "rest": 0.3}
WARM_UP = 10  # events sent before timing: connections, caches and the credential lookup are not what we measure

Doc = dict[str, Any]


@dataclass(frozen=True)
class Params:
    events: int
    batch: int
    users: int
    seed: int


@dataclass
class Row:
    path: str
    events: int
    seconds: float
    raw_seconds: float
    cpu: dict[str, float]  # process name -> CPU seconds during the timed calls

    @property
    def per_s(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def raw_per_s(self) -> float:
        return self.events / self.raw_seconds if self.raw_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.per_s / self.raw_per_s if self.raw_per_s else 0.0

    def cpu_per_1000(self, name: str | None = None) -> float:
        spent = sum(self.cpu.values()) if name is None else self.cpu.get(name, 0.0)
        return spent / self.events * 1000 if self.events else 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"events_per_s": round(self.per_s, 2), "raw_docs_per_s": round(self.raw_per_s, 2),
                               "ratio": round(self.ratio, 3), "goal": GOALS[self.path],
                               "cpu_s_per_1000": round(self.cpu_per_1000(), 3)}


class Workload:
    """Track messages as SDKs send them, and the documents ingest stores for them (for the raw baseline)."""

    def __init__(self, params: Params) -> None:
        self.params = params
        self.rng = random.Random(params.seed)
        self.users = [f"user-{i:05d}" for i in range(params.users)]

    def message(self) -> Doc:
        return {
            "type": "track",
            "messageId": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
            "userId": self.rng.choice(self.users),
            "event": "Order Completed",
            "properties": {"order_id": f"o-{self.rng.randrange(10**9)}", "revenue": round(self.rng.uniform(1, 500), 2),
                           "currency": "GBP", "items": self.rng.randint(1, 5), "coupon": None},
            "context": {"library": {"name": "bench.ingest", "version": "1"}, "ip": "127.0.0.1"},
            "timestamp": (datetime.now(UTC) - timedelta(seconds=self.rng.randrange(86_400))).isoformat(),
        }

    def batches(self, count: int) -> list[list[Doc]]:
        messages = [self.message() for _ in range(count)]
        return [messages[i:i + self.params.batch] for i in range(0, count, self.params.batch)]

    @staticmethod
    def document(message: Doc, now: datetime) -> Doc:
        """The event document ingest writes for a track message (services.ingest.ingestion.event_document)."""
        return {
            "_id": str(uuid.uuid4()), "workspace": WORKSPACE, "profile_id": str(uuid.uuid4()),
            "message_id": message["messageId"], "type": message["type"], "event": message["event"], "name": "",
            "user_id": message["userId"], "anonymous_id": "", "group_id": "", "previous_id": "",
            "properties": message["properties"], "traits": {}, "context": message["context"],
            "timestamp": datetime.fromisoformat(message["timestamp"]), "received_at": now, "sent_at": None,
            "original_timestamp": None,
        }


type Send = Callable[[list[Doc]], Awaitable[int]]  # sends one batch, returns how many messages were accepted


def grpc_sender(endpoints: Endpoints) -> tuple[Send, Callable[[], Awaitable[None]]]:
    channel = grpc.aio.insecure_channel(endpoints.ingest)
    stub = ingest_pb2_grpc.IngestServiceStub(channel)

    async def send(batch: list[Doc]) -> int:
        request = ingest_pb2.IngestRequest(messages=[to_message(m, m["type"]) for m in batch])
        reply = await stub.Ingest(request, metadata=((WORKSPACE_METADATA_KEY, WORKSPACE),), timeout=120)
        return sum(result.accepted for result in reply.results)

    return send, channel.close


def rest_sender(endpoints: Endpoints, write_key: str) -> tuple[Send, Callable[[], Awaitable[None]]]:
    auth = "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()
    client = httpx.AsyncClient(base_url=endpoints.gateway, timeout=120,
                               headers={"authorization": auth, "content-type": "application/json"})

    async def send(batch: list[Doc]) -> int:
        reply = await client.post("/v1/batch", content=json.dumps({"batch": batch}))
        reply.raise_for_status()
        return len(reply.json()["results"])

    return send, client.aclose


async def timed_sends(send: Send, batches: Sequence[list[Doc]], pids: dict[str, int]) -> tuple[float, dict[str, float]]:
    """Send the batches one at a time; wall seconds and each process's CPU seconds spent meanwhile."""
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    began = time.perf_counter()
    accepted = 0
    for batch in batches:
        accepted += await send(batch)
    seconds = time.perf_counter() - began
    cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    expected = sum(len(batch) for batch in batches)
    if accepted != expected:
        raise RuntimeError(f"only {accepted} of {expected} messages were accepted")
    return seconds, cpu


async def raw_insert(store: Store, batches: Sequence[list[Doc]]) -> float:
    """The baseline: insert_many of the same documents, batch by batch, into a fresh indexed collection."""
    collection = store.db[f"raw_events_{uuid.uuid4().hex[:8]}"]
    await collection.create_indexes(INDEXES[EVENTS])
    now = datetime.now(UTC)
    documents = [[Workload.document(m, now) for m in batch] for batch in batches]
    began = time.perf_counter()
    for batch in documents:
        await collection.insert_many(batch)
    return time.perf_counter() - began


async def measure_path(path: str, uri: str, endpoints: Endpoints, pids: dict[str, int], database: str,
                       params: Params) -> Row:
    workload = Workload(Params(params.events, params.batch, params.users, params.seed + PATHS.index(path)))
    store = Store(uri, database, appname="bench.ingest")
    token, write_key = uuid.uuid4().hex, uuid.uuid4().hex
    try:
        await ensure_workspace(store, WORKSPACE, token, write_key)
        send, close = grpc_sender(endpoints) if path == "grpc" else rest_sender(endpoints, write_key)
        try:
            await send(workload.batches(WARM_UP)[0])
            batches = workload.batches(params.events)
            raw_seconds = await raw_insert(store, batches)
            seconds, cpu = await timed_sends(send, batches, {n: p for n, p in pids.items()
                                                             if path == "rest" or n != "gateway"})
        finally:
            await close()
        stored = await store.events.count_documents({"workspace": WORKSPACE})
        if stored != params.events + WARM_UP:
            raise RuntimeError(f"{stored} events stored, expected {params.events + WARM_UP}")
        return Row(path, params.events, seconds, raw_seconds, cpu)
    finally:
        await store.close()


def run_path(path: str, uri: str, params: Params, drop: bool) -> Row:
    """One path on a database of its own, with services started for it (they are bound to one database)."""
    database = f"bench_{uuid.uuid4().hex[:12]}_{path}"
    services = Suite(env={"CDP_MONGODB_DATABASE": database})
    try:
        endpoints = services.start_services(uri)
        pids = {child.name: child.popen.pid for child in services.children if child.name in ("gateway", "ingest")}
        row = asyncio.run(measure_path(path, uri, endpoints, pids, database, params))
    finally:
        services.stop()
        if drop:
            asyncio.run(drop_database(uri, database))
    print(line(row), flush=True)
    return row


def header() -> str:
    return (f"{'path':<5} {'events':>6} {'events/s':>9} {'raw docs/s':>10} {'ratio':>6} {'goal':>5}  "
            f"{'CPU s/1000 ev (gateway + ingest)':<34}")


def line(row: Row) -> str:
    split = " + ".join(f"{row.cpu_per_1000(name):.2f}" for name in ("gateway", "ingest") if name in row.cpu)
    verdict = "ok" if row.ratio >= GOALS[row.path] else "BELOW GOAL"
    return (f"{row.path:<5} {row.events:>6} {row.per_s:>9.1f} {row.raw_per_s:>10.1f} {row.ratio:>6.2f} "
            f"{GOALS[row.path]:>5.2f}  {row.cpu_per_1000():.2f} ({split})  {verdict}")


def run(params: Params, paths: Sequence[str]) -> tuple[str, list[Row]]:
    external = os.environ.get("MONGODB_URI")
    if external:
        print(f"== external store (MONGODB_URI); {params.events} events in batches of {params.batch}", flush=True)
        print(header(), flush=True)
        return "external", [run_path(path, external, params, drop=True) for path in paths]
    store = Suite()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        try:
            uri = store.start_store(Path(tmp) / "store.sqlite3", port=0, engine="sqlite")
            print(f"== embedded store (sqlite) at {uri}; {params.events} events in batches of {params.batch}",
                  flush=True)
            print(header(), flush=True)
            return "sqlite", [run_path(path, uri, params, drop=False) for path in paths]
        finally:
            store.stop()


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=600, help="events timed per path")
    parser.add_argument("--batch", type=int, default=100, help="messages per gRPC call or REST request")
    parser.add_argument("--users", type=int, default=50, help="distinct userIds the events spread over")
    parser.add_argument("--paths", default=",".join(PATHS), help="paths to measure, comma-separated")
    parser.add_argument("--seed", type=int, default=1, help="random seed (ids, users, properties)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    args.paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if unknown := set(args.paths) - set(PATHS):
        parser.error(f"unknown path(s) {', '.join(sorted(unknown))}; choose from {', '.join(PATHS)}")
    if not 1 <= args.batch <= 2500 or args.events < args.batch:
        parser.error("--batch must be 1-2500 and --events at least --batch")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    params = Params(args.events, args.batch, args.users, args.seed)
    began = time.perf_counter()
    engine, rows = run(params, args.paths)
    wall = time.perf_counter() - began
    print(f"\nSummary ({engine}; total wall {wall:.0f} s): " + "; ".join(
        f"{row.path} {row.per_s:.0f} events/s = {row.ratio:.2f} x raw (goal {GOALS[row.path]}), "
        f"{row.cpu_per_1000():.2f} CPU s per 1,000 events" for row in rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "benchmark": "bench.ingest", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
            "engine": engine, "params": asdict(params), "wall_s": round(wall, 3),
            "rows": [row.to_json() for row in rows],
        }, indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
