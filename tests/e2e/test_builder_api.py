"""The REST API the audience builder adds: the catalog of what a workspace has sent, computed-trait previews,
audience sizes and their history; and the page itself, served by the gateway outside the OpenAPI schema."""

import uuid
from typing import Any

import httpx

from tests.conftest import Tenant
from tests.e2e.conftest import Api, ago, page, track

SPENT: dict[str, Any] = {"kind": "sum", "property": "revenue", "event": {"name": "Order Completed"}}


async def test_the_catalog_lists_what_the_workspace_sent(api: Api) -> None:
    assert await api.call("GET", "catalog") == {"events": [], "traits": [], "eventsRead": 0, "profilesRead": 0}
    await api.send(
        track("ann", "Product Viewed", 2, price=150, product={"sku": "A-1", "tags": ["x"]}),
        track("bob", "Product Viewed", 1, price="cheap"),
        track("bob", "Order Completed", 1, revenue=20.5),
        page("ann", "Pricing", 1),
        {"type": "identify", "userId": "ann", "traits": {"plan": "pro", "address": {"city": "Leeds"}},
         "timestamp": ago(1), "messageId": str(uuid.uuid4())},
    )
    catalog = await api.call("GET", "catalog")
    assert catalog["eventsRead"] == 5 and catalog["profilesRead"] == 2
    events = {(e["type"], e["name"]): e for e in catalog["events"]}
    assert list(events)[0] == ("track", "Product Viewed")  # most seen first
    assert set(events) == {("track", "Product Viewed"), ("track", "Order Completed"), ("page", "Pricing")}
    viewed = events[("track", "Product Viewed")]
    assert viewed["seen"] == 2 and viewed["lastSeen"].endswith("Z")
    assert viewed["properties"] == [{"path": "price", "types": ["number", "string"]},
                                    {"path": "product", "types": ["object"]},
                                    {"path": "product.sku", "types": ["string"]},
                                    {"path": "product.tags", "types": ["array"]}]
    assert events[("track", "Order Completed")]["properties"] == [{"path": "revenue", "types": ["number"]}]
    traits = {t["path"]: t["types"] for t in catalog["traits"]}
    assert traits == {"plan": ["string"], "address": ["object"], "address.city": ["string"]}


async def test_a_computed_trait_preview_shows_values_of_a_few_profiles(api: Api) -> None:
    await api.send(track("ann", "Order Completed", 3, revenue=100), track("ann", "Order Completed", 1, revenue=20.5),
                   track("bob", "Order Completed", 2, revenue=7), track("cid", "Product Viewed", 1, price=3))
    answer = await api.call("POST", "computed-traits/preview", SPENT)  # a draft needs no name
    ann, bob = await api.profile_id("ann"), await api.profile_id("bob")
    assert answer["size"] == 2
    assert sorted((v["profileId"], v["value"]) for v in answer["sample"]) == sorted([(ann, 120.5), (bob, 7)])
    assert [v["profileId"] for v in answer["sample"]] == sorted([ann, bob])  # in profile id order

    # Every kind previews the way it is computed; a bad choice is named by its path, and nothing is saved.
    listed = await api.call("POST", "computed-traits/preview", {**SPENT, "kind": "unique_list"})
    assert {v["profileId"]: v["value"] for v in listed["sample"]} == {ann: [20.5, 100], bob: [7]}
    bad = await api.http.post(f"{api.tenant.base}/computed-traits/preview", headers=api.tenant.headers,
                              json={**SPENT, "window": {"kind": "quick", "last": {"amount": 0, "unit": "days"}}})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("window.last.amount:")
    assert (await api.call("GET", "computed-traits"))["data"] == []


async def test_audience_sizes_and_their_history(api: Api) -> None:
    audience_id = await api.create_ready("audiences", {"name": "buyers", "conditions": [
        {"mode": "required", "event": {"name": "Order Completed"}}]})
    assert (await api.call("GET", f"audiences/{audience_id}"))["size"] == 0
    await api.send(track("ann", "Order Completed", 1, revenue=1), track("bob", "Order Completed", 1, revenue=1),
                   track("cid", "Product Viewed", 1, price=1))
    await api.expect_memberships({"ann": {"buyers"}, "bob": {"buyers"}, "cid": set()})
    got = await api.call("GET", f"audiences/{audience_id}")
    assert got["size"] == 2 and isinstance(got["size"], int)
    assert [a["size"] for a in (await api.call("GET", "audiences"))["data"]] == [2]

    history = (await api.call("GET", f"audiences/{audience_id}/size-history", bucket="hour", buckets=3))["data"]
    assert len(history) == 3
    assert [(p["size"], p["entered"], p["exited"]) for p in history] in (
        [(0, 0, 0), (0, 0, 0), (2, 2, 0)], [(0, 0, 0), (2, 2, 0), (2, 0, 0)])  # the hour may have turned meanwhile
    assert history[0]["at"] < history[1]["at"] < history[2]["at"]
    days = (await api.call("GET", f"audiences/{audience_id}/size-history"))["data"]
    assert len(days) == 30 and days[-1]["size"] == 2
    bad = await api.http.get(f"{api.tenant.base}/audiences/{audience_id}/size-history", params={"bucket": "week"},
                             headers=api.tenant.headers)
    assert bad.status_code == 400 and "bucket" in bad.json()["error"]["message"]


async def test_the_gateway_serves_the_page_outside_the_api(http: httpx.AsyncClient, tenant: Tenant) -> None:
    home = await http.get("/")
    assert home.status_code == 307 and home.headers["location"] == "/ui/"
    page_ = await http.get("/ui/")
    assert page_.status_code == 200 and page_.headers["content-type"].startswith("text/html")
    assert "<script type=\"module\"" in page_.text
    script = await http.get("/ui/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    schema = (await http.get("/openapi.json")).json()
    assert not [path for path in schema["paths"] if path == "/" or path.startswith("/ui")]
    assert "/track/{client}/{account}/{brand}/v1/catalog" in schema["paths"]
