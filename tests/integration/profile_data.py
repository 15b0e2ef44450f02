"""Helpers of the Profile API tests: data in through the tracking API (or, for what segmentation writes, straight
into its collection), and reads out through the gateway."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from services.common.store import Store
from tests.conftest import Tenant

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> str:
    """An ISO instant `seconds` after T0, as a sender writes it."""
    return (T0 + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


async def send(http: httpx.AsyncClient, tenant: Tenant, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store messages through the batch route; every one must be accepted. Their results, in order."""
    reply = await http.post(f"{tenant.base}/batch", json={"batch": messages}, headers=tenant.headers)
    assert reply.status_code == 200, reply.text
    assert not reply.json()["rejected"], reply.text
    return reply.json()["results"]


def tracks(user: str, names: list[str], start: float = 0) -> list[dict[str, Any]]:
    """Track messages of one user, one second apart from T0 + start."""
    return [{"type": "track", "userId": user, "event": name, "timestamp": at(start + i), "properties": {"i": i}}
            for i, name in enumerate(names)]


async def read(http: httpx.AsyncClient, tenant: Tenant, path: str, **params: Any) -> httpx.Response:
    """GET a Profile API route of the tenant (`path` after `/profiles`, e.g. `/userId:joe/traits`)."""
    return await http.get(f"{tenant.base}/profiles{path}", params=params, headers=tenant.headers)


async def ok(http: httpx.AsyncClient, tenant: Tenant, path: str, **params: Any) -> Any:
    reply = await read(http, tenant, path, **params)
    assert reply.status_code == 200, (path, params, reply.text)
    return reply.json()


def error_of(reply: httpx.Response, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    assert reply.headers["x-request-id"]
    return reply.json()["error"]["message"]


async def scroll_all(http: httpx.AsyncClient, tenant: Tenant, path: str, between: Callable[[int], Awaitable[None]]
                     | None = None, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a listing, following scrollId to its end; `between(page_number)` runs after each page."""
    pages: list[list[dict[str, Any]]] = []
    body = await ok(http, tenant, path, **params)
    while True:
        pages.append(body["data"])
        if body["scrollId"] is None:
            return pages
        if between is not None:
            await between(len(pages))
        body = await ok(http, tenant, path, scrollId=body["scrollId"])


async def log_membership(store: Store, tenant: Tenant, profile_id: str, changes: list[tuple[str, str, datetime]],
                         reason: str = "event") -> None:
    """Membership changes as the segmentation worker writes them to `membership_log` (audience, change, at)."""
    await store.membership_log.insert_many([
        {"_id": str(uuid.uuid4()), "workspace": tenant.name, "profile_id": profile_id,
         "audience_id": f"id-{audience}", "audience": audience, "change": change, "at": when, "reason": reason}
        for audience, change, when in changes])
