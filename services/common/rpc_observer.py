"""What every gRPC call of every service leaves behind: a count and a latency by method and status code, and its
request id in every log line written while it runs. A line per call is logged at DEBUG, off unless asked for
(`CDP_DEBUG_LOGGERS=services.common.rpc_observer`): it costs about 40 us of CPU a call, and the gateway already logs
every request once, with the same id.

One server interceptor (installed by `grpc_server.serve`) rather than code in each servicer or in `@rpc`: it sees
every call the server answers, health checks, reflection and streams included, and every way a call ends (an abort
by `@rpc`, an exception nothing caught, a client that cancelled or whose deadline passed).
"""

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from prometheus_client import Counter, Histogram

from services.common import request_id
from services.common.metrics import LATENCY_BUCKETS

log = logging.getLogger(__name__)

_LABELS = ["grpc_service", "grpc_method", "grpc_code"]
HANDLED = Counter("cdp_grpc_server_handled_total", "gRPC calls this server completed, by method and status code",
                  _LABELS)
HANDLING = Histogram("cdp_grpc_server_handling_seconds", "How long this server took over a gRPC call, from its "
                     "start to its status (a stream: its whole life), by method and status code", _LABELS,
                     buckets=LATENCY_BUCKETS)


@functools.cache
def _series(method: str, code: grpc.StatusCode) -> tuple[Any, Any]:
    """The counter and histogram children of one method and code, looked up once: a call pays no label lookup."""
    _, service, name = method.split("/", 2)
    labels = (service, name, code.name)
    return HANDLED.labels(*labels), HANDLING.labels(*labels)


def _caller_request_id(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == request_id.METADATA_KEY:
            return value if isinstance(value, str) else value.decode("ascii", "replace")
    return None


class RpcObserver(grpc.aio.ServerInterceptor):
    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(details)
        if handler is None:  # no such method: gRPC answers UNIMPLEMENTED itself
            return None
        method = details.method
        rid = request_id.accept(_caller_request_id(details.invocation_metadata))
        # The handler is a namedtuple: replace its one behaviour, keeping its (de)serializers.
        if handler.unary_unary:
            return handler._replace(unary_unary=_unary(handler.unary_unary, method, rid))
        if handler.stream_unary:
            return handler._replace(stream_unary=_unary(handler.stream_unary, method, rid))
        if handler.unary_stream:
            return handler._replace(unary_stream=_streaming(handler.unary_stream, method, rid))
        return handler._replace(stream_stream=_streaming(handler.stream_stream, method, rid))


def _unary(behaviour: Callable[..., Awaitable[Any]], method: str, rid: str) -> Callable[..., Awaitable[Any]]:
    async def observed(request: Any, context: grpc.aio.ServicerContext) -> Any:
        with _observing(method, rid, context):
            return await behaviour(request, context)

    return observed


def _streaming(behaviour: Callable[..., Any], method: str, rid: str) -> Callable[..., AsyncIterator[Any]]:
    async def observed(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
        with _observing(method, rid, context):
            replies = behaviour(request, context)
            if inspect.isawaitable(replies):  # a handler that writes with context.write() and returns nothing
                await replies
                return
            async for reply in replies:
                yield reply

    return observed


@contextmanager
def _observing(method: str, rid: str, context: grpc.aio.ServicerContext) -> Iterator[None]:
    # Set and never reset: every call runs in an asyncio task of its own, so the id ends with the call (and tasks
    # the call starts inherit it, as they should). A reset could fail in a stream closed from another context.
    request_id.begin(rid)
    started = time.perf_counter()
    failure: grpc.StatusCode | None = None
    try:
        yield
    except (asyncio.CancelledError, GeneratorExit):
        remaining = context.time_remaining()
        failure = grpc.StatusCode.DEADLINE_EXCEEDED if remaining is not None and remaining <= 0 \
            else grpc.StatusCode.CANCELLED
        raise
    except Exception:
        failure = grpc.StatusCode.UNKNOWN  # what gRPC answers for an exception, unless the call was aborted
        raise
    finally:
        seconds = time.perf_counter() - started
        # An abort (or set_code) has put its code on the context; anything else ended as its exception says.
        code = context.code() or failure or grpc.StatusCode.OK
        handled, handling = _series(method, code)
        handled.inc()
        handling.observe(seconds)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("rpc", extra={"rpc": method, "code": code.name, "ms": round(seconds * 1000, 1)})
