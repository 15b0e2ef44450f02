"""References between definitions: found with their paths; cycles between audiences found whatever their length."""

import pytest

from services.common.errors import ValidationError
from services.segmentation.definitions import Reference, check_audience, find_cycle, references


def test_references_name_their_paths_groups_included() -> None:
    conditions = [
        {"mode": "required", "audience": {"name": " newsletter ", "member": True}},
        {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}},
        {"mode": "optional", "group": {"conditions": [
            {"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}},
            {"mode": "required", "group": {"conditions": [
                {"mode": "not_required", "audience": {"name": "churned", "member": True}}]}},
        ]}},
    ]
    assert references(conditions) == [
        Reference("audience", "newsletter", "conditions[0].audience.name"),
        Reference("computed_trait", "total_revenue", "conditions[2].group.conditions[0].computed_trait.name"),
        Reference("audience", "churned", "conditions[2].group.conditions[1].group.conditions[0].audience.name"),
    ]


@pytest.mark.parametrize(
    ("graph", "start", "cycle"),
    [
        ({}, "a", None),
        ({"a": ["b"], "b": []}, "a", None),
        ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, "a", None),  # a diamond is no cycle
        ({"a": ["a"]}, "a", ["a", "a"]),
        ({"a": ["b"], "b": ["a"]}, "a", ["a", "b", "a"]),
        ({"a": ["x", "b"], "b": ["c"], "c": ["a"], "x": []}, "a", ["a", "b", "c", "a"]),
        ({"a": ["b"], "b": ["c"], "c": ["b"]}, "a", ["b", "c", "b"]),  # reachable, though not through a
        ({"a": ["missing"]}, "a", None),
    ],
)
def test_find_cycle(graph: dict[str, list[str]], start: str, cycle: list[str] | None) -> None:
    assert find_cycle(graph, start) == cycle


def test_a_long_chain_is_no_recursion_problem() -> None:
    graph = {str(i): [str(i + 1)] for i in range(5000)}
    assert find_cycle(graph, "0") is None
    graph["5000"] = ["0"]
    cycle = find_cycle(graph, "0")
    assert cycle is not None and cycle[0] == cycle[-1] == "0" and len(cycle) == 5002


def test_a_nested_self_reference_names_its_path() -> None:
    definition = {"name": "a", "conditions": [{"mode": "required", "group": {"conditions": [
        {"mode": "required", "audience": {"name": "a", "member": False}}]}}]}
    with pytest.raises(ValidationError, match=r"^conditions\[0\]\.group\.conditions\[0\]\.audience\.name: "):
        check_audience(definition)


def test_a_draft_may_have_no_name() -> None:
    draft = {"conditions": [{"mode": "required", "event": {"name": "Signed Up"}}]}
    assert check_audience(draft, require_name=False)["name"] == ""
    with pytest.raises(ValidationError, match="name: must not be empty"):
        check_audience(draft)
