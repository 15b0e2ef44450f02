"""The CLI's gRPC clients: the gateway's (`gateway.backends`), so the CLI spreads its calls over replicas and
retries the calls that are safe to repeat exactly as the gateway does."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cli.errors import unreachable
from gateway.backends import Backends
from gateway.settings import GatewaySettings
from services.common.tenancy import WORKSPACE_METADATA_KEY


@asynccontextmanager
async def opened(settings: GatewaySettings) -> AsyncIterator[Backends]:
    backends = Backends.open(settings)
    try:
        yield backends
    finally:
        await backends.close()


def acting_for(workspace: str) -> tuple[tuple[str, str], ...]:
    """The metadata of a call made for `workspace`, for calls that set their own deadline (or none: a stream)."""
    return ((WORKSPACE_METADATA_KEY, workspace),)


async def reachable(backends: Backends, service: str, target: str, timeout: float) -> None:
    """Wait until the service's channel is connected; CliError when it is not within `timeout`."""
    try:
        await asyncio.wait_for(backends.channels[service].channel_ready(), timeout)
    except TimeoutError:
        raise unreachable(service, target, f"not connected within {timeout:g} s") from None
