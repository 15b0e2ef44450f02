"""Paging for the Profile API: page sizes and scroll ids.

A scroll id names the position after the last item served (a sort key such as `(timestamp, _id)`), never an
offset: an item stored between two pages then cannot shift the next page, so no item present when the scroll
began is served twice or skipped. It is a cursor (`services.common.cursors`): opaque, and refused by any listing
but the one that issued it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from services.common.cursors import decode_cursor
from services.common.errors import ValidationError

MAX_SIZE = 100
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def page_size(size: int, default: int) -> int:
    """The page size asked for (0 means the default), which must be 1 to MAX_SIZE."""
    if size == 0:
        return default
    if not 1 <= size <= MAX_SIZE:
        raise ValidationError(f"size must be 1 to {MAX_SIZE}, not {size}")
    return size


def resumed_size(size: int, state: dict[str, Any] | None, default: int) -> int:
    """The page size: the one asked for, else the one the scroll began with (so that a scroll id alone resumes
    the listing as it was), else the default."""
    if not size and state is not None:
        stored = state.get("size")
        size = stored if isinstance(stored, int) and not isinstance(stored, bool) else 0
    return page_size(size, default)


def decode_scroll(listing: str, scroll_id: str) -> dict[str, Any]:
    """The state a scroll id of `listing` carries (the Profile API calls its cursors scroll ids)."""
    return decode_cursor(listing, scroll_id, "scrollId")


def resume_scroll(listing: str, scroll_id: str, profile: str) -> dict[str, Any] | None:
    """The state of a scroll id of one profile's listing (None without one); refused for another profile's."""
    if not scroll_id:
        return None
    state = decode_scroll(listing, scroll_id)
    if state.pop("profile", None) != profile:
        raise ValidationError("scrollId was issued for another profile")
    return state


def to_millis(instant: datetime) -> int:
    """An instant as integer milliseconds since the epoch: exact, as the store keeps milliseconds."""
    return (instant - _EPOCH) // timedelta(milliseconds=1)


def from_millis(millis: Any) -> datetime:
    if not isinstance(millis, int) or isinstance(millis, bool):
        raise ValidationError("scrollId is damaged (its position is not an instant)")
    try:
        return _EPOCH + timedelta(milliseconds=millis)
    except OverflowError:  # beyond the years 1 to 9999: no scroll id we issue holds one
        raise ValidationError("scrollId is damaged (its position is not an instant)") from None


@dataclass(frozen=True)
class TimePosition:
    """The position after an item in `(time field, _id)` order, the order of events and of membership changes."""

    at: datetime
    key: str  # the item's _id

    @classmethod
    def of(cls, doc: dict[str, Any], field: str) -> "TimePosition":
        return cls(doc[field], doc["_id"])

    @classmethod
    def from_state(cls, state: Any) -> "TimePosition":
        if not (isinstance(state, list) and len(state) == 2 and isinstance(state[1], str)):
            raise ValidationError("scrollId is damaged (it holds no position)")
        return cls(from_millis(state[0]), state[1])

    def to_state(self) -> list[Any]:
        return [to_millis(self.at), self.key]

    def after(self, field: str, descending: bool) -> dict[str, Any]:
        """The filter for items after this position: the time field first, `_id` among items of the same instant."""
        op = "$lt" if descending else "$gt"
        return {"$or": [{field: {op: self.at}}, {field: self.at, "_id": {op: self.key}}]}


async def time_page(collection: AsyncCollection[dict[str, Any]], conditions: list[dict[str, Any]], field: str,
                    descending: bool, size: int, after: TimePosition | None
                    ) -> tuple[list[dict[str, Any]], TimePosition | None]:
    """Up to `size` documents matching every condition, in `(field, _id)` order after `after`, and the position
    after the last one served when more remain (None at the end). One more than a page is read to know that."""
    if after is not None:
        conditions = [*conditions, after.after(field, descending)]
    direction = -1 if descending else 1
    docs = await collection.find({"$and": conditions}).sort(
        [(field, direction), ("_id", direction)]).limit(size + 1).to_list(size + 1)
    if len(docs) <= size:
        return docs, None
    return docs[:size], TimePosition.of(docs[size - 1], field)
