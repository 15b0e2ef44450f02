"""The product page's audience examples, end to end through REST: definitions first, then the events an app sends,
then what the Profile API, member lists and previews say.

Each test defines its audiences, waits for their (empty) backfills to be ready, then sends backdated events and
lets the due-queue workers keep memberships fresh. Definitions created *after* the events are in
test_audiences_backfill.py.
"""

from typing import Any

from tests.e2e.conftest import Api, page, track

EXPENSIVE_VIEW = {"name": "Product Viewed", "where": [{"property": "price", "op": "gt", "value": 100}]}
VIEWED_NOT_ORDERED: dict[str, Any] = {
    "name": "viewed expensive, never ordered",
    "conditions": [
        {"mode": "required", "event": EXPENSIVE_VIEW},
        {"mode": "not_required", "event": {"name": "Order Completed"}},
    ],
}
LAPSED: dict[str, Any] = {
    "name": "lapsed",
    "conditions": [
        {"mode": "required", "event": {"window": {"kind": "relative", "from": {"amount": 90, "unit": "days"},
                                                  "to": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
    ],
}
TOTAL_REVENUE: dict[str, Any] = {"name": "total_revenue", "kind": "sum", "property": "revenue",
                                 "event": {"name": "Order Completed"}}
BIG_SPENDERS: dict[str, Any] = {
    "name": "big spenders",
    "conditions": [{"mode": "required", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}}],
}


async def test_viewed_an_expensive_product_but_never_ordered(api: Api) -> None:
    audience_id = await api.create_ready("audiences", VIEWED_NOT_ORDERED)
    await api.send(
        track("viewer", "Product Viewed", 3, price=150),
        # Two views, one cheap: one matching view is enough.
        track("two-views", "Product Viewed", 4, price=20),
        track("two-views", "Product Viewed", 2, price=101.5),
        track("cheap", "Product Viewed", 3, price=50),
        track("at-the-price", "Product Viewed", 3, price=100),  # gt is strict
        track("price-as-text", "Product Viewed", 3, price="150"),  # a string never compares with a number
        track("ordered-after", "Product Viewed", 5, price=150),
        track("ordered-after", "Order Completed", 2, revenue=150),
        # "not required" has no window here: an order long before the view still counts.
        track("ordered-before", "Order Completed", 40, revenue=80),
        track("ordered-before", "Product Viewed", 1, price=300),
        track("orderer", "Order Completed", 1, revenue=300),
    )
    name = VIEWED_NOT_ORDERED["name"]
    await api.expect_memberships({
        "viewer": {name}, "two-views": {name}, "cheap": set(), "at-the-price": set(), "price-as-text": set(),
        "ordered-after": set(), "ordered-before": set(), "orderer": set(),
    })

    # The stored members, the preview of the same definition and the Profile API tell one story.
    expected = {await api.profile_id("viewer"), await api.profile_id("two-views")}
    assert await api.members(audience_id, page_size=1) == expected
    size, sample = await api.preview({"conditions": VIEWED_NOT_ORDERED["conditions"]})
    assert (size, set(sample)) == (2, expected)

    # And it stays fresh: the viewer orders, and leaves the audience.
    await api.send(track("viewer", "Order Completed", 0, revenue=150))
    await api.expect_memberships({"viewer": set(), "two-views": {name}})
    assert await api.members(audience_id) == {await api.profile_id("two-views")}
    assert (await api.preview({"conditions": VIEWED_NOT_ORDERED["conditions"]}))[0] == 1


async def test_active_30_to_90_days_ago_but_not_in_the_last_30(api: Api) -> None:
    await api.create_ready("audiences", LAPSED)
    await api.send(
        track("lapsed", "Signed In", 60),
        page("lapsed-reader", "Pricing", 45),  # a page view is activity too
        track("came-back", "Signed In", 60),
        track("came-back", "Signed In", 10),
        track("recent", "Signed In", 10),
        track("long-gone", "Signed In", 100),
        track("gone-then-lapsed", "Signed In", 100),
        track("gone-then-lapsed", "Signed In", 70),
    )
    await api.expect_memberships({
        "lapsed": {"lapsed"}, "lapsed-reader": {"lapsed"}, "came-back": set(), "recent": set(), "long-gone": set(),
        "gone-then-lapsed": {"lapsed"},
    })
    assert (await api.preview({"conditions": LAPSED["conditions"]}))[0] == 3

    # A lapsed customer who comes back today is no longer lapsed.
    await api.send(track("lapsed", "Signed In", 0))
    await api.expect_memberships({"lapsed": set(), "lapsed-reader": {"lapsed"}})


async def test_big_spenders_by_total_revenue(api: Api) -> None:
    await api.create_ready("computed-traits", TOTAL_REVENUE)
    audience_id = await api.create_ready("audiences", BIG_SPENDERS)
    await api.send(
        track("whale", "Order Completed", 20, revenue=300),
        track("whale", "Order Completed", 2, revenue=250.5),
        track("at-the-line", "Order Completed", 5, revenue=200),
        track("at-the-line", "Order Completed", 3, revenue=300),  # exactly 500 is not over 500
        track("small", "Order Completed", 1, revenue=100),
        track("refunded", "Order Refunded", 1, revenue=900),  # another event: not revenue
        track("text-revenue", "Order Completed", 1, revenue="900"),  # not a number: skipped by the sum
    )
    await api.expect_memberships({"whale": {"big spenders"}, "at-the-line": set(), "small": set(),
                                  "refunded": set(), "text-revenue": set()})
    assert (await api.computed_of("whale")) == {"total_revenue": 550.5}
    assert (await api.computed_of("at-the-line")) == {"total_revenue": 500}
    assert (await api.computed_of("small")) == {"total_revenue": 100}
    # A sum over nothing is 0, the trait's empty value, which is not stored nor shown.
    assert (await api.computed_of("refunded")) == {}
    assert (await api.computed_of("text-revenue")) == {}
    assert await api.members(audience_id) == {await api.profile_id("whale")}

    # One more order takes "at-the-line" over the line.
    await api.send(track("at-the-line", "Order Completed", 0, revenue=0.5))
    await api.expect_memberships({"at-the-line": {"big spenders"}})
    assert (await api.computed_of("at-the-line")) == {"total_revenue": 500.5}


async def test_audiences_of_audiences_follow_their_parts(api: Api) -> None:
    await api.create_ready("computed-traits", TOTAL_REVENUE)
    await api.create_ready("audiences", BIG_SPENDERS)
    await api.create_ready("audiences", VIEWED_NOT_ORDERED)
    await api.create_ready("audiences", {"name": "expensive viewers",
                                         "conditions": [{"mode": "required", "event": EXPENSIVE_VIEW}]})
    # Looked at expensive things, yet spends little: worth a nudge.
    await api.create_ready("audiences", {"name": "nurture", "conditions": [
        {"mode": "required", "audience": {"name": "expensive viewers", "member": True}},
        {"mode": "required", "audience": {"name": "big spenders", "member": False}},
    ]})
    # Either kind of valuable person (optional conditions: at least one must hold).
    nurture_or_big = await api.create_ready("audiences", {"name": "campaign", "conditions": [
        {"mode": "optional", "audience": {"name": VIEWED_NOT_ORDERED["name"], "member": True}},
        {"mode": "optional", "audience": {"name": "big spenders", "member": True}},
    ]})
    await api.send(
        track("browser", "Product Viewed", 2, price=150),
        track("whale-browser", "Product Viewed", 9, price=200),
        track("whale-browser", "Order Completed", 8, revenue=600),
        track("modest-buyer", "Product Viewed", 6, price=150),
        track("modest-buyer", "Order Completed", 5, revenue=100),
        track("whale", "Order Completed", 3, revenue=700),
        track("cheap", "Product Viewed", 1, price=50),
    )
    viewed_only = VIEWED_NOT_ORDERED["name"]
    await api.expect_memberships({
        "browser": {viewed_only, "expensive viewers", "nurture", "campaign"},
        "whale-browser": {"expensive viewers", "big spenders", "campaign"},
        "modest-buyer": {"expensive viewers", "nurture"},
        "whale": {"big spenders", "campaign"},
        "cheap": set(),
    })
    assert await api.members(nurture_or_big) == {await api.profile_id(u) for u in ("browser", "whale-browser", "whale")}

    # A change to a computed trait flows through two levels of audiences: the modest buyer becomes a big spender,
    # so leaves "nurture" and joins "campaign".
    await api.send(track("modest-buyer", "Order Completed", 0, revenue=450))
    await api.expect_memberships({"modest-buyer": {"expensive viewers", "big spenders", "campaign"}})


async def test_optional_conditions_mix_traits_pages_and_computed_traits(api: Api) -> None:
    await api.create_ready("computed-traits", TOTAL_REVENUE)
    # The example: a pro plan (a trait), big revenue (a computed trait) or a look at the pricing page
    # (a page call by name) will do, as long as the person has not unsubscribed (a screen call).
    await api.create_ready("audiences", {"name": "upsell", "conditions": [
        {"mode": "optional", "trait": {"path": "plan", "op": "eq", "value": "pro"}},
        {"mode": "optional", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}},
        {"mode": "optional", "event": {"type": "page", "name": "Pricing"}},
        {"mode": "not_required", "event": {"type": "screen", "name": "Unsubscribed"}},
    ]})
    await api.send(
        {"type": "identify", "userId": "pro", "traits": {"plan": "pro"}},
        {"type": "identify", "userId": "free", "traits": {"plan": "free"}},
        track("spender", "Order Completed", 3, revenue=800),
        page("pricing-reader", "Pricing", 2),
        page("home-reader", "Home", 2),
        page("unsubscribed-reader", "Pricing", 2),
        {"type": "screen", "userId": "unsubscribed-reader", "name": "Unsubscribed"},
    )
    await api.expect_memberships({"pro": {"upsell"}, "free": set(), "spender": {"upsell"},
                                  "pricing-reader": {"upsell"}, "home-reader": set(),
                                  "unsubscribed-reader": set()})

    # Traits change by identify calls, and memberships follow: "free" upgrades, "pro" loses the trait (null unsets).
    await api.send({"type": "identify", "userId": "free", "traits": {"plan": "pro"}},
                   {"type": "identify", "userId": "pro", "traits": {"plan": None}})
    await api.expect_memberships({"pro": set(), "free": {"upsell"}})


async def test_a_person_seen_anonymously_first_is_one_member_once_identified(api: Api) -> None:
    audience_id = await api.create_ready("audiences", VIEWED_NOT_ORDERED)
    name = VIEWED_NOT_ORDERED["name"]
    await api.send(
        {"type": "track", "anonymousId": "anon-1", "event": "Product Viewed", "properties": {"price": 150}},
        track("joe", "Signed In", 1),
    )
    await api.settled()
    anonymous_id = (await api.call("GET", "profiles/anonymousId:anon-1/audiences"))["id"]
    assert await api.members(audience_id) == {anonymous_id}

    # Joe logs in on the device he browsed anonymously: the two profiles merge into Joe's, and so do memberships.
    await api.send({"type": "identify", "userId": "joe", "anonymousId": "anon-1", "traits": {"firstName": "Joe"}})
    await api.expect_memberships({"joe": {name}})
    joe = await api.profile_id("joe")
    assert (await api.call("GET", "profiles/anonymousId:anon-1/audiences"))["id"] == joe
    assert await api.members(audience_id) == {joe}
    size, sample = await api.preview({"conditions": VIEWED_NOT_ORDERED["conditions"]})
    assert (size, sample) == (1, [joe])
