"""No result changes between now and the next due instant: a worker that sleeps until then misses nothing; and a
verdict the counts that time cannot move settle is the verdict at every later instant."""

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from services.common.errors import ValidationError
from services.segmentation.computed import KINDS
from services.segmentation.definitions import check_conditions
from services.segmentation.conditions import ProfileData, bounds, count_within, evaluate, settled, sliding
from services.segmentation.engine import _event_specs
from services.segmentation.evaluation import Definitions, evaluate_profile
from tests.strategies import COMPUTED, NOW, REFS, conditions, event_specs, events, properties


@st.composite
def workspaces(draw: st.DrawFn) -> Definitions:
    traits = []
    for name, (trait_id, _) in COMPUTED.items():
        spec = draw(event_specs())
        kind = draw(st.sampled_from(KINDS))
        trait: dict[str, Any] = {"_id": trait_id, "name": name, "kind": kind,
                                 "event": {k: v for k, v in spec.items() if k != "window"}}
        if "window" in spec:
            trait["window"] = spec["window"]
        if kind != "count":
            trait["property"] = draw(st.sampled_from(["price", "s", "o.b"]))
        traits.append(trait)
    named = ["gold", "silver", "a", "b"]
    audiences = []
    for name in named:
        body = draw(conditions())
        try:
            check_conditions(body)
            for t in traits:
                if "window" in t:
                    check_conditions([{"mode": "required", "event": {"window": t["window"]}}])
        except ValidationError:
            assume(False)
        audiences.append({"_id": f"id-{name}", "name": name, "conditions": body})
    return Definitions.of(traits, audiences)


@given(defs=workspaces(), history=st.lists(events(), max_size=8), traits=properties,
       fraction=st.floats(0, 1, exclude_max=True))
@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_results_hold_until_the_next_due_instant(defs: Definitions, history: list[dict[str, Any]],
                                                 traits: dict[str, Any], fraction: float) -> None:
    now = evaluate_profile(defs, history, traits, NOW)
    horizon = (now.next_due - NOW) if now.next_due else timedelta(days=400)
    for later in (NOW + horizon * fraction, NOW + horizon - timedelta(milliseconds=1)):
        if later < NOW:
            continue
        then = evaluate_profile(defs, history, traits, later)
        assert (then.computed, then.audiences) == (now.computed, now.audiences), (later, now.next_due)


@given(body=conditions(), history=st.lists(events(), max_size=8), traits=properties,
       later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
def test_a_settled_verdict_holds_at_every_later_instant(body: list[dict[str, Any]], history: list[dict[str, Any]],
                                                        traits: dict[str, Any], later: timedelta) -> None:
    """`settled` (what the backfill uses to leave a crossing unscheduled) never claims more than time allows."""
    try:
        check_conditions(body)
    except ValidationError:
        assume(False)
    data = ProfileData(events=history, traits=traits)
    fixed = {id(spec): count_within(data.times(spec), bounds(spec.get("window"), NOW))
             for spec in _event_specs(body) if not sliding(spec)}
    verdict = settled(body, fixed)
    assume(verdict is not None)
    for at in (NOW, NOW + later):
        assert evaluate(body, ProfileData(events=history, traits=traits), REFS, at) is verdict
