"""Intilery's tracking API: `POST /track/{client}/{account}/{brand}/v1/identify` and its siblings."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from pydantic import BaseModel, ConfigDict, Field

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2
from gateway.auth import Workspace
from gateway.errors import ApiError, TrackingRoute
from services.common.structs import dict_to_struct

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1", tags=["tracking"], route_class=TrackingRoute)

Id = str | int


class IdentifyBody(BaseModel):
    """An identify call: who someone is and what is known of them (Segment spec field names)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [{"userId": "joe.bloggs@intilery.com",
                          "traits": {"email": "joe.bloggs@intilery.com", "firstName": "Joe", "lastName": "Bloggs"}}]
        },
    )

    userId: Id | None = None
    anonymousId: Id | None = None
    messageId: str | None = None
    traits: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    timestamp: str | None = None
    sentAt: str | None = None
    originalTimestamp: str | None = None


class Accepted(BaseModel):
    success: bool = True
    eventId: str


def _message(kind: str, body: IdentifyBody) -> common_pb2.Message:
    return common_pb2.Message(
        type=kind,
        message_id=body.messageId or "",
        user_id=str(body.userId) if body.userId is not None else "",
        anonymous_id=str(body.anonymousId) if body.anonymousId is not None else "",
        traits=dict_to_struct(body.traits),
        context=dict_to_struct(body.context),
        timestamp=body.timestamp or "",
        sent_at=body.sentAt or "",
        original_timestamp=body.originalTimestamp or "",
    )


@router.post(
    "/identify",
    response_model=Accepted,
    summary="Identify a person and record their traits",
    responses={400: {"description": "Invalid message"}, 403: {"description": "Bad or missing auth-token"}},
)
async def identify(request: Request, workspace: Workspace, body: Annotated[IdentifyBody, Body()]) -> Accepted:
    backends = request.app.state.backends
    reply = await backends.ingest.Ingest(
        ingest_pb2.IngestRequest(messages=[_message("identify", body)]), **backends.call_options(workspace)
    )
    result = reply.results[0]
    if not result.accepted:
        raise ApiError(400, "validation_error", result.error)
    return Accepted(eventId=result.event_id)
