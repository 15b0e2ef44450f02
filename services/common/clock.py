"""The time, as the store keeps it: BSON dates hold milliseconds, so every instant we write is cut to them,
and what a call answers equals what a later read returns."""

from collections.abc import Callable
from datetime import UTC, datetime

type Clock = Callable[[], datetime]


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
