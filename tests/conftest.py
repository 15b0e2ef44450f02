"""Fixtures shared by the integration and end-to-end tests: the real suite, a fresh workspace per test.

With MONGODB_URI set, the tests run against that MongoDB in a database of their own (dropped at the end);
otherwise they start the embedded store on a SQLite file under var/ (deleted at the end).
"""

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass

import grpc
import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from tools.suite import ROOT, Endpoints, Suite


@pytest.fixture(scope="session")
def database() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def mongodb_uri(database: str) -> Iterator[str]:
    """A store for the session: the one MONGODB_URI names, or an embedded one started here."""
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    path = ROOT / "var" / f"test-store-{os.getpid()}.sqlite3"
    suite = Suite()
    try:
        yield suite.start_store(path)
    finally:
        suite.stop()
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()


@pytest.fixture(scope="session")
def processes(mongodb_uri: str, database: str) -> Iterator[tuple[Suite, Endpoints]]:
    """The three services and the gateway, as real processes on free ports, shared by the session; with the
    `Suite` that runs them, for tests that read what a process logged (`Suite.child(name).tail`)."""
    running = Suite(env={"CDP_MONGODB_DATABASE": database})
    try:
        yield running, running.start_services(mongodb_uri)
    finally:
        codes = running.stop()
        assert all(code == 0 for code in codes.values()), f"unclean exits: {codes}"


@pytest.fixture(scope="session")
def suite(processes: tuple[Suite, Endpoints]) -> Endpoints:
    return processes[1]


@pytest.fixture(scope="session")
async def store(mongodb_uri: str, database: str) -> AsyncIterator[Store]:
    """Direct store access for checks the API cannot make (e.g. that nothing was written)."""
    opened = Store(mongodb_uri, database, appname="tests")
    yield opened
    if os.environ.get("MONGODB_URI"):
        await opened.client.drop_database(database)
    await opened.close()


@dataclass(frozen=True)
class Tenant:
    name: str
    token: str
    write_key: str

    @property
    def base(self) -> str:
        """The tracking/Profile API prefix of this workspace."""
        return f"/track/{self.name}/v1"

    @property
    def headers(self) -> dict[str, str]:
        return {"auth-token": self.token}

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("x-cdp-workspace", self.name),)


async def new_tenant(store: Store) -> Tenant:
    """A workspace of its own, with its own credentials."""
    made = Tenant(f"t{uuid.uuid4().hex[:10]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    await ensure_workspace(store, made.name, made.token, made.write_key)
    return made


@pytest.fixture
async def tenant(store: Store) -> Tenant:
    """A fresh workspace per test, so tests never see each other's data."""
    return await new_tenant(store)


@pytest.fixture
async def http(suite: Endpoints) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=suite.gateway, timeout=30) as client:
        yield client


@pytest.fixture
async def channels(suite: Endpoints) -> AsyncIterator[dict[str, grpc.aio.Channel]]:
    opened = {name: grpc.aio.insecure_channel(suite.grpc(name)) for name in ("ingest", "segmentation", "profile")}
    yield opened
    for channel in opened.values():
        await channel.close()




async def eventually[T](probe: Callable[[], Awaitable[T]], timeout: float = 20.0, every: float = 0.1) -> T:
    """Poll `probe` until it returns something truthy without failing an assertion, and return that; at the
    deadline, fail with its last assertion (or last answer). Never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await probe()
            if result:
                return result
            failure: Exception = AssertionError(f"still {result!r} after {timeout} s")
        except AssertionError as error:
            failure = error
        if time.monotonic() > deadline:
            raise failure
        await asyncio.sleep(every)
