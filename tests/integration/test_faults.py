"""Faults survived, with real processes: the store stopped and restarted during a steady ingest, and a backend
stopped behind the gateway. Afterwards every acknowledged event is stored exactly once, memberships equal a
from-scratch evaluation, the gateway answered 503 (never a 500, never a hang) while a part was down, and the
survivors recovered without being restarted. (A segmentation replica killed with -9: tests/integration/
test_scale_out.py.)

A suite of its own (store, services, gateway), since these tests stop and restart its parts.
"""

import asyncio
import signal
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from services.segmentation.engine import Engine
from tests.conftest import Tenant, eventually
from tools.suite import Endpoints, Suite

# No answer may take longer than this while a part is down: a refusal must be prompt, not a hang.
PROMPT = 12.0
PINGED = {"name": "pinged", "conditions": [{"mode": "required", "event": {"name": "Ping"}}]}


@dataclass
class Faulty:
    suite: Suite
    endpoints: Endpoints
    store_path: Path
    http: httpx.AsyncClient
    tenant: Tenant
    database: str

    @property
    def store_port(self) -> int:
        port = urlsplit(self.endpoints.mongodb_uri).port
        assert port is not None
        return port

    def stop(self, name: str) -> None:
        """Stop a part (SIGTERM, as an orchestrator does), leaving the others running."""
        (child,) = [c for c in self.suite.children if c.name == name and c.popen.poll() is None]
        child.popen.send_signal(signal.SIGTERM)
        child.popen.wait(15)

    async def restart_store(self) -> None:
        await asyncio.to_thread(self.suite.start_store, self.store_path, self.store_port)

    async def restart_service(self, name: str) -> None:
        port = int(self.endpoints.grpc(name).rsplit(":", 1)[1])
        await asyncio.to_thread(self.suite.start_service, name, port)


@pytest.fixture
async def faulty(database: str) -> AsyncIterator[Faulty]:
    suite = Suite(env={"CDP_MONGODB_DATABASE": database})
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        path = Path(tmp) / "store.sqlite3"
        try:
            uri = await asyncio.to_thread(suite.start_store, path)
            endpoints = await asyncio.to_thread(suite.start_services, uri)
            tenant = Tenant(f"f{uuid.uuid4().hex[:8]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
            store = Store(uri, database, appname="tests")
            await ensure_workspace(store, tenant.name, tenant.token, tenant.write_key)
            await store.close()
            async with httpx.AsyncClient(base_url=endpoints.gateway, timeout=60) as http:
                yield Faulty(suite, endpoints, path, http, tenant, database)
        finally:
            children = list(suite.children)
            codes = await asyncio.to_thread(suite.stop)
            unclean = [c for c in children if c.popen.returncode != 0]
            assert not unclean, "unclean exits:\n" + "\n".join(
                f"{c.name} ({c.popen.returncode}):\n" + "\n".join(list(c.tail)[-15:]) for c in unclean)
            assert codes


@dataclass
class Sender:
    """Sends track batches one after another as an SDK does, keeping every batch not acknowledged to send again."""

    http: httpx.AsyncClient
    tenant: Tenant
    sent: set[str] = field(default_factory=set)  # every messageId sent at least once
    acked: set[str] = field(default_factory=set)
    pending: list[list[dict[str, str]]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    slowest: float = 0.0

    async def send(self, batch: list[dict[str, str]]) -> int:
        began = time.monotonic()
        reply = await self.http.post(f"{self.tenant.base}/batch", json={"batch": batch}, headers=self.tenant.headers)
        self.slowest = max(self.slowest, time.monotonic() - began)
        self.statuses.append(reply.status_code)
        self.sent |= {m["messageId"] for m in batch}
        if reply.status_code == 200:
            assert not reply.json()["rejected"], reply.text
            self.acked |= {m["messageId"] for m in batch}
        else:
            assert reply.json()["error"]["code"] == "internal_server_error", reply.text
            self.pending.append(batch)
        return reply.status_code

    async def steady(self, rounds: int, size: int = 4) -> None:
        for _ in range(rounds):
            await self.send([{"type": "track", "userId": f"u{i}", "event": "Ping", "messageId": str(uuid.uuid4())}
                             for i in range(size)])

    async def resend_pending(self) -> None:
        """What an SDK does once the service is back: send every refused batch again, until it is taken."""
        while self.pending:
            batch = self.pending.pop(0)
            if await self.send(batch) != 200:
                self.pending.append(batch)
                await asyncio.sleep(0.2)  # an SDK's backoff before its next attempt


async def _define(faulty: Faulty, body: dict) -> str:
    reply = await faulty.http.post(f"{faulty.tenant.base}/audiences", json=body, headers=faulty.tenant.headers)
    assert reply.status_code == 201, reply.text
    return reply.json()["id"]


async def _check_stored_once_and_memberships_exact(faulty: Faulty, sender: Sender, audience_id: str) -> None:
    store = Store(faulty.endpoints.mongodb_uri, faulty.database, appname="tests")
    try:
        stored = [d["message_id"] async for d in store.events.find(
            {"workspace": faulty.tenant.name, "type": "track"}, {"message_id": 1})]
        assert sorted(stored) == sorted(sender.sent)  # every message, acknowledged or sent again, exactly once
        assert sender.acked == sender.sent

        async def exact() -> bool:
            if await store.due.count_documents({"workspace": faulty.tenant.name}):
                return False
            members = {d["_id"] async for d in store.profile_state.find(
                {"workspace": faulty.tenant.name, "audiences": audience_id}, {"_id": 1})}
            expected = await Engine(store).members_now(faulty.tenant.name, PINGED["conditions"])
            assert members == expected
            return bool(expected)

        await eventually(exact, timeout=60)
    finally:
        await store.close()


async def test_a_store_restart_during_steady_ingest_loses_nothing(faulty: Faulty) -> None:
    audience_id = await _define(faulty, PINGED)
    sender = Sender(faulty.http, faulty.tenant)
    await sender.steady(rounds=5)
    assert set(sender.statuses) == {200}

    faulty.stop("store")
    await sender.steady(rounds=3)  # the store is down: refused, promptly, for the SDK to send again
    assert sender.statuses[-3:] == [503, 503, 503], sender.statuses

    await faulty.restart_store()  # same file, same port; nothing else is restarted

    async def recovered() -> bool:
        return await sender.send([{"type": "track", "userId": "u0", "event": "Ping",
                                   "messageId": str(uuid.uuid4())}]) == 200

    await eventually(recovered, timeout=60, every=0.5)
    await sender.steady(rounds=5)
    await sender.resend_pending()
    assert set(sender.statuses) <= {200, 503}, sender.statuses
    assert sender.slowest < PROMPT, sender.slowest
    await _check_stored_once_and_memberships_exact(faulty, sender, audience_id)


async def test_a_stopped_backend_is_503_and_the_gateway_recovers_without_a_restart(faulty: Faulty) -> None:
    audience_id = await _define(faulty, PINGED)
    sender = Sender(faulty.http, faulty.tenant)
    await sender.steady(rounds=2)
    profile = f"{faulty.tenant.base}/profiles/userId:u0/audiences"

    async def read() -> httpx.Response:
        return await faulty.http.get(profile, headers=faulty.tenant.headers)

    assert (await read()).status_code == 200

    faulty.stop("profile")
    began = time.monotonic()
    down = await read()
    assert down.status_code == 503 and down.json()["error"]["code"] == "internal_server_error", down.text
    assert time.monotonic() - began < PROMPT
    await sender.steady(rounds=2)  # the rest of the suite carries on
    assert sender.statuses[-2:] == [200, 200]

    faulty.stop("ingest")
    await sender.steady(rounds=2)
    assert sender.statuses[-2:] == [503, 503], sender.statuses
    assert sender.slowest < PROMPT, sender.slowest

    await faulty.restart_service("profile")
    await faulty.restart_service("ingest")

    async def profile_back() -> bool:
        return (await read()).status_code == 200

    await eventually(profile_back, timeout=30, every=0.25)
    await sender.resend_pending()
    await _check_stored_once_and_memberships_exact(faulty, sender, audience_id)


async def test_services_stopped_while_the_store_is_down_exit_cleanly(faulty: Faulty) -> None:
    await _define(faulty, PINGED)  # the segmentation replica holds work and leases in the store
    await Sender(faulty.http, faulty.tenant).steady(rounds=1)
    faulty.stop("store")
    for name in ("gateway", "profile", "segmentation", "ingest"):
        faulty.stop(name)  # the fixture checks that each exited with 0
