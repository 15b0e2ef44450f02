"""Intilery's tracking API: `POST /track/{client}/{account}/{brand}/v1/{identify|track|page|screen|batch}`.

Authenticated by the `auth-token` header. Bodies are read by the routes themselves (gzip, limits, then JSON), and
translated by `gateway.messages`, shared with the Segment-style routes.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from gateway.auth import Workspace
from gateway.errors import TrackingRoute
from gateway.ingesting import (
    BATCH_EXAMPLE,
    BATCH_SCHEMA,
    ERRORS,
    EXAMPLES,
    MESSAGE_SCHEMA,
    Accepted,
    BatchAnswer,
    ingest_batch,
    ingest_one,
    openapi_body,
)
from gateway.limits import json_body
from gateway.messages import batch_items, single_message

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1", tags=["tracking"], route_class=TrackingRoute)

Body = Annotated[Any, Depends(json_body)]
_AUTH: dict[int | str, dict[str, Any]] = {403: {"description": "Bad or missing auth-token, or a token of another workspace"}}

SINGLE_CALLS = {
    "identify": "Identify a person and record their traits",
    "track": "Record an action a person took",
    "page": "Record a web page view",
    "screen": "Record a mobile screen view",
}


def _single(kind: str) -> Callable[..., Awaitable[Accepted]]:
    async def single(request: Request, workspace: Workspace, body: Body) -> Accepted:
        message = single_message(body, kind, request.app.state.limits)
        return Accepted(eventId=(await ingest_one(request, workspace, message)).event_id)

    single.__name__ = kind  # the OpenAPI operation id
    return single


for _kind, _summary in SINGLE_CALLS.items():
    router.add_api_route(
        f"/{_kind}", _single(_kind), methods=["POST"], response_model=Accepted, summary=_summary,
        description=f"Answers `{{\"success\": true, \"eventId\": \"…\"}}` once the {_kind} call is stored; a "
                    "replay of its messageId answers the same eventId and stores nothing new.",
        responses={**ERRORS, **_AUTH}, openapi_extra=openapi_body(MESSAGE_SCHEMA, EXAMPLES[_kind]),
    )


@router.post(
    "/batch",
    response_model=BatchAnswer,
    summary="Record several messages of any type in one request",
    description="Each message is stored or rejected on its own: the answer lists the stored ones in `results` "
                "and the others in `rejected`, by index, with the reason. Only a batch of which nothing was "
                "stored is an error (400; 413 when every message was over 32 KB), and it lists `rejected` too.",
    responses={200: {"content": {"application/json": {"example": BATCH_EXAMPLE}}}, **ERRORS, **_AUTH},
    openapi_extra=openapi_body(BATCH_SCHEMA, EXAMPLES["batch"]),
)
async def batch(request: Request, workspace: Workspace, body: Body) -> BatchAnswer:
    return await ingest_batch(request, workspace, batch_items(body, request.app.state.limits))
