"""Helpers of the tracking tests: Segment's auth, and what a workspace has had written for it."""

import base64

from services.common.store import Store
from tests.conftest import Tenant


def basic(write_key: str) -> dict[str, str]:
    """Segment's auth: HTTP Basic with the write key as user name and an empty password."""
    return {"authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


async def written(store: Store, tenant: Tenant) -> dict[str, int]:
    """How many documents ingest has written for the workspace, per collection it writes."""
    return {
        collection.name: await collection.count_documents({"workspace": tenant.name})
        for collection in (store.events, store.profiles, store.due, store.identities)
    }


async def nothing_written(store: Store, tenant: Tenant) -> bool:
    return not any((await written(store, tenant)).values())
