"""Helpers of the end-to-end audience tests: the whole suite driven through REST, as a marketer and an app use it.

Everything a test *does* goes through the gateway: tracking calls (backdated with `timestamp`), definitions,
previews, member lists and the Profile API. Two reads go around it, each for a reason:

- computed trait values are read with the profile service's gRPC `GetProfile` (its `computed` field), since the
  REST Profile API does not show them yet;
- `settled` reads the `due` queue to know that the workers have looked at every profile that changed. Without it,
  a check that a profile is *not* in an audience would pass trivially before the worker got to it.

Nothing here sleeps for a fixed time: every wait polls a condition until a deadline.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import httpx
import pytest
from cdp.profile.v1 import profile_pb2, profile_pb2_grpc

from services.common.store import Store
from services.common.structs import struct_to_dict
from tests.conftest import Tenant, eventually



def ago(days: float = 0, hours: float = 0, now: datetime | None = None) -> str:
    """An ISO-8601 instant that far in the past, at millisecond precision (what the store keeps)."""
    instant = (now or datetime.now(UTC)) - timedelta(days=days, hours=hours)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def track(user: str, event: str, days_ago: float, **properties: Any) -> dict[str, Any]:
    """A backdated track call of `user` (a userId), for a batch."""
    return {"type": "track", "userId": user, "event": event, "properties": properties,
            "timestamp": ago(days_ago), "messageId": str(uuid.uuid4())}


def page(user: str, name: str, days_ago: float) -> dict[str, Any]:
    return {"type": "page", "userId": user, "name": name, "timestamp": ago(days_ago), "messageId": str(uuid.uuid4())}


@dataclass
class Api:
    """One workspace of the running suite, through the gateway (and the profile service for computed values)."""

    http: httpx.AsyncClient
    tenant: Tenant
    store: Store
    profiles: profile_pb2_grpc.ProfileServiceStub

    async def call(self, method: str, path: str, body: Any = None, expect: int = 200, **params: Any) -> Any:
        reply = await self.http.request(method, f"{self.tenant.base}/{path}", json=body, params=params,
                                        headers=self.tenant.headers)
        assert reply.status_code == expect, f"{method} {path}: {reply.status_code} {reply.text}"
        return reply.json() if reply.content else None

    # --- tracking ----------------------------------------------------------------------------------------------

    async def send(self, *messages: dict[str, Any]) -> None:
        """Store the messages in one batch; every one must be accepted."""
        answer = await self.call("POST", "batch", {"batch": list(messages)})
        assert not answer["rejected"], answer["rejected"]
        assert len(answer["results"]) == len(messages)

    async def settled(self) -> None:
        """Wait until no profile of the workspace is due now: every event sent so far has been evaluated. (Profiles
        scheduled for a later window crossing are not due *now*, and are not waited for.)"""
        async def nothing_due() -> bool:
            pending = await self.store.due.count_documents(
                {"workspace": self.tenant.name, "due_at": {"$lte": datetime.now(UTC)}})
            assert pending == 0, f"{pending} profiles still due"
            return True

        await eventually(nothing_due)

    # --- definitions -------------------------------------------------------------------------------------------

    async def create(self, kind: str, body: dict[str, Any]) -> str:
        """Create an audience or computed trait (`kind` is the URL segment) and return its id."""
        return (await self.call("POST", kind, body, expect=201))["id"]

    async def ready(self, kind: str, definition_id: str) -> dict[str, Any]:
        """Wait for the definition's backfill to finish; returns the definition as GET shows it then."""
        async def built() -> dict[str, Any]:
            got = await self.call("GET", f"{kind}/{definition_id}")
            assert got["status"]["state"] != "failed", got["status"]
            assert got["status"]["state"] == "ready", got["status"]
            return got

        return await eventually(built)

    async def create_ready(self, kind: str, body: dict[str, Any]) -> str:
        definition_id = await self.create(kind, body)
        await self.ready(kind, definition_id)
        return definition_id

    # --- reading results ---------------------------------------------------------------------------------------

    async def audiences_of(self, user: str) -> set[str]:
        """The audience names the Profile API lists for a userId."""
        return set((await self.call("GET", f"profiles/userId:{user}/audiences"))["audiences"])

    async def profile_id(self, user: str) -> str:
        return (await self.call("GET", f"profiles/userId:{user}/audiences"))["id"]

    async def members(self, audience_id: str, page_size: int = 2) -> set[str]:
        """Every member id of an audience, read page by page (small pages, so that the cursor is exercised)."""
        found: list[str] = []
        cursor: str | None = ""
        while cursor is not None:
            page_ = await self.call("GET", f"audiences/{audience_id}/members", limit=page_size,
                                    **({"cursor": cursor} if cursor else {}))
            found += page_["data"]
            cursor = page_["cursor"]
        assert len(found) == len(set(found)), f"a member was listed twice: {found}"
        return set(found)

    async def preview(self, body: dict[str, Any]) -> tuple[int, list[str]]:
        answer = await self.call("POST", "audiences/preview", body)
        return answer["size"], answer["sample"]

    async def computed_of(self, user: str) -> dict[str, Any]:
        """A profile's computed trait values by name, from the profile service."""
        reply = await self.profiles.GetProfile(profile_pb2.GetProfileRequest(identifier=f"userId:{user}"),
                                               metadata=self.tenant.metadata, timeout=10)
        assert len(reply.profiles) == 1, reply
        return struct_to_dict(reply.profiles[0].computed)

    async def expect_memberships(self, expected: dict[str, set[str]]) -> None:
        """Once the workers have caught up, each user (userId) is in exactly the audiences named."""
        await self.settled()
        # The worker writes a profile's state before it lets go of the due entry, so no polling is needed here.
        got = {user: await self.audiences_of(user) for user in expected}
        assert got == expected


@pytest.fixture
async def api(http: httpx.AsyncClient, tenant: Tenant, store: Store,
              channels: dict[str, grpc.aio.Channel]) -> Api:
    return Api(http, tenant, store, profile_pb2_grpc.ProfileServiceStub(channels["profile"]))
