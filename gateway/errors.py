"""One error shape for the REST API, Intilery's: `{"error": {"code": "...", "message": "..."}}`.

gRPC status codes from the services map to HTTP statuses and Intilery's error codes here, and nowhere else.
Tracking routes also carry Intilery's ingest fields `{"success": false, "message": "..."}` (see TrackingRoute).
"""

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import grpc
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer. `extra` adds top-level fields to the body (a refused batch lists its rejected messages);
    `headers` adds response headers (a 401 names its scheme)."""

    def __init__(self, status: int, code: str, message: str, *, extra: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.extra, self.headers = extra or {}, headers


_GRPC: dict[grpc.StatusCode, tuple[int, str]] = {
    grpc.StatusCode.INVALID_ARGUMENT: (400, "validation_error"),
    grpc.StatusCode.FAILED_PRECONDITION: (400, "invalid_request_error"),
    grpc.StatusCode.OUT_OF_RANGE: (400, "validation_error"),
    grpc.StatusCode.NOT_FOUND: (404, "not_found"),
    grpc.StatusCode.ALREADY_EXISTS: (409, "invalid_request_error"),
    grpc.StatusCode.UNAUTHENTICATED: (403, "authentication_error"),
    grpc.StatusCode.PERMISSION_DENIED: (403, "authentication_error"),
    grpc.StatusCode.RESOURCE_EXHAUSTED: (429, "rate_limit_error"),
    grpc.StatusCode.UNAVAILABLE: (503, "internal_server_error"),
    grpc.StatusCode.DEADLINE_EXCEEDED: (504, "internal_server_error"),
}


def from_rpc_error(error: grpc.aio.AioRpcError) -> ApiError:
    status, code = _GRPC.get(error.code(), (500, "internal_server_error"))
    if status >= 500:
        log.warning("backend call failed", extra={"grpc_code": error.code().name, "details": error.details()})
    message = error.details() if status < 500 else f"the service could not answer ({error.code().name.lower()})"
    return ApiError(status, code, message or error.code().name.lower())


def _validation_message(error: RequestValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
    return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "invalid request")


def error_body(error: ApiError) -> dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message}}


def error_response(error: ApiError, tracking: bool = False) -> JSONResponse:
    body = error_body(error)
    if tracking:
        body = {"success": False, "message": error.message, **body}
    return JSONResponse({**body, **error.extra}, status_code=error.status, headers=error.headers)


def as_api_error(exc: Exception) -> ApiError | None:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, grpc.aio.AioRpcError):
        return from_rpc_error(exc)
    if isinstance(exc, ConnectionFailure):
        # The gateway's own store read (credentials) failed: a 503 makes SDKs retry, as for a backend's outage.
        log.warning("store unavailable", extra={"error": str(exc)})
        return ApiError(503, "internal_server_error", "the store is unavailable; retry later")
    if isinstance(exc, RequestValidationError):
        return ApiError(400, "validation_error", _validation_message(exc))
    if isinstance(exc, HTTPException):
        code = {404: "not_found", 405: "invalid_request_error", 413: "invalid_request_error"}.get(
            exc.status_code, "invalid_request_error"
        )
        return ApiError(exc.status_code, code, str(exc.detail))
    return None


class TrackingRoute(APIRoute):
    """Routes of the tracking API answer errors with Intilery's ingest fields as well."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tracking_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                error = as_api_error(exc)
                if error is None:
                    raise
                return error_response(error, tracking=True)

        return tracking_handler


def install(app: FastAPI) -> None:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        error = as_api_error(exc)
        assert error is not None
        return error_response(error)

    for kind in (ApiError, grpc.aio.AioRpcError, ConnectionFailure, RequestValidationError, HTTPException):
        app.add_exception_handler(kind, handle)

    app.add_exception_handler(Exception, unexpected)


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception nothing else handled: logged with its traceback, answered without it."""
    log.error("unexpected error", extra={"path": request.url.path}, exc_info=exc)
    return error_response(ApiError(500, "internal_server_error", "unexpected error"))
