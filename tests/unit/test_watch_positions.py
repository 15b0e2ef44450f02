"""WatchMemberships' positions: what the stream encodes comes back; anything else is refused, not misread."""

import base64
from datetime import UTC, datetime

import pytest

from services.common.cursors import encode_cursor
from services.common.errors import ValidationError
from services.segmentation.history import Position


def test_a_position_round_trips() -> None:
    position = Position(datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC), "entry-1")
    assert Position.decode(position.encode()) == position


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize("text", [
    "garbage", "!!!", "", _b64("2026-01-01T00:00:00+00:00"),  # no separator
    _b64("2026-01-01T00:00:00|x"),  # no zone: which instant is meant?
    _b64("0001-01-01T00:00:00+14:00|x"),  # before the year 1 in UTC
    _b64("tomorrow|x"), encode_cursor("history", {"after": [0, "x"]}), "\u00e9t\u00e9",
])
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="is not a position from this stream"):
        Position.decode(text)
