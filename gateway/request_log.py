"""Every response carries an `x-request-id` (the caller's, or a new one), is logged once, errors included, and is
counted and timed for `/metrics` (`gateway.metrics`). The id is the current request id while the request is handled
(`services.common.request_id`): every log line written for it carries it, and so does every gRPC call made for it.

A pure ASGI middleware rather than FastAPI's `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
request through an extra task and memory streams, which measured about half of the gateway's own time per Profile
API read. It is the outermost layer we add, so it also answers what nothing inside handled (a 500, in the one error
shape): Starlette's own last-resort handler runs outside every middleware and would answer without the id.
"""

import logging
import time
from collections.abc import Sequence

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors, metrics
from services.common import request_id

log = logging.getLogger("gateway.app")  # the name these lines have always been logged under


class RequestLog:
    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute] = ()) -> None:
        self.app = app
        self.routes = routes  # the app's own routes, to name the few the router does not note (gateway.metrics)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id.accept(Headers(scope=scope).get(request_id.METADATA_KEY))
        token = request_id.begin(rid)
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[request_id.METADATA_KEY] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if status:  # the response has begun: nothing can be answered any more
                raise
            response = await errors.unexpected(Request(scope), exc)
            await response(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = metrics.route_of(scope, self.routes)
            metrics.observe(route, metrics.method_of(scope), status, seconds)
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "route": route,
                                       "status": status, "ms": round(seconds * 1000, 1)})
            request_id.end(token)
