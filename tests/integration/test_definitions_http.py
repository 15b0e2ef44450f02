"""Audience and computed-trait definitions through the REST gateway: bodies, statuses, errors, isolation."""

import uuid
from typing import Any

import httpx

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from tests.conftest import Tenant

TOTAL_REVENUE = {"name": "total_revenue", "kind": "sum", "property": "revenue",
                 "event": {"name": "Order Completed", "where": []},
                 "window": {"kind": "quick", "last": {"amount": 365, "unit": "days"}}}
HIGH_VALUE = {
    "name": "high value customers",
    "description": "optional",
    "conditions": [
        {"mode": "required",
         "event": {"name": "Product Viewed", "where": [{"property": "price", "op": "gt", "value": 100}],
                   "count": {"op": "at_least", "value": 1},
                   "window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"name": "Order Completed"}},
        {"mode": "optional", "trait": {"path": "plan", "op": "eq", "value": "pro"}},
        {"mode": "optional", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}},
    ],
}


async def send(http: httpx.AsyncClient, tenant: Tenant, method: str, path: str, body: Any = None,
               **params: Any) -> httpx.Response:
    return await http.request(method, f"{tenant.base}/{path}", json=body, params=params, headers=tenant.headers)


def error_of(reply: httpx.Response, status: int, code: str) -> str:
    assert reply.status_code == status, reply.text
    assert reply.json()["error"]["code"] == code, reply.text
    return reply.json()["error"]["message"]


async def test_audience_round_trip(http: httpx.AsyncClient, tenant: Tenant) -> None:
    made = await send(http, tenant, "POST", "computed-traits", TOTAL_REVENUE)
    assert made.status_code == 201, made.text
    created = await send(http, tenant, "POST", "audiences", HIGH_VALUE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in HIGH_VALUE} == HIGH_VALUE  # the public format, as sent (100 stays 100)
    assert body["version"] == 1 and body["status"]["state"] == "building" and body["status"]["progress"] == 0
    assert body["created_at"].endswith("Z") and body["id"]

    got = await send(http, tenant, "GET", f"audiences/{body['id']}")
    assert got.status_code == 200 and got.json()["id"] == body["id"]
    assert got.json()["status"]["state"] in ("building", "ready", "failed")
    listed = await send(http, tenant, "GET", "audiences")
    assert [a["name"] for a in listed.json()["data"]] == ["high value customers"]

    # What GET answers can be sent back as the update: the fields the service sets are ignored.
    edited = {**got.json(), "name": "valued", "conditions": HIGH_VALUE["conditions"][:1]}
    updated = await send(http, tenant, "PUT", f"audiences/{body['id']}", edited)
    assert updated.status_code == 200, updated.text
    assert (updated.json()["name"], updated.json()["version"], len(updated.json()["conditions"])) == ("valued", 2, 1)
    assert updated.json()["id"] == body["id"] and updated.json()["status"]["state"] == "building"

    deleted = await send(http, tenant, "DELETE", f"audiences/{body['id']}")
    assert deleted.status_code == 204 and not deleted.content
    error_of(await send(http, tenant, "GET", f"audiences/{body['id']}"), 404, "not_found")
    error_of(await send(http, tenant, "DELETE", f"audiences/{body['id']}"), 404, "not_found")


async def test_computed_trait_round_trip(http: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await send(http, tenant, "POST", "computed-traits", TOTAL_REVENUE)
    assert created.status_code == 201, created.text
    body = created.json()
    assert {k: body[k] for k in TOTAL_REVENUE} == {**TOTAL_REVENUE, "event": {"name": "Order Completed"}}
    assert body["status"]["state"] == "building" and body["version"] == 1

    counter = {"name": "orders", "kind": "count", "event": {"type": "page"}}
    updated = await send(http, tenant, "PUT", f"computed-traits/{body['id']}", counter)
    assert updated.status_code == 200, updated.text
    assert {k: v for k, v in updated.json().items() if k in ("name", "kind", "property", "event", "window")} == counter
    assert updated.json()["version"] == 2
    got = await send(http, tenant, "GET", f"computed-traits/{body['id']}")
    assert got.json()["name"] == "orders" and "status" in got.json()
    assert [t["name"] for t in (await send(http, tenant, "GET", "computed-traits")).json()["data"]] == ["orders"]
    assert (await send(http, tenant, "DELETE", f"computed-traits/{body['id']}")).status_code == 204
    assert (await send(http, tenant, "GET", "computed-traits")).json() == {"data": []}


async def test_duplicate_names_are_409(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for path, body in (("computed-traits", TOTAL_REVENUE), ("audiences", HIGH_VALUE)):
        assert (await send(http, tenant, "POST", path, body)).status_code == 201
        message = error_of(await send(http, tenant, "POST", path, body), 409, "invalid_request_error")
        assert f"name {body['name']!r} is taken" in message


async def test_invalid_bodies_are_400_naming_the_path_and_save_nothing(
    http: httpx.AsyncClient, tenant: Tenant, store: Store
) -> None:
    assert (await send(http, tenant, "POST", "computed-traits", TOTAL_REVENUE)).status_code == 201
    event = HIGH_VALUE["conditions"][0]["event"]
    relative = {"kind": "relative", "from": {"amount": 30, "unit": "days"}, "to": {"amount": 90, "unit": "days"}}
    cases: list[tuple[str, Any, str]] = [
        ("audiences", {**HIGH_VALUE, "colour": "red"}, "colour: unknown field"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "required", "event": {**event, "nme": "x"}}]},
         "conditions[0].event.nme: unknown field"),
        ("audiences", {**HIGH_VALUE, "name": 7}, "name: must be a string"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "required", "event": {**event, "count": {
            "op": "at_least", "value": "one"}}}]}, "conditions[0].event.count.value: must be a whole number"),
        ("audiences", {**HIGH_VALUE, "conditions": [HIGH_VALUE["conditions"][1], {"mode": "required", "event": {
            "window": relative}}]}, "conditions[1].event.window: from must be further back than to"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "required", "event": {"window": {
            "kind": "quick", "last": {"amount": -3, "unit": "days"}}}}]},
         "conditions[0].event.window.last.amount: must be a positive whole number"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "sometimes", "event": {}}]},
         "conditions[0].mode: must be one of"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "required", "trait": {"path": "a", "op": "like"}}]},
         "conditions[0].trait.op: must be one of"),
        ("audiences", {**HIGH_VALUE, "conditions": [{"mode": "required", "audience": {"name": "ghosts"}}]},
         "conditions[0].audience.name: no audience named 'ghosts'"),
        ("computed-traits", {**TOTAL_REVENUE, "name": "t2", "kind": "median"}, "kind: must be one of"),
        ("computed-traits", {**TOTAL_REVENUE, "name": "t2", "property": ""}, "property: sum needs"),
        ("computed-traits", {"name": "t2", "kind": "count", "property": "revenue"}, "property: count takes no"),
        ("computed-traits", {**TOTAL_REVENUE, "name": "t2", "event": {"name": "x", "count": {"value": 2}}},
         "event.count: unknown field"),
        ("computed-traits", {**TOTAL_REVENUE, "name": "t2", "window": {"kind": "after", "at": "tomorrow"}},
         "window.at: must be an RFC 3339 date-time"),
    ]
    for path, body, error in cases:
        message = error_of(await send(http, tenant, "POST", path, body), 400, "validation_error")
        assert message.startswith(error), (body, message)
    bad_json = await http.post(f"{tenant.base}/audiences", content=b"{nope",
                               headers={**tenant.headers, "content-type": "application/json"})
    error_of(bad_json, 400, "validation_error")
    error_of(await send(http, tenant, "POST", "audiences", [HIGH_VALUE]), 400, "validation_error")
    assert await store.audiences.count_documents({"workspace": tenant.name}) == 0
    assert await store.computed_traits.count_documents({"workspace": tenant.name}) == 1

    trait_id = (await send(http, tenant, "GET", "computed-traits")).json()["data"][0]["id"]
    message = error_of(await send(http, tenant, "PUT", f"computed-traits/{trait_id}", {**TOTAL_REVENUE, "kind": 1}),
                       400, "validation_error")
    assert message == "kind: must be a string"
    assert (await store.computed_traits.find_one({"_id": trait_id}))["version"] == 1


async def test_refusals_name_the_referrer(http: httpx.AsyncClient, tenant: Tenant) -> None:
    trait_id = (await send(http, tenant, "POST", "computed-traits", TOTAL_REVENUE)).json()["id"]
    spenders = (await send(http, tenant, "POST", "audiences", HIGH_VALUE)).json()
    fans = {"name": "fans", "conditions": [{"mode": "required", "audience": {"name": HIGH_VALUE["name"],
                                                                             "member": True}}]}
    fans_id = (await send(http, tenant, "POST", "audiences", fans)).json()["id"]

    message = error_of(await send(http, tenant, "DELETE", f"computed-traits/{trait_id}"), 400,
                       "invalid_request_error")
    assert "audience 'high value customers' refers to it" in message
    message = error_of(await send(http, tenant, "DELETE", f"audiences/{spenders['id']}"), 400,
                       "invalid_request_error")
    assert "audience 'fans' refers to it" in message
    looped = {**HIGH_VALUE, "conditions": [*HIGH_VALUE["conditions"], {"mode": "required", "group": {
        "conditions": [{"mode": "required", "audience": {"name": "fans", "member": True}}]}}]}
    message = error_of(await send(http, tenant, "PUT", f"audiences/{spenders['id']}", looped), 400,
                       "validation_error")
    assert message.startswith("conditions[4].group.conditions[0].audience.name: audiences would refer to each other "
                              "in a cycle: high value customers -> fans -> high value customers")

    assert (await send(http, tenant, "DELETE", f"audiences/{fans_id}")).status_code == 204
    assert (await send(http, tenant, "DELETE", f"audiences/{spenders['id']}")).status_code == 204
    assert (await send(http, tenant, "DELETE", f"computed-traits/{trait_id}")).status_code == 204


async def test_workspaces_are_isolated(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    other = Tenant(f"o{uuid.uuid4().hex[:8]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    await ensure_workspace(store, other.name, other.token, other.write_key)
    audience_id = (await send(http, tenant, "POST", "audiences", {**HIGH_VALUE, "conditions": HIGH_VALUE[
        "conditions"][:3]})).json()["id"]
    trait_id = (await send(http, tenant, "POST", "computed-traits", TOTAL_REVENUE)).json()["id"]

    for method, path in (("GET", f"audiences/{audience_id}"), ("DELETE", f"audiences/{audience_id}"),
                         ("GET", f"audiences/{audience_id}/members"), ("GET", f"computed-traits/{trait_id}"),
                         ("PUT", f"computed-traits/{trait_id}")):
        error_of(await send(http, other, method, path, TOTAL_REVENUE if method == "PUT" else None), 404, "not_found")
    assert (await send(http, other, "GET", "audiences")).json() == {"data": []}
    assert (await send(http, other, "POST", "computed-traits", TOTAL_REVENUE)).status_code == 201  # its own name
    for headers in ({}, {"auth-token": "wrong"}, other.headers):
        reply = await http.get(f"{tenant.base}/audiences/{audience_id}", headers=headers)
        error_of(reply, 403, "authentication_error")


async def test_members_and_preview_are_checked_before_the_engine(http: httpx.AsyncClient, tenant: Tenant) -> None:
    audience_id = (await send(http, tenant, "POST", "audiences", {**HIGH_VALUE, "conditions": HIGH_VALUE[
        "conditions"][:1]})).json()["id"]
    for limit in (-1, 1001, 2**40):  # the last one beyond any int32 of the request message
        message = error_of(await send(http, tenant, "GET", f"audiences/{audience_id}/members", limit=limit), 400,
                           "validation_error")
        assert message.startswith("query.limit: "), message
    error_of(await send(http, tenant, "GET", f"audiences/{audience_id}/members", limit="many"), 400,
             "validation_error")
    error_of(await send(http, tenant, "GET", "audiences/no-such-id/members"), 404, "not_found")
    message = error_of(await send(http, tenant, "POST", "audiences/preview", {"conditions": [
        {"mode": "required", "computed_trait": {"name": "nope", "op": "gt", "value": 1}}]}), 400, "validation_error")
    assert message.startswith("conditions[0].computed_trait.name: no computed trait named 'nope'")


async def test_openapi_describes_the_definition_routes(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    prefix = "/track/{client}/{account}/{brand}/v1"
    assert {"post", "get"} <= set(paths[f"{prefix}/audiences"])
    assert {"get", "put", "delete"} <= set(paths[f"{prefix}/audiences/{{id}}"])
    assert "post" in paths[f"{prefix}/audiences/preview"] and "get" in paths[f"{prefix}/audiences/{{id}}/members"]
    assert {"get", "put", "delete"} <= set(paths[f"{prefix}/computed-traits/{{id}}"])
    create = paths[f"{prefix}/computed-traits"]["post"]
    assert create["summary"] and "201" in create["responses"]
    example = create["requestBody"]["content"]["application/json"]["examples"]["example"]["value"]
    assert example["kind"] == "sum"
