"""The FastAPI app: routes, error mapping, and the gRPC clients and store opened in its lifespan."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from gateway import errors
from gateway.auth import Credentials
from gateway.backends import Backends
from gateway.deadline import Deadline
from gateway.limits import Limits
from gateway.ratelimit import RateLimiter
from gateway.request_log import RequestLog
from gateway.routes import catalog, definitions, health, profiles, segment, tracking
from gateway.settings import GatewaySettings
from gateway.urls import Utf8Urls
from services.common.store import Store

log = logging.getLogger(__name__)

# The audience builder: static files (plain ES modules and CSS, no build step) that use only the public REST API.
UI = Path(__file__).resolve().parent / "ui"


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = Store(settings.mongodb_uri, settings.mongodb_database, appname="gateway")
        app.state.credentials = Credentials(app.state.store, settings.credential_cache_seconds)
        app.state.backends = Backends.open(settings)
        app.state.limits = Limits.of(settings)
        app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        yield
        await app.state.backends.close()
        await app.state.store.close()

    app = FastAPI(
        title="CDP audience engine",
        version="1",
        description="Tracking, audiences and the Profile API of the audience engine. "
        "Authenticate with the workspace's `auth-token` header; the Segment-style `/v1/*` tracking routes take "
        "the workspace's write key instead.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.include_router(health.router)
    app.include_router(tracking.router)
    app.include_router(segment.router)
    app.include_router(profiles.router)
    app.include_router(definitions.router)
    app.include_router(catalog.router)
    # A mount is not an operation, so the page stays out of the OpenAPI schema.
    app.mount("/ui", StaticFiles(directory=UI, html=True), name="ui")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/ui/")
    app.add_middleware(segment.BrowserCORS)
    app.add_middleware(Utf8Urls)

    app.add_middleware(Deadline, seconds=settings.request_timeout_seconds)
    app.add_middleware(RequestLog, routes=app.router.routes)  # added last: the outermost layer

    return app
