"""Computed traits, each kind computed two ways that must agree: in Python over one profile's events, and as a
MongoDB pipeline over a workspace's events (backfill).

Values: `count` counts matching events; `sum`/`avg`/`min`/`max` read the property's numbers (booleans and other
types are skipped); `most_frequent` is the value seen most often, at least twice, ties going to the first in
BSON order (numbers before strings, strings by code point); `first`/`last` are the property's value on the
earliest/latest matching event that has one (ties by event id); `unique_list` is the distinct numbers and strings
in BSON order, `unique_list_count` their number. A profile with nothing to compute has the kind's *empty* value:
0 for counts and sums, [] for lists, and no value at all otherwise. Empty values are not stored.
"""

from collections import Counter
from datetime import datetime
from typing import Any

from services.segmentation.conditions import Bounds, bounds, event_match_expr, event_matches, within
from services.segmentation.values import MISSING, Expr, get_path, is_number, is_present, path_expr

KINDS = ("count", "sum", "avg", "min", "max", "most_frequent", "first", "last", "unique_list", "unique_list_count")
_EMPTY: dict[str, Any] = {"count": 0, "sum": 0, "unique_list": [], "unique_list_count": 0}


def empty(kind: str) -> Any:
    """The value of a profile with nothing to compute (None: no value)."""
    return _EMPTY.get(kind)


def _order(value: Any) -> tuple[int, Any]:
    """BSON's order between the values lists and most_frequent keep: numbers, then strings."""
    return (0, value) if is_number(value) else (1, value)


def _listable(value: Any) -> bool:
    return is_number(value) or isinstance(value, str)


def compute(trait: dict[str, Any], events: list[dict[str, Any]], now: datetime,
            candidates: list[dict[str, Any]] | None = None) -> Any:
    """The trait's value for one profile's events (its empty value when there is nothing to compute).
    `candidates`: the events of the trait's kind passing its filters, whatever their time, where known already."""
    b = bounds(trait.get("window"), now)
    if candidates is None:
        candidates = [e for e in events if event_matches(e, trait.get("event") or {}, Bounds())]
    matching = [e for e in candidates if within(e["timestamp"], b)]
    kind = trait["kind"]
    if kind == "count":
        return len(matching)
    matching.sort(key=lambda e: (e["timestamp"], e["_id"]))
    values = [get_path(e.get("properties") or {}, trait["property"]) for e in matching]
    present = [v for v in values if v is not MISSING and v is not None]
    numbers = [v for v in present if is_number(v)]
    if kind == "sum":
        return sum(numbers)
    if kind in ("avg", "min", "max"):
        return (sum(numbers) / len(numbers) if kind == "avg" else {"min": min, "max": max}[kind](numbers)
                ) if numbers else None
    if kind in ("first", "last"):
        return (present[0] if kind == "first" else present[-1]) if present else None
    listable = [v for v in present if _listable(v)]
    if kind == "most_frequent":
        counts = Counter(listable)
        best = sorted((v for v, n in counts.items() if n >= 2), key=lambda v: (-counts[v], _order(v)))
        return best[0] if best else None
    distinct = sorted(set(listable), key=_order)
    return distinct if kind == "unique_list" else len(distinct)


def pipeline(trait: dict[str, Any], workspace: str, now: datetime) -> list[dict[str, Any]]:
    """An aggregation over `events` giving `{_id: profile_id, value}` for every profile with a non-empty value."""
    b: Bounds = bounds(trait.get("window"), now)
    stages: list[dict[str, Any]] = [
        {"$match": {"workspace": workspace}},
        {"$match": {"$expr": event_match_expr("$$ROOT", trait.get("event") or {}, b)}},
    ]
    kind = trait["kind"]
    if kind == "count":
        return [*stages, {"$group": {"_id": "$profile_id", "value": {"$sum": 1}}}]
    value: Expr = path_expr("$$ROOT.properties", trait["property"])
    stages.append({"$project": {"profile_id": 1, "timestamp": 1, "v": value}})
    if kind in ("sum", "avg", "min", "max"):
        numeric = {"$cond": [{"$isNumber": "$v"}, "$v", None]}
        return [*stages, {"$match": {"$expr": {"$isNumber": "$v"}}},
                {"$group": {"_id": "$profile_id", "value": {f"${kind}": numeric}}}]
    if kind in ("first", "last"):
        return [*stages, {"$match": {"$expr": is_present("$v")}}, {"$sort": {"timestamp": 1, "_id": 1}},
                {"$group": {"_id": "$profile_id", "value": {f"${kind}": "$v"}}}]
    listable = {"$or": [{"$isNumber": "$v"}, {"$eq": [{"$type": "$v"}, "string"]}]}
    stages.append({"$match": {"$expr": listable}})
    if kind == "most_frequent":
        return [*stages,
                {"$group": {"_id": {"p": "$profile_id", "v": "$v"}, "n": {"$sum": 1}}},
                {"$match": {"n": {"$gte": 2}}},
                {"$sort": {"n": -1, "_id.v": 1}},
                {"$group": {"_id": "$_id.p", "value": {"$first": "$_id.v"}}}]
    stages += [{"$group": {"_id": "$profile_id", "set": {"$addToSet": "$v"}}}]
    if kind == "unique_list":
        return [*stages, {"$project": {"value": {"$sortArray": {"input": "$set", "sortBy": 1}}}}]
    return [*stages, {"$project": {"value": {"$size": "$set"}}}]
