"""One profile, in memory: its computed traits, its memberships, and when they could next change with no new data.

This is what the workers run for each due profile (conditions.evaluate, computed.compute). The next due instant is
the earliest moment at which a sliding window (`quick`, `relative`) lets one of the profile's events in or out;
fixed windows (`absolute`, `before`, `after`) never move, so they never make a profile due.
"""

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.segmentation import computed
from services.segmentation.conditions import ProfileData, References, crossing_offsets, evaluate
from services.segmentation.engine import dependency_order

_ANY: dict[str, Any] = {}  # the spec of a computed trait over every event: one object, so its matches are found once


@dataclass(frozen=True)
class Definitions:
    """A workspace's definitions, as the in-memory evaluator needs them."""

    traits: list[dict[str, Any]]
    audiences: list[dict[str, Any]]  # in dependency order
    refs: References
    # (which events, when they enter and leave) for every sliding window: what the next-due search walks.
    sliding: list[tuple[dict[str, Any], tuple[timedelta, timedelta]]] = field(default_factory=list)

    @classmethod
    def of(cls, traits: list[dict[str, Any]], audiences: list[dict[str, Any]]) -> "Definitions":
        refs = References(computed_traits={t["name"]: (t["_id"], computed.empty(t["kind"])) for t in traits},
                          audiences={a["name"]: a["_id"] for a in audiences})
        ordered = dependency_order(audiences)
        specs = [(spec, window) for spec, window in _windowed_specs(traits, ordered)
                 if window and window["kind"] in ("quick", "relative")]
        return cls(traits, ordered, refs, [(spec, crossing_offsets(window)) for spec, window in specs])


@dataclass
class Outcome:
    computed: dict[str, Any] = field(default_factory=dict)  # computed trait id -> value (empty values left out)
    audiences: set[str] = field(default_factory=set)  # audience ids
    next_due: datetime | None = None


def evaluate_profile(defs: Definitions, events: list[dict[str, Any]], traits: dict[str, Any],
                     now: datetime) -> Outcome:
    outcome = Outcome()
    data = ProfileData(events=events, traits=traits)
    for trait in defs.traits:
        value = computed.compute(trait, events, now, data.matching(trait.get("event") or _ANY))
        if value != computed.empty(trait["kind"]):
            outcome.computed[trait["_id"]] = value
            data.computed[trait["name"]] = value
    for audience in defs.audiences:
        if evaluate(audience["conditions"], data, defs.refs, now):
            outcome.audiences.add(audience["_id"])
            data.audiences.add(audience["name"])
    outcome.next_due = next_due(defs, events, now, data)
    return outcome


def _event_specs(conditions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in conditions:
        if "event" in c:
            yield c["event"]
        elif "group" in c:
            yield from _event_specs(c["group"]["conditions"])


def _windowed_specs(traits: list[dict[str, Any]], audiences: list[dict[str, Any]]
                    ) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(the spec of which events, its window) for every event condition and computed trait."""
    for audience in audiences:
        for spec in _event_specs(audience["conditions"]):
            yield spec, spec.get("window")
    for trait in traits:
        yield trait.get("event") or _ANY, trait.get("window")


def crossings(window: dict[str, Any], timestamp: datetime) -> tuple[datetime, datetime] | None:
    """When an event at `timestamp` enters and leaves a sliding window; None for a window that does not slide."""
    offsets = crossing_offsets(window)
    return (timestamp + offsets[0], timestamp + offsets[1]) if offsets else None


def next_due(defs: Definitions, events: list[dict[str, Any]], now: datetime,
             data: ProfileData | None = None) -> datetime | None:
    """The earliest instant after `now` at which time alone could change a result for this profile: for each
    sliding window, the first event (in time order, by binary search) whose entry or exit is still to come."""
    data = data or ProfileData(events=events)
    soonest: datetime | None = None
    for spec, offsets in defs.sliding:
        times = data.times(spec)
        for offset in offsets:
            first = bisect_right(times, now - offset)
            if first < len(times) and (soonest is None or times[first] + offset < soonest):
                soonest = times[first] + offset
    return soonest
