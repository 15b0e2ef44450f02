"""Profile API latency under load: `GET /profiles/userId:X/audiences` at 200 concurrent requests, against the raw store.

What it measures. The whole suite runs as real processes (tools.suite), on a database of its own. A workspace gets
`--profiles` people, each identified with traits and two orders, plus one audience and one computed trait that
they all qualify for, so that every answer names an audience and a computed trait: the full read (the profile, its
state, and the definitions' names, which the profile service caches for a few seconds). Once the engine has
evaluated everyone, two runs, in this order:

  raw   `find_one({workspace, user_id})` of the same people through pymongo's AsyncMongoClient, by `--concurrency`
        callers at once: the store's own answer time for the first of the reads the API makes
  api   `GET /track/{workspace}/v1/profiles/userId:X/audiences` through the gateway by `--concurrency` callers at
        once, each with an httpx.AsyncClient of its own (one connection)

Both sides get a store connection per concurrent call (the raw client, and the services through `MONGODB_URI`'s
pool options; see `with_pool`). Each run makes `--requests` calls (after `--warm-up` untimed ones), or stops at
`--seconds`; the callers cycle over the people. Per run: p50/p99 latency of one call (issue to reply; each caller
has one call outstanding), calls/s, and for the api run the CPU seconds the gateway and profile processes spent
per 1,000 calls (the figure that does not depend on the store). The ratio p99(api) / p99(raw) says what the Profile
API costs on top of the store at the same concurrency, in the same run; goal (issue 6): <= 3.0. The gateway's rate
limit is raised for the run: it is not what is measured. Everything (store, services, this process) shares the
machine's cores, so at this concurrency both runs are CPU-bound and their ratio is about the ratio of the CPU
each call costs in all processes together.

  python -m bench.profile_api                               # the embedded store (SQLite), in a temp dir
  MONGODB_URI=mongodb://host/ python -m bench.profile_api   # that store, in a bench_<hex> database dropped after
  python -m bench.profile_api --requests 4000 --json var/bench-profile-api.json
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from pymongo import AsyncMongoClient

from bench.common import cpu_seconds, percentile, suite_at_hand
from services.common.store import PROFILES, Store
from services.common.tenancy import ensure_workspace

WORKSPACE = "bench/profiles/BENCH"
TOKEN = "bench-profile-token"
GOAL = 3.0
AUDIENCE = {"name": "buyers", "conditions": [{"mode": "required", "trait": {"path": "plan", "op": "eq",
                                                                            "value": "pro"}}]}
COMPUTED_TRAIT = {"name": "orders", "kind": "count", "event": {"name": "Order Completed", "where": []}}

type Call = Callable[[int, str], Awaitable[None]]  # (caller number, userId)


@dataclass(frozen=True)
class Params:
    profiles: int
    concurrency: int
    requests: int
    warm_up: int
    seconds: float


@dataclass
class Run:
    name: str
    latencies_ms: list[float]
    seconds: float
    cpu: dict[str, float]  # process name -> CPU seconds during the timed calls

    @property
    def per_s(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def cpu_per_1000(self) -> float:
        return sum(self.cpu.values()) / len(self.latencies_ms) * 1000 if self.latencies_ms else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "calls": len(self.latencies_ms), "seconds": round(self.seconds, 3),
                "calls_per_s": round(self.per_s, 1),
                **{f"p{q}_ms": round(self.p(q), 2) for q in (50, 90, 95, 99)}, "max_ms": round(self.p(100), 2),
                "cpu_s": {k: round(v, 3) for k, v in self.cpu.items()},
                "cpu_s_per_1000": round(self.cpu_per_1000(), 3)}


def users(params: Params) -> list[str]:
    return [f"bench-{i:05d}" for i in range(params.profiles)]


async def seed(gateway: str, uri: str, database: str, params: Params) -> None:
    """The workspace, its definitions and its people; returns once every person shows the audience and trait."""
    store = Store(uri, database, appname="bench.profile_api")
    try:
        await ensure_workspace(store, WORKSPACE, TOKEN, uuid.uuid4().hex)
    finally:
        await store.close()
    async with httpx.AsyncClient(base_url=f"{gateway}/track/{WORKSPACE}/v1", headers={"auth-token": TOKEN},
                                 timeout=120) as client:
        people = users(params)
        # Small batches: a new person costs several writes, and the embedded store is slow at writing.
        for start in range(0, len(people), 20):
            batch = [message for user in people[start:start + 20] for message in (
                {"type": "identify", "userId": user, "traits": {"plan": "pro", "email": f"{user}@example.com",
                                                                "firstName": "Bench"}},
                {"type": "track", "userId": user, "event": "Order Completed", "properties": {"revenue": 10}},
                {"type": "track", "userId": user, "event": "Order Completed", "properties": {"revenue": 20}})]
            (await client.post("/batch", json={"batch": batch})).raise_for_status()
        # Defined after the people exist, the definitions are computed for all of them by their backfills.
        for path, body in (("computed-traits", COMPUTED_TRAIT), ("audiences", AUDIENCE)):
            (await client.post(f"/{path}", json=body)).raise_for_status()
        for user in people:
            await evaluated(client, user)


async def evaluated(client: httpx.AsyncClient, user: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = (await client.get(f"/profiles/userId:{user}/audiences")).json()
        if body.get("audiences") == ["buyers"]:
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{user} was not evaluated within {seconds} s")


async def timed(name: str, call: Call, people: Sequence[str], params: Params, pids: dict[str, int]) -> Run:
    """`params.concurrency` callers, each with one call outstanding, until `params.requests` calls or the time is up
    (after `params.warm_up` untimed calls that open connections and fill caches: credentials, pools)."""
    latencies: list[float] = []
    issued = 0

    async def caller(number: int, limit: int, deadline: float, timing: bool) -> None:
        nonlocal issued
        while issued < limit and time.monotonic() < deadline:
            user = people[issued % len(people)]
            issued += 1
            began = time.perf_counter()
            await call(number, user)
            if timing:
                latencies.append((time.perf_counter() - began) * 1000)

    await asyncio.gather(*(caller(n, params.warm_up, time.monotonic() + params.seconds, False)
                           for n in range(params.concurrency)))
    issued = 0
    before = {n: cpu_seconds(p) for n, p in pids.items()}
    began = time.perf_counter()
    await asyncio.gather(*(caller(n, params.requests, time.monotonic() + params.seconds, True)
                           for n in range(params.concurrency)))
    seconds = time.perf_counter() - began
    return Run(name, latencies, seconds, {n: cpu_seconds(p) - before[n] for n, p in pids.items()})


def with_pool(uri: str, size: int) -> str:
    """The URI with a connection pool of `size` at least, made up front (`minPoolSize`): the driver's default
    pool (100) makes calls beyond it queue for a connection, and a queue that new calls can jump ahead of, which
    would make the tail of either run a measure of the driver's queue rather than of the store or the API."""
    parts = urlsplit(uri)
    query = {k: v for k, v in parse_qsl(parts.query) if k.lower() not in ("maxpoolsize", "minpoolsize")}
    query.update(maxPoolSize=str(max(size, 100)), minPoolSize=str(size))
    return urlunsplit(parts._replace(query=urlencode(query)))


async def measure(gateway: str, uri: str, database: str, params: Params, pids: dict[str, int]) -> list[Run]:
    people = users(params)
    # A connection per caller, as for the api run: with the driver's default pool (100) half the callers would
    # queue for a connection, and the baseline would measure that queue rather than the store.
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(with_pool(uri, params.concurrency),
                                                                 appname="bench.profile_api")
    profiles = client[database][PROFILES]
    # A client per caller, as many independent app servers would call: httpx's pool scans its connections for
    # every request, so one client holding 200 of them spends more CPU in this process than the API does in its.
    clients = [httpx.AsyncClient(base_url=f"{gateway}/track/{WORKSPACE}/v1/profiles", headers={"auth-token": TOKEN},
                                 limits=httpx.Limits(max_connections=1), timeout=120)
               for _ in range(params.concurrency)]

    async def raw(_caller: int, user: str) -> None:
        if await profiles.find_one({"workspace": WORKSPACE, "user_id": user}) is None:
            raise RuntimeError(f"no profile for {user}")

    async def api(caller: int, user: str) -> None:
        reply = await clients[caller].get(f"/userId:{user}/audiences")
        if reply.status_code != 200 or reply.json().get("audiences") != ["buyers"]:
            raise RuntimeError(f"{user}: {reply.status_code} {reply.text[:200]}")

    try:
        return [await timed("raw", raw, people, params, {}), await timed("api", api, people, params, pids)]
    finally:
        for http in clients:
            await http.aclose()
        await client.close()


def report(runs: list[Run], label: str, params: Params) -> str:
    raw, api = runs
    ratio = api.p(99) / raw.p(99) if raw.p(99) else 0.0
    lines = [f"== {label}; {params.profiles} profiles, {params.concurrency} concurrent callers",
             f"{'run':<4} {'calls':>6} {'calls/s':>8} {'p50 ms':>8} {'p99 ms':>8}  CPU s/1000 calls (gateway + profile)"]
    for run in runs:
        split = " + ".join(f"{run.cpu.get(n, 0) / len(run.latencies_ms) * 1000:.2f}" for n in ("gateway", "profile"))
        cpu = f"{run.cpu_per_1000():.2f} ({split})" if run.cpu else "-"
        lines.append(f"{run.name:<4} {len(run.latencies_ms):>6} {run.per_s:>8.1f} {run.p(50):>8.1f} {run.p(99):>8.1f}"
                     f"  {cpu}")
    verdict = "ok" if ratio <= GOAL else "ABOVE GOAL"
    lines.append(f"p99 api / p99 raw = {ratio:.2f} (goal <= {GOAL}) {verdict}; p50 ratio {api.p(50) / raw.p(50):.2f}, "
                 f"calls/s ratio {raw.per_s / api.per_s:.2f}")
    return "\n".join(lines)


def run(params: Params, json_path: Path | None) -> int:
    began = time.perf_counter()
    with suite_at_hand("profile-api") as hand:
        uri, database = hand.uri, hand.database
        # A connection per concurrent call for the services too, as the raw run has (see `measure`).
        endpoints = hand.suite.start_services(with_pool(uri, params.concurrency))
        pids = {c.name: c.popen.pid for c in hand.suite.children if c.name in ("gateway", "profile")}
        asyncio.run(seed(endpoints.gateway, uri, database, params))
        runs = asyncio.run(measure(endpoints.gateway, uri, database, params, pids))
    print(report(runs, hand.label, params), flush=True)
    if json_path:
        raw, api = runs
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({
            "benchmark": "bench.profile_api", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
            "store": hand.label, "params": asdict(params), "wall_s": round(time.perf_counter() - began, 1),
            "runs": [r.to_json() for r in runs], "p99_ratio": round(api.p(99) / raw.p(99), 3), "goal": GOAL,
        }, indent=2) + "\n")
        print(f"JSON written to {json_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_api", description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=200, help="people in the workspace, cycled over by callers")
    parser.add_argument("--concurrency", type=int, default=200, help="callers with a call outstanding at once")
    parser.add_argument("--requests", type=int, default=2000, help="timed calls per run")
    parser.add_argument("--warm-up", type=int, default=400, help="untimed calls before each run")
    parser.add_argument("--seconds", type=float, default=120.0, help="time budget per run")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if min(args.profiles, args.concurrency, args.requests) < 1:
        parser.error("--profiles, --concurrency and --requests must be at least 1")
    return run(Params(args.profiles, args.concurrency, args.requests, args.warm_up, args.seconds), args.json)


if __name__ == "__main__":
    sys.exit(main())
