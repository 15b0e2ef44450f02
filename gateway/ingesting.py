"""Sending tracking messages to `IngestService.Ingest` and shaping its per-message results, for both API styles.

A 200 is answered only for messages the ingest service reports accepted, which it does only after their writes
were acknowledged by the store; a store outage fails the whole call with UNAVAILABLE, answered 503 so that SDKs
retry (the replay is harmless: events are deduplicated by messageId).
"""

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2
from gateway.backends import Backends
from gateway.errors import ApiError
from gateway.messages import BatchItem


class Accepted(BaseModel):
    """A single call's answer in Intilery's style."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"success": True, "eventId": "0b0e2ef1-5c1e-5a43-9a0c-6f8f8f7b6a11"}]})

    success: bool = True
    eventId: str = Field(description="Our id of the stored event; the same for every replay of its messageId")


class Success(BaseModel):
    """A call's answer in Segment's style."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"success": True}]})

    success: bool = True


class MessageAccepted(BaseModel):
    index: int = Field(description="The message's position in `batch`")
    eventId: str
    messageId: str = Field(description="The sender's messageId, or the one generated for it")
    duplicate: bool = Field(description="True when this messageId was stored before: nothing was written again")


class MessageRejected(BaseModel):
    index: int = Field(description="The message's position in `batch`")
    message: str = Field(description="Why it was not stored")


class BatchAnswer(BaseModel):
    """A batch's answer: every message is in exactly one of the two lists, each in request order."""

    success: bool = True
    results: list[MessageAccepted] = Field(description="The stored messages")
    rejected: list[MessageRejected] = Field(description="The messages not stored, each with its reason")


BATCH_EXAMPLE = {
    "success": True,
    "results": [{"index": 0, "eventId": "0b0e2ef1-5c1e-5a43-9a0c-6f8f8f7b6a11", "messageId": "m-1",
                 "duplicate": False}],
    "rejected": [{"index": 1, "message": "event must not be empty for a track call"}],
}


async def _ingest(request: Request, workspace: str,
                  messages: Sequence[common_pb2.Message]) -> Sequence[ingest_pb2.MessageResult]:
    backends: Backends = request.app.state.backends
    reply = await backends.ingest.Ingest(ingest_pb2.IngestRequest(messages=messages),
                                         **backends.call_options(workspace))
    return reply.results


async def ingest_one(request: Request, workspace: str, message: common_pb2.Message) -> ingest_pb2.MessageResult:
    """Store one message; a rejected one is a 400 with the ingest service's reason."""
    (result,) = await _ingest(request, workspace, [message])
    if not result.accepted:
        raise ApiError(400, "validation_error", result.error)
    return result


def _refused(rejected: list[MessageRejected], statuses: set[int]) -> ApiError:
    """The error for a batch of which nothing was stored: 413 when every message was too large, else 400."""
    status = 413 if statuses == {413} else 400
    first = rejected[0]
    return ApiError(
        status, "invalid_request_error" if status == 413 else "validation_error",
        f"no message of the batch was stored ({len(rejected)} rejected; message {first.index}: {first.message})",
        extra={"results": [], "rejected": [r.model_dump() for r in rejected]},
    )


async def ingest_batch(request: Request, workspace: str, items: list[BatchItem]) -> BatchAnswer:
    """Send the batch's well-formed messages in one call; answer each message, accepted or rejected."""
    ready = [item for item in items if item.message is not None]
    results = await _ingest(request, workspace, [item.message for item in ready]) if ready else []
    accepted: list[MessageAccepted] = []
    rejected: list[MessageRejected] = []
    statuses: set[int] = set()
    for item in items:
        if item.error is not None:
            rejected.append(MessageRejected(index=item.index, message=item.error.message))
            statuses.add(item.error.status)
    for item, result in zip(ready, results, strict=True):
        if result.accepted:
            accepted.append(MessageAccepted(index=item.index, eventId=result.event_id, messageId=result.message_id,
                                            duplicate=result.duplicate))
        else:
            rejected.append(MessageRejected(index=item.index, message=result.error))
            statuses.add(400)
    rejected.sort(key=lambda r: r.index)
    if not accepted:
        raise _refused(rejected, statuses)
    return BatchAnswer(results=accepted, rejected=rejected)


def openapi_body(schema: dict[str, Any], example: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` for a JSON body the route reads itself (to decompress and limit it before parsing)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema,
                                                                               "example": example}}}}


# For the OpenAPI description only: bodies are read by `gateway.messages`, which reports a wrong type per
# message instead of failing the whole request as a pydantic body would.
class MessageDoc(BaseModel):
    """A tracking message, with the Segment spec's field names; fields not listed here are ignored."""

    type: str | None = Field(None, description="In a batch: identify, track, page, screen, group or alias. "
                                               "A single call's type is its route's.")
    messageId: str | None = Field(None, description="The sender's id; a replay of it is stored once")
    userId: str | int | None = None
    anonymousId: str | int | None = Field(None, description="userId or anonymousId is required")
    event: str | None = Field(None, description="A track call's action, e.g. `Order Completed`")
    name: str | None = Field(None, description="A page or screen name")
    groupId: str | int | None = Field(None, description="A group call's group")
    previousId: str | int | None = Field(None, description="An alias call's earlier id of the person")
    properties: dict[str, Any] | None = None
    traits: dict[str, Any] | None = Field(None, description="identify: merged into the profile; null unsets")
    context: dict[str, Any] | None = Field(None, description="`context.traits.email` identifies the person too")
    timestamp: str | None = Field(None, description="ISO-8601; when the event happened")
    originalTimestamp: str | None = None
    sentAt: str | None = Field(None, description="ISO-8601; with it, the timestamp is corrected for clock skew")
    writeKey: str | None = Field(None, description="Segment routes only, when not sent as HTTP Basic")


MESSAGE_SCHEMA = MessageDoc.model_json_schema()
BATCH_SCHEMA = {
    "type": "object",
    "required": ["batch"],
    "properties": {
        "batch": {"type": "array", "items": MESSAGE_SCHEMA, "description": "1 to 2,500 messages, each with `type`"},
        "context": {"type": "object", "description": "Merged into each message's context (the message's keys win)"},
        "sentAt": {"type": "string", "description": "The sentAt of each message that has none"},
        "writeKey": {"type": "string", "description": "Segment routes only, when not sent as HTTP Basic"},
    },
}
EXAMPLES: dict[str, dict[str, Any]] = {
    "identify": {"userId": "joe.bloggs@intilery.com", "messageId": "5b3e8c52-0f0a-4c5e-9d57-3d7d0f3c2a10",
                 "traits": {"email": "joe.bloggs@intilery.com", "firstName": "Joe", "lastName": "Bloggs"}},
    "track": {"userId": "joe.bloggs@intilery.com", "event": "Order Completed",
              "properties": {"revenue": 120.5, "currency": "GBP"}, "timestamp": "2026-12-03T10:15:00Z"},
    "page": {"anonymousId": "a9c2f6d4-1f3b-4a8e-8d5c-2b7e9f0a1c3d", "name": "Pricing",
             "properties": {"url": "https://example.com/pricing"}},
    "screen": {"userId": "joe.bloggs@intilery.com", "name": "Basket", "properties": {"items": 3}},
    "group": {"userId": "joe.bloggs@intilery.com", "groupId": "acme", "traits": {"name": "Acme Ltd", "plan": "pro"}},
    "alias": {"previousId": "a9c2f6d4-1f3b-4a8e-8d5c-2b7e9f0a1c3d", "userId": "joe.bloggs@intilery.com"},
}
EXAMPLES["batch"] = {
    "batch": [{"type": "identify", **EXAMPLES["identify"]}, {"type": "track", **EXAMPLES["track"]}],
    "sentAt": "2026-12-03T10:15:02Z",
}

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not JSON, a wrong JSON type, or a message the ingest service rejected (the reason is in "
                         "`message`); in a batch, only when no message was stored"},
    413: {"description": "Over a limit: 500 KB per request (decompressed), 32 KB per message, 2,500 messages"},
    415: {"description": "A Content-Encoding other than gzip"},
    503: {"description": "The store or the ingest service is unavailable: nothing was stored, retry"},
}
