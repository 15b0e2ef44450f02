"""Every computed trait kind, end to end: backdated events through REST, values read from the profile service.

Events are sent out of time order on purpose: `first` and `last` follow the events' `timestamp`, not the order
they arrived in.
"""

from typing import Any

from tests.e2e.conftest import Api, page, track

VIEWS = {"name": "Product Viewed"}
ORDERS = {"name": "Order Completed"}
TRAITS: list[dict[str, Any]] = [
    {"name": "orders", "kind": "count", "event": ORDERS},
    {"name": "orders_30d", "kind": "count", "event": ORDERS, "window": {"kind": "quick", "last": {"amount": 30,
                                                                                                  "unit": "days"}}},
    {"name": "revenue", "kind": "sum", "property": "revenue", "event": ORDERS},
    {"name": "basket", "kind": "avg", "property": "revenue", "event": ORDERS},
    {"name": "smallest", "kind": "min", "property": "revenue", "event": ORDERS},
    {"name": "largest", "kind": "max", "property": "revenue", "event": ORDERS},
    {"name": "favourite", "kind": "most_frequent", "property": "category", "event": VIEWS},
    {"name": "first_seen", "kind": "first", "property": "category", "event": VIEWS},
    {"name": "last_seen", "kind": "last", "property": "category", "event": VIEWS},
    {"name": "categories", "kind": "unique_list", "property": "category", "event": VIEWS},
    {"name": "breadth", "kind": "unique_list_count", "property": "category", "event": VIEWS},
]


def views(user: str, *seen: tuple[float, Any]) -> list[dict[str, Any]]:
    return [track(user, "Product Viewed", days_ago, category=category) for days_ago, category in seen]


async def test_every_computed_trait_kind_over_backdated_events(api: Api) -> None:
    for trait in TRAITS:
        await api.create_ready("computed-traits", trait)
    await api.create_ready("audiences", {"name": "shoe lovers", "conditions": [
        {"mode": "required", "computed_trait": {"name": "favourite", "op": "eq", "value": "shoes"}}]})
    await api.send(
        *views("shopper", (3, "shoes"), (10, "hats"), (1, "bags"), (5, "shoes")),
        track("shopper", "Order Completed", 20, revenue=50),
        track("shopper", "Order Completed", 60, revenue=100),  # outside orders_30d's window
        track("shopper", "Order Completed", 2, revenue=30),
        track("shopper", "Order Completed", 1, revenue="n/a"),  # counted as an order, skipped as a number
        # b and a are seen twice each: the tie goes to the alphabetically first.
        *views("tied", (2, "b"), (4, "a"), (1, "b"), (3, "a"), (5, "c")),
        # Nothing seen twice: no favourite at all.
        *views("no-repeat", (3, "x"), (2, "y"), (1, "z")),
        # Lists hold numbers before strings; a number and its text are different values.
        *views("numbers", (3, 10), (2, "10"), (1, 2), (4, 10)),
        page("window-shopper", "Home", 1),
    )
    await api.settled()

    assert await api.computed_of("shopper") == {
        "orders": 4, "orders_30d": 3, "revenue": 180, "basket": 60, "smallest": 30, "largest": 100,
        "favourite": "shoes", "first_seen": "hats", "last_seen": "bags", "categories": ["bags", "hats", "shoes"],
        "breadth": 3,
    }
    assert await api.computed_of("tied") == {
        "favourite": "a", "first_seen": "c", "last_seen": "b", "categories": ["a", "b", "c"], "breadth": 3}
    assert await api.computed_of("no-repeat") == {
        "first_seen": "x", "last_seen": "z", "categories": ["x", "y", "z"], "breadth": 3}
    assert await api.computed_of("numbers") == {
        "favourite": 10, "first_seen": 10, "last_seen": 2, "categories": [2, 10, "10"], "breadth": 3}
    # Counts and sums of nothing are 0 and lists are empty: empty values are not stored, so nothing shows.
    assert await api.computed_of("window-shopper") == {}
    await api.expect_memberships({"shopper": {"shoe lovers"}, "tied": set(), "numbers": set(),
                                  "window-shopper": set()})

    # New events move every kind: a cheaper order, and a third "a" view that breaks the tie.
    await api.send(track("shopper", "Order Completed", 0, revenue=20),
                   *views("tied", (0, "a")))
    await api.settled()
    shopper = await api.computed_of("shopper")
    assert {k: shopper[k] for k in ("orders", "orders_30d", "revenue", "basket", "smallest")} == {
        "orders": 5, "orders_30d": 4, "revenue": 200, "basket": 50, "smallest": 20}
    tied = await api.computed_of("tied")
    assert (tied["favourite"], tied["last_seen"]) == ("a", "a")
