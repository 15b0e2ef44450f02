from datetime import UTC, datetime, timedelta

from services.segmentation.conditions import Bounds, within
from services.segmentation.evaluation import Definitions, crossings, evaluate_profile, next_due

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def event(name: str, minutes_ago: float, **properties: object) -> dict:
    return {"_id": f"{name}-{minutes_ago}", "type": "track", "event": name, "name": "",
            "properties": properties, "timestamp": NOW - timedelta(minutes=minutes_ago)}


REVENUE = {"_id": "t-rev", "name": "total_revenue", "kind": "sum", "property": "revenue",
           "event": {"name": "Order Completed"}}
BIG = {"_id": "a-big", "name": "big spenders",
       "conditions": [{"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}}]}
VIP = {"_id": "a-vip", "name": "vip", "conditions": [
    {"mode": "required", "audience": {"name": "big spenders", "member": True}},
    {"mode": "required", "event": {"name": "Visited", "window": {"kind": "quick", "last": {"amount": 1, "unit": "hours"}}}}]}


def test_traits_then_audiences_in_dependency_order() -> None:
    defs = Definitions.of([REVENUE], [VIP, BIG])
    events = [event("Order Completed", 100, revenue=300), event("Order Completed", 50, revenue=250.5),
              event("Visited", 10)]
    outcome = evaluate_profile(defs, events, {}, NOW)
    assert outcome.computed == {"t-rev": 550.5}
    assert outcome.audiences == {"a-big", "a-vip"}
    # The visit leaves the one-hour window the millisecond after 50 minutes from now.
    assert outcome.next_due == NOW + timedelta(minutes=50, milliseconds=1)


def test_nothing_to_compute_is_left_out_and_nothing_slides() -> None:
    outcome = evaluate_profile(Definitions.of([REVENUE], [BIG]), [event("Visited", 1)], {}, NOW)
    assert (outcome.computed, outcome.audiences, outcome.next_due) == ({}, set(), None)


def test_crossings_match_the_window_bounds_exactly() -> None:
    """At the instants `crossings` gives, `within` flips: the two definitions of a window agree."""
    quick = {"kind": "quick", "last": {"amount": 30, "unit": "days"}}
    relative = {"kind": "relative", "from": {"amount": 90, "unit": "days"}, "to": {"amount": 30, "unit": "days"}}
    ts = NOW - timedelta(days=10)
    for window, span in ((quick, (timedelta(0), timedelta(days=30))), (relative, (timedelta(days=30), timedelta(days=90)))):
        enter, leave = crossings(window, ts)
        tick = timedelta(milliseconds=1)
        def inside(now: datetime) -> bool:
            return within(ts, Bounds(now - span[1], now - span[0]))
        assert not inside(enter - tick) and inside(enter) and inside(leave - tick) and not inside(leave)


def test_a_relative_window_makes_the_profile_due_when_the_event_enters() -> None:
    active = {"_id": "a", "name": "lapsed", "conditions": [{"mode": "required", "event": {"window": {
        "kind": "relative", "from": {"amount": 90, "unit": "days"}, "to": {"amount": 30, "unit": "days"}}}}]}
    assert next_due(Definitions.of([], [active]), [event("Any", 60 * 24 * 10)], NOW) == NOW + timedelta(days=20)
