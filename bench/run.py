"""`make bench`: every benchmark, at sizes that together take about 10 minutes on this machine, then the report.

Each benchmark runs as a process of its own, `python -m bench.<name> <its flags> --json <results>/<name>.json`, one
after another so that none measures while another loads the machine. Around each the runner notes the wall time
and how much CPU processes other than the benchmark's own used meanwhile (busy time from /proc/stat less the
benchmark's process tree): other load on a shared machine, which the report flags next to the figures it may have
disturbed. The machine (cores, memory, CPU model, OS, Python) and the store go to `run.json` beside the results;
then `bench.report` writes docs/benchmarks.md and its charts from those files alone.

  python -m bench.run                          # everything, then the report (make bench)
  python -m bench.run --only soak,freshness    # those again (the others' results are kept), then the report
  MONGODB_URI=mongodb://host/ python -m bench.run
"""

import argparse
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report

# The sizes `make bench` measures at: each is a benchmark's own flags (see its docstring), chosen so that the whole
# run fits in about 10 minutes on 2 cores with the embedded store. The report states them.
SIZES: dict[str, list[str]] = {
    # The raw store: the suite's engine (SQLite) only.
    "store": ["--engines", "sqlite", "--docs", "300", "--profiles", "300", "--lookups", "300", "--marks", "200",
              "--claims", "60"],
    "ingest": ["--events", "600", "--batch", "100"],
    "backfill": ["--profiles", "1000", "--repeat", "3", "--eval-profiles", "2000"],
    "freshness": ["--rate", "10", "--seconds", "30", "--edges", "10"],
    "profile_api": ["--profiles", "200", "--concurrency", "200", "--requests", "2000"],
    "soak": ["--seconds", "120", "--rate", "10", "--reads", "5", "--interval", "5"],
}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu_model = next((line.split(":", 1)[1].strip() for line in read_lines("/proc/cpuinfo")
                      if line.startswith("model name")), platform.processor() or "unknown")
    memory_kb = next((int(line.split()[1]) for line in read_lines("/proc/meminfo") if line.startswith("MemTotal:")), 0)
    os_name = next((line.split("=", 1)[1].strip().strip('"') for line in read_lines("/etc/os-release")
                    if line.startswith("PRETTY_NAME=")), platform.system())
    return {"cores": os.cpu_count(), "memory_gib": round(memory_kb / 1024 / 1024, 1), "cpu_model": cpu_model,
            "os": os_name, "kernel": platform.release(), "python": platform.python_version()}


def read_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


def busy_seconds() -> float:
    """CPU seconds every process on the machine has spent (all cores), from /proc/stat's first line."""
    fields = [int(value) for value in read_lines("/proc/stat")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def children_seconds() -> float:
    """CPU seconds of this process's reaped descendants: the benchmarks and, reaped by them, the suites they ran."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, results: Path) -> dict[str, Any]:
    output = results / f"{name}.json"
    output.unlink(missing_ok=True)  # a failed run must not leave the previous run's figures to be reported
    command = [sys.executable, "-m", f"bench.{name}", *SIZES[name], "--json", str(output)]
    print(f"\n=== bench.{name} {' '.join(SIZES[name])}", flush=True)
    busy, ours, began = busy_seconds(), children_seconds(), time.monotonic()
    code = subprocess.run(command, check=False).returncode
    wall = time.monotonic() - began
    others = max(0.0, (busy_seconds() - busy) - (children_seconds() - ours))
    return {"command": f"python -m bench.{name} {' '.join(SIZES[name])}", "exit": code, "wall_s": round(wall, 1),
            "others_cores": round(others / wall, 2) if wall else 0.0, "at": datetime.now(UTC).isoformat()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"benchmarks to run, comma-separated (default all: {', '.join(SIZES)})")
    parser.add_argument("--results", type=Path, default=report.RESULTS, help="where the JSON results go")
    parser.add_argument("--out", type=Path, default=report.OUT, help="the report's markdown (charts beside it)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] if args.only else list(SIZES)
    if unknown := set(names) - set(SIZES):
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(SIZES)}")
    args.results.mkdir(parents=True, exist_ok=True)
    run_file = args.results / report.RUN
    run = report.load(run_file) if args.only and run_file.exists() else {"benches": {}}
    run |= {"at": datetime.now(UTC).isoformat(), "machine": machine(),
            "store": "external (MONGODB_URI)" if os.environ.get("MONGODB_URI") else "embedded (mongoeco, SQLite)"}
    began = time.monotonic()
    for name in names:
        run["benches"][name] = measure(name, args.results)
        report.save(run_file, run)  # as it goes: an interrupted run still tells what it measured
    failed = [name for name in names if run["benches"][name]["exit"] != 0]
    print(f"\n=== measured in {time.monotonic() - began:.0f} s", flush=True)
    if failed:
        print(f"FAILED: {', '.join(f'bench.{name}' for name in failed)} (output above); no report written. "
              f"Run them again with `python -m bench.run --only {','.join(failed)}`.", file=sys.stderr)
        return 1
    return report.main(["--results", str(args.results), "--out", str(args.out)])


if __name__ == "__main__":
    sys.exit(main())
