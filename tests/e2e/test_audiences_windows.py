"""Every time-window kind and every count operator, one audience each, with profiles on both sides of each.

Each audience looks at an event name of its own, so every profile (which sends only that name) tells about one
audience alone, except for `at_most`, which by design also admits everyone who never sent its event.
Timestamps sit days away from every edge, so the test does not depend on how fast the suite runs; the exact edges
are the property tests' business (tests/integration/test_evaluators_agree.py).
"""

from datetime import UTC, datetime
from typing import Any

from tests.e2e.conftest import Api, ago, track


def audience(name: str, event: str, window: dict[str, Any] | None = None,
             count: dict[str, Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": event}
    if window:
        spec["window"] = window
    if count:
        spec["count"] = count
    return {"name": name, "conditions": [{"mode": "required", "event": spec}]}


def days(amount: int) -> dict[str, Any]:
    return {"amount": amount, "unit": "days"}


async def test_every_window_kind_admits_only_events_inside_it(api: Api) -> None:
    now = datetime.now(UTC)
    definitions = [
        audience("quick", "Q", {"kind": "quick", "last": {"amount": 1, "unit": "weeks"}}),
        audience("relative", "R", {"kind": "relative", "from": days(20), "to": days(10)}),
        audience("absolute", "A", {"kind": "absolute", "start": ago(20, now=now), "end": ago(10, now=now)}),
        audience("before", "B", {"kind": "before", "at": ago(30, now=now)}),
        audience("after", "F", {"kind": "after", "at": ago(30, now=now)}),
        # Hours, minutes: the smaller units, both ways.
        audience("last hours", "H", {"kind": "quick", "last": {"amount": 36, "unit": "hours"}}),
        audience("minutes ago", "M", {"kind": "relative", "from": {"amount": 600, "unit": "minutes"},
                                      "to": {"amount": 120, "unit": "minutes"}}),
    ]
    for definition in definitions:
        await api.create_ready("audiences", definition)
    await api.send(
        track("q-in", "Q", 2), track("q-out", "Q", 10),
        track("r-in", "R", 15), track("r-too-recent", "R", 5), track("r-too-old", "R", 25),
        track("a-in", "A", 15), track("a-too-recent", "A", 5), track("a-too-old", "A", 25),
        track("b-in", "B", 40), track("b-out", "B", 20),
        track("f-in", "F", 20), track("f-out", "F", 40),
        track("h-in", "H", 0.5), track("h-out", "H", 2),
        track("m-in", "M", 0.2), track("m-too-recent", "M", 0.02), track("m-too-old", "M", 1),
        # One event outside, one inside: the window picks the one inside.
        track("r-both", "R", 30), track("r-both", "R", 12),
    )
    await api.expect_memberships({
        "q-in": {"quick"}, "q-out": set(),
        "r-in": {"relative"}, "r-too-recent": set(), "r-too-old": set(), "r-both": {"relative"},
        "a-in": {"absolute"}, "a-too-recent": set(), "a-too-old": set(),
        "b-in": {"before"}, "b-out": set(),
        "f-in": {"after"}, "f-out": set(),
        "h-in": {"last hours"}, "h-out": set(),
        "m-in": {"minutes ago"}, "m-too-recent": set(), "m-too-old": set(),
    })


async def test_every_count_operator_counts_matching_events(api: Api) -> None:
    await api.create_ready("audiences", audience("at least 2", "L", count={"op": "at_least", "value": 2}))
    await api.create_ready("audiences", audience("at most 1", "M", count={"op": "at_most", "value": 1}))
    await api.create_ready("audiences", audience("exactly 2", "X", count={"op": "exactly", "value": 2}))
    # A count over a window counts only the events inside it.
    await api.create_ready("audiences", audience("2 this month", "W", {"kind": "quick", "last": days(30)},
                                                 {"op": "at_least", "value": 2}))
    await api.send(
        *[track("l-three", "L", d) for d in (1, 2, 3)], *[track("l-two", "L", d) for d in (1, 2)],
        track("l-one", "L", 1),
        track("m-one", "M", 1), *[track("m-two", "M", d) for d in (1, 2)],
        *[track("x-two", "X", d) for d in (1, 2)], track("x-one", "X", 1), *[track("x-three", "X", d) for d in (1, 2, 3)],
        *[track("w-in", "W", d) for d in (1, 20)], *[track("w-one-old", "W", d) for d in (1, 60)],
    )
    # "At most 1" holds for zero: every profile that did not send M twice is in it.
    at_most = {"at most 1"}
    await api.expect_memberships({
        "l-three": {"at least 2"} | at_most, "l-two": {"at least 2"} | at_most, "l-one": at_most,
        "m-one": at_most, "m-two": set(),
        "x-two": {"exactly 2"} | at_most, "x-one": at_most, "x-three": at_most,
        "w-in": {"2 this month"} | at_most, "w-one-old": at_most,
    })

    # Counts move with new events: a third X leaves "exactly 2", a second M leaves "at most 1".
    await api.send(track("x-two", "X", 0), track("m-one", "M", 0))
    await api.expect_memberships({"x-two": at_most, "m-one": set()})
