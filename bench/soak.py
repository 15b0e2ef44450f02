"""Soak: the whole suite under a steady mixed load; every process's memory over time, and the latency's drift.

What it measures. The whole suite runs as real processes (tools.suite), on a database of its own. A workspace has
`--people` people, identified before the load starts, and two audiences that the workers keep fresh as events
arrive and windows slide:

  ordered lately   an "Order Completed" in the last minute (a sliding window: members leave as it passes)
  big order        an "Order Completed" with a revenue over 200

Then, for `--seconds`, open loop (requests leave on schedule whatever the replies take), both at once:

  track   `POST /track/{workspace}/v1/batch` of `--batch` "Order Completed" events of random people, `--rate`
          events/s in all
  read    `GET …/profiles/userId:X/audiences` of a random person, `--reads` per second

Every `--interval` seconds (and once just before the load) it samples the resident memory (VmRSS from
/proc/<pid>/status) and the CPU of every process of the suite (the embedded store when it is the one measured,
ingest, segmentation, profile, the gateway), each kind of request's latency percentiles over the interval (the
requests that completed in it) and its errors (any non-2xx, or no answer within 30 s), and the due backlog (profiles
due now and not yet evaluated: whether the workers keep up). It reports each process's RSS growth (from the sample
before the load to the last), the latency drift (p50 and p95 of the first interval against the last), and every
error by status; `--json` writes the whole time series. The gateway's rate limit is raised: it is not what is
measured, and a 429 would be counted as an error.

  python -m bench.soak                                   # the embedded store, 10 minutes
  python -m bench.soak --seconds 120 --json var/bench-soak.json
  MONGODB_URI=mongodb://host/ python -m bench.soak --seconds 3600 --rate 200 --reads 100
"""

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench.common import cpu_seconds, identify, percentile, rss_bytes, settled, suite_at_hand
from services.common.store import Store
from tools.suite import bootstrap_workspace

WORKSPACE = "bench/soak/BENCH"
TOKEN = "bench-soak-token"
TIMEOUT = 30.0
BACKLOG_TIMEOUT = 2.0  # a swamped store must not hold up the sampling
KINDS = ("track", "read")
AUDIENCES: list[dict[str, Any]] = [
    {"name": "ordered lately", "conditions": [{"mode": "required", "event": {
        "name": "Order Completed", "window": {"kind": "quick", "last": {"amount": 1, "unit": "minutes"}}}}]},
    {"name": "big order", "conditions": [{"mode": "required", "event": {
        "name": "Order Completed", "where": [{"property": "revenue", "op": "gt", "value": 200}]}}]},
]
MB = 1024 * 1024


@dataclass(frozen=True)
class Params:
    seconds: float
    rate: float  # events per second, in batches
    batch: int
    reads: float  # Profile API reads per second
    people: int
    interval: float
    seed: int


@dataclass(frozen=True)
class Outcome:
    kind: str
    done: float  # monotonic instant the answer (or the failure) came
    ms: float
    status: str  # the HTTP status, "timeout", or the transport error's name

    @property
    def ok(self) -> bool:
        return self.status.startswith("2")


def latency_figures(ms: Sequence[float]) -> dict[str, float | None]:
    """p50/p95/p99 of the successful requests' latencies; None when there was none (not 0: nothing was that fast)."""
    return {f"p{q}_ms": round(percentile(ms, q), 1) if ms else None for q in (50, 95, 99)}


def interval_figures(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """Per kind of request: how many completed, how many failed, and the latency percentiles of those that did not."""
    figures = {}
    for kind in KINDS:
        mine = [o for o in outcomes if o.kind == kind]
        ms = [o.ms for o in mine if o.ok]
        figures[kind] = {"n": len(mine), "errors": len(mine) - len(ms), **latency_figures(ms)}
    return figures


def drift(samples: Sequence["Sample"]) -> dict[str, dict[str, Any]]:
    """Per kind: p50 and p95 of the first interval against the last, among the intervals in which some request of
    that kind succeeded (with their times: when everything failed at the end, the last is earlier)."""
    found: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        served = [s for s in samples if s.requests[kind]["p50_ms"] is not None]
        if served:
            found[kind] = {end: {"t_s": s.t_s, **{q: s.requests[kind][q] for q in ("p50_ms", "p95_ms")}}
                           for end, s in (("first", served[0]), ("last", served[-1]))}
    return found


@dataclass
class Sample:
    t_s: float  # seconds since the load began
    rss_mb: dict[str, float]
    cpu_percent: dict[str, float]  # of one core, over the interval
    due_backlog: int | None  # None when the store did not answer the count within BACKLOG_TIMEOUT
    requests: dict[str, dict[str, Any]]  # kind -> interval_figures


@dataclass
class Soak:
    """The open-loop load, what came of each request, and the samples."""

    client: httpx.AsyncClient
    params: Params
    pids: dict[str, int]
    store: Store
    rng: random.Random
    people: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    sent: Counter[str] = field(default_factory=Counter)
    inflight: set[asyncio.Task[None]] = field(default_factory=set)

    async def request(self, kind: str, method: str, url: str, body: Any = None) -> None:
        self.sent[kind] += 1
        began = time.perf_counter()
        try:
            reply = await self.client.request(method, url, json=body)
            status = str(reply.status_code)
        except httpx.TimeoutException:
            status = "timeout"
        except httpx.HTTPError as error:
            status = type(error).__name__
        self.outcomes.append(Outcome(kind, time.monotonic(), (time.perf_counter() - began) * 1000, status))

    async def track(self) -> None:
        batch = [{"type": "track", "userId": self.rng.choice(self.people), "event": "Order Completed",
                  "properties": {"revenue": round(self.rng.uniform(10, 400), 2), "currency": "GBP"}}
                 for _ in range(self.params.batch)]
        await self.request("track", "POST", f"/track/{WORKSPACE}/v1/batch", {"batch": batch})

    async def read(self) -> None:
        await self.request("read", "GET", f"/track/{WORKSPACE}/v1/profiles/userId:{self.rng.choice(self.people)}"
                                          "/audiences")

    async def steady(self, per_s: float, make: Callable[[], Awaitable[None]], started: float, until: float) -> None:
        """Open loop: the n-th request leaves at `started + n / per_s`, however long earlier ones take."""
        n = 0
        while (at := started + n / per_s) < until:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            task = asyncio.ensure_future(make())
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
            n += 1

    async def sample(self, started: float, since: float, counted: int, cpu_before: dict[str, float]) -> int:
        """One sample at the end of the interval that began at `since`; returns how many outcomes it has counted."""
        now = time.monotonic()
        cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        rss = {name: round(rss_bytes(pid) / MB, 1) for name, pid in self.pids.items()}
        completed = len(self.outcomes)
        elapsed = now - since
        try:
            backlog: int | None = await asyncio.wait_for(self.store.due.count_documents(
                {"workspace": WORKSPACE, "due_at": {"$lte": datetime.now(UTC)}}), BACKLOG_TIMEOUT)
        except TimeoutError:
            backlog = None
        self.samples.append(Sample(
            t_s=round(now - started, 2), rss_mb=rss,
            cpu_percent={name: round((cpu[name] - cpu_before.get(name, cpu[name])) / elapsed * 100, 1)
                         if elapsed else 0.0 for name in self.pids},
            due_backlog=backlog,
            requests=interval_figures(self.outcomes[counted:completed])))
        cpu_before.update(cpu)
        return completed

    async def run(self) -> None:
        params = self.params
        cpu: dict[str, float] = {}
        await self.sample(time.monotonic(), time.monotonic(), 0, cpu)  # the baseline, before any load
        started = time.monotonic()
        until = started + params.seconds
        loads = [asyncio.create_task(self.steady(params.rate / params.batch, self.track, started, until)),
                 asyncio.create_task(self.steady(params.reads, self.read, started, until))]
        counted, since, tick = 0, started, 1
        while (at := started + tick * params.interval) <= until + 1e-6:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            counted = await self.sample(started, since, counted, cpu)
            since, tick = time.monotonic(), tick + 1
            line = self.samples[-1]
            print(f"  t={line.t_s:>6.1f}s  " + "  ".join(
                f"{kind} n={f['n']} p50 {ms(f['p50_ms'])} p95 {ms(f['p95_ms'])} err {f['errors']}"
                for kind, f in line.requests.items()) + f"  backlog {line.due_backlog}  RSS MB " + " ".join(
                f"{name} {mb:.0f}" for name, mb in line.rss_mb.items()), flush=True)
        await asyncio.gather(*loads)
        await asyncio.gather(*list(self.inflight))  # each ends within the client's timeout

    def summary(self) -> dict[str, Any]:
        first, last = self.samples[0], self.samples[-1]
        rss = {name: {"start_mb": first.rss_mb[name], "end_mb": last.rss_mb[name],
                      "peak_mb": max(s.rss_mb[name] for s in self.samples),
                      "growth_mb": round(last.rss_mb[name] - first.rss_mb[name], 1),
                      "growth_percent": round((last.rss_mb[name] / first.rss_mb[name] - 1) * 100, 1)}
               for name in self.pids}
        totals = {}
        for kind in KINDS:
            mine = [o for o in self.outcomes if o.kind == kind]
            ok = [o.ms for o in mine if o.ok]
            totals[kind] = {"sent": self.sent[kind], "ok": len(ok),
                            "errors": dict(Counter(o.status for o in mine if not o.ok)), **latency_figures(ok),
                            "per_s": round(self.sent[kind] / self.params.seconds, 2)}
        counted = [s.due_backlog for s in self.samples if s.due_backlog is not None]
        return {"rss": rss, "drift": drift(self.samples[1:]), "totals": totals,
                "events_per_s": round(self.sent["track"] * self.params.batch / self.params.seconds, 2),
                "due_backlog": {"max": max(counted, default=None), "last": last.due_backlog}}


async def soak(gateway: str, uri: str, database: str, params: Params, pids: dict[str, int]) -> Soak:
    rng = random.Random(params.seed)
    people = [f"soak-{i:05d}" for i in range(params.people)]
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=gateway, timeout=TIMEOUT, limits=limits,
                                 headers={"auth-token": TOKEN}) as client:
        await identify(client, WORKSPACE, TOKEN, people, {"plan": "free"})
        for audience in AUDIENCES:
            reply = await client.post(f"/track/{WORKSPACE}/v1/audiences", json=audience)
            reply.raise_for_status()
            await built(client, reply.json()["id"])
        await settled(uri, database, "bench.soak")
        store = Store(uri, database, appname="bench.soak")
        try:
            load = Soak(client, params, pids, store, rng, people)
            await load.run()
        finally:
            await store.close()
    return load


async def built(client: httpx.AsyncClient, audience_id: str, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reply = await client.get(f"/track/{WORKSPACE}/v1/audiences/{audience_id}")
        reply.raise_for_status()
        state = reply.json()["status"]["state"]
        if state == "ready":
            return
        if state == "failed":
            raise RuntimeError(f"the backfill of audience {audience_id} failed: {reply.json()['status']}")
        await asyncio.sleep(0.5)
    raise TimeoutError(f"audience {audience_id} was not built within {seconds} s")


def report(summary: dict[str, Any], label: str, params: Params) -> str:
    lines = [f"== {label}; {summary['events_per_s']:.1f} events/s in batches of {params.batch} and "
             f"{summary['totals']['read']['per_s']:.1f} reads/s for {params.seconds:.0f} s, {params.people} people",
             f"{'process':<13} {'RSS start MB':>12} {'end MB':>8} {'peak MB':>8} {'growth':>14}"]
    for name, r in summary["rss"].items():
        lines.append(f"{name:<13} {r['start_mb']:>12.1f} {r['end_mb']:>8.1f} {r['peak_mb']:>8.1f} "
                     f"{r['growth_mb']:>+7.1f} ({r['growth_percent']:+.0f}%)")
    for kind, t in summary["totals"].items():
        errors = ", ".join(f"{status}: {n}" for status, n in t["errors"].items()) or "none"
        moved = summary["drift"].get(kind)
        change = (f"; drift p50 {ms(moved['first']['p50_ms'])} -> {ms(moved['last']['p50_ms'])}, "
                  f"p95 {ms(moved['first']['p95_ms'])} -> {ms(moved['last']['p95_ms'])} "
                  f"(intervals ending at {moved['first']['t_s']:.0f} s and {moved['last']['t_s']:.0f} s)"
                  if moved else "")
        lines.append(f"{kind:<5} sent {t['sent']}, ok {t['ok']}, p50 {ms(t['p50_ms'])}, p95 {ms(t['p95_ms'])}, "
                     f"p99 {ms(t['p99_ms'])}{change}; errors: {errors}")
    lines.append(f"due backlog: max {summary['due_backlog']['max']}, at the end {summary['due_backlog']['last']}")
    return "\n".join(lines)


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


def run(params: Params, json_path: Path | None) -> int:
    began = time.perf_counter()
    with suite_at_hand("soak") as hand:
        bootstrap_workspace(hand.uri, hand.database, TOKEN, uuid.uuid4().hex, WORKSPACE)
        endpoints = hand.suite.start_services(hand.uri)
        pids = {child.name: child.popen.pid for child in hand.suite.children}  # the store too, when embedded
        result = asyncio.run(soak(endpoints.gateway, hand.uri, hand.database, params, pids))
    label = hand.label
    summary = result.summary()
    print(report(summary, label, params), flush=True)
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({
            "benchmark": "bench.soak", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
            "store": label, "params": asdict(params), "wall_s": round(time.perf_counter() - began, 1),
            "processes": list(pids), **summary, "samples": [asdict(s) for s in result.samples],
        }, indent=2) + "\n")
        print(f"JSON written to {json_path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="how long the load lasts")
    parser.add_argument("--rate", type=float, default=20.0, help="tracked events per second")
    parser.add_argument("--batch", type=int, default=10, help="events per batch call")
    parser.add_argument("--reads", type=float, default=10.0, help="Profile API reads per second")
    parser.add_argument("--people", type=int, default=200, help="people the events and reads spread over")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--seed", type=int, default=1, help="random seed (who, revenues)")
    parser.add_argument("--json", type=Path, help="also write the time series as JSON to this file")
    args = parser.parse_args(argv)
    if min(args.seconds, args.rate, args.reads, args.interval) <= 0 or min(args.batch, args.people) < 1:
        parser.error("durations, rates and sizes must be positive")
    if args.interval > args.seconds:
        parser.error("--interval must not be longer than --seconds")
    return run(Params(args.seconds, args.rate, args.batch, args.reads, args.people, args.interval, args.seed),
               args.json)


if __name__ == "__main__":
    sys.exit(main())
