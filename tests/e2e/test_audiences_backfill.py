"""Definitions meet existing data: a definition created (or edited) after the events is backfilled over the whole
workspace, and one created before them is kept fresh by the workers as events arrive.
"""

from datetime import UTC, datetime, timedelta


from tests.e2e.conftest import Api, eventually, track
from tests.e2e.test_audiences_seed import BIG_SPENDERS, LAPSED, TOTAL_REVENUE, VIEWED_NOT_ORDERED

HISTORY = [
    track("browser", "Product Viewed", 3, price=150),
    track("buyer", "Product Viewed", 9, price=250),
    track("buyer", "Order Completed", 8, revenue=320),
    track("buyer", "Order Completed", 70, revenue=300),
    track("lapsed", "Product Viewed", 50, price=20),
    track("cheap", "Product Viewed", 1, price=50),
]


async def test_definitions_created_after_the_events_are_backfilled(api: Api) -> None:
    await api.send(*HISTORY)
    # Let the workers finish with these profiles first: a worker that read the definitions before they existed
    # could otherwise overwrite what the backfill writes (see test_audiences_races.py).
    await api.settled()

    trait_id = await api.create("computed-traits", TOTAL_REVENUE)
    ids = {body["name"]: await api.create("audiences", body) for body in (BIG_SPENDERS, VIEWED_NOT_ORDERED, LAPSED)}
    for kind, definition_id in [("computed-traits", trait_id), *(("audiences", i) for i in ids.values())]:
        done = await api.ready(kind, definition_id)
        assert (done["version"], done["status"]["progress"]) == (1, 1)

    viewed = VIEWED_NOT_ORDERED["name"]
    await api.expect_memberships({"browser": {viewed}, "buyer": {"big spenders"}, "lapsed": {"lapsed"},
                                  "cheap": set()})
    assert await api.computed_of("buyer") == {"total_revenue": 620}
    for name, users in (("big spenders", ["buyer"]), (viewed, ["browser"]), ("lapsed", ["lapsed"])):
        expected = {await api.profile_id(u) for u in users}
        assert await api.members(ids[name]) == expected
        size, sample = await api.preview({"conditions": next(
            b for b in (BIG_SPENDERS, VIEWED_NOT_ORDERED, LAPSED) if b["name"] == name)["conditions"]})
        assert (size, set(sample)) == (len(expected), expected)

    # Once built, backfilled definitions are kept fresh like any other.
    await api.send(track("cheap", "Product Viewed", 0, price=500))
    await api.expect_memberships({"cheap": {viewed}})


async def test_an_edited_definition_is_backfilled_again_and_its_dependents_follow(api: Api) -> None:
    await api.send(*HISTORY)
    await api.settled()
    trait_id = await api.create_ready("computed-traits", TOTAL_REVENUE)
    big_id = await api.create_ready("audiences", BIG_SPENDERS)
    viewed_id = await api.create_ready("audiences", VIEWED_NOT_ORDERED)
    await api.expect_memberships({"buyer": {"big spenders"}, "browser": {VIEWED_NOT_ORDERED["name"]}})

    # Only the last 30 days' revenue counts now: the buyer's total drops to 320, and "big spenders" (which refers to
    # the trait by name) is recomputed with it.
    edited = {**TOTAL_REVENUE, "window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}
    assert (await api.call("PUT", f"computed-traits/{trait_id}", edited))["version"] == 2
    await api.ready("computed-traits", trait_id)
    assert await api.computed_of("buyer") == {"total_revenue": 320}
    await api.expect_memberships({"buyer": set()})
    assert await api.members(big_id) == set()

    # A higher price point: the browser's 150 no longer qualifies.
    pricier = {**VIEWED_NOT_ORDERED, "conditions": [
        {"mode": "required", "event": {"name": "Product Viewed",
                                       "where": [{"property": "price", "op": "gt", "value": 200}]}},
        VIEWED_NOT_ORDERED["conditions"][1]]}
    await api.call("PUT", f"audiences/{viewed_id}", pricier)
    await api.ready("audiences", viewed_id)
    await api.expect_memberships({"browser": set(), "buyer": set()})
    assert await api.members(viewed_id) == set()


async def test_a_definition_created_before_the_events_is_kept_fresh(api: Api) -> None:
    audience_id = await api.create_ready("audiences", VIEWED_NOT_ORDERED)
    assert await api.members(audience_id) == set()
    name = VIEWED_NOT_ORDERED["name"]

    await api.send(track("shopper", "Product Viewed", 0, price=30))
    await api.expect_memberships({"shopper": set()})
    await api.send(track("shopper", "Product Viewed", 0, price=130))
    await api.expect_memberships({"shopper": {name}})
    assert await api.members(audience_id) == {await api.profile_id("shopper")}
    await api.send(track("shopper", "Order Completed", 0, revenue=130))
    await api.expect_memberships({"shopper": set()})
    assert await api.members(audience_id) == set()


async def test_a_backfilled_windowed_audience_changes_with_time_alone(api: Api) -> None:
    await api.send(track("fading", "Signed In", 85), track("coming", "Signed In", 20))
    await api.settled()  # evaluated with no definitions: nothing to schedule yet
    await api.create_ready("audiences", LAPSED)
    await api.expect_memberships({"fading": {"lapsed"}, "coming": set()})

    # Waiting days is not an option, so this looks at the mechanism DESIGN.md names for it: each profile must be
    # due (now, or at its window crossing) no later than the crossing: "fading" leaves in 5 days, "coming" enters
    # in 10.
    now = datetime.now(UTC)
    crossings = {"fading": now + timedelta(days=5, minutes=1), "coming": now + timedelta(days=10, minutes=1)}
    ids = {user: await api.profile_id(user) for user in crossings}

    async def scheduled() -> bool:
        due = {d["_id"]: d["due_at"] async for d in api.store.due.find({"_id": {"$in": list(ids.values())}})}
        assert all(ids[u] in due and due[ids[u]] <= crossings[u] for u in crossings), due
        return True

    await eventually(scheduled, timeout=5)
