"""The benchmark report: rendered from small result files, goal verdicts at their edges, missing or stale results."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bench import report

PNG = b"\x89PNG\r\n\x1a\n"


def interval(p50: float, p95: float, errors: int = 0) -> dict[str, Any]:
    return {"n": 10, "errors": errors, "p50_ms": p50, "p95_ms": p95, "p99_ms": p95 + 10}


def sample(t: float, rss: float, track: tuple[float, float], read: tuple[float, float],
           backlog: int = 0, errors: int = 0) -> dict[str, Any]:
    return {"t_s": t, "rss_mb": {"store": 80 + rss, "gateway": 78 + rss / 2},
            "cpu_percent": {"store": 50.0, "gateway": 10.0}, "due_backlog": backlog,
            "requests": {"track": interval(*track, errors=errors), "read": interval(*read)}}


# The shapes each benchmark's --json writes, cut down to a few rows.
RESULTS: dict[str, dict[str, Any]] = {
    "run": {
        "at": "2026-12-04T06:00:00+00:00", "store": "embedded (mongoeco, SQLite)",
        "machine": {"cores": 2, "memory_gib": 23.5, "cpu_model": "AMD EPYC", "os": "Debian GNU/Linux 12 (bookworm)",
                    "kernel": "6.1.0", "python": "3.13.0"},
        "benches": {name: {"command": f"python -m bench.{name} --small", "exit": 0, "wall_s": 60.0,
                           "others_cores": 0.05, "at": "2026-12-04T06:05:00+00:00"} for name in report.BENCHES},
    },
    "store": {
        "benchmark": "bench.store", "results": [{"engine": "sqlite", "database": "bench_x", "startup_s": 0.7,
                                                 "wall_s": 40.0, "rows": [
            {"op": "upsert", "mode": "seq", "calls": 300, "docs": 300, "seconds": 3.1, "size_before": 0,
             "size_after": 300, "note": "", "calls_per_s": 96.6, "docs_per_s": 96.6, "mean_ms": 10.3, "p50_ms": 9.98,
             "p99_ms": 23.3},
            {"op": "upsert", "mode": "c16", "calls": 300, "docs": 300, "seconds": 3.6, "size_before": 0,
             "size_after": 300, "note": "", "calls_per_s": 82.3, "docs_per_s": 82.3, "mean_ms": 192.4,
             "p50_ms": 156.4, "p99_ms": 578.8}]}]},
    "ingest": {
        "benchmark": "bench.ingest", "engine": "sqlite", "params": {"events": 600, "batch": 100, "users": 50, "seed": 1},
        "rows": [
            {"path": "grpc", "events": 600, "seconds": 12.2, "raw_seconds": 11.0, "cpu": {"ingest": 0.27},
             "events_per_s": 49.0, "raw_docs_per_s": 54.5, "ratio": 0.9, "goal": 0.5, "cpu_s_per_1000": 0.45},
            {"path": "rest", "events": 600, "seconds": 20.0, "raw_seconds": 11.0,
             "cpu": {"gateway": 0.3, "ingest": 0.27}, "events_per_s": 30.0, "raw_docs_per_s": 54.5, "ratio": 0.55,
             "goal": 0.3, "cpu_s_per_1000": 0.95}]},
    "backfill": {
        "benchmark": "bench.backfill", "store": "embedded (mongoeco wire server, SQLite)", "profiles": 500,
        "events": 3749, "seeding": "in-process into the SQLite file", "seed_s": 2.7,
        "runs": [{"baseline_s": 0.44, "backfill_s": 1.63, "aggregate_s": 0.79, "write_s": 0.84, "members": 78,
                  "baseline_cpu_s": 0.41, "backfill_cpu_s": 1.58},
                 {"baseline_s": 0.35, "backfill_s": 1.45, "aggregate_s": 0.85, "write_s": 0.6, "members": 78,
                  "baseline_cpu_s": 0.34, "backfill_cpu_s": 1.42}],
        "backfill_s": 1.54, "baseline_s": 0.395, "ratio": 3.9, "aggregation_ratio": 2.1, "cpu_ratio": 3.9,
        "goal_ratio": 2.0, "goal_evaluations_per_s": 10000,
        "evaluation": {"profiles": 2000, "events_each": 50, "cpu_s": 0.18, "wall_s": 0.18,
                       "members": {"lapsed": 385}, "parts_cpu_s": {"computed traits": 0.05, "lapsed": 0.15},
                       "per_cpu_s": 11419.0}},
    "freshness": {
        "benchmark": "bench.freshness", "store": "embedded (mongoeco, SQLite)",
        "params": {"rate": 20.0, "seconds": 30.0, "sample": 10, "edges": 3, "batch": 10}, "events_per_s": 19.8,
        "visible": {"n": 4, "p50_ms": 310.0, "p95_ms": 640.0, "p99_ms": 640.0, "goal_p95_ms": 1000.0},
        "lag": {"n": 3, "p50_s": 1.2, "max_s": 2.5, "goal_max_s": 5.0},
        "raw_find_ms": {"n": 3, "p50_ms": 2.1, "p99_ms": 8.0},
        "visible_ms": [120.0, 310.0, 400.0, 640.0], "lag_s": [0.9, 1.2, 2.5]},
    "profile_api": {
        "benchmark": "bench.profile_api", "store": "embedded (mongoeco, SQLite)",
        "params": {"profiles": 200, "concurrency": 200, "requests": 2000, "warm_up": 400, "seconds": 120.0},
        "runs": [{"name": "raw", "calls": 2000, "seconds": 3.9, "calls_per_s": 518.1, "p50_ms": 381.4,
                  "p90_ms": 420.0, "p95_ms": 450.0, "p99_ms": 490.9, "max_ms": 500.0, "cpu_s": {},
                  "cpu_s_per_1000": 0.0},
                 {"name": "api", "calls": 2000, "seconds": 9.6, "calls_per_s": 209.1, "p50_ms": 925.4,
                  "p90_ms": 1200.0, "p95_ms": 1300.0, "p99_ms": 1472.7, "max_ms": 1600.0,
                  "cpu_s": {"gateway": 2.58, "profile": 3.42}, "cpu_s_per_1000": 3.0}],
        "p99_ratio": 3.0, "goal": 3.0},
    "soak": {
        "benchmark": "bench.soak", "store": "embedded (mongoeco, SQLite)",
        "params": {"seconds": 10.0, "rate": 20.0, "batch": 10, "reads": 10.0, "people": 50, "interval": 5.0,
                   "seed": 1},
        "processes": ["store", "gateway"],
        "rss": {"store": {"start_mb": 80.0, "end_mb": 84.2, "peak_mb": 84.2, "growth_mb": 4.2,
                          "growth_percent": 5.3},
                "gateway": {"start_mb": 78.0, "end_mb": 80.1, "peak_mb": 80.1, "growth_mb": 2.1,
                            "growth_percent": 2.7}},
        "drift": {"track": {"first": {"t_s": 5.0, "p50_ms": 184.0, "p95_ms": 444.0},
                            "last": {"t_s": 10.0, "p50_ms": 291.0, "p95_ms": 435.0}},
                  "read": {"first": {"t_s": 5.0, "p50_ms": 33.0, "p95_ms": 135.0},
                           "last": {"t_s": 10.0, "p50_ms": 57.0, "p95_ms": 143.0}}},
        "totals": {"track": {"sent": 20, "ok": 18, "errors": {"504": 2}, "p50_ms": 195.0, "p95_ms": 428.0,
                             "p99_ms": 444.0, "per_s": 2.0},
                   "read": {"sent": 100, "ok": 100, "errors": {}, "p50_ms": 31.0, "p95_ms": 103.0, "p99_ms": 169.0,
                            "per_s": 10.0}},
        "events_per_s": 20.0, "due_backlog": {"max": 9, "last": 3},
        "samples": [sample(0.0, 0, (0, 0), (0, 0)), sample(5.0, 2, (184, 444), (33, 135), backlog=9, errors=2),
                    sample(10.0, 4.2, (291, 435), (57, 143), backlog=3)]},
}


def written(folder: Path, results: dict[str, dict[str, Any]] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in (results or RESULTS).items():
        (folder / (report.RUN if name == "run" else f"{name}.json")).write_text(json.dumps(data))
    return folder


def edited(**changes: Any) -> dict[str, dict[str, Any]]:
    """RESULTS with `bench__key__subkey=value` changes."""
    results = copy.deepcopy(RESULTS)
    for path, value in changes.items():
        *keys, last = path.split("__")
        target: Any = results
        for key in keys:
            target = target[int(key)] if isinstance(target, list) else target[key]
        target[last] = value
    return results


def verdicts(results: dict[str, dict[str, Any]]) -> dict[str, bool]:
    return {goal.what: goal.met for goal in report.goals(results)}


def test_every_section_shows_its_figures_and_verdicts(tmp_path: Path) -> None:
    text = report.render(report.load_all(written(tmp_path)), "benchmarks")
    for expected in (
        "| CPU | AMD EPYC |", "| cores | 2 |", "| memory | 23.5 GiB |", "Debian GNU/Linux 12 (bookworm) (Linux 6.1.0)",
        "| Python | 3.13.0 |", "| store | embedded (mongoeco, SQLite) |", "| measured | 2026-12-04 06:04 to 06:05 UTC |",
        "6 of 7 goals met",
        "| Backfill through the engine ÷ one hand-written aggregation (time) | 3.90 | ≤ 2.0 | **not met** |",
        "| grpc | 600 | 49.0 | 54.5 | 0.90 | ≥ 0.5 | met | 0.45 (0.45) |",
        "| rest | 600 | 30.0 | 54.5 | 0.55 | ≥ 0.3 | met | 0.95 (0.50 + 0.45) |",
        "**11,419 profiles per CPU second**",
        "| event → visible | 4 | 310 ms | 640 ms | 640 ms | p95 < 1,000 ms | met |",
        "p99 ratio 3.00 (goal ≤ 3.0: met)",
        "| upsert | c16 | 0→300 | 82.3 | 82.3 | 156.4 | 578.8 |",
        "| track (batch POST) | 20 | 18 | 2 × 504 | 195 ms | 428 ms | 444 ms | 184 ms → 291 ms | 444 ms → 435 ms "
        "| 5 s → 10 s |",
        "**2 errors**", "| store | 80.0 | 84.2 | 84.2 | +4.2 (+5%) | 50% |",
        "`--small`",
        "![Profile API: latency percentiles against the raw store](benchmarks/profile_api.png)",
    ):
        assert expected in text, expected
    assert "Disturbed" not in text


@pytest.mark.parametrize(("changes", "what", "met"), [
    ({"ingest__rows__1__ratio": 0.3}, "Ingest through REST: events/s ÷ the raw store's insert_many docs/s", True),
    ({"ingest__rows__1__ratio": 0.29}, "Ingest through REST: events/s ÷ the raw store's insert_many docs/s", False),
    ({"ingest__rows__0__ratio": 0.49}, "Ingest through gRPC: events/s ÷ the raw store's insert_many docs/s", False),
    ({"backfill__ratio": 2.0}, "Backfill through the engine ÷ one hand-written aggregation (time)", True),
    ({"backfill__evaluation__per_cpu_s": 9999.0}, "Evaluator: profile evaluations per CPU second (one core)", False),
    ({"freshness__visible__p95_ms": 1000.0}, "Event → visible in the Profile API, p95", False),  # under, not at
    ({"freshness__visible__n": 0}, "Event → visible in the Profile API, p95", False),  # nothing seen is no pass
    ({"freshness__lag__max_s": 5.0}, "Window boundary → membership gone, slowest of all", True),
    ({"freshness__lag__max_s": 5.01}, "Window boundary → membership gone, slowest of all", False),
    ({"profile_api__p99_ratio": 3.01}, "Profile API p99 ÷ the raw store's find_one p99, same concurrency", False),
])
def test_goal_verdicts_at_their_edges(changes: dict[str, Any], what: str, met: bool) -> None:
    results = edited(**changes)
    assert verdicts(results)[what] is met
    assert sum(verdicts(results).values()) == sum(verdicts(RESULTS).values()) + (met - verdicts(RESULTS)[what])


def test_a_missing_result_is_named_and_nothing_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = written(tmp_path / "results")
    (folder / "soak.json").unlink()
    out = tmp_path / "benchmarks.md"
    assert report.main(["--results", str(folder), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "soak.json is missing" in error and "python -m bench.run --only soak" in error
    assert not out.exists() and not (tmp_path / "benchmarks").exists()


def test_a_missing_run_file_asks_for_make_bench(tmp_path: Path) -> None:
    folder = written(tmp_path)
    (folder / report.RUN).unlink()
    with pytest.raises(report.ReportError, match=r"run\.json is missing: measure it with `make bench`"):
        report.load_all(folder)


def test_a_result_lacking_a_figure_is_named(tmp_path: Path) -> None:
    results = copy.deepcopy(RESULTS)
    del results["profile_api"]["runs"][1]["p90_ms"]  # as an older bench.profile_api wrote it
    with pytest.raises(report.ReportError, match=r"profile_api\.json lacks a figure .*'p90_ms'"):
        report.render(report.load_all(written(tmp_path, results)), "benchmarks")


def test_results_of_another_benchmark_are_refused(tmp_path: Path) -> None:
    folder = written(tmp_path)
    (folder / "ingest.json").write_text(json.dumps(RESULTS["store"]))
    with pytest.raises(report.ReportError, match=r"ingest\.json holds the results of 'bench.store'"):
        report.load_all(folder)


def test_unreadable_results_are_named(tmp_path: Path) -> None:
    folder = written(tmp_path)
    (folder / "freshness.json").write_text('{"benchmark": "bench.fresh')
    with pytest.raises(report.ReportError, match=r"freshness\.json is unreadable"):
        report.load_all(folder)


def test_a_benchmark_run_under_other_load_is_flagged(tmp_path: Path) -> None:
    results = edited(run__benches__soak__others_cores=0.6)
    text = report.render(report.load_all(written(tmp_path, results)), "benchmarks")
    assert "| 0.60 of 2 (disturbed) |" in text
    soak = text[text.index("## Soak"):]
    assert "**Disturbed:** other processes on this shared machine used 0.60 of its 2 cores" in soak
    assert text.count("**Disturbed:**") == 1


def test_the_markdown_and_every_chart_are_written(tmp_path: Path) -> None:
    out = tmp_path / "docs" / "benchmarks.md"
    out.parent.mkdir()
    written_files = report.write(written(tmp_path / "results"), out)
    charts = sorted((tmp_path / "docs" / "benchmarks").glob("*.png"))
    assert sorted(p.name for p in charts) == sorted(report.CHARTS.values())
    assert set(written_files) == {out, *charts}
    assert all(path.read_bytes().startswith(PNG) for path in charts)
    text = out.read_text()
    for name in report.CHARTS.values():
        assert f"(benchmarks/{name})" in text


def test_the_committed_report_is_rendered_from_the_committed_results() -> None:
    """docs/benchmarks.md is what `python -m bench.report` makes of docs/benchmarks/results (re-run it after
    changing the report or the results)."""
    assert report.OUT.read_text() == report.render(report.load_all(report.RESULTS), report.OUT.stem)
