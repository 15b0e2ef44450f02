"""What the benchmarks share: a store to measure (MONGODB_URI, or the embedded one in a temp dir), percentiles, a
workspace's people made known before a load, and what /proc says of a process."""

import asyncio
import math
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from services.common.store import Store
from tools.suite import Suite


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the slowest call, as it should be)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@contextmanager
def store_at_hand(prefix: str, suite: Suite | None = None) -> Iterator[tuple[str, str]]:
    """(MongoDB URI, label): the store MONGODB_URI names, or a fresh embedded one (SQLite) stopped afterwards.

    Given a suite, the embedded store is started as its child "store" (so that its process can be watched with
    the others) and the whole suite is stopped afterwards."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external, "external (MONGODB_URI)"
        return
    suite = suite or Suite()
    with tempfile.TemporaryDirectory(prefix=f"bench-{prefix}-") as tmp:
        try:
            yield suite.start_store(Path(tmp) / "store.sqlite3"), "embedded (mongoeco, SQLite)"
        finally:
            suite.stop()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) ": field 3 (state) is fields[0]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    """Resident memory of a live process (VmRSS), from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # reported in kB
    raise ValueError(f"process {pid} reports no VmRSS")


async def identify(client: httpx.AsyncClient, workspace: str, token: str, people: Sequence[str],
                   traits: dict[str, Any]) -> None:
    """Make everyone known (one identify each, 25 to a batch call): a live site's traffic is mostly people seen
    before, and a Profile API read of someone never seen is a 404."""
    for start in range(0, len(people), 25):
        reply = await client.post(f"/track/{workspace}/v1/batch", headers={"auth-token": token}, json={
            "batch": [{"type": "identify", "userId": u, "traits": traits} for u in people[start:start + 25]]})
        reply.raise_for_status()


async def settled(uri: str, database: str, appname: str) -> None:
    """Return once the workers have nothing due, so that a load starts on an idle engine."""
    store = Store(uri, database, appname=appname)
    try:
        while await store.due.count_documents({"due_at": {"$lte": datetime.now(UTC)}}):
            await asyncio.sleep(0.5)
    finally:
        await store.close()


@dataclass
class AtHand:
    """The suite to measure (not started yet: a benchmark starts its services as it needs them) and its store."""

    suite: Suite
    uri: str
    label: str  # which store, for the report
    database: str


@contextmanager
def suite_at_hand(prefix: str) -> Iterator[AtHand]:
    """The store at hand (`store_at_hand`) and a suite on a database of its own, `bench_<hex>`, dropped afterwards
    on a store that outlives the run; the gateway's per-workspace rate limit is lifted, since a benchmark's load and
    its polling are what is measured, not the limit. The whole suite is stopped afterwards."""
    database = f"bench_{uuid.uuid4().hex[:12]}"
    suite = Suite(env={"CDP_MONGODB_DATABASE": database, "CDP_GATEWAY_RATE_LIMIT_PER_SECOND": "1000000",
                       "CDP_GATEWAY_RATE_LIMIT_BURST": "1000000"})
    with store_at_hand(prefix, suite) as (uri, label):
        try:
            yield AtHand(suite, uri, label, database)
        finally:
            suite.stop()
            if os.environ.get("MONGODB_URI"):
                asyncio.run(drop_database(uri, database))


async def drop_database(uri: str, database: str) -> None:
    """Drop a benchmark's own database on a store that outlives it (MONGODB_URI)."""
    store = Store(uri, database, appname="bench")
    try:
        await store.client.drop_database(database)
    finally:
        await store.close()
