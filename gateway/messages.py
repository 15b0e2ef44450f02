"""Tracking messages from JSON (Segment spec field names) to `cdp.common.v1.Message`, for every route and style.

Only JSON types are checked here (an id must be a string or a number, traits an object, ...): a message of the
wrong shape cannot be carried by the proto at all. Whether a well-shaped message is acceptable (ids present, a
track's event, timestamps, keys) is the ingest service's decision, answered per message.
"""

import uuid
from dataclasses import dataclass
from typing import Any

from cdp.common.v1 import common_pb2
from gateway.errors import ApiError
from gateway.limits import Limits, bad_request, check_message, json_object, json_type, too_large
from services.common.structs import dict_to_struct

# JSON field -> proto field. Ids may be numbers (SDKs pass ints through), and become strings.
_IDS = {"messageId": "message_id", "userId": "user_id", "anonymousId": "anonymous_id", "groupId": "group_id",
        "previousId": "previous_id"}
_TEXTS = {"event": "event", "name": "name", "timestamp": "timestamp", "sentAt": "sent_at",
          "originalTimestamp": "original_timestamp"}
_OBJECTS = ("properties", "traits", "context")


def _id_text(name: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        # As JavaScript prints it: a sender's 42 parsed as 42.0 is still the id "42".
        return str(int(value)) if value.is_integer() else repr(value)
    raise bad_request(f"{name} must be a string or a number, not {json_type(value)}")


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string, not {json_type(value)}")
    return value


def _object(name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{name} must be a JSON object, not {json_type(value)}")
    return value


def to_message(data: dict[str, Any], kind: str) -> common_pb2.Message:
    """One message of type `kind`; absent and null fields are left empty (SDKs send `"userId": null`)."""
    fields: dict[str, Any] = {"type": kind}
    for name, field in _IDS.items():
        if data.get(name) is not None:
            fields[field] = _id_text(name, data[name])
    for name, field in _TEXTS.items():
        if data.get(name) is not None:
            fields[field] = _text(name, data[name])
    for name in _OBJECTS:
        if data.get(name) is not None:
            try:
                fields[name] = dict_to_struct(_object(name, data[name]))
            except (OverflowError, ValueError) as error:  # e.g. an integer beyond a double's range
                raise bad_request(f"{name}: {error}") from None
    if not fields.get("message_id", "").strip():
        # Given here, before the first attempt, so that a call the gateway retries is the same message again
        # (stored once), not a second one.
        fields["message_id"] = str(uuid.uuid4())
    return common_pb2.Message(**fields)


def single_message(body: Any, kind: str, limits: Limits) -> common_pb2.Message:
    """The message of a single call (its type is the route's, whatever the body says)."""
    message = json_object(body)
    check_message(message, limits)
    return to_message(message, kind)


@dataclass(frozen=True)
class BatchItem:
    """One element of a batch: its message, or why the gateway refused it (nothing is sent for it)."""

    index: int
    message: common_pb2.Message | None = None
    error: ApiError | None = None


def _with_batch_defaults(item: dict[str, Any], context: dict[str, Any] | None, sent_at: str | None) -> dict[str, Any]:
    """A batch's `context` and `sentAt` apply to each message, as analytics libraries send them; the message's
    own context keys and its own sentAt win."""
    if context and isinstance(item.get("context", {}), dict):
        item = {**item, "context": {**context, **(item.get("context") or {})}}
    if sent_at is not None and item.get("sentAt") is None:
        item = {**item, "sentAt": sent_at}
    return item


def _batch_item(index: int, element: Any, context: dict[str, Any] | None, sent_at: str | None,
                limits: Limits) -> BatchItem:
    try:
        item = _with_batch_defaults(json_object(element, "a message"), context, sent_at)
        check_message(item, limits)
        kind = _text("type", item["type"]) if item.get("type") is not None else ""
        return BatchItem(index, message=to_message(item, kind))
    except ApiError as error:
        return BatchItem(index, error=error)


def batch_items(body: Any, limits: Limits) -> list[BatchItem]:
    """The batch's elements, each translated or refused on its own; the request as a whole fails (400, or 413
    over the message count) only when it is not a usable batch."""
    envelope = json_object(body)
    batch = envelope.get("batch")
    if not isinstance(batch, list):
        raise bad_request(f"batch must be an array of messages, not {json_type(batch)}")
    if not batch:
        raise bad_request("batch is empty; send at least one message")
    if len(batch) > limits.batch_messages:
        raise too_large(f"the batch holds {len(batch)} messages, over the limit of {limits.batch_messages}")
    context = _object("context", envelope["context"]) if envelope.get("context") is not None else None
    sent_at = _text("sentAt", envelope["sentAt"]) if envelope.get("sentAt") is not None else None
    return [_batch_item(index, element, context, sent_at, limits) for index, element in enumerate(batch)]
