"""Store-held leases for singleton jobs: among N segmentation replicas, one runs a given job at a time.

A lease is a document `{_id: job name, owner, until}` in `leases`. Taking it is one atomic upsert that matches
only a lease that has run out or is already ours; a lease held by another replica makes the upsert collide on
`_id`, which is the answer "not yours".
"""

from datetime import timedelta

from pymongo.errors import DuplicateKeyError

from services.common.clock import Clock, utc_now
from services.common.store import Store


class Leases:
    def __init__(self, store: Store, owner: str, clock: Clock = utc_now) -> None:
        self.store = store
        self.owner = owner
        self.clock = clock

    async def acquire(self, name: str, ttl: timedelta) -> bool:
        """Take or renew the lease `name` for `ttl`; False when another owner holds it."""
        now = self.clock()
        try:
            await self.store.leases.update_one(
                {"_id": name, "$or": [{"until": {"$lt": now}}, {"owner": self.owner}]},
                {"$set": {"owner": self.owner, "until": now + ttl}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def release(self, name: str) -> None:
        await self.store.leases.delete_one({"_id": name, "owner": self.owner})
