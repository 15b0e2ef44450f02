"""JSON tracking messages to protos: JSON types checked, ids stringified, batch defaults applied, per message."""

import uuid
from typing import Any

import pytest
from google.protobuf import json_format

from cdp.common.v1 import common_pb2
from gateway.errors import ApiError
from gateway.limits import Limits
from gateway.messages import batch_items, single_message, to_message

LIMITS = Limits(message_bytes=2048, request_bytes=1 << 20, batch_messages=3, nesting_depth=32)


def as_dict(message: common_pb2.Message) -> dict[str, Any]:
    return json_format.MessageToDict(message)


def test_every_field_crosses_with_segment_names() -> None:
    message = to_message({
        "messageId": "m", "userId": "u", "anonymousId": "a", "event": "E", "name": "N", "groupId": "g",
        "previousId": "p", "properties": {"x": 1}, "traits": {"plan": None}, "context": {"ip": "1.2.3.4"},
        "timestamp": "2026-12-03T10:00:00Z", "sentAt": "2026-12-03T10:00:01Z",
        "originalTimestamp": "2026-12-03T09:59:59Z", "receivedAt": "ignored", "integrations": {"All": True},
    }, "track")
    assert as_dict(message) == {
        "type": "track", "messageId": "m", "userId": "u", "anonymousId": "a", "event": "E", "name": "N",
        "groupId": "g", "previousId": "p", "properties": {"x": 1.0}, "traits": {"plan": None},
        "context": {"ip": "1.2.3.4"}, "timestamp": "2026-12-03T10:00:00Z", "sentAt": "2026-12-03T10:00:01Z",
        "originalTimestamp": "2026-12-03T09:59:59Z",
    }


def test_numbers_as_ids_become_strings_and_nulls_are_absent() -> None:
    message = to_message({"userId": 42, "anonymousId": 7.0, "groupId": 1.5, "messageId": None, "traits": None},
                         "identify")
    assert (message.user_id, message.anonymous_id, message.group_id) == ("42", "7", "1.5")
    assert not message.HasField("traits")


def test_a_message_without_a_message_id_gets_one_before_it_is_sent() -> None:
    """So that a retried call carries the same messageId, and is stored once."""
    given = {to_message({"userId": "u", "messageId": blank}, "identify").message_id for blank in (None, "", "  ")}
    assert len(given) == 3 and all(len(uuid.UUID(m).hex) == 32 for m in given)
    assert to_message({"userId": "u", "messageId": "m-1"}, "identify").message_id == "m-1"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"userId": {"id": 1}}, "userId must be a string or a number, not an object"),
        ({"anonymousId": True}, "anonymousId must be a string or a number, not a boolean"),
        ({"messageId": [1]}, "messageId must be a string or a number, not an array"),
        ({"userId": "u", "event": 3}, "event must be a string, not a number"),
        ({"userId": "u", "timestamp": 1733220000}, "timestamp must be a string, not a number"),
        ({"userId": "u", "traits": "plan=pro"}, "traits must be a JSON object, not a string"),
        ({"userId": "u", "properties": [1, 2]}, "properties must be a JSON object, not an array"),
        ({"userId": "u", "context": 1}, "context must be a JSON object, not a number"),
        ({"userId": "u", "properties": {"n": 10**400}}, "properties:"),
    ],
)
def test_wrong_json_types_are_400(data: dict[str, Any], words: str) -> None:
    with pytest.raises(ApiError) as caught:
        to_message(data, "track")
    assert caught.value.status == 400 and words in caught.value.message, caught.value.message


def test_a_single_call_takes_its_type_from_the_route() -> None:
    assert single_message({"type": "identify", "userId": "u", "event": "E"}, "track", LIMITS).type == "track"
    for body, status in (([{"userId": "u"}], 400), ("u", 400), ({"userId": "u", "pad": "x" * 4096}, 413)):
        with pytest.raises(ApiError) as caught:
            single_message(body, "track", LIMITS)
        assert caught.value.status == status


def test_batch_defaults_apply_where_the_message_has_none() -> None:
    items = batch_items({
        "context": {"library": {"name": "batch"}, "ip": "1.1.1.1"},
        "sentAt": "2026-12-03T10:00:05Z",
        "batch": [
            {"type": "track", "userId": "u", "event": "E"},
            {"type": "track", "userId": "u", "event": "E", "context": {"ip": "2.2.2.2"},
             "sentAt": "2026-12-03T10:00:09Z"},
        ],
    }, LIMITS)
    first, second = (as_dict(item.message) for item in items)  # type: ignore[arg-type]
    assert first["context"] == {"library": {"name": "batch"}, "ip": "1.1.1.1"}
    assert first["sentAt"] == "2026-12-03T10:00:05Z"
    assert second["context"] == {"library": {"name": "batch"}, "ip": "2.2.2.2"}
    assert second["sentAt"] == "2026-12-03T10:00:09Z"


def test_each_batch_element_is_judged_alone() -> None:
    items = batch_items({"batch": [
        {"type": "track", "userId": "u", "event": "E"},
        "not an object",
        {"type": "identify", "userId": "u", "traits": {"pad": "x" * 4096}},
    ]}, LIMITS)
    assert [item.index for item in items] == [0, 1, 2]
    assert items[0].message is not None and items[0].error is None
    assert items[1].error is not None and "a message must be a JSON object, not a string" in items[1].error.message
    assert items[2].error is not None and items[2].error.status == 413


def test_a_batch_without_a_type_leaves_the_decision_to_ingest() -> None:
    (item,) = batch_items({"batch": [{"userId": "u"}]}, LIMITS)
    assert item.message is not None and item.message.type == ""
    (item,) = batch_items({"batch": [{"type": 7, "userId": "u"}]}, LIMITS)
    assert item.error is not None and "type must be a string" in item.error.message


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ([], 400, "the body must be a JSON object, not an array"),
        ({}, 400, "batch must be an array of messages, not null"),
        ({"batch": {"type": "track"}}, 400, "not an object"),
        ({"batch": []}, 400, "batch is empty"),
        ({"batch": [{}] * 4}, 413, "4 messages, over the limit of 3"),
        ({"batch": [{}], "context": "x"}, 400, "context must be a JSON object"),
        ({"batch": [{}], "sentAt": 5}, 400, "sentAt must be a string"),
    ],
)
def test_unusable_batches_fail_whole(body: Any, status: int, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        batch_items(body, LIMITS)
    assert (caught.value.status, words in caught.value.message) == (status, True), caught.value.message
