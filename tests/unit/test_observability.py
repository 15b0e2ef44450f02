"""The pure parts of watching the suite: route templates as labels, request ids in log lines and in metadata, and
the gRPC interceptor's reading of how a call ended."""

import asyncio
import json
import logging
from typing import Any

import grpc
import httpx
import pytest
from fastapi import APIRouter, FastAPI
from prometheus_client import REGISTRY
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from gateway import metrics
from gateway.backends import Backends
from gateway.request_log import RequestLog
from services.common import request_id
from services.common.logging import JsonFormatter
from services.common.rpc_observer import RpcObserver
from services.ingest.ingestion import Result, _count


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- the gateway: route templates --------------------------------------------------------------------------------


def _app() -> FastAPI:
    """An app shaped like the gateway's: routers with a prefix and path parameters, wrapped in RequestLog."""
    app = FastAPI()
    router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1/profiles")

    @router.get("/{profile_id}/audiences")
    async def audiences(profile_id: str) -> dict[str, str]:
        return {"id": profile_id}

    app.include_router(router)
    app.add_middleware(RequestLog, routes=app.router.routes)
    return app


async def test_requests_are_labelled_by_route_template_never_by_path() -> None:
    template = "/track/{client}/{account}/{brand}/v1/profiles/{profile_id}/audiences"
    labels = {"route": template, "method": "GET", "status": "200"}
    before = sample("cdp_http_requests_total", **labels)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=_app()), base_url="http://t") as client:
        for person in ("email:a@b.c", "userId:42"):
            assert (await client.get(f"/track/a/b/C/v1/profiles/{person}/audiences")).status_code == 200
        assert (await client.get("/docs")).status_code == 200  # served by the app itself, not an included router
        assert (await client.get("/no/such/path")).status_code == 404
        assert (await client.post("/track/a/b/C/v1/profiles/x/audiences")).status_code == 405
    assert sample("cdp_http_requests_total", **labels) == before + 2
    assert sample("cdp_http_request_duration_seconds_count", **labels) == before + 2
    assert sample("cdp_http_requests_total", route="/docs", method="GET", status="200") >= 1
    assert sample("cdp_http_requests_total", route=metrics.UNMATCHED, method="GET", status="404") >= 1
    assert sample("cdp_http_requests_total", route=template, method="POST", status="405") >= 1
    assert not any("email:a@b.c" in str(s.labels) for family in REGISTRY.collect() for s in family.samples)


def test_route_of_a_scope_without_a_noted_route() -> None:
    docs = Route("/docs", lambda request: PlainTextResponse(""))
    scope = {"type": "http", "method": "GET", "path": "/docs", "root_path": ""}
    assert metrics.route_of(scope, [docs]) == "/docs"
    assert metrics.route_of({**scope, "path": "/elsewhere"}, [docs]) == metrics.UNMATCHED
    assert metrics.route_of({**scope, "route": docs, "path": "/anything"}) == "/docs"


def test_unknown_methods_share_one_label() -> None:
    assert [metrics.method_of({"method": m}) for m in ("GET", "DELETE", "BREW", "get")] == [
        "GET", "DELETE", "other", "other"]


# --- request ids --------------------------------------------------------------------------------------------------


def test_a_callers_request_id_is_kept_only_if_usable_in_metadata_and_logs() -> None:
    assert request_id.accept("abc-123_x.y:z") == "abc-123_x.y:z"
    for unusable in (None, "", "has space", "caf\u00e9", "x" * 129, "line\nbreak"):
        made = request_id.accept(unusable)
        assert made != unusable and len(made) == 36
    assert request_id.accept(None) != request_id.accept(None)


def _formatted(message: str) -> dict[str, Any]:
    record = logging.LogRecord("services.x", logging.INFO, __file__, 1, message, None, None)
    return json.loads(JsonFormatter("ingest").format(record))


def test_every_log_line_written_while_handling_a_request_carries_its_id() -> None:
    assert "request_id" not in _formatted("outside")
    token = request_id.begin("req-1")
    try:
        line = _formatted("inside")
    finally:
        request_id.end(token)
    assert line["request_id"] == "req-1" and line["msg"] == "inside" and line["service"] == "ingest"
    assert "request_id" not in _formatted("after")


def test_the_gateway_sends_the_request_id_with_every_call() -> None:
    backends = Backends(channels={}, ingest=None, segmentation=None, profile=None, timeout=5)  # type: ignore[arg-type]
    assert backends.call_options("a/b/C")["metadata"] == (("x-cdp-workspace", "a/b/C"),)
    token = request_id.begin("req-3")
    try:
        metadata = backends.call_options("a/b/C")["metadata"]
    finally:
        request_id.end(token)
    assert metadata == (("x-cdp-workspace", "a/b/C"), ("x-request-id", "req-3"))


# --- the gRPC interceptor -----------------------------------------------------------------------------------------


class Details:
    def __init__(self, method: str, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.method = method
        self.invocation_metadata = metadata


class Context:
    """What the interceptor reads of grpc.aio.ServicerContext: the code an abort left, the time left."""

    def __init__(self, remaining: float | None = None) -> None:
        self._code: grpc.StatusCode | None = None
        self.remaining = remaining

    def code(self) -> grpc.StatusCode | None:
        return self._code

    def time_remaining(self) -> float | None:
        return self.remaining

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self._code = code
        raise grpc.aio.AbortError(details)


async def _intercept(behaviour: Any, method: str, metadata: tuple[tuple[str, str], ...] = (),
                     streaming: bool = False) -> Any:
    make = grpc.unary_stream_rpc_method_handler if streaming else grpc.unary_unary_rpc_method_handler

    async def continuation(details: Any) -> Any:
        return make(behaviour)

    handler = await RpcObserver().intercept_service(continuation, Details(method, metadata))
    return handler.unary_stream if streaming else handler.unary_unary


def _handled(method: str, code: str) -> float:
    service, name = method[1:].split("/")
    return sample("cdp_grpc_server_handled_total", grpc_service=service, grpc_method=name, grpc_code=code)


async def test_calls_are_counted_by_method_and_the_code_they_ended_with() -> None:
    method = "/cdp.test.v1.Test/Unary"

    async def found(request: str, context: Context) -> str:
        if request == "missing":
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such thing")
        if request == "broken":
            raise ZeroDivisionError
        if request == "slow":
            raise asyncio.CancelledError
        return request

    before = {code: _handled(method, code) for code in ("OK", "NOT_FOUND", "UNKNOWN", "CANCELLED", "DEADLINE_EXCEEDED")}
    observed = await _intercept(found, method)
    assert await observed("there", Context()) == "there"
    with pytest.raises(grpc.aio.AbortError):
        await observed("missing", Context())
    with pytest.raises(ZeroDivisionError):
        await observed("broken", Context())
    with pytest.raises(asyncio.CancelledError):
        await observed("slow", Context(remaining=5))  # the client went away
    with pytest.raises(asyncio.CancelledError):
        await observed("slow", Context(remaining=0))  # its deadline passed
    after = {code: _handled(method, code) for code in before}
    assert {code: after[code] - before[code] for code in before} == {
        "OK": 1, "NOT_FOUND": 1, "UNKNOWN": 1, "CANCELLED": 1, "DEADLINE_EXCEEDED": 1}
    assert sample("cdp_grpc_server_handling_seconds_count", grpc_service="cdp.test.v1.Test", grpc_method="Unary",
                  grpc_code="OK") >= 1


async def test_a_call_runs_under_its_callers_request_id_or_a_fresh_one() -> None:
    async def seen(request: str, context: Context) -> str | None:
        return request_id.current()

    method = "/cdp.test.v1.Test/Ids"
    given = await _intercept(seen, method, (("x-cdp-workspace", "a/b/C"), ("x-request-id", "from-gateway")))
    assert await asyncio.create_task(given("r", Context())) == "from-gateway"
    fresh = [await asyncio.create_task((await _intercept(seen, method))("r", Context())) for _ in range(2)]
    assert all(fresh) and fresh[0] != fresh[1]


async def test_a_stream_is_counted_once_when_it_ends() -> None:
    method = "/cdp.test.v1.Test/Stream"

    async def replies(request: int, context: Context) -> Any:
        for n in range(request):
            yield n
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "no more")

    ok, invalid = _handled(method, "OK"), _handled(method, "INVALID_ARGUMENT")
    observed = await _intercept(replies, method, streaming=True)
    received = []
    with pytest.raises(grpc.aio.AbortError):
        async for reply in observed(3, Context()):
            received.append(reply)
    assert received == [0, 1, 2]
    assert (_handled(method, "OK"), _handled(method, "INVALID_ARGUMENT")) == (ok, invalid + 1)


# --- domain series ------------------------------------------------------------------------------------------------


def test_ingested_messages_are_counted_by_outcome() -> None:
    outcomes = ("accepted", "rejected", "duplicate")
    before = {o: sample("cdp_events_ingested_total", outcome=o) for o in outcomes}
    _count([Result(True, "a"), Result(True, "b"), Result(False, "c", error="bad"), Result(True, "d", duplicate=True)])
    assert {o: sample("cdp_events_ingested_total", outcome=o) - before[o] for o in outcomes} == {
        "accepted": 2, "rejected": 1, "duplicate": 1}
