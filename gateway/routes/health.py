"""Liveness and readiness for orchestrators and for `make run`; metrics for Prometheus."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

router = APIRouter(tags=["health"])


_READY = {"status": "ready", "checks": {"ingest": "SERVING", "segmentation": "SERVING", "profile": "SERVING",
                                         "store": "SERVING"}}


@router.get("/healthz", summary="The gateway process is alive",
            responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}})
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="Every backend service and the store answer",
            responses={200: {"content": {"application/json": {"example": _READY}}},
                       503: {"description": "Not ready: `checks` says which part does not answer",
                             "content": {"application/json": {"example": {
                                 **_READY, "status": "not ready",
                                 "checks": {**_READY["checks"], "profile": "unreachable: UNAVAILABLE"}}}}}})
async def readyz(request: Request) -> JSONResponse:
    checks = await request.app.state.backends.health()
    try:
        await request.app.state.store.ping()
        checks["store"] = "SERVING"
    except Exception as error:  # any failure to answer means not ready; say which
        checks["store"] = f"unreachable: {type(error).__name__}"
    ready = all(status == "SERVING" for status in checks.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    """Every series of this gateway process in the Prometheus text format (gateway.metrics). No auth, as scrapers
    expect: it holds counts by route template and status, never a workspace, a profile or a path."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
