"""Random definitions and histories for the property tests of the engine (hypothesis strategies).

Timestamps sit on and beside every window boundary the definitions use, and values come from small pools so that
they collide with the literals the filters test against (1 vs 1.0 vs True, "1" vs 1, boundaries).
"""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from services.segmentation.conditions import References

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

