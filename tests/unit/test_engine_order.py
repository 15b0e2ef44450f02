from services.segmentation.engine import _dependents


def audience(name: str, *refers: str, trait: str = "") -> dict:
    conditions = [{"mode": "required", "audience": {"name": r, "member": True}} for r in refers]
    if trait:
        conditions.append({"mode": "optional", "group": {"conditions": [
            {"mode": "required", "computed_trait": {"name": trait, "op": "gt", "value": 1}}]}})
    return {"name": name, "conditions": conditions or [{"mode": "required", "event": {}}]}


def test_dependents_come_after_what_they_depend_on() -> None:
    defs = [audience("c", "b", "a"), audience("b", "a"), audience("x"), audience("d", "c")]
    assert [d["name"] for d in _dependents(defs, {"a"}, set())] == ["b", "c", "d"]


def test_a_trait_change_reaches_audiences_through_groups_and_references() -> None:
    defs = [audience("big", trait="revenue"), audience("vip", "big"), audience("other", "x")]
    assert [d["name"] for d in _dependents(defs, set(), {"revenue"})] == ["big", "vip"]


def test_nothing_depends_on_an_unreferenced_change() -> None:
    assert _dependents([audience("a"), audience("b", "a")], {"zzz"}, {"t"}) == []
