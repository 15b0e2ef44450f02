"""The gRPC server bootstrap every service runs, and the translation of domain errors to status codes.

`serve` gives each service the same life: health and reflection registered, every call counted and timed and its
request id in every log line it writes (`rpc_observer`), metrics served on a port of their own, a JSON `ready` line
with the bound ports, and on SIGTERM/SIGINT the graceful order health NOT_SERVING -> stop background jobs ->
`server.stop(grace)` -> close the store.
"""

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import grpc
from google.protobuf.message import DecodeError
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection
from pymongo.errors import ConnectionFailure, PyMongoError

from services.common.errors import (
    ConflictError,
    ContendedError,
    DomainError,
    InUseError,
    NotFoundError,
    UnauthenticatedError,
    ValidationError,
)
from services.common.lifecycle import stop_requested
from services.common.metrics import serve_metrics
from services.common.rpc_observer import RpcObserver
from services.common.settings import ServiceSettings
from services.common.store import Store
from services.common.tenancy import WORKSPACE_METADATA_KEY, parse_workspace

log = logging.getLogger(__name__)

_CODES: dict[type[DomainError], grpc.StatusCode] = {
    ValidationError: grpc.StatusCode.INVALID_ARGUMENT,
    NotFoundError: grpc.StatusCode.NOT_FOUND,
    ConflictError: grpc.StatusCode.ALREADY_EXISTS,
    InUseError: grpc.StatusCode.FAILED_PRECONDITION,
    UnauthenticatedError: grpc.StatusCode.UNAUTHENTICATED,
    ContendedError: grpc.StatusCode.UNAVAILABLE,
}


# A negative retry pushback tells a gRPC client with a retry policy not to retry this call (gRFC A6).
_NO_RETRY = "grpc-retry-pushback-ms"

# Clients re-resolve DNS only when a connection closes: ageing connections out lets a gateway spread calls over
# replicas added by a scale-out, within minutes, with in-flight calls given time to finish.
_SERVER_OPTIONS = [("grpc.max_connection_age_ms", 300_000), ("grpc.max_connection_age_grace_ms", 30_000)]


def workspace_of(context: grpc.aio.ServicerContext) -> str:
    """The workspace this call acts for, from its metadata; every store query is scoped by it. A name that is not
    one (`client/account/brand`) is refused before anything is read or written under it."""
    for key, value in context.invocation_metadata() or ():
        if key == WORKSPACE_METADATA_KEY and value:
            name = value if isinstance(value, str) else value.decode()
            try:
                return parse_workspace(name)
            except ValidationError as error:
                raise UnauthenticatedError(f"{WORKSPACE_METADATA_KEY} metadata names no workspace: {error}") from None
    raise UnauthenticatedError(f"missing {WORKSPACE_METADATA_KEY} metadata: say which workspace the call is for")


type Handler[Req, Resp] = Callable[[Any, Req, grpc.aio.ServicerContext], Awaitable[Resp]]


def rpc[Req, Resp](method: Handler[Req, Resp]) -> Handler[Req, Resp]:
    """Wrap a unary servicer method: domain errors become their status code, a lost store UNAVAILABLE."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        # The caller's deadline bounds the handler: when it passes, gRPC cancels the handler's task, and with it
        # the store call it awaits. (Not PyMongo's client-side timeout: under it, a store that is down would hold
        # every call for its whole deadline, where serverSelectionTimeoutMS answers UNAVAILABLE promptly.)
        try:
            return await method(self, request, context)
        except (DomainError, PyMongoError) as error:
            await _abort(context, error)
        raise AssertionError("context.abort always raises")

    return wrapper


type StreamHandler[Req, Resp] = Callable[[Any, Req, grpc.aio.ServicerContext], AsyncIterator[Resp]]


def rpc_stream[Req, Resp](method: StreamHandler[Req, Resp]) -> StreamHandler[Req, Resp]:
    """`rpc` for a server-streaming method (an async generator)."""

    @functools.wraps(method)
    async def wrapper(self: Any, request: Req, context: grpc.aio.ServicerContext) -> AsyncIterator[Resp]:
        try:
            async for reply in method(self, request, context):
                yield reply
        except (DomainError, PyMongoError) as error:
            await _abort(context, error)

    return wrapper


async def _abort(context: grpc.aio.ServicerContext, error: Exception) -> None:
    if isinstance(error, ConnectionFailure):
        log.warning("store unavailable", extra={"error": str(error)})
        # The call waited for the store already: a client's automatic retry (the gateway's, for a replica that is
        # down) would only multiply the wait, so it is told not to (gRPC's retry pushback); the answer is prompt.
        context.set_trailing_metadata(((_NO_RETRY, "-1"),))
        await context.abort(grpc.StatusCode.UNAVAILABLE, "the store is unavailable; retry later")
    if isinstance(error, PyMongoError):  # anything else the store refused is ours to fix, not the caller's
        log.error("store error", extra={"error": str(error)})
        await context.abort(grpc.StatusCode.INTERNAL, "the store refused the operation")
    await context.abort(_CODES.get(type(error), grpc.StatusCode.FAILED_PRECONDITION), str(error))


@dataclass(frozen=True)
class _Undecodable:
    """What a request's bytes were when they are not its message: the reason, for the handler to answer."""

    reason: str


class RefuseUndecodable(grpc.aio.ServerInterceptor):
    """A request whose bytes do not decode as its message is answered INVALID_ARGUMENT (gRPC's own answer would
    be UNKNOWN, which says the server failed). Unary requests only: every RPC of ours takes one message."""

    async def intercept_service(
        self, continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(details)
        if handler is None or handler.request_streaming or handler.request_deserializer is None:
            return handler
        decode, method = handler.request_deserializer, details.method

        def lenient(data: bytes) -> Any:
            try:
                return decode(data)
            except DecodeError as error:
                return _Undecodable(str(error))

        async def refuse(context: grpc.aio.ServicerContext, request: _Undecodable) -> None:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                                f"the request to {method} is not its protobuf message: {request.reason}")

        async def unary(request: Any, context: grpc.aio.ServicerContext) -> Any:
            if isinstance(request, _Undecodable):
                await refuse(context, request)
            return await handler.unary_unary(request, context)

        async def stream(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            if isinstance(request, _Undecodable):
                await refuse(context, request)
            async for reply in handler.unary_stream(request, context):
                yield reply

        if handler.response_streaming:
            return handler._replace(request_deserializer=lenient, unary_stream=stream)
        return handler._replace(request_deserializer=lenient, unary_unary=unary)


class Background(Protocol):
    """Work that runs beside the server (schedulers, workers): started after it, stopped before it."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class Registration:
    """One gRPC service to serve: its full name (for health and reflection), its servicer, its adder."""

    name: str
    servicer: object
    add: Callable[[Any, grpc.aio.Server], None]


async def serve(
    service: str,
    settings: ServiceSettings,
    store: Store,
    registrations: Sequence[Registration],
    background: Sequence[Background] = (),
) -> None:
    server = grpc.aio.server(options=_SERVER_OPTIONS, interceptors=[RpcObserver(), RefuseUndecodable()])
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    for registration in registrations:
        registration.add(registration.servicer, server)
    names = [r.name for r in registrations]
    reflection.enable_server_reflection([*names, "grpc.health.v1.Health", reflection.SERVICE_NAME], server)
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    metrics = serve_metrics(settings.host, settings.metrics_port)
    await server.start()
    for job in background:
        await job.start()
    for name in ["", *names]:
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    log.info(f"{service} serving", extra={"event": "ready", "port": port, "metrics_port": metrics.port})

    await stop_requested().wait()

    log.info(f"{service} stopping", extra={"event": "stopping"})
    await health.enter_graceful_shutdown()
    for job in reversed(background):
        await job.stop()
    await server.stop(settings.grace_seconds)
    await store.close()
    await asyncio.to_thread(metrics.close)  # last: what the shutdown itself counted can still be scraped until here
    log.info(f"{service} stopped", extra={"event": "stopped"})


def run_service(
    service: str,
    settings: ServiceSettings,
    owns: Sequence[str],
    build: Callable[[Store], tuple[Sequence[Registration], Sequence[Background]]],
) -> None:
    """A service's whole `main`: logs, store, the indexes of the collections it writes, then `serve` until signalled."""
    from services.common.logging import configure_logging

    configure_logging(service, settings.log_level, settings.debug_loggers)

    async def main() -> None:
        store = Store(settings.mongodb_uri, settings.mongodb_database, appname=service)
        await store.ensure_indexes(*owns)
        registrations, background = build(store)
        await serve(service, settings, store, registrations, background)

    asyncio.run(main())
