from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import ValidationError
from services.ingest.messages import RawMessage, check_value, corrected_timestamp, parse_instant, validate

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_identify_with_user_id_is_valid_and_defaults_to_arrival_time() -> None:
    message = validate(RawMessage(type="identify", user_id="u1", traits={"plan": "pro"}), NOW)
    assert (message.user_id, message.traits, message.timestamp) == ("u1", {"plan": "pro"}, NOW)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (RawMessage(type="identify"), "userId or anonymousId must not be empty"),
        (RawMessage(type="track", user_id="u"), "event must not be empty"),
        (RawMessage(type="merge", user_id="u"), "type must be one of"),
        (RawMessage(type="alias", user_id="u"), "alias call needs both userId and previousId"),
        (RawMessage(type="group", user_id="u"), "groupId must not be empty"),
        (RawMessage(type="identify", user_id="null", anonymous_id=" anonymous "), "userId or anonymousId"),
        (RawMessage(type="identify", user_id="0", anonymous_id="-1"), "userId or anonymousId"),
        (RawMessage(type="identify", user_id="u", timestamp="yesterday"), "timestamp 'yesterday'"),
        (RawMessage(type="identify", user_id="u", timestamp="1969-12-31T23:59:59Z"), "before 1970"),
        (RawMessage(type="identify", user_id="u", timestamp="2026-12-05T12:00:00Z"), "more than a day ahead"),
        (RawMessage(type="identify", user_id="u\x01"), "control characters"),
        (RawMessage(type="identify", user_id="u" * 513), "at most 512 characters"),
        (RawMessage(type="identify", user_id="u", timestamp="0001-01-01T00:00:00Z", sent_at="9999-12-31T23:59:59Z"), "too far apart"),
        (RawMessage(type="identify", user_id="u", traits={"$set": 1}), "traits: key '$set'"),
        (RawMessage(type="track", user_id="u", event="E", properties={"a": {"b.c": 1}}), "properties.a: key 'b.c'"),
        (RawMessage(type="track", user_id="u", event="E", context={"l": [{"\x00": 1}]}), "context.l[0]: key"),
        (RawMessage(type="track", user_id="u", event="E", properties={"p": [1, float("nan")]}),
         "properties.p[1]: nan is not a JSON number"),
        (RawMessage(type="identify", user_id="u", traits={"t": float("inf")}), "traits.t: inf is not a JSON number"),
    ],
)
def test_invalid_messages_say_why(raw: RawMessage, error: str) -> None:
    with pytest.raises(ValidationError, match=error.replace("$", r"\$").replace("[", r"\[")):
        validate(raw, NOW)


def test_keys_may_hold_dollars_and_unicode_inside() -> None:
    check_value({"price$": 1, "naïve": {"ok": [1, {"fine": True}]}}, "properties")


def test_email_comes_from_traits_or_context_traits_lower_cased() -> None:
    assert validate(RawMessage(type="identify", user_id="u", traits={"email": " Joe@X.com "}), NOW).email == "joe@x.com"
    ctx = RawMessage(type="track", user_id="u", event="E", context={"traits": {"email": "A@B.C"}})
    assert validate(ctx, NOW).email == "a@b.c"
    assert validate(RawMessage(type="identify", user_id="u", traits={"email": 5}), NOW).email == ""
    # An email that could not be an identifier stays a trait, as a Profile API lookup of it would be refused.
    assert validate(RawMessage(type="identify", user_id="u", traits={"email": "a\tb@c.d"}), NOW).email == ""


def test_clock_skew_is_corrected_from_sent_at() -> None:
    # The device clock is 1 hour fast: it says it happened at 13:00 and was sent at 13:00:05.
    happened = NOW + timedelta(hours=1)
    sent = happened + timedelta(seconds=5)
    assert corrected_timestamp(None, happened, sent, NOW) == NOW - timedelta(seconds=5)
    assert corrected_timestamp(happened, None, sent, NOW) == NOW - timedelta(seconds=5)


def test_backdated_events_keep_their_time_without_sent_at() -> None:
    old = NOW - timedelta(days=400)
    assert corrected_timestamp(old, None, None, NOW) == old


def test_instants_without_zone_are_utc() -> None:
    assert parse_instant("2026-01-02T03:04:05", "timestamp") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_instant("2026-01-02T03:04:05.5Z", "t") == datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert parse_instant("", "t") is None
