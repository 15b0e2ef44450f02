"""Audience conditions, each kind evaluated two ways that must agree (DESIGN.md, "the audience model"):

- `evaluate(conditions, profile, refs, now)`: in memory, over one profile's events, traits, computed traits and memberships
  at an instant `now` (the workers);
- `conditions_expr(conditions, refs, now)`: one MongoDB aggregation expression over a profile document that
  carries its events (`__events`) and its state (`__state`), for every profile of a workspace at once (backfill,
  preview, member listing).

`tests/integration/test_evaluators_agree.py` holds the two against each other on random definitions and histories.

Windows are closed intervals, so both evaluators treat an event exactly at a boundary alike: `quick` is
[now - last, now], `relative` [now - from, now - to], `absolute` [start, end]; `before`/`after` are strict.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from services.segmentation.definitions import span_seconds
from services.segmentation.values import (
    MISSING,
    Expr,
    get_path,
    literal_instant,
    negate,
    path_expr,
    test,
    test_expr,
)

ACTIVITY_TYPES = ("track", "page", "screen")

type Counts = Mapping[int, Expr]  # id of an event condition's spec -> the expression of its number of matches


@dataclass(frozen=True)
class Bounds:
    """An interval of instants; None is unbounded; `strict` excludes the bound itself."""

    low: datetime | None = None
    high: datetime | None = None
    strict: bool = False


def bounds(window: dict[str, Any] | None, now: datetime) -> Bounds:
    if not window:
        return Bounds()
    kind = window["kind"]
    if kind == "quick":
        return Bounds(now - timedelta(seconds=span_seconds(window["last"])), now)
    if kind == "relative":
        return Bounds(now - timedelta(seconds=span_seconds(window["from"])),
                      now - timedelta(seconds=span_seconds(window["to"])))
    if kind == "absolute":
        return Bounds(literal_instant(window["start"]), literal_instant(window["end"]))
    at = literal_instant(window["at"])
    return Bounds(high=at, strict=True) if kind == "before" else Bounds(low=at, strict=True)


# Windows are closed intervals at millisecond precision: an event leaves one the millisecond after its edge.
TICK = timedelta(milliseconds=1)


def crossing_offsets(window: dict[str, Any]) -> tuple[timedelta, timedelta] | None:
    """How long after its timestamp an event enters and leaves a sliding window (`quick`, `relative`): the
    instants at which `within` flips for it. None for the windows that do not slide."""
    if window["kind"] == "quick":
        return timedelta(0), timedelta(seconds=span_seconds(window["last"])) + TICK
    if window["kind"] == "relative":
        return timedelta(seconds=span_seconds(window["to"])), timedelta(seconds=span_seconds(window["from"])) + TICK
    return None


def within(instant: datetime, b: Bounds) -> bool:
    if b.low is not None and (instant <= b.low if b.strict else instant < b.low):
        return False
    return b.high is None or (instant < b.high if b.strict else instant <= b.high)


def count_within(times: list[datetime], b: Bounds) -> int:
    """How many of the sorted `times` lie within `b` (what `within` says of each, by binary search)."""
    low = 0 if b.low is None else (bisect_right(times, b.low) if b.strict else bisect_left(times, b.low))
    high = len(times) if b.high is None else (bisect_left(times, b.high) if b.strict else bisect_right(times, b.high))
    return max(0, high - low)


def within_expr(instant: Expr, b: Bounds) -> Expr:
    tests = []
    if b.low is not None:
        tests.append({"$gt" if b.strict else "$gte": [instant, b.low]})
    if b.high is not None:
        tests.append({"$lt" if b.strict else "$lte": [instant, b.high]})
    return {"$and": tests} if tests else True


# ---- which events an event condition (or a computed trait) looks at ----

def _types(event: dict[str, Any]) -> tuple[str, ...]:
    if event.get("type"):
        return (event["type"],)
    return ("track",) if event.get("name") else ACTIVITY_TYPES


def event_matches(event: dict[str, Any], spec: dict[str, Any], b: Bounds) -> bool:
    """Whether one stored event is of the kind `spec` names, passes its filters and lies in the window."""
    if event["type"] not in _types(spec):
        return False
    if spec.get("name") and (event.get("event") if event["type"] == "track" else event.get("name")) != spec["name"]:
        return False
    properties = event.get("properties") or {}
    if not all(test(f["op"], get_path(properties, f["property"]), f.get("value")) for f in spec.get("where", [])):
        return False
    return within(event["timestamp"], b)


def event_match_expr(root: str, spec: dict[str, Any], b: Bounds) -> Expr:
    """`event_matches` as an expression over the event at `root` (`$$this` in a $filter, `$$ROOT` in a pipeline)."""
    types = _types(spec)
    # The window first: `$and` stops at the first false test, and in a pass over a long history most events fail
    # the window (about a quarter less time for a 30-day window over 120 days on the embedded store).
    tests: list[Expr] = [within_expr(f"{root}.timestamp", b)]
    if spec.get("name"):  # a named spec names one type, so which field holds the name is known here
        [kind] = types
        tests += [{"$eq": [f"{root}.type", kind]},
                  {"$eq": [f"{root}.{'event' if kind == 'track' else 'name'}", {"$literal": spec["name"]}]}]
    else:
        tests.append({"$in": [f"{root}.type", list(types)]})
    tests += [test_expr(f["op"], path_expr(f"{root}.properties", f["property"]), f.get("value"))
              for f in spec.get("where", [])]
    return {"$and": tests}


def event_kind_filter(spec: dict[str, Any]) -> dict[str, Any]:
    """A query filter for the events of the kind `spec` names (type and name, not its filters or window): a
    superset of what `event_matches` admits that an index on type/name can serve, so that a pass over a workspace's
    events reads only those its conditions can count."""
    types = list(_types(spec))
    if not spec.get("name"):
        return {"type": {"$in": types}}
    [kind] = types  # a named spec names one type (track by default)
    return {"type": kind, ("event" if kind == "track" else "name"): spec["name"]}


def crossing_accumulator(spec: dict[str, Any], now: datetime) -> Expr:
    """`evaluation.next_due` over many profiles, for one sliding spec: the `$group` accumulator of the first
    instant after `now` at which the spec's window lets one of the profile's events of its kind (passing its
    filters) in or out; null when none will. An event crosses at timestamp + enter, then at timestamp + leave: the
    first of those still to come is its next crossing, and an event past both (most of them) costs one comparison."""
    offsets = crossing_offsets(spec["window"])
    assert offsets is not None, "only sliding windows cross"
    enter, leave = offsets
    stamp = "$timestamp"
    crossing = {"$cond": [{"$gt": [stamp, now - enter]}, {"$add": [stamp, enter // TICK]},
                          {"$add": [stamp, leave // TICK]}]}
    return {"$min": {"$cond": [{"$and": [{"$gt": [stamp, now - leave]}, event_match_expr("$$ROOT", spec, Bounds())]},
                               crossing, None]}}


def _count_holds(n: int, count: dict[str, Any] | None) -> bool:
    op, value = (count or {}).get("op", "at_least"), (count or {}).get("value", 1)
    return {"at_least": n >= value, "at_most": n <= value, "exactly": n == value}[op]


def _count_expr(n: Expr, count: dict[str, Any] | None) -> Expr:
    op, value = (count or {}).get("op", "at_least"), (count or {}).get("value", 1)
    return {{"at_least": "$gte", "at_most": "$lte", "exactly": "$eq"}[op]: [n, value]}


# ---- the tree ----

@dataclass
class ProfileData:
    """What the in-memory evaluator sees of one profile."""

    events: list[dict[str, Any]] = field(default_factory=list)
    traits: dict[str, Any] = field(default_factory=dict)
    computed: dict[str, Any] = field(default_factory=dict)  # computed trait name -> value (absent: its empty value)
    audiences: set[str] = field(default_factory=set)  # names of the audiences the profile is in
    _by_type: dict[str, list[dict[str, Any]]] | None = field(default=None, repr=False)
    _by_name: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    # Keyed by id(spec); the spec is kept with its answer so that its id cannot be reused by another meanwhile.
    _matching: dict[int, tuple[dict[str, Any], list[dict[str, Any]]]] = field(default_factory=dict, repr=False)
    _times: dict[int, tuple[dict[str, Any], list[datetime]]] = field(default_factory=dict, repr=False)

    def matching(self, spec: dict[str, Any]) -> list[dict[str, Any]]:
        """The events of the kind `spec` names that pass its filters, whatever their time: found once per spec
        (several conditions, computed traits and the next-due search ask for the same), through an index by type
        and name so that a condition on one event name never looks at the others."""
        key = id(spec)
        if key not in self._matching:
            if self._by_type is None:
                self._index()
            name = spec.get("name")
            pool = [e for t in _types(spec) for e in (self._by_name.get((t, name), []) if name else
                                                      self._by_type.get(t, []))]
            # Most specs have no filter (activity, an event by name): their pool is the answer as it stands.
            if where := spec.get("where"):
                pool = [e for e in pool if all(
                    test(f["op"], get_path(e.get("properties") or {}, f["property"]), f.get("value")) for f in where)]
            self._matching[key] = (spec, pool)
        return self._matching[key][1]

    def _index(self) -> None:
        """Events by (type, name), then by type: one pass over the events (matches are order-free: whatever reads
        them in time order sorts them)."""
        by_name = self._by_name
        for event in self.events:
            kind = event["type"]
            key = (kind, event.get("event", "") if kind == "track" else event.get("name", ""))
            if (bucket := by_name.get(key)) is None:
                by_name[key] = [event]
            else:
                bucket.append(event)
        self._by_type = {}
        for (kind, _), bucket in by_name.items():
            self._by_type.setdefault(kind, []).extend(bucket)

    def times(self, spec: dict[str, Any]) -> list[datetime]:
        """The timestamps of `matching(spec)`, sorted: counting in a window is then two binary searches."""
        key = id(spec)
        if key not in self._times:
            self._times[key] = (spec, sorted(e["timestamp"] for e in self.matching(spec)))
        return self._times[key][1]


@dataclass(frozen=True)
class References:
    """What names in a definition stand for in the store: computed traits and audiences by id."""

    computed_traits: dict[str, tuple[str, Any]] = field(default_factory=dict)  # name -> (id, empty value)
    audiences: dict[str, str] = field(default_factory=dict)  # name -> id


def _combine(results: Iterable[tuple[str, bool]]) -> bool:
    required, not_required, optional = [], [], []
    for mode, holds in results:
        {"required": required, "not_required": not_required, "optional": optional}[mode].append(holds)
    return all(required) and not any(not_required) and (any(optional) if optional else True)


def sliding(spec: dict[str, Any]) -> bool:
    """Whether an event condition's window moves with time (so that time alone can change its count)."""
    return (spec.get("window") or {}).get("kind") in ("quick", "relative")


def settled(conditions: list[dict[str, Any]], fixed_counts: Mapping[int, int]) -> bool | None:
    """What the conditions say of a profile whatever the time, if the counts of its event conditions whose window
    does not move (`fixed_counts`, by `id` of the spec) settle it; None when time could still change it.

    Three-valued: a sliding event condition and every condition of another kind are unknown (the latter change
    only with new data or through a definition of their own, which schedules its own re-evaluations); a known
    count gives true or false. Combined as `evaluate` combines, an unknown part leaving the result open."""
    required: list[bool | None] = []
    not_required: list[bool | None] = []
    optional: list[bool | None] = []
    for c in conditions:
        if "event" in c:
            spec = c["event"]
            holds = None if sliding(spec) else _count_holds(fixed_counts.get(id(spec), 0), spec.get("count"))
        elif "group" in c:
            holds = settled(c["group"]["conditions"], fixed_counts)
        else:
            holds = None
        {"required": required, "not_required": not_required, "optional": optional}[c["mode"]].append(holds)
    parts = [*required, *(None if h is None else not h for h in not_required)]
    if optional:
        parts.append(True if True in optional else False if all(h is False for h in optional) else None)
    if False in parts:
        return False
    return True if all(h is True for h in parts) else None


def _combine_expr(results: list[tuple[str, Expr]]) -> Expr:
    tests = [e for mode, e in results if mode == "required"]
    tests += [negate(e) for mode, e in results if mode == "not_required"]
    optional = [e for mode, e in results if mode == "optional"]
    if optional:
        tests.append({"$or": optional})
    return {"$and": tests}


def _holds(condition: dict[str, Any], profile: ProfileData, refs: References, now: datetime) -> bool:
    if "event" in condition:
        spec = condition["event"]
        b = bounds(spec.get("window"), now)
        return _count_holds(count_within(profile.times(spec), b), spec.get("count"))
    if "trait" in condition:
        t = condition["trait"]
        return test(t["op"], get_path(profile.traits, t["path"]), t.get("value"))
    if "computed_trait" in condition:
        c = condition["computed_trait"]
        empty = refs.computed_traits[c["name"]][1]
        return test(c["op"], profile.computed.get(c["name"], MISSING if empty is None else empty), c.get("value"))
    if "audience" in condition:
        return (condition["audience"]["name"] in profile.audiences) == condition["audience"].get("member", False)
    return evaluate(condition["group"]["conditions"], profile, refs, now)


def evaluate(conditions: list[dict[str, Any]], profile: ProfileData, refs: References, now: datetime) -> bool:
    return _combine((c["mode"], _holds(c, profile, refs, now)) for c in conditions)


def _state(field_name: str) -> Expr:
    return path_expr({"$arrayElemAt": ["$__state", 0]}, field_name)


def _expr(condition: dict[str, Any], refs: References, now: datetime, counts: Counts | None) -> Expr:
    if "event" in condition:
        spec = condition["event"]
        if counts is not None:
            return _count_expr(counts[id(spec)], spec.get("count"))
        matching = {"$filter": {"input": {"$ifNull": ["$__events", []]},
                                "cond": event_match_expr("$$this", spec, bounds(spec.get("window"), now))}}
        return _count_expr({"$size": matching}, spec.get("count"))
    if "trait" in condition:
        t = condition["trait"]
        return test_expr(t["op"], path_expr("$traits", t["path"]), t.get("value"))
    if "computed_trait" in condition:
        c = condition["computed_trait"]
        trait_id, empty = refs.computed_traits[c["name"]]
        value = {"$getField": {"field": {"$literal": trait_id}, "input": {"$ifNull": [_state("computed"), {}]}}}
        if empty is not None:
            value = {"$ifNull": [value, {"$literal": empty}]}
        return test_expr(c["op"], value, c.get("value"))
    if "audience" in condition:
        member = {"$in": [refs.audiences[condition["audience"]["name"]], {"$ifNull": [_state("audiences"), []]}]}
        return member if condition["audience"].get("member", False) else negate(member)
    return conditions_expr(condition["group"]["conditions"], refs, now, counts)


def conditions_expr(conditions: list[dict[str, Any]], refs: References, now: datetime,
                    counts: Counts | None = None) -> Expr:
    """The conditions as one expression. Event conditions count the matches in the document's `__events`, or,
    with `counts`, take each event condition's count (by `id` of its spec) from an expression computed before,
    e.g. a `$group` accumulator per condition: no array of events per profile is built at all."""
    return _combine_expr([(c["mode"], _expr(c, refs, now, counts)) for c in conditions])


def uses(conditions: list[dict[str, Any]], kind: str) -> bool:
    """Whether any condition (groups included) is of `kind`: the pipeline joins only what is needed."""
    return any(kind in c or ("group" in c and uses(c["group"]["conditions"], kind)) for c in conditions)
