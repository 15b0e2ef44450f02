"""An audience's size over time from its membership changes (services/segmentation/sizes.py)."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import ValidationError
from services.segmentation.sizes import Change, period, sizes

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)


def test_buckets_are_whole_hours_or_days_ending_now() -> None:
    start, ends = period(NOW, "day", 3)
    assert start == datetime(2026, 12, 1, tzinfo=UTC)
    assert ends == [datetime(2026, 12, 2, tzinfo=UTC), datetime(2026, 12, 3, tzinfo=UTC), NOW]
    start, ends = period(NOW, "hour", 2)
    assert (start, ends) == (datetime(2026, 12, 3, 9, tzinfo=UTC), [datetime(2026, 12, 3, 10, tzinfo=UTC), NOW])
    assert period(NOW, "day", 1) == (datetime(2026, 12, 3, tzinfo=UTC), [NOW])
    for bucket, count in (("week", 3), ("day", 0), ("hour", 367)):
        with pytest.raises(ValidationError):
            period(NOW, bucket, count)


def at(hours: float) -> datetime:
    return datetime(2026, 12, 3, tzinfo=UTC) + timedelta(hours=hours)


def test_sizes_read_the_latest_change_of_each_profile() -> None:
    ends = [at(1), at(2), at(3)]
    changes = [Change("a", at(0.5), True), Change("b", at(0.7), True),
               Change("a", at(1.5), False),
               Change("c", at(2.1), False),  # a member from before the period, who left
               Change("b", at(2.2), True)]  # logged twice (a backfill and a worker): still one member
    # Now: b is a member, and 5 members never changed in the period.
    points = sizes(changes, ends, size_now=6, changed_members_now=1)
    assert [(p.size, p.entered, p.exited) for p in points] == [(8, 2, 0), (7, 0, 1), (6, 0, 1)]
    assert points[-1].size == 6  # the size now, as it should be when the log is complete


def test_no_changes_is_a_flat_line() -> None:
    points = sizes([], [at(1), at(2)], size_now=4, changed_members_now=0)
    assert [(p.at, p.size, p.entered, p.exited) for p in points] == [(at(1), 4, 0, 0), (at(2), 4, 0, 0)]
