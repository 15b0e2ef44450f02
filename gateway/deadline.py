"""Every HTTP request has a deadline, and every gRPC call made for it gets what is left of it, never a fresh
timeout of its own: a request the gateway gave up on is not still worked on behind it (gRPC cancels the service's
handler, and the store call it awaits, when the deadline passes). Store reads the gateway makes itself (credentials)
are bounded by the driver's server selection timeout instead: under PyMongo's client-side timeout a store that is
down would hold each of them for the whole deadline, where a prompt 503 is the useful answer.

A pure ASGI middleware, like `RequestLog`: it sets a context variable for the request's task.
"""

import time
from contextvars import ContextVar

from starlette.types import ASGIApp, Receive, Scope, Send

_deadline: ContextVar[float | None] = ContextVar("request_deadline", default=None)
# A call is never given less than this: a deadline already spent still gets a moment to fail cleanly.
_FLOOR = 0.01


def remaining(default: float) -> float:
    """Seconds left of the current request's deadline; `default` outside a request."""
    deadline = _deadline.get()
    return default if deadline is None else max(_FLOOR, deadline - time.monotonic())


class Deadline:
    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = _deadline.set(time.monotonic() + self.seconds)
        try:
            await self.app(scope, receive, send)
        finally:
            _deadline.reset(token)
