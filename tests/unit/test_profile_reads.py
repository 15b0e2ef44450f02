"""The Profile API's pure rules: scroll ids, event queries and actions, trait classes."""

from datetime import UTC, datetime, timedelta

import pytest

from services.common.cursors import encode_cursor
from services.common.errors import ValidationError
from services.profile.events import EventQuery, action
from services.profile.paging import (
    TimePosition,
    decode_scroll,
    from_millis,
    page_size,
    resume_scroll,
    resumed_size,
)
from services.profile.profiles import ProfileView, identifier_key, select_traits

T = datetime(2026, 1, 1, 12, 30, 15, 123000, tzinfo=UTC)


def test_scroll_ids_round_trip_and_are_url_safe() -> None:
    state = {"after": [1, "a/b+c"], "query": {"include": ["Order Completed"] * 5}}
    scroll = encode_cursor("events", state)
    assert set(scroll) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert decode_scroll("events", scroll) == state


@pytest.mark.parametrize("scroll", ["", "!!!", "e30", encode_cursor("profiles", {}), "4pyT", "bnVsbA"])
def test_foreign_or_damaged_scroll_ids_are_refused(scroll: str) -> None:
    with pytest.raises(ValidationError, match="scrollId"):
        decode_scroll("events", scroll)


@pytest.mark.parametrize("millis", [10**30, -(10**30), 1.5, True, "0"])
def test_positions_beyond_any_instant_are_damaged_scroll_ids(millis: object) -> None:
    with pytest.raises(ValidationError, match="scrollId is damaged"):
        from_millis(millis)


def test_a_scroll_id_is_bound_to_its_profile() -> None:
    scroll = encode_cursor("history", {"profile": identifier_key("email:A@B.com"), "after": [0, "x"]})
    assert resume_scroll("history", scroll, identifier_key("email:a@b.COM")) == {"after": [0, "x"]}
    assert resume_scroll("history", "", "anything") is None
    with pytest.raises(ValidationError, match="another profile"):
        resume_scroll("history", scroll, identifier_key("userId:A@B.com"))


def test_positions_keep_milliseconds_and_order_ties_by_id() -> None:
    position = TimePosition.from_state(TimePosition(T, "e-1").to_state())
    assert position == TimePosition(T, "e-1")
    assert position.after("at", descending=True) == {"$or": [{"at": {"$lt": T}}, {"at": T, "_id": {"$lt": "e-1"}}]}
    for damaged in (None, [1], ["x", "y"], [True, "y"], [1, 2]):
        with pytest.raises(ValidationError):
            TimePosition.from_state(damaged)


def test_page_sizes() -> None:
    assert page_size(0, 10) == 10 and page_size(100, 10) == 100
    for bad in (-1, 101):
        with pytest.raises(ValidationError, match="size must be 1 to 100"):
            page_size(bad, 10)
    assert resumed_size(0, {"size": 7}, 10) == 7 and resumed_size(3, {"size": 7}, 10) == 3
    assert resumed_size(0, {"size": True}, 10) == 10 and resumed_size(0, None, 10) == 10


def test_actions() -> None:
    assert action({"type": "track", "event": "Order Completed", "name": ""}) == "Order Completed"
    assert action({"type": "page", "event": "", "name": "Home"}) == "page"
    assert action({"type": "identify"}) == "identify"


def test_event_queries_check_and_resume() -> None:
    with pytest.raises(ValidationError, match="sort"):
        EventQuery(sort="up").check()
    with pytest.raises(ValidationError, match="start must be before end"):
        EventQuery(start=T, end=T).check()
    # Bounds are cut to milliseconds, as the store and the scroll id keep them.
    assert EventQuery(start=T + timedelta(microseconds=999)).check().start == T
    begun = EventQuery(start=T, sort="asc", include=("A",))
    resumed = EventQuery.from_state(begun.check().to_state())
    assert resumed == begun
    assert EventQuery().resumed_from(resumed) == begun
    assert EventQuery(sort="asc", include=("A",)).resumed_from(resumed) == begun
    with pytest.raises(ValidationError, match="sort differs"):
        EventQuery(sort="desc").resumed_from(resumed)
    # An unset sort is stored as the one it means, so repeating that default resumes too.
    assert EventQuery(sort="desc").resumed_from(EventQuery.from_state(EventQuery().to_state())).descending


def test_event_query_conditions() -> None:
    query = EventQuery(start=T, include=("A", "page"), exclude=("track",)).check()
    assert query.conditions() == [
        {"timestamp": {"$gte": T}},
        {"$or": [{"type": "track", "event": {"$in": ["A", "page"]}}, {"type": {"$in": ["A", "page"]}}]},
        {"$nor": [{"$or": [{"type": "track", "event": {"$in": ["track"]}}, {"type": {"$in": []}}]}]},
    ]
    assert EventQuery().conditions() == []


def test_trait_classes_and_keys() -> None:
    view = ProfileView(id="p", traits={"a": 1, "b": 2}, computed={"c": 3}, audiences=["x", "y"])
    assert select_traits(view, "", []) == ProfileView(id="p", traits={"a": 1, "b": 2}, computed={"c": 3})
    assert select_traits(view, "computed_trait", []) == ProfileView(id="p", computed={"c": 3})
    assert select_traits(view, "audience", ["y", "a"]) == ProfileView(id="p", audiences=["y"])
    assert select_traits(view, "", ["a", "c"]) == ProfileView(id="p", traits={"a": 1}, computed={"c": 3})
    with pytest.raises(ValidationError, match="class must be audience or computed_trait"):
        select_traits(view, "trait", [])
