"""Proto3 JSON parse errors name the offending field by its path; stored documents become messages."""

from datetime import UTC, datetime
from typing import Any

import pytest
from google.protobuf import struct_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.segmentation.v1 import segmentation_pb2 as pb
from services.common.errors import ValidationError
from services.common.proto_json import from_document, parse, parse_message, to_dict


def _event(event: dict[str, Any]) -> dict[str, Any]:
    return {"name": "a", "conditions": [{"mode": "required", "event": event}]}


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ([], "body: must be an object"),
        ({"name": "a", "colour": "red"}, "colour: unknown field"),
        (_event({"nme": "x"}), "conditions[0].event.nme: unknown field"),
        ({"name": 5}, "name: must be a string"),
        ({"conditions": {"mode": "required"}}, "conditions: must be a list"),
        ({"conditions": [{"mode": "required"}, 7]}, "conditions[1]: must be an object"),
        (_event({"count": {"value": 1.5}}), "conditions[0].event.count.value: must be a whole number"),
        (_event({"window": {"last": {"amount": "x"}}}), "conditions[0].event.window.last.amount: must be a whole"),
        (_event({"window": {"start": "yesterday"}}), "conditions[0].event.window.start: must be an RFC 3339"),
        (_event({"where": [{"property": "p", "op": "eq", "value": 1}, {"property": ["p"]}]}),
         "conditions[0].event.where[1].property: must be a string"),
        ({"conditions": [{"mode": "required", "event": {}, "trait": {}}]},
         "conditions[0]: takes only one of event, trait"),
        ({"conditions": [{"mode": "required", "audience": {"member": "yes"}}]},
         "conditions[0].audience.member: must be true or false"),
    ],
)
def test_parse_errors_name_the_path(body: Any, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse(body, pb.Audience())
    assert str(caught.value).startswith(error), str(caught.value)


def test_json_names_and_nulls_parse() -> None:
    parsed = parse({"name": "a", "description": None, "conditions": [
        {"mode": "required", "computedTrait": {"name": "t", "op": "gt", "value": {"any": ["json", 1]}}}]},
        pb.Audience())
    assert parsed.conditions[0].computed_trait.name == "t"


def test_documents_become_messages_and_back() -> None:
    at = datetime(2026, 12, 3, 10, 0, 0, 123000, tzinfo=UTC)
    doc = {"id": "i", "name": "orders", "description": "", "kind": "count", "property": None, "event": {},
           "window": None, "version": 2, "created_at": at, "updated_at": at,
           "status": {"state": "building", "progress": 0.0, "error": "", "updated_at": at}}
    message = from_document(doc, pb.ComputedTrait())
    assert message.created_at.ToDatetime(tzinfo=UTC) == at
    assert to_dict(message) == {
        "id": "i", "name": "orders", "kind": "count", "event": {}, "version": 2,
        "created_at": "2026-12-03T10:00:00.123Z", "updated_at": "2026-12-03T10:00:00.123Z",
        "status": {"state": "building", "progress": 0, "updated_at": "2026-12-03T10:00:00.123Z"}}


def test_messages_holding_what_json_cannot_name_the_field() -> None:
    window = pb.Window(kind="absolute", start=Timestamp(seconds=2**62), end=Timestamp(seconds=1))
    audience = pb.Audience(name="a", conditions=[pb.Condition(mode="required", event=pb.EventCondition(window=window))])
    with pytest.raises(ValidationError, match=r"^conditions\[0\]\.event\.window\.start: must be an instant within"):
        parse_message(audience)
    nan = pb.Audience(name="a", conditions=[pb.Condition(mode="required", trait=pb.TraitCondition(
        path="p", op="eq", value=struct_pb2.Value(number_value=float("nan"))))])
    with pytest.raises(ValidationError, match=r"^conditions\[0\]\.trait\.value: must hold only finite numbers"):
        parse_message(nan)
    assert parse_message(pb.Audience(name="a"))["name"] == "a"


def test_64_bit_integers_come_out_as_numbers() -> None:
    # proto3 JSON writes int64 as a string; the public JSON keeps counts numbers, nested ones too.
    reply = pb.GetAudienceSizeHistoryResponse(points=[pb.SizePoint(size=3, entered=2), pb.SizePoint(size=2**40)])
    assert to_dict(reply) == {"points": [{"size": 3, "entered": 2}, {"size": 2**40}]}
    assert to_dict(pb.Audience(name="a", size=0)) == {"name": "a", "size": 0}
