"""Segment's HTTP tracking API: `POST /v1/{identify|track|page|screen|group|alias|batch}`.

A Segment library pointed at the gateway (its `host`, or analytics.js's `apiHost`) delivers unchanged: the
workspace's write key is the HTTP Basic user name, or `writeKey` in the body; accepted calls answer
`{"success": true}`. analytics.js posts to one-letter paths (`/v1/t`, `/v1/i`, ..., `/v1/b` for a batch) with a
`text/plain` body, from web pages on other origins, so those paths exist too and these routes answer CORS.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.auth import WriteKeyWorkspace
from gateway.errors import TrackingRoute
from gateway.ingesting import (
    BATCH_EXAMPLE,
    BATCH_SCHEMA,
    ERRORS,
    EXAMPLES,
    MESSAGE_SCHEMA,
    BatchAnswer,
    Success,
    ingest_batch,
    ingest_one,
    openapi_body,
)
from gateway.limits import json_body
from gateway.messages import batch_items, single_message

PREFIX = "/v1"
router = APIRouter(prefix=PREFIX, tags=["segment"], route_class=TrackingRoute)

Body = Annotated[Any, Depends(json_body)]
_AUTH: dict[int | str, dict[str, Any]] = {401: {"description": "Missing or unknown write key (Segment's libraries do not retry it)"}}

SINGLE_CALLS = {
    "identify": "Identify a person and record their traits (Segment style)",
    "track": "Record an action a person took (Segment style)",
    "page": "Record a web page view (Segment style)",
    "screen": "Record a mobile screen view (Segment style)",
    "group": "Put a person in a group (Segment style)",
    "alias": "Tie an earlier id of a person to their userId (Segment style)",
}


def _single(kind: str) -> Callable[..., Awaitable[Success]]:
    async def single(request: Request, workspace: WriteKeyWorkspace, body: Body) -> Success:
        await ingest_one(request, workspace, single_message(body, kind, request.app.state.limits))
        return Success()

    single.__name__ = f"segment_{kind}"  # the OpenAPI operation id
    return single


async def segment_batch(request: Request, workspace: WriteKeyWorkspace, body: Body) -> BatchAnswer:
    return await ingest_batch(request, workspace, batch_items(body, request.app.state.limits))


for _kind, _summary in SINGLE_CALLS.items():
    _handler = _single(_kind)
    router.add_api_route(
        f"/{_kind}", _handler, methods=["POST"], response_model=Success, summary=_summary,
        description=f"Answers `{{\"success\": true}}` once the {_kind} call is stored. analytics.js's "
                    f"`{PREFIX}/{_kind[0]}` is the same route.",
        responses={**ERRORS, **_AUTH}, openapi_extra=openapi_body(MESSAGE_SCHEMA, EXAMPLES[_kind]),
    )
    router.add_api_route(f"/{_kind[0]}", _handler, methods=["POST"], response_model=Success, include_in_schema=False)

router.add_api_route(
    "/batch", segment_batch, methods=["POST"], response_model=BatchAnswer,
    summary="Record several messages of any type in one request (Segment style; what the libraries send)",
    description="`{\"batch\": [...], \"context\": {...}, \"sentAt\": \"...\"}`: the batch's context merges into each "
                "message's (the message's keys win) and its sentAt applies to messages without one. Each message is "
                "stored or rejected on its own, as on the Intilery batch route; `success` is true when any was "
                f"stored. analytics.js's `{PREFIX}/b` is the same route.",
    responses={200: {"content": {"application/json": {"example": BATCH_EXAMPLE}}}, **ERRORS, **_AUTH},
    openapi_extra=openapi_body(BATCH_SCHEMA, EXAMPLES["batch"]),
)
router.add_api_route("/b", segment_batch, methods=["POST"], response_model=BatchAnswer, include_in_schema=False)


class BrowserCORS:
    """CORS for the Segment routes only, which browsers call from any site (a write key is public by design);
    the auth-token routes stay same-origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["POST"],
                                   allow_headers=["Authorization", "Content-Type", "Content-Encoding"], max_age=600)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        on_segment_route = scope["type"] == "http" and scope["path"].startswith(f"{PREFIX}/")
        await (self.cors if on_segment_route else self.app)(scope, receive, send)
