"""Tracking messages (Segment spec) as they arrive, and the rules that make one acceptable."""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from services.common.errors import ValidationError

TYPES = ("identify", "track", "page", "screen", "group", "alias")
# Keys from senders become field paths in the store: `$` would be an operator, `.` a path step, NUL invalid.
_BAD_KEY = re.compile(r"^\$|[.\x00]")
# Values SDKs send when they have no id (Segment's blocked values): taken as no identifier at all, so that one
# profile does not collect every "anonymous" visitor.
_NO_ID = re.compile(r"^[0-]*$|^(null|undefined|anonymous|none|nil|nan|-1)$", re.IGNORECASE)
MAX_MESSAGE_BYTES = 32 * 1024


@dataclass
class RawMessage:
    """A message exactly as the sender wrote it (strings and JSON objects), before any check."""

    type: str
    message_id: str = ""
    user_id: str = ""
    anonymous_id: str = ""
    event: str = ""
    name: str = ""
    properties: dict[str, Any] = field(default_factory=dict)
    traits: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    timestamp: str = ""
    sent_at: str = ""
    original_timestamp: str = ""
    group_id: str = ""
    previous_id: str = ""


@dataclass(frozen=True)
class TrackingMessage:
    """A message that passed every rule, with its timestamp corrected for the sender's clock."""

    type: str
    message_id: str
    user_id: str
    anonymous_id: str
    event: str
    name: str
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    timestamp: datetime
    received_at: datetime
    sent_at: datetime | None
    original_timestamp: datetime | None
    group_id: str = ""
    previous_id: str = ""
    # The email the message tells of (traits, else context.traits), lower-cased; "" when none.
    email: str = ""


def identifier(value: str) -> str:
    """The id as we use it: trimmed, and "" for the values SDKs send when they have none."""
    value = value.strip()
    return "" if _NO_ID.match(value) else value


def _email(traits: dict[str, Any], context: dict[str, Any]) -> str:
    context_traits = context.get("traits")
    for source in (traits, context_traits if isinstance(context_traits, dict) else {}):
        email = source.get("email")
        if isinstance(email, str) and (found := identifier(email.lower())):
            return found
    return ""


def check_keys(value: Any, path: str) -> None:
    """Reject keys that would be read as store operators or paths, anywhere in a nested value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not key or _BAD_KEY.search(key):
                raise ValidationError(f"{path}: key {key!r} must be non-empty, not start with '$' and hold no '.' or NUL")
            check_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_keys(item, f"{path}[{i}]")


def parse_instant(text: str, name: str) -> datetime | None:
    """An ISO-8601 instant; one without a zone is taken as UTC, as Segment's libraries send."""
    if not text:
        return None
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} {text!r} is not an ISO-8601 date-time") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def validate(raw: RawMessage, received_at: datetime, size: int = 0) -> TrackingMessage:
    """The message, checked; `size` is its encoded size in bytes where the caller knows it."""
    if size > MAX_MESSAGE_BYTES:
        raise ValidationError(f"a message may be at most {MAX_MESSAGE_BYTES // 1024} KB, this one is {size} bytes")
    if raw.type not in TYPES:
        raise ValidationError(f"type must be one of {', '.join(TYPES)}, not {raw.type!r}")
    user_id, anonymous_id = identifier(raw.user_id), identifier(raw.anonymous_id)
    if not user_id and not anonymous_id:
        raise ValidationError("userId or anonymousId must not be empty")
    if raw.type == "track" and not raw.event.strip():
        raise ValidationError("event must not be empty for a track call")
    if raw.type == "group" and not raw.group_id.strip():
        raise ValidationError("groupId must not be empty for a group call")
    previous_id = identifier(raw.previous_id)
    if raw.type == "alias" and not (previous_id and user_id):
        raise ValidationError("an alias call needs both userId and previousId")
    for name in ("properties", "traits", "context"):
        check_keys(getattr(raw, name), name)
    timestamp = parse_instant(raw.timestamp, "timestamp")
    sent_at = parse_instant(raw.sent_at, "sentAt")
    original = parse_instant(raw.original_timestamp, "originalTimestamp")
    return TrackingMessage(
        type=raw.type,
        message_id=raw.message_id,
        user_id=user_id,
        anonymous_id=anonymous_id,
        event=raw.event.strip(),
        name=raw.name,
        properties=raw.properties,
        traits=raw.traits,
        context=raw.context,
        timestamp=corrected_timestamp(timestamp, original, sent_at, received_at),
        received_at=received_at,
        sent_at=sent_at,
        original_timestamp=original,
        group_id=raw.group_id.strip(),
        previous_id=previous_id,
        email=_email(raw.traits, raw.context),
    )


def corrected_timestamp(
    timestamp: datetime | None, original: datetime | None, sent_at: datetime | None, received_at: datetime
) -> datetime:
    """Segment's clock-skew rule: timestamp = receivedAt - (sentAt - originalTimestamp).

    The sender's clock may be wrong, but the gap between when it says the event happened and when it says it
    sent it is right; anchoring that gap to our clock gives the true time. Backdated events (imports) keep their
    own time when no sentAt is given.
    """
    happened = original or timestamp
    if sent_at is not None and happened is not None:
        return received_at - (sent_at - happened)
    return happened or received_at
