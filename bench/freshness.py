"""Freshness: how soon a membership is visible after its event, and how close to a window's edge it changes.

What it measures. The whole suite runs as real processes. Under a steady load of `--rate` events per second for
`--seconds`, sent as SDKs send them (batches of `--batch`, open loop), each the first "Ping" of a person identified
before the load starts (a live site's traffic is mostly people seen before), who thereby enters "pinged":

  event -> visible   for about one person in `--sample`: from the 200 of their batch call to the moment
                     `GET /profiles/userId:X/audiences` first lists "pinged" (polled every 100 ms)
  boundary lag       `--edges` people whose one event is backdated so that it leaves the one-minute window of
                     "pinged recently" a few seconds into the run, with no new event: from that instant to the
                     moment the Profile API no longer lists the audience

Goals (issue 5): event -> visible p95 < 1 s; boundary lag <= 5 s. For context, the raw store's round trip for the
reads the Profile API makes (one `find_one` by index) is measured in the same run. `--json` writes the figures
and every measured latency and lag (the report's distribution chart is drawn from them). A batch the gateway
refuses (a 503/504 when the store falls behind the rate) is counted and reported, not measured. The suite uses a
database of its own (`bench_<hex>`), dropped afterwards on a store given by MONGODB_URI.

  python -m bench.freshness                        # embedded store at 50 events/s: more than it sustains here
                                                   # end to end (about 10/s on 2 cores: `make bench` runs 10/s)
  python -m bench.freshness --rate 20 --seconds 30 --json var/bench-freshness.json
"""

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import identify, percentile, settled, suite_at_hand
from services.common.store import Store
from tools.suite import bootstrap_workspace

WORKSPACE = "bench/freshness/BENCH"
TOKEN = "bench-token"
POLL = 0.1
VISIBLE_GOAL_S = 1.0  # event -> visible, p95 under
LAG_GOAL_S = 5.0  # window boundary -> visible, at most


async def visible(client: httpx.AsyncClient, user: str, audience: str, present: bool, deadline: float) -> float:
    """Poll until the profile's audiences do (or do not) list `audience`; the monotonic time it was so."""
    while time.monotonic() < deadline:
        reply = await client.get(f"/track/{WORKSPACE}/v1/profiles/userId:{user}/audiences",
                                 headers={"auth-token": TOKEN})
        if reply.status_code == 200 and (audience in reply.json().get("audiences", [])) == present:
            return time.monotonic()
        await asyncio.sleep(POLL)
    raise TimeoutError(f"{user}: {audience} {'never appeared' if present else 'never left'}")


async def run(gateway: str, uri: str, database: str, rate: float, seconds: float, sample: int, edges: int,
              batch: int) -> dict[str, list[float]]:
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as client:
        recently = {"kind": "quick", "last": {"amount": 1, "unit": "minutes"}}
        for name, window in (("pinged", None), ("pinged recently", recently)):
            event = {"name": "Ping", **({"window": window} if window else {})}
            reply = await client.post(f"/track/{WORKSPACE}/v1/audiences", headers={"auth-token": TOKEN},
                                      json={"name": name, "conditions": [{"mode": "required", "event": event}]})
            reply.raise_for_status()

        latencies: list[float] = []
        watchers: list[asyncio.Task[None]] = []
        sends: list[asyncio.Task[None]] = []
        refused: list[float] = []  # the status of every batch the gateway did not take (the store fell behind)

        async def watch(user: str, acked: float) -> None:
            seen = await visible(client, user, "pinged", True, acked + 30)
            latencies.append(seen - acked)

        async def edge(user: str, leaves: datetime) -> float:
            # Polling only from just before the edge: polling earlier would load the store, not measure anything.
            await asyncio.sleep(max(0.0, (leaves - datetime.now(UTC)).total_seconds() - 0.5))
            await visible(client, user, "pinged recently", False, time.monotonic() + 60)
            return (datetime.now(UTC) - leaves).total_seconds()

        async def send(users: list[str]) -> None:
            reply = await client.post(f"/track/{WORKSPACE}/v1/batch", headers={"auth-token": TOKEN}, json={
                "batch": [{"type": "track", "userId": u, "event": "Ping"} for u in users]})
            if reply.status_code != 200:  # counted and reported, not measured: nobody entered the audience
                refused.append(reply.status_code)
                return
            acked = time.monotonic()
            watchers.extend(asyncio.create_task(watch(u, acked)) for u in users if hash(u) % sample == 0)

        # Known people: the load is what a live site sends, mostly people seen before.
        people = [f"p-{i}" for i in range(int(rate * seconds) + batch)]
        await identify(client, WORKSPACE, TOKEN, people, {"plan": "free"})
        await settled(uri, database, "bench.freshness")
        # People whose event leaves the one-minute window 3 to 3+edges seconds into the load, with no new event.
        edge_at: dict[str, datetime] = {}
        now = datetime.now(UTC)
        for i in range(edges):
            user, leaves = f"edge-{uuid.uuid4().hex[:8]}", now + timedelta(seconds=3 + i)
            edge_at[user] = leaves
            reply = await client.post(f"/track/{WORKSPACE}/v1/track", headers={"auth-token": TOKEN}, json={
                "userId": user, "event": "Ping", "timestamp": (leaves - timedelta(minutes=1)).isoformat()})
            reply.raise_for_status()

        edge_tasks = [asyncio.create_task(edge(u, t)) for u, t in edge_at.items()]
        # Open loop, as SDKs send: a batch every batch/rate seconds whatever the replies take.
        started, sent = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            sends.append(asyncio.create_task(send(people[sent:sent + batch])))
            sent += batch
            await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
        await asyncio.gather(*sends)
        achieved = sent / (time.monotonic() - started)
        await asyncio.gather(*watchers)
        lags = await asyncio.gather(*edge_tasks)
    raw = await raw_find_ms(uri, database)
    return {"latency": latencies, "lag": list(lags), "rate": [achieved], "raw_find_ms": raw, "refused": refused}


async def raw_find_ms(uri: str, database: str, calls: int = 200) -> list[float]:
    store = Store(uri, database, appname="bench.freshness")
    try:
        ids = [d["_id"] async for d in store.profiles.find({"workspace": WORKSPACE}, {"_id": 1}).limit(calls)]
        times = []
        for profile_id in ids:
            began = time.perf_counter()
            await store.profiles.find_one({"_id": profile_id})
            times.append((time.perf_counter() - began) * 1000)
        return times
    finally:
        await store.close()


def report(figures: dict[str, list[float]], label: str, rate: float, seconds: float) -> str:
    latency, lag, raw = figures["latency"], figures["lag"], figures["raw_find_ms"]
    return "\n".join([
        f"store: {label}; load: {figures['rate'][0]:.1f} events/s (asked {rate:.0f}/s) for {seconds:.0f} s",
        f"event -> visible  n={len(latency)}  p50 {percentile(latency, 50) * 1000:.0f} ms  "
        f"p95 {percentile(latency, 95) * 1000:.0f} ms  p99 {percentile(latency, 99) * 1000:.0f} ms  "
        f"(goal p95 < {VISIBLE_GOAL_S * 1000:.0f} ms)",
        f"boundary lag      n={len(lag)}  p50 {percentile(lag, 50):.2f} s  max {max(lag, default=0):.2f} s  "
        f"(goal <= {LAG_GOAL_S:.0f} s)",
        f"raw store find_one by _id: p50 {percentile(raw, 50):.1f} ms  p99 {percentile(raw, 99):.1f} ms",
        f"batches refused: {len(figures['refused'])}"
        + (f" (statuses {sorted(set(int(s) for s in figures['refused']))}: the store at hand fell behind this rate)"
           if figures["refused"] else ""),
    ])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="track calls per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sample", type=int, default=10, help="watch about one person in n")
    parser.add_argument("--edges", type=int, default=10, help="people whose window edge is timed")
    parser.add_argument("--batch", type=int, default=10, help="events per batch call, as SDKs send them")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    with suite_at_hand("freshness") as hand:
        bootstrap_workspace(hand.uri, hand.database, TOKEN, "bench-write-key", WORKSPACE)
        endpoints = hand.suite.start_services(hand.uri)
        figures = asyncio.run(run(endpoints.gateway, hand.uri, hand.database, args.rate, args.seconds, args.sample,
                                  args.edges, args.batch))
    label = hand.label
    print(report(figures, label, args.rate, args.seconds), flush=True)
    if args.json:
        params = {name: getattr(args, name) for name in ("rate", "seconds", "sample", "edges", "batch")}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(as_json(figures, label, params, time.perf_counter() - began), indent=2) + "\n")
        print(f"JSON written to {args.json}")
    return 0


def as_json(figures: dict[str, list[float]], label: str, params: dict[str, Any], wall: float) -> dict[str, Any]:
    latency_ms = sorted(round(s * 1000, 1) for s in figures["latency"])
    lag_s = sorted(round(s, 3) for s in figures["lag"])
    raw = figures["raw_find_ms"]
    return {
        "benchmark": "bench.freshness", "at": datetime.now(UTC).isoformat(), "python": sys.version.split()[0],
        "store": label, "params": params, "wall_s": round(wall, 1), "events_per_s": round(figures["rate"][0], 2),
        "visible": {"n": len(latency_ms), **{f"p{q}_ms": percentile(latency_ms, q) for q in (50, 95, 99)},
                    "goal_p95_ms": VISIBLE_GOAL_S * 1000},
        "lag": {"n": len(lag_s), "p50_s": percentile(lag_s, 50), "max_s": max(lag_s, default=0.0),
                "goal_max_s": LAG_GOAL_S},
        "raw_find_ms": {"n": len(raw), "p50_ms": round(percentile(raw, 50), 2), "p99_ms": round(percentile(raw, 99), 2)},
        "visible_ms": latency_ms, "lag_s": lag_s, "refused_batches": len(figures["refused"]),
    }


if __name__ == "__main__":
    raise SystemExit(main())
