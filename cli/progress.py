"""How far a long command has come, on stderr: a bar redrawn in place on a terminal, otherwise a plain line now
and then (a log or CI output would fill up with a bar's redraws)."""

import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO, total: int | None, unit: str, every: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        """`total` is how much there is to do (e.g. bytes of a file), None when unknown (a pipe)."""
        self.stream = stream
        self.total = total
        self.unit = unit
        self.every = every
        self.clock = clock
        self.tty = stream.isatty()
        self.started = clock()
        self.shown_at: float | None = None

    def show(self, done: int, count: int, detail: str) -> None:
        """`done` of `total` so far, `count` of `unit` (lines, messages) with their rate, and what became of them."""
        now = self.clock()
        if not self.tty and self.shown_at is not None and now - self.shown_at < self.every:
            return
        self.shown_at = now
        elapsed = max(now - self.started, 1e-9)
        rate = f"{count / elapsed:,.0f} {self.unit}/s"
        if self.total:
            share = min(done / self.total, 1.0)
            filled = round(share * _WIDTH)
            position = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {share:4.0%}"
        else:
            position = "[?]"
        line = f"{position} {count:,} {self.unit}, {detail}, {rate}"
        if self.tty:
            self.stream.write(f"\r{line}\x1b[K")
        else:
            self.stream.write(f"{line}\n")
        self.stream.flush()

    def note(self, message: str) -> None:
        """A message of its own line (a retry, say), not overwritten by the bar."""
        self.stream.write(f"\r\x1b[K{message}\n" if self.tty else f"{message}\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self.shown_at is not None:
            self.stream.write("\n")
            self.stream.flush()
