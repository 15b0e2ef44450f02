"""Helpers of the integration tests: Segment's auth, what a workspace has had written for it, and a seeded
workspace per module for the bad-input corpora."""

import asyncio
import base64
from typing import Any

import pytest

from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.seeded import Seeded, seed
from tools.suite import Endpoints


def basic(write_key: str) -> dict[str, str]:
    """Segment's auth: HTTP Basic with the write key as user name and an empty password."""
    return {"authorization": "Basic " + base64.b64encode(f"{write_key}:".encode()).decode()}


async def written(store: Store, tenant: Tenant) -> dict[str, int]:
    """How many documents ingest has written for the workspace, per collection it writes."""
    return {
        collection.name: await collection.count_documents({"workspace": tenant.name})
        for collection in (store.events, store.profiles, store.due, store.identities)
    }


async def stored(store: Store, workspace: str) -> dict[str, Any]:
    """Everything the services keep for a workspace: how many documents of each collection, and the definitions
    whole (a refused update must leave a definition as it was, not merely leave as many)."""
    query = {"workspace": workspace}
    counted = (store.events, store.profiles, store.due, store.identities, store.profile_state, store.membership_log)
    read = (store.audiences, store.computed_traits)
    # Asked together: a corpus takes this before and after each of its requests.
    found = await asyncio.gather(*(c.count_documents(query) for c in counted),
                                 *(c.find(query).sort("_id", 1).to_list(None) for c in read))
    return dict(zip([c.name for c in (*counted, *read)], found, strict=True))


def deep(levels: int) -> Any:
    """A JSON object nested `levels` deep."""
    value: Any = 1
    for _ in range(levels):
        value = {"x": value}
    return value


async def nothing_written(store: Store, tenant: Tenant) -> bool:
    return not any((await written(store, tenant)).values())


@pytest.fixture(scope="module")
async def seeded(suite: Endpoints, store: Store) -> Seeded:
    """A workspace with something of everything, settled (see seeded.py); one per module, never written to."""
    return await seed(suite, store)
