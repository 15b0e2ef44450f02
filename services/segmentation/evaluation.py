"""One profile, in memory: its computed traits, its memberships, and when they could next change with no new data.

This is what the workers run for each due profile (conditions.evaluate, computed.compute). The next due instant is
the earliest moment at which a sliding window (`quick`, `relative`) lets one of the profile's events in or out;
fixed windows (`absolute`, `before`, `after`) never move, so they never make a profile due.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.segmentation import computed
from services.segmentation.conditions import Bounds, ProfileData, References, evaluate, event_matches
from services.segmentation.definitions import span_seconds
from services.segmentation.engine import dependency_order

# Windows are closed intervals at millisecond precision: an event leaves one the millisecond after its edge.
_TICK = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Definitions:
    """A workspace's definitions, as the in-memory evaluator needs them."""

    traits: list[dict[str, Any]]
    audiences: list[dict[str, Any]]  # in dependency order
    refs: References

    @classmethod
    def of(cls, traits: list[dict[str, Any]], audiences: list[dict[str, Any]]) -> "Definitions":
        refs = References(computed_traits={t["name"]: (t["_id"], computed.empty(t["kind"])) for t in traits},
                          audiences={a["name"]: a["_id"] for a in audiences})
        return cls(traits, dependency_order(audiences), refs)


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
        value = computed.compute(trait, events, now)
        if value != computed.empty(trait["kind"]):
            outcome.computed[trait["_id"]] = value
            data.computed[trait["name"]] = value
    for audience in defs.audiences:
        if evaluate(audience["conditions"], data, defs.refs, now):
            outcome.audiences.add(audience["_id"])
            data.audiences.add(audience["name"])
    outcome.next_due = next_due(defs, events, now)
    return outcome


def _event_specs(conditions: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for c in conditions:
        if "event" in c:
            yield c["event"]
        elif "group" in c:
            yield from _event_specs(c["group"]["conditions"])


def _windowed_specs(defs: Definitions) -> Iterator[dict[str, Any]]:
    for audience in defs.audiences:
        yield from _event_specs(audience["conditions"])
    for trait in defs.traits:
        yield {**(trait.get("event") or {}), **({"window": trait["window"]} if trait.get("window") else {})}


def crossings(window: dict[str, Any], timestamp: datetime) -> tuple[datetime, datetime] | None:
    """When an event at `timestamp` enters and leaves a sliding window; None for a window that does not slide."""
    if window["kind"] == "quick":
        return timestamp, timestamp + timedelta(seconds=span_seconds(window["last"])) + _TICK
    if window["kind"] == "relative":
        return (timestamp + timedelta(seconds=span_seconds(window["to"])),
                timestamp + timedelta(seconds=span_seconds(window["from"])) + _TICK)
    return None


def next_due(defs: Definitions, events: list[dict[str, Any]], now: datetime) -> datetime | None:
    """The earliest instant after `now` at which time alone could change a result for this profile."""
    soonest: datetime | None = None
    for spec in _windowed_specs(defs):
        window = spec.get("window")
        if not window or window["kind"] not in ("quick", "relative"):
            continue
        for event in events:
            if not event_matches(event, spec, Bounds()):
                continue
            for instant in crossings(window, event["timestamp"]) or ():
                if instant > now and (soonest is None or instant < soonest):
                    soonest = instant
    return soonest
