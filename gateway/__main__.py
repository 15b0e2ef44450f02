"""`python -m gateway`: serve the REST gateway with uvicorn (settings from CDP_GATEWAY_* and MONGODB_URI)."""

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn

from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.common.lifecycle import stop_requested
from services.common.logging import configure_logging

log = logging.getLogger("gateway")


class _Server(uvicorn.Server):
    """uvicorn's server, with signals handled by us (services.common.lifecycle, as every service): uvicorn's own
    handling re-raises SIGTERM after shutdown and so ends the process with a signal status, not a clean exit."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: GatewaySettings) -> None:
    # Bind first, so port 0 works and the ready line can say which port was taken.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    config = uvicorn.Config(create_app(settings), log_config=None, timeout_graceful_shutdown=5)
    server = _Server(config)
    stop = stop_requested()
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if server.started:
        log.info("gateway serving", extra={"event": "ready", "port": sock.getsockname()[1]})
    await asyncio.wait([task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True  # stop accepting, finish requests, run the lifespan's close
    await task


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.debug_loggers)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
