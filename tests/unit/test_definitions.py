from typing import Any

import pytest

from services.common.errors import ValidationError
from services.segmentation.definitions import check_audience, referenced_audiences

SEED = {
    "name": " viewed expensive, did not order ",
    "conditions": [
        {"mode": "required",
         "event": {"name": "Product Viewed", "where": [{"property": "price", "op": "gt", "value": 100}],
                   "count": {"op": "at_least", "value": 1},
                   "window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"name": "Order Completed"}},
        {"mode": "optional", "trait": {"path": "plan", "op": "eq", "value": "pro"}},
        {"mode": "optional", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}},
        {"mode": "required", "audience": {"name": "newsletter", "member": True}},
        {"mode": "required", "group": {"conditions": [
            {"mode": "required", "event": {"type": "page", "window": {
                "kind": "relative", "from": {"amount": 90, "unit": "days"}, "to": {"amount": 30, "unit": "days"}}}},
            {"mode": "not_required", "event": {"window": {"kind": "after", "at": "2026-01-01T00:00:00Z"}}},
        ]}},
    ],
}


def test_the_full_format_is_accepted_and_the_name_trimmed() -> None:
    assert check_audience(SEED)["name"] == "viewed expensive, did not order"
    assert referenced_audiences(SEED["conditions"]) == {"newsletter"}


def _with(path: list[Any], value: Any) -> dict[str, Any]:
    import copy

    definition = copy.deepcopy(SEED)
    target: Any = definition
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return definition


@pytest.mark.parametrize(
    ("path", "value", "error"),
    [
        (["name"], "  ", "name: must not be empty"),
        (["conditions"], [], "conditions: needs at least one"),
        (["conditions", 0, "mode"], "must", "conditions[0].mode: must be one of"),
        (["conditions", 0, "event", "where", 0, "op"], "like", "conditions[0].event.where[0].op"),
        (["conditions", 0, "event", "where", 0, "property"], "$where", "conditions[0].event.where[0].property"),
        (["conditions", 0, "event", "where", 0, "value"], None, "conditions[0].event.where[0].value: gt needs"),
        (["conditions", 0, "event", "count", "op"], "more", "conditions[0].event.count.op"),
        (["conditions", 0, "event", "window", "last", "unit"], "years", "conditions[0].event.window.last.unit"),
        (["conditions", 0, "event", "window", "last", "amount"], 0, "window.last.amount: must be a positive"),
        (["conditions", 2, "trait", "op"], "in", "conditions[2].trait.value: in needs a list"),
        (["conditions", 5, "group", "conditions", 0, "event", "window", "to", "amount"], 120,
         "from must be further back than to"),
        (["conditions", 5, "group", "conditions", 1, "event", "window", "at"], "soon", "window.at: 'soon' is not"),
        (["conditions", 4, "audience", "name"], "viewed expensive, did not order", "cannot refer to itself"),
        (["conditions", 1], {"mode": "required"}, "conditions[1]: needs exactly one of"),
        (["name"], "tab\there", "name: must not hold control characters"),
        (["name"], "nul\x00", "name: must not hold control characters"),
        (["conditions", 4, "audience", "name"], "a\nb", "conditions[4].audience.name: must not hold control"),
        (["description"], "d" * 2001, "description: must be at most 2000 characters"),
        (["conditions", 0, "mode"], None, "conditions[0].mode: is required: one of required"),
        (["conditions", 0, "event", "window", "last"], {"amount": 5218, "unit": "weeks"},
         "window.last.amount: must be at most 5217 weeks"),
        (["conditions", 5, "group", "conditions", 0, "event", "window", "from"], {"amount": 2**31 - 1, "unit": "days"},
         "window.from.amount: must be at most 36525 days"),
        (["conditions", 5, "group", "conditions", 1, "event", "window", "at"], None, "window.at: is required"),
        (["conditions", 5, "group", "conditions", 1, "event", "window", "at"], "9999-12-31T23:59:59-14:00",
         "window.at: '9999-12-31T23:59:59-14:00' is out of range"),
        (["conditions", 2, "trait", "value"], {"$gt": 1}, "conditions[2].trait.value: eq needs a string, a number"),
        (["conditions", 2, "trait"], {"path": "plan", "op": "in", "value": ["a", {"$ne": 1}]},
         "conditions[2].trait.value[1]: must be a string, a number or a boolean"),
        (["conditions", 0, "event", "where", 0, "value"], [100], "where[0].value: gt needs a number or a string"),
        (["conditions", 2, "trait"], {"path": "joined", "op": "after", "value": 20260101},
         "conditions[2].trait.value: 20260101 is not an ISO-8601 date-time string"),
    ],
)
def test_invalid_definitions_name_the_field(path: list[Any], value: Any, error: str) -> None:
    with pytest.raises(ValidationError) as caught:
        check_audience(_with(path, value))
    assert error in str(caught.value)


def test_absolute_windows_compare_instants_not_strings() -> None:
    window = {"kind": "absolute", "start": "2026-01-01T00:00:00.500Z", "end": "2026-01-01T00:00:01Z"}
    check_audience({"name": "a", "conditions": [{"mode": "required", "event": {"window": window}}]})
    with pytest.raises(ValidationError, match="start must be before end"):
        reversed_window = {**window, "start": window["end"], "end": window["start"]}
        check_audience({"name": "a", "conditions": [{"mode": "required", "event": {"window": reversed_window}}]})


def test_the_longest_windows_and_the_extreme_instants_are_accepted() -> None:
    """What the checks let through the engine can compute (tests/integration/test_bad_input_http.py previews them)."""
    longest = {"kind": "quick", "last": {"amount": 5217, "unit": "weeks"}}
    extremes = {"kind": "absolute", "start": "0001-01-01T00:00:00Z", "end": "9999-12-31T23:59:59.999Z"}
    for window in (longest, extremes):
        check_audience({"name": "a", "conditions": [{"mode": "required", "event": {"window": window}}]})
