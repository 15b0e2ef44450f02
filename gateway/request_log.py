"""Every response carries an `x-request-id` (the caller's, or a new one) and is logged once, errors included.

A pure ASGI middleware rather than FastAPI's `@app.middleware("http")`: Starlette's BaseHTTPMiddleware runs each
request through an extra task and memory streams, which measured about half of the gateway's own time per Profile
API read. It is the outermost layer we add, so it also answers what nothing inside handled (a 500, in the one error
shape): Starlette's own last-resort handler runs outside every middleware and would answer without the id.
"""

import logging
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import errors

log = logging.getLogger("gateway.app")  # the name these lines have always been logged under


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = Headers(scope=scope).get("x-request-id") or str(uuid.uuid4())
        started = time.perf_counter()
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["x-request-id"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if status:  # the response has begun: nothing can be answered any more
                raise
            response = await errors.unexpected(Request(scope), exc)
            await response(scope, receive, send_with_id)
        finally:
            log.info("request", extra={"method": scope["method"], "path": scope["path"], "status": status,
                                       "ms": round((time.perf_counter() - started) * 1000, 1), "request_id": rid})
