"""The two evaluators of every condition kind and computed trait agree: in-memory Python vs MongoDB pipelines.

Random definitions over random histories, with timestamps placed on and beside every window boundary, written to
the real store; the store's answer for every profile must equal the in-memory answer, always.
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from services.common.errors import ValidationError
from services.segmentation.computed import KINDS, compute, empty, pipeline
from services.segmentation.conditions import ProfileData, References, conditions_expr, evaluate
from services.segmentation.definitions import check_conditions

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
# Offsets (minutes before NOW) on and beside the boundaries the windows below use; negative is the future.
OFFSETS = [-5, 0, 1, 59, 60, 61, 1439, 1440, 1441, 10079, 10080, 10081, 43199, 43200, 43201, 129600, 200000]
SPANS = [{"amount": 1, "unit": "hours"}, {"amount": 1, "unit": "days"}, {"amount": 1, "unit": "weeks"},
         {"amount": 30, "unit": "days"}, {"amount": 90, "unit": "days"}, {"amount": 60, "unit": "minutes"}]
INSTANTS = ["2026-06-14T12:00:00Z", "2026-05-16T12:00:00Z", "2026-06-15T12:00:00Z", "2026-06-15T11:00:00.000+00:00"]

texts = st.sampled_from(["", "a", "ab", "abc", "b", "Abc", "é", "éa", "$x", "1", "ü€", "2026-06-14",
                         "2026-06-14T11:59:59Z", "2026-06-14T12:00:00.001+00:00", "2026-02-30", "not a date"])
# Small pools, so that values and literals collide often (1 vs 1.0 vs True, "1" vs 1, boundaries).
numbers = st.sampled_from([0, 1, 2, 100, 101, 150, -1, 0.5, 1.0, 100.25, -0.5])
scalars = st.one_of(numbers, texts, st.booleans(), st.none())
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.fixed_dictionaries({"b": scalars}))
properties = st.dictionaries(st.sampled_from(["price", "s", "d", "o", "n"]), values, max_size=4)
literals = st.one_of(numbers, texts, st.booleans())


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["track", "track", "page", "screen", "identify"]))
    return {
        "_id": str(uuid.uuid4()),
        "type": kind,
        "event": draw(st.sampled_from(["Viewed", "Ordered"])) if kind == "track" else "",
        "name": draw(st.sampled_from(["", "Home", "Cart"])) if kind in ("page", "screen") else "",
        "properties": draw(properties),
        "timestamp": NOW - timedelta(minutes=draw(st.sampled_from(OFFSETS))),
    }


@st.composite
def filters(draw: st.DrawFn, key: str) -> dict[str, Any]:
    op = draw(st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte", "contains", "starts_with", "ends_with",
                               "exists", "in", "before", "after"]))
    path = draw(st.sampled_from(["price", "s", "d", "o.b", "n", "o"]))
    test: dict[str, Any] = {key: path, "op": op}
    if op == "exists":
        test["value"] = draw(st.booleans())
    elif op == "in":
        test["value"] = draw(st.lists(literals, min_size=1, max_size=3))
    elif op in ("contains", "starts_with", "ends_with"):
        test["value"] = draw(texts)
    elif op in ("before", "after"):
        test["value"] = draw(st.sampled_from(INSTANTS))
    else:
        test["value"] = draw(literals)
    return test


@st.composite
def windows(draw: st.DrawFn) -> dict[str, Any] | None:
    kind = draw(st.sampled_from([None, "quick", "relative", "absolute", "before", "after"]))
    if kind is None:
        return None
    if kind == "quick":
        return {"kind": kind, "last": draw(st.sampled_from(SPANS))}
    if kind == "relative":
        a, b = draw(st.sampled_from(SPANS)), draw(st.sampled_from(SPANS))
        return {"kind": kind, "from": a, "to": b}  # invalid pairs are filtered by check_conditions
    if kind == "absolute":
        start, end = sorted(draw(st.lists(st.sampled_from(INSTANTS[:3]), min_size=2, max_size=2, unique=True)))
        return {"kind": kind, "start": start, "end": end}
    return {"kind": kind, "at": draw(st.sampled_from(INSTANTS))}


@st.composite
def event_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    choice = draw(st.sampled_from(["name", "type", "type+name", "any"]))
    if "name" in choice:
        spec["name"] = draw(st.sampled_from(["Viewed", "Ordered", "Home"]))
    if "type" in choice:
        spec["type"] = draw(st.sampled_from(["track", "page", "screen"]))
    if where := draw(st.lists(filters("property"), max_size=2)):
        spec["where"] = where
    if window := draw(windows()):
        spec["window"] = window
    return spec


def conditions(depth: int = 0) -> st.SearchStrategy[list[dict[str, Any]]]:
    leaf = st.one_of(
        event_specs().flatmap(lambda spec: st.builds(
            lambda count: {"event": {**spec, **({"count": count} if count else {})}},
            st.one_of(st.none(), st.fixed_dictionaries({"op": st.sampled_from(["at_least", "at_most", "exactly"]),
                                                       "value": st.integers(0, 3)})))),
        filters("path").map(lambda t: {"trait": t}),
        filters("path").map(lambda t: {"computed_trait": {**{k: v for k, v in t.items() if k != "path"},
                                                          "name": "ct_" + t["path"].replace(".", "_")}}),
        st.builds(lambda name, member: {"audience": {"name": name, **({"member": True} if member else {})}},
                  st.sampled_from(["gold", "silver"]), st.booleans()),
    )
    if depth < 1:
        leaf = st.one_of(leaf, st.deferred(lambda: conditions(depth + 1)).map(lambda cs: {"group": {"conditions": cs}}))
    modes = st.sampled_from(["required", "not_required", "optional"])
    return st.lists(st.builds(lambda mode, body: {"mode": mode, **body}, modes, leaf), min_size=1, max_size=4)


COMPUTED = {"ct_price": ("id-price", None), "ct_s": ("id-s", None), "ct_d": ("id-d", None),
            "ct_o_b": ("id-ob", 0), "ct_n": ("id-n", None), "ct_o": ("id-o", [])}
REFS = References(computed_traits=COMPUTED, audiences={"gold": "aud-gold", "silver": "aud-silver"})

profiles = st.lists(
    st.fixed_dictionaries({
        "traits": properties,
        "events": st.lists(events(), max_size=6),
        "computed": st.dictionaries(st.sampled_from(sorted(COMPUTED)), values, max_size=3),
        "audiences": st.sets(st.sampled_from(["gold", "silver"])),
    }),
    min_size=1, max_size=4,
)

AGREEMENT = settings(max_examples=60, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def db(mongodb_uri: str, database: str):  # type: ignore[no-untyped-def]
    client = MongoClient(mongodb_uri, tz_aware=True)
    yield client[database]
    client.close()


def _store_profiles(db: Any, workspace: str, people: list[dict[str, Any]]) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in people]
    db.profiles.insert_many([{"_id": i, "workspace": workspace, "traits": p["traits"]} for i, p in zip(ids, people)])
    stored_events = [{**e, "workspace": workspace, "profile_id": i} for i, p in zip(ids, people) for e in p["events"]]
    if stored_events:
        db.events.insert_many(stored_events)
    db.profile_state.insert_many([{
        "_id": i, "workspace": workspace,
        "computed": {COMPUTED[name][0]: value for name, value in p["computed"].items() if value is not None},
        "audiences": [REFS.audiences[name] for name in p["audiences"]],
    } for i, p in zip(ids, people)])
    return ids


@given(people=profiles, definitions=st.lists(conditions(), min_size=1, max_size=4))
@AGREEMENT
def test_audience_evaluators_agree(db: Any, people: list[dict[str, Any]], definitions: list[Any]) -> None:
    valid = []
    for definition in definitions:
        try:
            check_conditions(definition)
            valid.append(definition)
        except ValidationError:
            pass
    assume(valid)
    workspace = f"agree-{uuid.uuid4()}"
    ids = _store_profiles(db, workspace, people)
    for definition in valid:
        in_memory = {
            i for i, p in zip(ids, people)
            if evaluate(definition, ProfileData(
                events=p["events"], traits=p["traits"],
                computed={k: v for k, v in p["computed"].items() if v is not None},
                audiences=set(p["audiences"])), REFS, NOW)
        }
        stages = [
            {"$match": {"workspace": workspace}},
            {"$lookup": {"from": "events", "localField": "_id", "foreignField": "profile_id", "as": "__events"}},
            {"$lookup": {"from": "profile_state", "localField": "_id", "foreignField": "_id", "as": "__state"}},
            {"$match": {"$expr": conditions_expr(definition, REFS, NOW)}},
            {"$project": {"_id": 1}},
        ]
        in_store = {doc["_id"] for doc in db.profiles.aggregate(stages)}
        assert in_store == in_memory, definition


@given(people=profiles, kind=st.sampled_from(KINDS), spec=event_specs(),
       prop=st.sampled_from(["price", "s", "d", "o.b", "n", "o"]))
@AGREEMENT
def test_computed_trait_evaluators_agree(db: Any, people: list[dict[str, Any]], kind: str, spec: dict[str, Any],
                                         prop: str) -> None:
    trait = {"name": "t", "kind": kind, "event": {k: v for k, v in spec.items() if k != "window"},
             **({"window": spec["window"]} if "window" in spec else {}), **({} if kind == "count" else {"property": prop})}
    try:
        check_conditions([{"mode": "required", "event": {"window": trait["window"]}}] if "window" in trait else [
            {"mode": "required", "event": {}}])
    except ValidationError:
        assume(False)
    workspace = f"agree-{uuid.uuid4()}"
    ids = _store_profiles(db, workspace, people)
    in_store = {doc["_id"]: doc["value"] for doc in db.events.aggregate(pipeline(trait, workspace, NOW))}
    for i, p in zip(ids, people):
        expected = compute(trait, p["events"], NOW)
        got = in_store.get(i, empty(kind))
        assert got == expected and type(got) is type(expected) or (
            isinstance(got, int | float) and isinstance(expected, int | float) and got == expected), (trait, got, expected)


MISSING_VALUE = object()
EDGE_CASES = [
    ("eq", 1, True, False), ("eq", True, 1, False), ("eq", 1.0, 1, True), ("eq", "1", 1, False),
    ("eq", [1], 1, False), ("eq", {"b": 1}, 1, False), ("eq", None, 0, False), ("eq", MISSING_VALUE, "", False),
    ("neq", MISSING_VALUE, "a", True), ("neq", 0, False, True), ("in", 1.0, [True, 1], True),
    ("in", True, [1, "True"], False), ("gt", "b", "a", True), ("gt", 2, "1", False), ("gt", True, 0, False),
    ("lte", "é", "z", False), ("lt", 100, 100.25, True), ("gte", "$x", "$x", True),
    ("contains", "a$xb", "$x", True), ("contains", 5, "5", False), ("starts_with", "ab", "abc", False),
    ("ends_with", "éa", "a", True), ("ends_with", "a", "", True), ("exists", None, True, False),
    ("exists", MISSING_VALUE, False, True), ("exists", 0, True, True), ("exists", False, True, True),
    ("before", "2026-06-14T11:59:59Z", "2026-06-14T12:00:00Z", True),
    ("before", "2026-06-14T12:00:00Z", "2026-06-14T12:00:00Z", False),
    ("after", "2026-06-14T12:00:00.001+00:00", "2026-06-14T12:00:00Z", True),
    ("after", "2026-06-15", "2026-06-14T12:00:00Z", True), ("after", "2026-02-30", "2020-01-01T00:00:00Z", False),
    ("after", "June 15", "2020-01-01T00:00:00Z", False), ("before", 5, "2030-01-01T00:00:00Z", False),
]


@pytest.mark.parametrize(("op", "value", "literal", "expected"), EDGE_CASES)
def test_value_tests_agree_on_edge_cases(db: Any, op: str, value: Any, literal: Any, expected: bool) -> None:
    from services.segmentation.values import MISSING, path_expr, test, test_expr

    workspace = f"edge-{uuid.uuid4()}"
    traits = {} if value is MISSING_VALUE else {"v": value}
    db.profiles.insert_one({"_id": workspace, "workspace": workspace, "traits": traits})
    in_memory = test(op, MISSING if value is MISSING_VALUE else value, literal)
    stages = [{"$match": {"workspace": workspace}},
              {"$project": {"r": test_expr(op, path_expr("$traits", "v"), literal)}}]
    in_store = next(iter(db.profiles.aggregate(stages)))["r"]
    assert (in_memory, in_store) == (expected, expected)
