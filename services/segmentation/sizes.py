"""An audience's size over a recent period, from the membership log and the members now.

Only the period's changes are read (the log's `by_audience_time` index serves them), so the cost grows with the
audience's churn in the period, not with its size or its age. A profile with no change in the period was a member
throughout it exactly when it is one now; a profile with changes was a member at an instant when its latest change
up to then is "entered", and before its first change when that first change is "exited". Reading the latest change,
rather than adding up +1/-1, keeps the answer right when a change is logged twice (a backfill and a worker that
raced to the same verdict both log it).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common.errors import ValidationError

BUCKETS = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
DEFAULT_BUCKET = "day"
DEFAULT_BUCKETS = 30
MAX_BUCKETS = 366


@dataclass(frozen=True)
class Change:
    profile_id: str
    at: datetime
    entered: bool


@dataclass(frozen=True)
class SizePoint:
    at: datetime  # the bucket's end (now, for the current bucket)
    size: int
    entered: int
    exited: int


def period(now: datetime, bucket: str, buckets: int) -> tuple[datetime, list[datetime]]:
    """When the period starts, and the ends of its `buckets` buckets of whole UTC hours or days, the last being the
    current bucket, which ends now."""
    if bucket not in BUCKETS:
        raise ValidationError(f"bucket must be one of {', '.join(BUCKETS)}, not {bucket!r}")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise ValidationError(f"buckets must be 1 to {MAX_BUCKETS}, not {buckets}")
    step = BUCKETS[bucket]
    current = now.replace(minute=0, second=0, microsecond=0)
    if bucket == "day":
        current = current.replace(hour=0)
    start = current - step * (buckets - 1)
    return start, [start + step * (i + 1) for i in range(buckets - 1)] + [now]


def sizes(changes: Sequence[Change], ends: Sequence[datetime], size_now: int,
          changed_members_now: int) -> list[SizePoint]:
    """The size at each end. `changes` are the period's changes in time order; `changed_members_now` is how many of
    the profiles they name are members now (the others of `size_now` were members throughout)."""
    member: dict[str, bool] = {}
    for change in changes:
        member.setdefault(change.profile_id, not change.entered)  # the state before its first change
    steady = size_now - changed_members_now
    inside = sum(member.values())
    points: list[SizePoint] = []
    entered = exited = 0
    pending = iter(changes)
    change = next(pending, None)
    for end in ends:
        while change is not None and change.at <= end:
            if member[change.profile_id] != change.entered:  # a real transition, not a change logged twice
                member[change.profile_id] = change.entered
                inside += 1 if change.entered else -1
                entered += change.entered
                exited += not change.entered
            change = next(pending, None)
        points.append(SizePoint(at=end, size=steady + inside, entered=entered, exited=exited))
        entered = exited = 0
    return points
