"""Tracking messages (Segment spec) as they arrive, and the rules that make one acceptable."""

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from services.common.errors import ValidationError
from services.common.identifiers import id_problem

TYPES = ("identify", "track", "page", "screen", "group", "alias")
# Keys from senders become field paths in the store: `$` would be an operator, `.` a path step, NUL invalid.
_BAD_KEY = re.compile(r"^\$|[.\x00]")
# Values SDKs send when they have no id (Segment's blocked values): taken as no identifier at all, so that one
# profile does not collect every "anonymous" visitor.
_NO_ID = re.compile(r"^[0-]*$|^(null|undefined|anonymous|none|nil|nan|-1)$", re.IGNORECASE)
MAX_MESSAGE_BYTES = 32 * 1024
# Events happened: none before the Unix epoch, and none more than a day ahead of our clock (after skew correction).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_AHEAD = timedelta(days=1)


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

    def size(self) -> int:
        """Bytes of what the message carries, as compact JSON: never more than the message's own JSON, which the
        gateway measures, so the gateway's 413 stays the one REST senders meet."""
        return sum(len(json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode())
                   for v in asdict(self).values() if v)


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
        # An email that could not be an identifier stays a trait: it names nobody.
        if isinstance(email, str) and (found := identifier(email.lower())) and not id_problem(found):
            return found
    return ""


def check_value(value: Any, path: str) -> None:
    """Reject, anywhere in a nested value, keys that would be read as store operators or paths, and numbers that
    JSON cannot hold (NaN and Infinity, which a gRPC caller can send in a Struct)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not key or _BAD_KEY.search(key):
                raise ValidationError(f"{path}: key {key!r} must be non-empty, not start with '$' and hold no '.' or NUL")
            check_value(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_value(item, f"{path}[{i}]")
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(f"{path}: {value} is not a JSON number")


def parse_instant(text: str, name: str) -> datetime | None:
    """An ISO-8601 instant; one without a zone is taken as UTC, as Segment's libraries send."""
    if not text:
        return None
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValidationError(f"{name} {text!r} is not an ISO-8601 date-time") from None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _check_ids(raw: RawMessage) -> None:
    for name, value in (("messageId", raw.message_id), ("userId", raw.user_id), ("anonymousId", raw.anonymous_id),
                        ("groupId", raw.group_id), ("previousId", raw.previous_id)):
        if problem := id_problem(value):
            raise ValidationError(f"{name} {problem}")


def validate(raw: RawMessage, received_at: datetime) -> TrackingMessage:
    """The message, checked, or a ValidationError saying what is wrong with it."""
    _check_ids(raw)
    if (size := raw.size()) > MAX_MESSAGE_BYTES:
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
        check_value(getattr(raw, name), name)
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
    try:
        corrected = received_at - (sent_at - happened) if sent_at is not None and happened is not None else (
            happened or received_at)
    except OverflowError:
        raise ValidationError("timestamp and sentAt are too far apart to correct the clock skew") from None
    if corrected < _EARLIEST:
        raise ValidationError(f"timestamp {corrected.isoformat()} is before 1970")
    if corrected > received_at + _AHEAD:
        raise ValidationError(f"timestamp {corrected.isoformat()} is more than a day ahead of the time received")
    return corrected
