"""The two evaluators of every condition kind and computed trait agree: in-memory Python vs MongoDB pipelines.

Random definitions over random histories, with timestamps placed on and beside every window boundary, written to
the real store; the store's answer for every profile must equal the in-memory answer, always.
"""

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pymongo import MongoClient

from services.common.errors import ValidationError
from services.segmentation.computed import KINDS, compute, empty, pipeline
from services.segmentation.conditions import ProfileData, evaluate
from services.segmentation.definitions import check_conditions
from services.segmentation.engine import admitted, event_pipeline, profile_pipeline
from tests.strategies import COMPUTED, NOW, REFS, conditions, event_specs, profiles

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
        # The engine's own two passes (profiles with no events, then events grouped per profile).
        in_store = admitted(
            {d["_id"]: d["m"] for d in db.profiles.aggregate(profile_pipeline(workspace, definition, REFS, NOW))},
            {d["_id"]: d["m"] for d in db.events.aggregate(event_pipeline(workspace, definition, REFS, NOW))})
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
