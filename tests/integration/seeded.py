"""A workspace with something of everything, settled, for the bad-input corpora to aim malformed requests at.

Two profiles with events, a computed trait and two audiences (one referring to the other and to the trait), all
computed, with no work pending: from then on nothing changes the workspace unless a request does, so a corpus can
compare what is stored before and after each request. The values a request needs from it (ids, scroll ids, cursors
issued for one listing or profile, to be handed to another) are in `values`, by name.
"""

import base64
import json
from dataclasses import dataclass
from typing import Any

import httpx

from services.common.store import Store
from tests.conftest import Tenant, eventually, new_tenant
from tools.suite import Endpoints

ORDER = "Order Completed"
TOTAL_REVENUE = {"name": "total_revenue", "kind": "sum", "property": "revenue", "event": {"name": ORDER}}
BUYERS = {"name": "buyers", "conditions": [{"mode": "required", "event": {"name": ORDER}}]}
BIG_SPENDERS = {"name": "big spenders", "conditions": [
    {"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 100}},
    {"mode": "required", "audience": {"name": "buyers", "member": True}},
]}
MESSAGES = [
    {"type": "identify", "userId": "u1", "traits": {"email": "u1@example.com", "plan": "pro"}},
    *({"type": "track", "userId": "u1", "event": ORDER, "properties": {"revenue": 150}} for _ in range(3)),
    {"type": "identify", "userId": "u2", "traits": {"email": "u2@example.com"}},
    {"type": "track", "userId": "u2", "event": ORDER, "properties": {"revenue": 20}},
]


@dataclass(frozen=True)
class Seeded:
    tenant: Tenant
    other: Tenant  # a second workspace, whose token must open nothing of the first
    values: dict[str, str]


def forged(state: dict[str, Any]) -> str:
    """A cursor shaped as the services shape theirs (base64url of JSON), holding whatever a forger puts in it."""
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


async def seed(suite: Endpoints, store: Store) -> Seeded:
    tenant, other = await new_tenant(store), await new_tenant(store)
    async with httpx.AsyncClient(base_url=f"{suite.gateway}{tenant.base}/", headers=tenant.headers,
                                 timeout=30) as http:

        async def call(method: str, path: str, body: Any = None, **params: Any) -> Any:
            reply = await http.request(method, path, json=body, params=params)
            assert reply.status_code in (200, 201), reply.text
            return reply.json()

        async def ready(path: str, made: dict[str, Any]) -> bool:
            assert (await call("GET", f"{path}/{made['id']}"))["status"]["state"] == "ready"
            return True

        async def idle() -> bool:
            assert await store.due.count_documents({"workspace": tenant.name}) == 0
            return True

        # One thing at a time, each settled before the next, so that the seed comes out the same every time.
        await call("POST", "batch", {"batch": MESSAGES})
        await eventually(idle, timeout=60)
        trait = await call("POST", "computed-traits", TOTAL_REVENUE)
        await eventually(lambda: ready("computed-traits", trait), timeout=60)
        buyers = await call("POST", "audiences", BUYERS)
        await eventually(lambda: ready("audiences", buyers), timeout=60)
        big = await call("POST", "audiences", BIG_SPENDERS)

        async def settled() -> bool:
            await ready("audiences", big)
            assert len((await call("GET", f"audiences/{buyers['id']}/members"))["data"]) == 2
            assert len((await call("GET", f"audiences/{big['id']}/members"))["data"]) == 1
            assert len((await call("GET", "profiles/userId:u1/audiences/history"))["data"]) >= 2
            return await idle()

        await eventually(settled, timeout=60)
        u1 = (await call("GET", "profiles/userId:u1/audiences"))["id"]
        values = {
            "buyers": buyers["id"], "big": big["id"], "trait": trait["id"], "u1": u1,
            "events_scroll": (await call("GET", "profiles/userId:u1/events", size=1))["scrollId"],
            "history_scroll": (await call("GET", "profiles/userId:u1/audiences/history", size=1))["scrollId"],
            "profiles_scroll": (await call("GET", "profiles", size=1))["scrollId"],
            "members_cursor": (await call("GET", f"audiences/{buyers['id']}/members", limit=1))["cursor"],
        }
    assert all(values.values()), values
    return Seeded(tenant, other, values)
