"""Following the membership log as it grows (WatchMemberships).

Entries are ordered by (at, _id). Several replicas write the log, each stamping `at` a moment before its write
lands, so a reader that went right up to now could pass an entry that lands a moment later with an earlier `at`.
The follower therefore reads only up to `now - settle`: every entry older than that has landed, and nothing is
skipped. A position is that (at, _id) pair, encoded; resuming from it continues with the next entry.
"""

import asyncio
import base64
import binascii
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.clock import Clock, utc_now
from services.common.errors import ValidationError
from services.common.store import Store


@dataclass(frozen=True)
class Position:
    at: datetime
    id: str

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.at.isoformat()}|{self.id}".encode()).decode()

    @classmethod
    def decode(cls, text: str) -> "Position":
        """A position this stream encoded; anything else (another cursor, a forgery without a zone or out of the
        store's range of instants) is refused, not misread."""
        try:
            at, bar, entry = base64.urlsafe_b64decode(text.encode()).decode().partition("|")
            instant = datetime.fromisoformat(at)
            if bar and instant.tzinfo is not None:
                return cls(instant.astimezone(UTC), entry)
        except (ValueError, OverflowError, binascii.Error, UnicodeError):
            pass
        raise ValidationError(f"after: {text!r} is not a position from this stream")


class Follower:
    def __init__(self, store: Store, clock: Clock = utc_now, poll: float = 0.25,
                 settle: timedelta = timedelta(seconds=1), page: int = 200) -> None:
        self.store = store
        self.clock = clock
        self.poll = poll
        self.settle = settle
        self.page = page

    async def follow(self, workspace: str, after: str = "", from_start: bool = False,
                     audience: str = "") -> AsyncIterator[tuple[Position, dict[str, Any]]]:
        """Every change after `after` (or from now / from the start), as it settles, forever."""
        position = Position.decode(after) if after else None
        if position is None and not from_start:
            position = Position(self.clock() - self.settle, "")
        while True:
            query: dict[str, Any] = {"workspace": workspace, "at": {"$lte": self.clock() - self.settle}}
            if audience:
                query["audience"] = audience
            if position is not None:
                query["$or"] = [{"at": {"$gt": position.at}}, {"at": position.at, "_id": {"$gt": position.id}}]
            entries = await self.store.membership_log.find(query).sort([("at", 1), ("_id", 1)]).limit(
                self.page).to_list(None)
            for entry in entries:
                position = Position(entry["at"], entry["_id"])
                yield position, entry
            if len(entries) < self.page:
                await asyncio.sleep(self.poll)
