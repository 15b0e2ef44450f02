"""docs/benchmarks.md and its charts, from the JSON results of `make bench` alone: re-run it without measuring.

Reads `run.json` (the machine, the store, each benchmark's command, wall time and the other load on the machine
meanwhile; written by `bench.run`) and each benchmark's own results, `<name>.json` as its `--json` option writes
them, from `--results`. Fails, naming the file, when one is missing or lacks a figure. Writes the markdown (the
figures, their ratios against the raw store, each goal's verdict) to `--out`, and PNG charts (matplotlib, Agg) to
the folder of the same name beside it (docs/benchmarks/), which the markdown links. The goals are those each
benchmark wrote with its figures.

  python -m bench.report
  python -m bench.report --results docs/benchmarks/results --out docs/benchmarks.md
"""

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import nan
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "benchmarks.md"
RESULTS = OUT.parent / OUT.stem / "results"
RUN = "run.json"
BENCHES = ("store", "ingest", "backfill", "freshness", "profile_api", "soak")
# Cores that processes other than the benchmark's own used on average while it ran, above which its figures are
# flagged as likely disturbed (on this 2-core machine a quarter of a core is felt, at the embedded store's speeds).
DISTURBED = 0.25
CHARTS = {
    "store": "store.png",
    "ingest": "ingest.png",
    "backfill": "backfill.png",
    "freshness": "freshness.png",
    "profile_api": "profile_api.png",
    "soak_latency": "soak_latency.png",
    "soak_rss": "soak_rss.png",
}

type Results = dict[str, dict[str, Any]]  # "run" and each benchmark's name -> its JSON


class ReportError(Exception):
    """A result the report needs is missing or unreadable; the message names the file and how to measure it."""


def load(path: Path) -> dict[str, Any]:
    how = ("`make bench`" if path.name == RUN else f"`python -m bench.run --only {path.stem}` (or `make bench`)")
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path} is missing: measure it with {how}") from None
    except (OSError, ValueError) as error:
        raise ReportError(f"{path} is unreadable ({error}): measure it again with {how}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path} holds no JSON object: measure it again with {how}")
    return data


def save(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n")


def load_all(folder: Path) -> Results:
    results = {"run": load(folder / RUN)}
    for name in BENCHES:
        results[name] = data = load(folder / f"{name}.json")
        if data.get("benchmark") != f"bench.{name}":
            raise ReportError(f"{folder / f'{name}.json'} holds the results of {data.get('benchmark')!r}, "
                              f"not bench.{name}")
    return results


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Turn a figure missing from a result file (one written by an older benchmark) into a clear error."""
    try:
        yield
    except (KeyError, IndexError, TypeError) as error:
        raise ReportError(f"{name}.json lacks a figure the report needs ({type(error).__name__}: {error}); "
                          f"measure it again with `python -m bench.run --only {name}`") from error


# --- goals ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Goal:
    bench: str
    what: str
    measured: str
    target: str
    met: bool


def goals(results: Results) -> list[Goal]:
    """Every goal the benchmarks have, with its verdict on these results."""
    found = []
    with reading("ingest"):
        rows = {row["path"]: row for row in results["ingest"]["rows"]}
        for path, label in (("grpc", "gRPC"), ("rest", "REST")):
            row = rows[path]
            found.append(Goal("ingest", f"Ingest through {label}: events/s ÷ the raw store's insert_many docs/s",
                              f"{row['ratio']:.2f}", f"≥ {row['goal']}", row["ratio"] >= row["goal"]))
    with reading("backfill"):
        bf = results["backfill"]
        found.append(Goal("backfill", "Backfill through the engine ÷ one hand-written aggregation (time)",
                          f"{bf['ratio']:.2f}", f"≤ {bf['goal_ratio']}", bf["ratio"] <= bf["goal_ratio"]))
        rate, goal = bf["evaluation"]["per_cpu_s"], bf["goal_evaluations_per_s"]
        found.append(Goal("backfill", "Evaluator: profile evaluations per CPU second (one core)", f"{rate:,.0f}",
                          f"≥ {goal:,}", rate >= goal))
    with reading("freshness"):
        visible, lag = results["freshness"]["visible"], results["freshness"]["lag"]
        found.append(Goal("freshness", "Event → visible in the Profile API, p95",
                          f"{visible['p95_ms']:,.0f} ms" if visible["n"] else "no sample",
                          f"< {visible['goal_p95_ms']:,.0f} ms", bool(visible["n"]) and
                          visible["p95_ms"] < visible["goal_p95_ms"]))
        found.append(Goal("freshness", "Window boundary → membership gone, slowest of all",
                          f"{lag['max_s']:.2f} s" if lag["n"] else "no sample", f"≤ {lag['goal_max_s']:g} s",
                          bool(lag["n"]) and lag["max_s"] <= lag["goal_max_s"]))
    with reading("profile_api"):
        api = results["profile_api"]
        found.append(Goal("profile_api", "Profile API p99 ÷ the raw store's find_one p99, same concurrency",
                          f"{api['p99_ratio']:.2f}", f"≤ {api['goal']}", api["p99_ratio"] <= api["goal"]))
    return found


def verdict(met: bool) -> str:
    return "met" if met else "**not met**"


# --- markdown ------------------------------------------------------------------------------------------------------

def table(header: Sequence[str], rows: Iterable[Sequence[Any]], left: int = 1) -> str:
    """A markdown table, its first `left` columns left-aligned (names) and the others right-aligned (figures)."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * left + ["---:"] * (len(header) - left)) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def measured(run: dict[str, Any]) -> str:
    """From the first benchmark's start to the last one's end (`bench.run --only` may have redone some later)."""
    ends = [datetime.fromisoformat(bench["at"]) for bench in run["benches"].values()]
    starts = [end - timedelta(seconds=bench["wall_s"]) for end, bench in zip(ends, run["benches"].values(),
                                                                              strict=True)]
    first, last = min(starts), max(ends)
    return (f"{first:%Y-%m-%d %H:%M} to {last:%H:%M} UTC" if first.date() == last.date()
            else f"{first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")


def disturbance(results: Results, name: str) -> str:
    """A warning under a benchmark's section when other processes loaded the machine while it ran."""
    others = results["run"]["benches"][name]["others_cores"]
    if others <= DISTURBED:
        return ""
    cores = results["run"]["machine"]["cores"]
    return (f"\n**Disturbed:** other processes on this shared machine used {others:.2f} of its {cores} cores on "
            f"average while this ran; these figures are likely lower than a quiet machine's.\n")


def chart(link: str, name: str, alt: str) -> str:
    return f"\n\n![{alt}]({link}/{CHARTS[name]})\n"  # a blank line first: a line right after a table joins it


def render(results: Results, link: str) -> str:
    """The whole markdown; `link` is the charts' folder as the markdown file sees it."""
    parts = [header(results, link), summary(results)]
    sections: list[tuple[str, Callable[[Results, str], str]]] = [
        ("store", store_section), ("ingest", ingest_section), ("backfill", backfill_section),
        ("freshness", freshness_section), ("profile_api", profile_api_section), ("soak", soak_section)]
    for name, section in sections:
        with reading(name):
            parts.append(section(results, link) + disturbance(results, name))
    return "\n\n".join(part.strip("\n") for part in parts) + "\n"


def header(results: Results, link: str) -> str:
    with reading("run"):
        run, machine = results["run"], results["run"]["machine"]
        rows = [("measured", measured(run)), ("store", results["run"]["store"]),
                ("CPU", machine["cpu_model"]), ("cores", machine["cores"]), ("memory", f"{machine['memory_gib']} GiB"),
                ("OS", f"{machine['os']} (Linux {machine['kernel']})"), ("Python", machine["python"])]
        return "\n".join([
            "# Benchmarks",
            "",
            "What the suite does on one machine, against the raw store it runs on, measured in one run of "
            "`make bench` (`python -m bench.run`: each benchmark in `bench/` at the sizes below, one after another, "
            "then `python -m bench.report`, which writes this page and its charts from the JSON results in "
            f"[{link}/results/]({link}/results/) alone; run it again to re-render without measuring). Every "
            "ratio compares our path with the raw store's own speed at the same operation, measured in the same "
            "run: on the embedded store (mongoeco on SQLite) absolute figures are small and vary by tens of percent "
            "from run to run, so only the ratios and this run's figures side by side mean much.",
            "",
            "## The machine and the store",
            "",
            table(("", ""), rows, left=2),
        ])


def summary(results: Results) -> str:
    with reading("run"):
        benches, cores = results["run"]["benches"], results["run"]["machine"]["cores"]
        runs = table(("benchmark", "flags (sizes)", "finished", "wall", "other load (cores)"), [
            (f"`bench.{name}`", f"`{benches[name]['command'].removeprefix(f'python -m bench.{name}').strip()}`",
             when(benches[name]["at"]), f"{benches[name]['wall_s']:.0f} s",
             f"{benches[name]['others_cores']:.2f} of {cores}"
             + (" (disturbed)" if benches[name]["others_cores"] > DISTURBED else ""))
            for name in BENCHES], left=2)
    found = goals(results)
    met = sum(goal.met for goal in found)
    disturbed = [f"`bench.{name}`" for name in BENCHES if benches[name]["others_cores"] > DISTURBED]
    caveat = (f" {', '.join(disturbed)} ran while other processes loaded the machine (see \"How each was run\"): "
              "their figures are likely worse than a quiet machine's." if disturbed else "")
    return "\n".join([
        "## Goals",
        "",
        f"{met} of {len(found)} goals met in this run.{caveat}",
        "",
        table(("goal", "measured", "target", "verdict"),
              [(goal.what, goal.measured, goal.target, verdict(goal.met)) for goal in found]),
        "",
        "## How each was run",
        "",
        "The sizes are `bench/run.py`'s `SIZES`; each benchmark's docstring says what it measures. \"Other load\" "
        "is the CPU that processes other than the benchmark's own used meanwhile, on average (from /proc/stat): "
        f"above {DISTURBED} of a core the benchmark's figures are marked as disturbed.",
        "",
        runs,
    ])


def store_section(results: Results, link: str) -> str:
    data = results["store"]
    lines = ["## The raw store (`bench.store`)", "",
             "Each operation the services issue, through the same driver, on a fresh collection with the project's "
             "indexes; `cN` rows have N callers at once. This is the store's own speed; each benchmark below also "
             "measures the raw figure it compares with, in its own run.", ""]
    for engine in data["results"]:
        lines += [f"Engine `{engine['engine']}` (ready in {engine['startup_s']:.1f} s):", "", table(
            ("operation", "mode", "documents", "calls/s", "docs/s", "p50 ms", "p99 ms"),
            [(row["op"], row["mode"], f"{row['size_before']}→{row['size_after']}", f"{row['calls_per_s']:,.1f}",
              f"{row['docs_per_s']:,.1f}", f"{row['p50_ms']:.1f}", f"{row['p99_ms']:.1f}")
             for row in engine["rows"]]), ""]
    return "\n".join(lines) + chart(link, "store", "Raw store: docs/s per operation")


def ingest_section(results: Results, link: str) -> str:
    data = results["ingest"]
    params = data["params"]
    rows = []
    for row in data["rows"]:
        cpu = " + ".join(f"{row['cpu'][name] / row['events'] * 1000:.2f}" for name in ("gateway", "ingest")
                         if name in row["cpu"])
        rows.append((row["path"], row["events"], f"{row['events_per_s']:,.1f}", f"{row['raw_docs_per_s']:,.1f}",
                     f"{row['ratio']:.2f}", f"≥ {row['goal']}", verdict(row["ratio"] >= row["goal"]),
                     f"{row['cpu_s_per_1000']:.2f} ({cpu})"))
    return "\n".join([
        "## Ingest (`bench.ingest`)", "",
        f"{params['events']} track events per path in batches of {params['batch']}, one call at a time, over "
        f"{params['users']} users, each path on a fresh database; the raw baseline is `insert_many` of the same "
        "documents in the same batches into a fresh collection with the events indexes, just before. Ingest does "
        "more than that insert (identity, profile upserts, due marks) and writes with bulk upserts, which the "
        "embedded store runs faster than `insert_many`, so a ratio above 1 can happen.", "",
        table(("path", "events", "events/s", "raw docs/s", "ratio", "goal", "verdict",
               "CPU s per 1,000 events (gateway + ingest)"), rows),
    ]) + chart(link, "ingest", "Ingest: events/s per path against the raw store")


def backfill_section(results: Results, link: str) -> str:
    data = results["backfill"]
    ev = data["evaluation"]
    runs = data["runs"]
    cpu_ratio = "n/a" if data["cpu_ratio"] is None else f"{data['cpu_ratio']:.2f}"
    total = sum(ev["parts_cpu_s"].values()) or 1.0
    shares = ", ".join(f"{name} {seconds / total:.0%}" for name, seconds in ev["parts_cpu_s"].items())
    return "\n".join([
        "## Backfill and the evaluator (`bench.backfill`)", "",
        f"A workspace of {data['profiles']:,} profiles and {data['events']:,} events (seeded {data['seeding']} in "
        f"{data['seed_s']:.1f} s, not timed) and the audience \"viewed a product over 100 in the last 30 days but "
        f"never completed an order\" ({runs[0]['members']} members). Medians of {len(runs)} alternating runs:", "",
        table(("", "seconds", "of which aggregations", "of which writes"), [
            ("backfill through the engine", f"{data['backfill_s']:.2f}",
             f"{statistics.median(r['aggregate_s'] for r in runs):.2f}",
             f"{statistics.median(r['write_s'] for r in runs):.2f}"),
            ("one hand-written aggregation (raw store)", f"{data['baseline_s']:.2f}", "", "")]),
        "",
        f"Ratio {data['ratio']:.2f} (goal ≤ {data['goal_ratio']}: {verdict(data['ratio'] <= data['goal_ratio'])}); "
        f"the engine's aggregations alone {data['aggregation_ratio']:.2f}; by the store's CPU seconds {cpu_ratio}. "
        "Both compute the same member set (checked every run).",
        "",
        f"The in-memory evaluator (what the workers run per profile), on one core: {ev['profiles']:,} profiles of "
        f"{ev['events_each']} events, 3 audiences and 1 computed trait, in {ev['cpu_s']:.2f} CPU s = "
        f"**{ev['per_cpu_s']:,.0f} profiles per CPU second** (goal ≥ {data['goal_evaluations_per_s']:,}: "
        f"{verdict(ev['per_cpu_s'] >= data['goal_evaluations_per_s'])}). CPU by step: {shares}.",
    ]) + chart(link, "backfill", "Backfill: each run's time against the hand-written aggregation")


def freshness_section(results: Results, link: str) -> str:
    data = results["freshness"]
    params, visible, lag, raw = data["params"], data["visible"], data["lag"], data["raw_find_ms"]
    return "\n".join([
        "## Freshness (`bench.freshness`)", "",
        f"A steady {data['events_per_s']:.1f} events/s (asked {params['rate']:g}) for {params['seconds']:g} s in "
        f"batches of {params['batch']}, each the first \"Ping\" of a known person, who thereby enters an audience; "
        f"about one person in {params['sample']} is watched through the Profile API (polled every 100 ms) from the "
        f"batch's reply until the audience shows. {params['edges']} other people's one event leaves a one-minute "
        "window during the load: the lag is from that instant until the Profile API no longer lists the audience.",
        "",
        table(("measure", "n", "p50", "p95", "p99 / max", "goal", "verdict"), [
            ("event → visible", visible["n"], f"{visible['p50_ms']:,.0f} ms", f"{visible['p95_ms']:,.0f} ms",
             f"{visible['p99_ms']:,.0f} ms", f"p95 < {visible['goal_p95_ms']:,.0f} ms",
             verdict(bool(visible["n"]) and visible["p95_ms"] < visible["goal_p95_ms"])),
            ("window boundary → gone", lag["n"], f"{lag['p50_s']:.2f} s", "", f"{lag['max_s']:.2f} s",
             f"max ≤ {lag['goal_max_s']:g} s", verdict(bool(lag["n"]) and lag["max_s"] <= lag["goal_max_s"])),
            ("raw store find_one by _id (context)", raw["n"], f"{raw['p50_ms']:.1f} ms", "", f"{raw['p99_ms']:.1f} ms",
             "", ""),
        ]),
    ]) + chart(link, "freshness", "Freshness: distribution of event to visible, and of window boundary lag")


def profile_api_section(results: Results, link: str) -> str:
    data = results["profile_api"]
    params = data["params"]
    raw, api = ({run["name"]: run for run in data["runs"]}[name] for name in ("raw", "api"))
    rows = [(run["name"], run["calls"], f"{run['calls_per_s']:,.1f}",
             *(f"{run[f'p{q}_ms']:,.1f}" for q in (50, 90, 95, 99)), f"{run['max_ms']:,.1f}",
             f"{run['cpu_s_per_1000']:.2f}" if run["cpu_s"] else "")
            for run in (raw, api)]
    return "\n".join([
        "## Profile API (`bench.profile_api`)", "",
        f"`GET …/profiles/userId:X/audiences` through the gateway by {params['concurrency']} callers at once over "
        f"{params['profiles']} people (each with traits, an audience and a computed trait), against the raw "
        "store's `find_one({workspace, user_id})` of the same people at the same concurrency; "
        f"{params['requests']:,} timed calls each after {params['warm_up']} untimed ones.", "",
        table(("run", "calls", "calls/s", "p50 ms", "p90 ms", "p95 ms", "p99 ms", "max ms",
               "CPU s per 1,000 calls (gateway + profile)"), rows),
        "",
        f"p99 ratio {data['p99_ratio']:.2f} (goal ≤ {data['goal']}: {verdict(data['p99_ratio'] <= data['goal'])}); "
        f"p50 ratio {api['p50_ms'] / raw['p50_ms']:.2f}; the raw store answers {raw['calls_per_s'] / api['calls_per_s']:.2f}"
        " times as many calls per second.",
    ]) + chart(link, "profile_api", "Profile API: latency percentiles against the raw store")


def soak_section(results: Results, link: str) -> str:
    data = results["soak"]
    params, totals = data["params"], data["totals"]
    kinds = []
    for kind, label in (("track", "track (batch POST)"), ("read", "read (Profile API GET)")):
        t, moved = totals[kind], data["drift"].get(kind)
        errors = ", ".join(f"{n} × {status}" for status, n in t["errors"].items()) or "none"
        drift = [f"{ms(moved['first'][q])} → {ms(moved['last'][q])}" for q in ("p50_ms", "p95_ms")] if moved else ["—"] * 2
        span = f"{moved['first']['t_s']:.0f} s → {moved['last']['t_s']:.0f} s" if moved else "—"
        kinds.append((label, t["sent"], t["ok"], errors, ms(t["p50_ms"]), ms(t["p95_ms"]), ms(t["p99_ms"]),
                      *drift, span))
    loaded = data["samples"][1:]  # the first sample is taken before the load
    rss = [(name, f"{r['start_mb']:.1f}", f"{r['end_mb']:.1f}", f"{r['peak_mb']:.1f}",
            f"{r['growth_mb']:+.1f} ({r['growth_percent']:+.0f}%)",
            f"{statistics.mean(s['cpu_percent'][name] for s in loaded):.0f}%" if loaded else "—")
           for name, r in data["rss"].items()]
    error_count = sum(sum(t["errors"].values()) for t in totals.values())
    backlog = data["due_backlog"]
    return "\n".join([
        "## Soak (`bench.soak`)", "",
        f"The whole suite for {params['seconds']:g} s under a steady open-loop load of {data['events_per_s']:.1f} "
        f"events/s (batches of {params['batch']}) and {totals['read']['per_s']:.1f} Profile API reads/s over "
        f"{params['people']} known people, with two audiences the workers keep fresh (one with a sliding one-minute "
        f"window), sampled every {params['interval']:g} s. A short soak: it shows a trend, not a long run's leaks "
        "(`python -m bench.soak --seconds 3600` for that). Drift compares the first interval with the last, among "
        "those in which some request of the kind succeeded (the span column says which).", "",
        table(("requests", "sent", "ok", "errors", "p50", "p95", "p99", "p50 first → last", "p95 first → last",
               "intervals"), kinds),
        "",
        f"**{error_count} errors** (non-2xx, or no answer within 30 s). Due backlog (profiles due and not yet "
        f"evaluated): at most {backlog['max']}, {backlog['last']} at the end of the load.",
        "",
        "Resident memory of each process of the suite, from just before the load to the last sample, and its mean "
        "CPU (of one core) under the load:",
        "",
        table(("process", "start MB", "end MB", "peak MB", "growth", "CPU"), rss),
    ]) + chart(link, "soak_latency", "Soak: latency per interval") + chart(link, "soak_rss", "Soak: RSS over time")


def ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


# --- charts --------------------------------------------------------------------------------------------------------

def draw(results: Results, folder: Path) -> list[Path]:
    """Every chart, as PNG files in `folder`; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    drawn = []
    painters: list[tuple[str, str, Callable[[Any, Any, Results], None], tuple[float, float]]] = [
        ("store", "store", draw_store, (8, 4)), ("ingest", "ingest", draw_ingest, (6, 3.5)),
        ("backfill", "backfill", draw_backfill, (6, 3.5)), ("freshness", "freshness", draw_freshness, (9, 3.5)),
        ("profile_api", "profile_api", draw_profile_api, (7, 3.5)),
        ("soak_latency", "soak", draw_soak_latency, (9, 5)), ("soak_rss", "soak", draw_soak_rss, (9, 4))]
    for name, bench, paint, size in painters:
        figure = plt.figure(figsize=size)
        try:
            with reading(bench):
                paint(figure, plt, results)
            figure.tight_layout()
            path = folder / CHARTS[name]
            # No software or date stamp: the same results draw the same bytes.
            figure.savefig(path, dpi=100, metadata={"Software": None})
            drawn.append(path)
        finally:
            plt.close(figure)
    return drawn


def draw_store(figure: Any, plt: Any, results: Results) -> None:
    axes = figure.add_subplot()
    engine = results["store"]["results"][0]
    ops = list(dict.fromkeys(row["op"] for row in engine["rows"]))
    modes = list(dict.fromkeys(row["mode"] for row in engine["rows"]))
    height = 0.8 / len(modes)
    for i, mode in enumerate(modes):
        rate = {row["op"]: row["docs_per_s"] for row in engine["rows"] if row["mode"] == mode}
        axes.barh([o + i * height for o in range(len(ops))], [rate.get(op, 0) for op in ops], height,
                  label="one caller" if mode == "seq" else f"{mode[1:]} callers")
    axes.set_yticks([o + height * (len(modes) - 1) / 2 for o in range(len(ops))], ops)
    axes.invert_yaxis()
    axes.set_xlabel("documents per second")
    axes.set_title(f"Raw store ({engine['engine']}): throughput per operation")
    axes.legend()


def draw_ingest(figure: Any, plt: Any, results: Results) -> None:
    axes = figure.add_subplot()
    rows = results["ingest"]["rows"]
    x = range(len(rows))
    axes.bar([i - 0.2 for i in x], [r["events_per_s"] for r in rows], 0.4, label="through our path")
    axes.bar([i + 0.2 for i in x], [r["raw_docs_per_s"] for r in rows], 0.4, label="raw insert_many")
    for i, row in zip(x, rows, strict=True):
        axes.annotate(f"ratio {row['ratio']:.2f}\n(goal ≥ {row['goal']})", (i, max(row["events_per_s"],
                      row["raw_docs_per_s"])), ha="center", va="bottom", fontsize=8)
    axes.set_xticks(list(x), [r["path"] for r in rows])
    axes.set_ylabel("events (documents) per second")
    axes.set_ylim(top=axes.get_ylim()[1] * 1.25)
    axes.set_title("Ingest throughput against the raw store")
    axes.legend(loc="lower right")


def draw_backfill(figure: Any, plt: Any, results: Results) -> None:
    axes = figure.add_subplot()
    runs = results["backfill"]["runs"]
    x = range(len(runs))
    aggregate = [r["aggregate_s"] for r in runs]
    axes.bar([i - 0.2 for i in x], aggregate, 0.4, label="engine: aggregations")
    axes.bar([i - 0.2 for i in x], [r["write_s"] for r in runs], 0.4, bottom=aggregate, label="engine: writes")
    axes.bar([i + 0.2 for i in x], [r["baseline_s"] for r in runs], 0.4, label="hand-written aggregation")
    axes.set_xticks(list(x), [f"run {i + 1}" for i in x])
    axes.set_ylabel("seconds")
    axes.set_title(f"Backfill of {results['backfill']['profiles']:,} profiles (ratio {results['backfill']['ratio']:.2f})")
    axes.set_ylim(top=axes.get_ylim()[1] * 1.3)  # room for the legend above the bars
    axes.legend(fontsize=8, ncol=3, loc="upper center")


def draw_freshness(figure: Any, plt: Any, results: Results) -> None:
    data = results["freshness"]
    visible, lags = figure.add_subplot(1, 2, 1), figure.add_subplot(1, 2, 2)
    visible.hist(data["visible_ms"], bins=20)
    visible.axvline(data["visible"]["goal_p95_ms"], color="red", linestyle="--", label="goal for p95")
    visible.axvline(data["visible"]["p95_ms"], color="black", linestyle=":", label="p95")
    visible.set_xlabel("event → visible (ms)")
    visible.set_ylabel("people")
    visible.legend(fontsize=8)
    lags.hist(data["lag_s"], bins=10)
    lags.axvline(data["lag"]["goal_max_s"], color="red", linestyle="--", label="goal (max)")
    lags.set_xlabel("window boundary → membership gone (s)")
    lags.legend(fontsize=8)
    figure.suptitle("Freshness")


def draw_profile_api(figure: Any, plt: Any, results: Results) -> None:
    axes = figure.add_subplot()
    runs = {run["name"]: run for run in results["profile_api"]["runs"]}
    keys = ["p50_ms", "p90_ms", "p95_ms", "p99_ms", "max_ms"]
    x = range(len(keys))
    for offset, (name, label) in ((-0.2, ("api", "Profile API")), (0.2, ("raw", "raw find_one"))):
        axes.bar([i + offset for i in x], [runs[name][k] for k in keys], 0.4, label=label)
    axes.set_xticks(list(x), [k.removesuffix("_ms") for k in keys])
    axes.set_ylabel("ms")
    params = results["profile_api"]["params"]
    axes.set_title(f"Profile API latency at {params['concurrency']} concurrent callers "
                   f"(p99 ratio {results['profile_api']['p99_ratio']:.2f})")
    axes.legend()


def draw_soak_latency(figure: Any, plt: Any, results: Results) -> None:
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    samples = results["soak"]["samples"][1:]  # the first is the baseline, before any load
    t = [s["t_s"] for s in samples]
    latency = figure.add_subplot(2, 1, 1)
    backlog = figure.add_subplot(2, 1, 2, sharex=latency)
    for kind, color in (("track", "tab:blue"), ("read", "tab:orange")):
        for q, style in (("p50_ms", "-"), ("p95_ms", "--")):
            # An interval in which every request failed has no latency: a gap in the line, not a zero.
            latency.plot(t, [nan if (v := s["requests"][kind][q]) is None else v for s in samples], style,
                         color=color, label=f"{kind} {q[:3]}")
    latency.set_yscale("log")  # a saturated store moves latency by orders of magnitude
    latency.yaxis.set_major_locator(LogLocator(subs=(1, 2, 5)))  # 10, 20, 50, 100, …: readable without exponents
    latency.yaxis.set_major_formatter(ScalarFormatter())
    latency.yaxis.set_minor_formatter(NullFormatter())
    latency.set_ylabel("ms (log scale)")
    latency.set_title("Soak: latency per interval")
    latency.legend(fontsize=8, ncol=2)
    backlog.plot(t, [nan if s["due_backlog"] is None else s["due_backlog"] for s in samples], color="gray",
                 label="due backlog")
    errors = [sum(s["requests"][kind]["errors"] for kind in ("track", "read")) for s in samples]
    backlog.bar(t, errors, width=max(1.0, results["soak"]["params"]["interval"] * 0.5), color="red",
                label="errors in the interval")
    backlog.set_xlabel("seconds into the load")
    backlog.set_ylabel("count")
    backlog.legend(fontsize=8)


def draw_soak_rss(figure: Any, plt: Any, results: Results) -> None:
    axes = figure.add_subplot()
    samples = results["soak"]["samples"]
    t = [s["t_s"] for s in samples]
    for name in results["soak"]["processes"]:
        axes.plot(t, [s["rss_mb"][name] for s in samples], label=name)
    axes.set_xlabel("seconds into the load (0: before it)")
    axes.set_ylabel("RSS (MB)")
    axes.set_title("Soak: resident memory of each process")
    axes.legend(fontsize=8)


# --- the command ---------------------------------------------------------------------------------------------------

def write(results_folder: Path, out: Path) -> list[Path]:
    """Render and draw everything; returns the files written (nothing is written when a result is missing)."""
    results = load_all(results_folder)
    text = render(results, out.stem)
    charts = draw(results, out.parent / out.stem)
    out.write_text(text)
    return [out, *charts]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="the folder of the JSON results")
    parser.add_argument("--out", type=Path, default=OUT, help="the markdown file (its charts go beside it)")
    args = parser.parse_args(argv)
    try:
        written = write(args.results, args.out)
    except ReportError as error:
        print(f"bench.report: {error}", file=sys.stderr)
        return 1
    print(f"bench.report: wrote {', '.join(str(path) for path in written)}")
    for goal in goals(load_all(args.results)):
        print(f"  {goal.what}: {goal.measured} (target {goal.target}) {'met' if goal.met else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
