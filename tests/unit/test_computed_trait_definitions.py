"""Computed-trait definitions: what is accepted, and errors that name the offending field."""

import copy
from typing import Any

import pytest

from services.common.errors import ValidationError
from services.segmentation.definitions import COMPUTED_KINDS, check_computed_trait

TOTAL_REVENUE = {"name": " total_revenue ", "kind": "sum", "property": "revenue",
                 "event": {"name": "Order Completed", "where": [{"property": "currency", "op": "eq", "value": "GBP"}]},
                 "window": {"kind": "quick", "last": {"amount": 365, "unit": "days"}}}


def test_the_issue_example_is_stored_with_every_field() -> None:
    assert check_computed_trait(TOTAL_REVENUE) == {**TOTAL_REVENUE, "name": "total_revenue", "description": ""}


def test_absent_parts_are_explicit_nones() -> None:
    checked = check_computed_trait({"name": "orders", "kind": "count"})
    assert checked == {"name": "orders", "description": "", "kind": "count", "property": None, "event": {},
                       "window": None}


@pytest.mark.parametrize("kind", [k for k in COMPUTED_KINDS if k != "count"])
def test_every_kind_but_count_reads_a_property(kind: str) -> None:
    assert check_computed_trait({"name": "t", "kind": kind, "property": "a.b"})["property"] == "a.b"
    with pytest.raises(ValidationError, match=f"property: {kind} needs the event property"):
        check_computed_trait({"name": "t", "kind": kind})


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    definition = copy.deepcopy(TOTAL_REVENUE)
    target: Any = definition
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return definition


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (["name"], "", "name: must not be empty"),
        (["kind"], "median", "kind: must be one of count, sum,"),
        (["kind"], "count", "property: count takes no property"),
        (["property"], "$revenue", "property: must be a dotted path"),
        (["property"], "a..b", "property: must be a dotted path"),
        (["event", "type"], "click", "event.type: must be one of track, page, screen"),
        (["event", "where", 0, "op"], "like", "event.where[0].op: must be one of"),
        (["event", "where", 0, "value"], None, "event.where[0].value: eq needs a value"),
        (["event", "where", 0, "property"], "a.$b", "event.where[0].property"),
        (["window", "kind"], "someday", "window.kind: must be one of"),
        (["window", "last", "amount"], -1, "window.last.amount: must be a positive"),
        (["window"], {"kind": "relative", "from": {"amount": 1, "unit": "days"}, "to": {"amount": 2, "unit": "days"}},
         "window: from must be further back than to"),
        (["window"], {"kind": "relative", "from": {"amount": 1, "unit": "days"}}, "window.to: is required"),
        (["window"], {"kind": "absolute", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
         "window: start must be before end"),
        (["window"], {"kind": "before"}, "window.at: is required: an ISO-8601 date-time"),
    ],
)
def test_invalid_computed_traits_name_the_field(path: list[Any], value: Any, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_computed_trait(_with(path, value))
    assert error in str(caught.value)
