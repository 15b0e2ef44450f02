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
