"""The one place that knows the store: the client, the database, the collections and their indexes.

Every collection has one writing service (DESIGN.md), with `due` as the one queue ingest writes and segmentation
consumes. Every document carries `workspace` and every query filters on it. Ids are chosen so that the writes
that must be idempotent are upserts by `_id` (see docs/architecture.md), which is also the fastest write path of
the embedded store; the secondary indexes below serve lookups only.
"""

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

log = logging.getLogger(__name__)

# Collection names, with the service that writes each.
WORKSPACES = "workspaces"  # admin tooling (the tools.run bootstrap, the cdp CLI)
EVENTS = "events"  # ingest
PROFILES = "profiles"  # ingest
IDENTITIES = "identities"  # ingest: which profile owns each userId, email and anonymousId
DUE = "due"  # ingest produces, segmentation consumes
AUDIENCES = "audiences"  # segmentation
COMPUTED_TRAITS = "computed_traits"  # segmentation
PROFILE_STATE = "profile_state"  # segmentation: memberships and computed traits per profile
MEMBERSHIP_LOG = "membership_log"  # segmentation: every entered/exited change
LEASES = "leases"  # segmentation: which replica runs each singleton job

INDEXES: dict[str, list[IndexModel]] = {
    WORKSPACES: [
        IndexModel([("auth_token_hashes", ASCENDING)], name="by_auth_token"),
        IndexModel([("write_key_hashes", ASCENDING)], name="by_write_key"),
    ],
    # A profile's events in time order, ties broken by id: the workers read a profile's events by its prefix, and
    # the Profile API pages through them by (timestamp, _id) with no in-memory sort. (It replaces `by_profile_time`,
    # the same index without `_id`, which a store created before it may still hold and may drop.)
    EVENTS: [IndexModel([("workspace", ASCENDING), ("profile_id", ASCENDING), ("timestamp", ASCENDING),
                         ("_id", ASCENDING)], name="by_profile_time_id"),
             # A backfill hands the profiles that received events while it ran back to the workers.
             IndexModel([("workspace", ASCENDING), ("received_at", ASCENDING)], name="by_arrival")],
    PROFILES: [
        # The Profile API lists a workspace's profiles in id order.
        IndexModel([("workspace", ASCENDING), ("_id", ASCENDING)], name="by_workspace"),
        IndexModel([("workspace", ASCENDING), ("user_id", ASCENDING)], name="by_user_id"),
        IndexModel([("workspace", ASCENDING), ("anonymous_ids", ASCENDING)], name="by_anonymous_id"),
        IndexModel([("workspace", ASCENDING), ("emails", ASCENDING)], name="by_email"),
    ],
    IDENTITIES: [IndexModel([("workspace", ASCENDING), ("profile_id", ASCENDING)], name="by_profile")],
    DUE: [IndexModel([("due_at", ASCENDING)], name="by_due_at")],
    AUDIENCES: [
        IndexModel([("workspace", ASCENDING), ("name", ASCENDING)], name="by_name", unique=True),
        # The backfill runners' claim looks across workspaces for definitions whose lease ran out.
        IndexModel([("status.state", ASCENDING), ("backfill_lease_until", ASCENDING)], name="by_backfill_lease"),
    ],
    COMPUTED_TRAITS: [
        IndexModel([("workspace", ASCENDING), ("name", ASCENDING)], name="by_name", unique=True),
        IndexModel([("status.state", ASCENDING), ("backfill_lease_until", ASCENDING)], name="by_backfill_lease"),
    ],
    PROFILE_STATE: [IndexModel([("workspace", ASCENDING), ("audiences", ASCENDING)], name="by_audience")],
    LEASES: [],
    MEMBERSHIP_LOG: [
        IndexModel([("workspace", ASCENDING), ("profile_id", ASCENDING), ("at", ASCENDING)], name="by_profile"),
        IndexModel([("workspace", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)], name="by_time"),
        # An audience's size over a period reads only that audience's changes in the period.
        IndexModel([("workspace", ASCENDING), ("audience_id", ASCENDING), ("at", ASCENDING)],
                   name="by_audience_time"),
    ],
}


# The embedded store refuses an `$in` of more than about 495 values ("Expression tree is too large").
IN_CHUNK = 400


def chunks[T](values: Sequence[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`values` in lists short enough for one `$in`."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


class Store:
    """A connected client and the project's database. One per process; close it on shutdown."""

    def __init__(self, uri: str, database: str, appname: str) -> None:
        # tz_aware: datetimes come back as aware UTC, so arithmetic with now() never mixes naive and aware.
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, tz_aware=True, appname=appname, serverSelectionTimeoutMS=5000
        )
        self.db: AsyncDatabase[dict[str, Any]] = self.client[database]

    @property
    def workspaces(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[WORKSPACES]

    @property
    def events(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[EVENTS]

    @property
    def profiles(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[PROFILES]

    @property
    def identities(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[IDENTITIES]

    @property
    def due(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[DUE]

    @property
    def audiences(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[AUDIENCES]

    @property
    def computed_traits(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[COMPUTED_TRAITS]

    @property
    def profile_state(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[PROFILE_STATE]

    @property
    def membership_log(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[MEMBERSHIP_LOG]

    @property
    def leases(self) -> AsyncCollection[dict[str, Any]]:
        return self.db[LEASES]

    async def ensure_indexes(self, *names: str) -> None:
        """Create the indexes of the named collections (the ones the calling service writes); idempotent."""
        for name in names:
            if INDEXES[name]:
                await self.db[name].create_indexes(INDEXES[name])
        log.info("indexes ensured", extra={"collections": list(names)})

    async def ping(self) -> None:
        await self.client.admin.command("ping")

    async def close(self) -> None:
        await self.client.close()
