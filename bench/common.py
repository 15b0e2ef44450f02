"""What the benchmarks share: a store to measure (MONGODB_URI, or the embedded one in a temp dir) and percentiles."""

import math
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tools.suite import Suite


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with few samples p99 is the slowest call, as it should be)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


@contextmanager
def store_at_hand(prefix: str) -> Iterator[tuple[str, str]]:
    """(MongoDB URI, label): the store MONGODB_URI names, or a fresh embedded one (SQLite) stopped afterwards."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external, "external (MONGODB_URI)"
        return
    suite = Suite()
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
