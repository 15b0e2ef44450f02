"""`cdp import`: Segment-shaped messages from a JSONL file into a workspace, through IngestService.Ingest.

Each line is one message, translated as the gateway translates the elements of a batch (`gateway.messages`): the
same JSON checks and transport limits, and a messageId given before the first attempt to a line without one, so
that a batch sent again after UNAVAILABLE is stored once (its messages already stored count as duplicates then).
Batches go one after another, in the file's order: a person's calls must be applied in the order they were
written (identity, traits).
"""

import argparse
import asyncio
import json
import os
import stat
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, BinaryIO

import grpc

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2
from cli.errors import EXIT_FAILED, CliError
from cli.progress import Progress
from cli.retry import retrying
from cli.services import acting_for, opened
from cli.settings import CliSettings
from gateway.limits import Limits
from gateway.messages import batch_items


@dataclass(frozen=True)
class Line:
    """A non-blank line of the file: its number, its size in bytes, and its JSON value or why it has none."""

    number: int
    size: int
    value: Any = None
    error: str = ""


@dataclass(frozen=True, order=True)
class Rejection:
    line: int
    reason: str


@dataclass
class Summary:
    lines: int = 0  # non-blank lines read
    accepted: int = 0  # stored now
    duplicates: int = 0  # stored before (the same messageId): nothing written
    rejected: list[Rejection] = field(default_factory=list)

    def record(self, lines: list[int], response: ingest_pb2.IngestResponse) -> None:
        """Ingest's answer to the messages of these lines, in order."""
        for result in response.results:
            if not result.accepted:
                self.rejected.append(Rejection(lines[result.index], result.error))
            elif result.duplicate:
                self.duplicates += 1
            else:
                self.accepted += 1

    def counts(self) -> str:
        duplicates = "duplicate" if self.duplicates == 1 else "duplicates"
        return f"{self.accepted:,} accepted, {self.duplicates:,} {duplicates}, {len(self.rejected):,} rejected"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_lines(stream: Iterable[bytes]) -> Iterator[Line]:
    """The file's non-blank lines, each parsed as strict JSON (no NaN or Infinity: nothing downstream holds them)."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            yield Line(number, len(raw), value=json.loads(raw, parse_constant=_refuse_constant))
        except RecursionError:
            yield Line(number, len(raw), error="not valid JSON: nested too deeply")
        except ValueError as error:  # JSONDecodeError and UnicodeDecodeError alike
            yield Line(number, len(raw), error=f"not valid JSON: {error}")


def batches(lines: Iterable[Line], most: int, max_bytes: int) -> Iterator[list[Line]]:
    """The lines in batches of at most `most` lines and, unless one line is larger alone, `max_bytes` bytes."""
    batch: list[Line] = []
    size = 0
    for line in lines:
        if batch and (len(batch) == most or size + line.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(line)
        size += line.size
    if batch:
        yield batch


def prepare(batch: list[Line], limits: Limits) -> tuple[list[tuple[int, common_pb2.Message]], list[Rejection]]:
    """The messages of a batch to send, each with its line number, and the lines refused before sending."""
    refused = [Rejection(line.number, line.error) for line in batch if line.error]
    parsed = [line for line in batch if not line.error]
    items = batch_items({"batch": [line.value for line in parsed]}, limits) if parsed else []
    to_send = []
    for line, item in zip(parsed, items, strict=True):
        if item.message is not None:
            to_send.append((line.number, item.message))
        else:
            refused.append(Rejection(line.number, item.error.message if item.error else "refused"))
    return to_send, sorted(refused)


def _open(path: str) -> tuple[BinaryIO, int | None]:
    """The file (`-`: standard input) and its size, when it has one to measure progress by."""
    if path == "-":
        return sys.stdin.buffer, None
    try:
        stream = open(path, "rb")  # noqa: SIM115 (closed by the caller)
    except OSError as error:
        raise CliError(f"cannot read {path}: {error.strerror}", 2) from None
    info = os.fstat(stream.fileno())
    return stream, info.st_size if stat.S_ISREG(info.st_mode) else None


def report(summary: Summary, args: argparse.Namespace, seconds: float, stopped_after: int | None) -> None:
    if args.json:
        body = {"file": args.file, "workspace": args.workspace, "lines": summary.lines,
                "accepted": summary.accepted, "duplicates": summary.duplicates,
                "rejected": [asdict(r) for r in sorted(summary.rejected)], "seconds": round(seconds, 3),
                "complete": stopped_after is None}
        print(json.dumps(body, indent=2))
        return
    outcome = "" if stopped_after is None else f", stopped after line {stopped_after}"
    name = "standard input" if args.file == "-" else args.file
    print(f"{name} into {args.workspace}: {summary.lines:,} lines in {seconds:.1f} s{outcome}: "
          f"{summary.counts()}")
    for rejection in sorted(summary.rejected):
        print(f"  line {rejection.line}: {rejection.reason}")


async def run(args: argparse.Namespace, settings: CliSettings) -> int:
    limits = Limits.of(settings)
    stream, total = _open(args.file)
    summary = Summary()
    progress = Progress(sys.stderr, total, "lines")
    started = time.monotonic()
    last_line: int | None = None

    def notify(error: grpc.aio.AioRpcError, delay: float) -> None:
        progress.note(f"the ingest service is unavailable ({error.details()}); trying again in {delay:.1f} s")

    try:
        async with opened(settings) as backends:
            for batch in batches(read_lines(stream), args.batch_size, limits.request_bytes):
                to_send, refused = prepare(batch, limits)
                if to_send:
                    request = ingest_pb2.IngestRequest(messages=[message for _, message in to_send])
                    response = await retrying(
                        lambda: backends.ingest.Ingest(request, metadata=acting_for(args.workspace),
                                                       timeout=args.timeout),
                        args.retries, notify)
                    summary.record([number for number, _ in to_send], response)
                summary.rejected += refused
                summary.lines += len(batch)
                last_line = batch[-1].number
                progress.show(stream.tell() if total else 0, summary.lines, summary.counts())
    except (grpc.aio.AioRpcError, asyncio.CancelledError):  # a service that stayed away, or Ctrl-C
        progress.finish()
        report(summary, args, time.monotonic() - started, last_line or 0)
        raise
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    progress.finish()
    report(summary, args, time.monotonic() - started, None)
    return EXIT_FAILED if summary.rejected else 0
