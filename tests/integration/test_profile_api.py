"""The Profile API through the gateway, against the real services and store: every route and parameter."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from services.common.store import Store
from services.common.tenancy import ensure_workspace
from tests.conftest import Tenant, eventually
from tests.integration.profile_data import (
    T0,
    at,
    error_of,
    log_membership,
    ok,
    read,
    scroll_all,
    send,
    tracks,
)

IDENTIFIED_ROUTES = ("audiences", "audiences/history", "traits", "events", "meta")


def ms(seconds: float) -> str:
    """How the API writes the instant `seconds` after T0: UTC, milliseconds, Z."""
    return (T0 + timedelta(seconds=seconds)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


async def profile_id(http: httpx.AsyncClient, tenant: Tenant, identifier: str) -> str:
    return (await ok(http, tenant, f"/{identifier}/audiences"))["id"]


# --- Identifiers ---


async def test_every_identifier_kind_on_every_route(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "Joe-1", "anonymousId": "Anon-1",
                               "traits": {"email": "Joe.Bloggs+tag@Example.com", "firstName": "Joe"}}])
    joe = await profile_id(http, tenant, "userId:Joe-1")
    same = [f"id:{joe}", "userId:Joe-1", "anonymousId:Anon-1",
            "email:joe.bloggs%2Btag%40example.com",  # URL-encoded + and @
            "email:JOE.BLOGGS+tag@EXAMPLE.COM"]  # as typed: emails match whatever their case
    absent = ["userId:joe-1", "anonymousId:anon-1", "id:" + joe.upper(), "email:joe.bloggs@example.com"]
    for route in IDENTIFIED_ROUTES:
        for identifier in same:
            reply = await read(http, tenant, f"/{identifier}/{route}")
            assert reply.status_code == 200, (route, identifier, reply.text)
            body = reply.json()
            ids = {item.get("id", item.get("profileId")) for item in body["data"]} if "data" in body else {body["id"]}
            assert ids <= {joe}, (route, identifier, body)
        for identifier in absent:  # ids other than email are case-sensitive
            assert "no profile" in error_of(await read(http, tenant, f"/{identifier}/{route}"), 404, "not_found")
        for malformed in ("joe", "phone:1", "userId:"):
            error_of(await read(http, tenant, f"/{malformed}/{route}"), 400, "validation_error")


async def test_audiences_body(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "u1",
                               "traits": {"email": "Ann@Example.com", "plan": "pro", "id": "mine"}}])
    body = await ok(http, tenant, "/userId:u1/audiences")
    assert body["id"] != "mine"  # our id wins over a trait of the same name
    assert body == {"id": body["id"], "email": "Ann@Example.com", "plan": "pro", "externalId": "u1",
                    "audiences": [], "audiencesStatic": []}
    # Without an email trait, the profile's first email (lower-cased as matched) is shown.
    await send(http, tenant, [{"type": "identify", "userId": "u2", "traits": {"email": "B@Example.com"}},
                              {"type": "identify", "userId": "u2", "traits": {"email": None}}])
    assert (await ok(http, tenant, "/userId:u2/audiences"))["email"] == "b@example.com"


async def test_an_email_shared_by_several_profiles(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    await send(http, tenant, [
        {"type": "identify", "userId": "a", "traits": {"email": "Shared@Example.com", "name": "A"},
         "timestamp": at(0)},
        {"type": "identify", "userId": "b", "traits": {"email": "shared@example.com", "name": "B"},
         "timestamp": at(1)},
        *tracks("a", ["Order Completed"], start=2), *tracks("b", ["Order Completed"], start=3),
    ])
    a, b = [await profile_id(http, tenant, f"userId:{u}") for u in "ab"]
    await log_membership(store, tenant, a, [("vip", "entered", T0)])
    await log_membership(store, tenant, b, [("vip", "entered", T0 + timedelta(seconds=1))])
    path = "/email:shared%40example.com"
    for route in ("audiences", "traits", "meta"):
        body = await ok(http, tenant, f"{path}/{route}")
        assert sorted((p["id"], p["name"]) for p in body["data"]) == sorted([(a, "A"), (b, "B")]), route
    events = await ok(http, tenant, f"{path}/events")
    assert [(e["customerId"], e["eventAction"]) for e in events["data"]] == [
        (b, "Order Completed"), (a, "Order Completed"), (b, "identify"), (a, "identify")]
    history = await ok(http, tenant, f"{path}/audiences/history")
    assert [e["profileId"] for e in history["data"]] == [b, a]
    # One profile with the email: one object, not a list.
    assert (await ok(http, tenant, "/userId:a/meta"))["id"] == a


# --- Traits ---


async def test_traits_classes_and_keys(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for path, body in (
        ("computed-traits", {"name": "orders", "kind": "count", "event": {"name": "Order Completed", "where": []}}),
        ("audiences", {"name": "buyers", "conditions": [
            {"mode": "required", "computed_trait": {"name": "orders", "op": "gte", "value": 1}}]}),
        ("audiences", {"name": "pros", "conditions": [
            {"mode": "required", "trait": {"path": "plan", "op": "eq", "value": "pro"}}]}),
    ):
        made = await http.post(f"{tenant.base}/{path}", json=body, headers=tenant.headers)
        assert made.status_code == 201, made.text
    await send(http, tenant, [{"type": "identify", "userId": "joe", "traits": {"plan": "pro", "firstName": "Joe"}},
                              *tracks("joe", ["Order Completed", "Order Completed"])])

    async def computed() -> dict | None:
        body = await ok(http, tenant, "/userId:joe/traits", **{"class": "computed_trait"})
        return body if body["computed"].get("orders") == 2 else None

    async def audiences() -> dict | None:
        body = await ok(http, tenant, "/userId:joe/traits", **{"class": "audience"})
        return body if body["audiences"] == ["buyers", "pros"] else None

    joe = (await eventually(computed))["id"]
    assert await eventually(computed) == {"id": joe, "computed": {"orders": 2}}
    assert await eventually(audiences) == {"id": joe, "audiences": ["buyers", "pros"]}
    assert await ok(http, tenant, "/userId:joe/traits") == {
        "id": joe, "externalId": "joe", "plan": "pro", "firstName": "Joe", "computed": {"orders": 2}}
    assert await ok(http, tenant, "/userId:joe/traits", include="plan,orders") == {
        "id": joe, "externalId": "joe", "plan": "pro", "computed": {"orders": 2}}
    assert await ok(http, tenant, "/userId:joe/traits", include=" firstName , ") == {
        "id": joe, "externalId": "joe", "firstName": "Joe", "computed": {}}
    assert await ok(http, tenant, "/userId:joe/traits", **{"class": "audience", "include": "pros"}) == {
        "id": joe, "audiences": ["pros"]}
    message = error_of(await read(http, tenant, "/userId:joe/traits", **{"class": "custom"}), 400, "validation_error")
    assert "class" in message

    # The membership history shows the changes the engine made, newest first.
    await send(http, tenant, [{"type": "identify", "userId": "joe", "traits": {"plan": "free"}}])

    async def exited() -> list | None:
        data = (await ok(http, tenant, "/userId:joe/audiences/history"))["data"]
        return data if data and data[0]["change"] == "exited" else None

    history = await eventually(exited)
    assert (history[0]["audience"], history[0]["reason"]) == ("pros", "event")
    assert sorted((e["audience"], e["change"]) for e in history[1:]) == [("buyers", "entered"), ("pros", "entered")]
    assert all(e["at"].endswith("Z") and e["profileId"] == joe for e in history)


# --- Events ---


async def test_event_shape(http: httpx.AsyncClient, tenant: Tenant) -> None:
    [result] = await send(http, tenant, [{
        "type": "track", "userId": "joe", "anonymousId": "anon", "event": "Order Completed", "messageId": "m-1",
        "properties": {"revenue": 120, "items": [1, 2]}, "context": {"ip": "10.0.0.1"}, "timestamp": at(0)}])
    [event] = (await ok(http, tenant, "/userId:joe/events"))["data"]
    joe = await profile_id(http, tenant, "userId:joe")
    received = event["receivedTime"]
    assert received.endswith("Z") and received > event["eventTime"]
    client, account, brand = tenant.name.split("/")
    assert event == {
        "id": joe, "customerId": joe, "eventId": result["eventId"], "externalId": "joe", "eventTime": ms(0),
        "receivedTime": received, "eventAction": "Order Completed", "userId": "joe", "anonymousId": "anon",
        "clientId": client, "accountId": account, "brandId": brand, "source": "SEGMENT_API",
        "rawData": {"type": "track", "messageId": "m-1", "userId": "joe", "anonymousId": "anon",
                    "event": "Order Completed", "properties": {"revenue": 120, "items": [1, 2]},
                    "context": {"ip": "10.0.0.1"}, "timestamp": ms(0), "receivedAt": received},
    }


async def test_event_filters_and_order(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await send(http, tenant, [
        *tracks("f", ["A", "B", "A"]),
        {"type": "page", "userId": "f", "name": "Home", "timestamp": at(3)},
        {"type": "identify", "userId": "f", "traits": {"x": 1}, "timestamp": at(4)},
    ])

    async def actions(**params: str | int) -> list[str]:
        return [e["eventAction"] for e in (await ok(http, tenant, "/userId:f/events", **params))["data"]]

    assert await actions() == ["identify", "page", "A", "B", "A"]  # newest first by default
    assert await actions(sort="desc") == await actions()
    assert await actions(sort="asc") == ["A", "B", "A", "page", "identify"]
    assert await actions(sort="asc", start=at(1), end=at(3)) == ["B", "A"]  # start inclusive, end exclusive
    assert await actions(sort="asc", start="2026-01-01T00:00:02") == ["A", "page", "identify"]  # no zone: UTC
    assert await actions(end="2026-01-01") == []  # a date is its midnight
    assert await actions(include="A,page") == ["page", "A", "A"]
    assert await actions(exclude="A, identify") == ["page", "B"]
    assert await actions(include="A", exclude="A") == []
    assert await actions(include="Home") == []  # a page is filtered by its type, its name is in rawData
    for params in ({"sort": "up"}, {"size": 0}, {"size": 101}, {"start": at(3), "end": at(1)},
                   {"start": "yesterday"}, {"scrollId": "not-a-scroll-id"}):
        error_of(await read(http, tenant, "/userId:f/events", **params), 400, "validation_error")


async def test_event_scroll_carries_its_query(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await send(http, tenant, [*tracks("s", ["A", "B"] * 4), *tracks("t", ["A"])])
    first = await ok(http, tenant, "/userId:s/events", include="A", sort="asc", size=3)
    assert [e["eventTime"] for e in first["data"]] == [ms(0), ms(2), ms(4)]
    scroll = first["scrollId"]
    # The scroll id alone resumes the same query; its parameters may be repeated, and size may change.
    assert [e["eventTime"] for e in (await ok(http, tenant, "/userId:s/events", scrollId=scroll))["data"]] == [ms(6)]
    repeated = await ok(http, tenant, "/userId:s/events", scrollId=scroll, include="A", sort="asc", size=1)
    assert [e["eventTime"] for e in repeated["data"]] == [ms(6)] and repeated["scrollId"] is None
    for changed in ({"sort": "desc"}, {"include": "B"}, {"start": at(1)}):
        message = error_of(await read(http, tenant, "/userId:s/events", scrollId=scroll, **changed), 400,
                           "validation_error")
        assert "scrollId" in message
    assert "another profile" in error_of(await read(http, tenant, "/userId:t/events", scrollId=scroll), 400,
                                         "validation_error")
    # A listing's scroll id is refused by another listing.
    profiles = await ok(http, tenant, "", size=1)
    assert "listing" in error_of(await read(http, tenant, "/userId:s/events", scrollId=profiles["scrollId"]), 400,
                                 "validation_error")


@pytest.mark.parametrize("sort", ["desc", "asc"])
async def test_event_paging_to_the_end_with_inserts_in_between(http: httpx.AsyncClient, tenant: Tenant,
                                                               sort: str) -> None:
    # Many events share an instant (pairs of one second): ties are broken by event id.
    messages = [{"type": "track", "userId": "p", "event": f"E{i}", "timestamp": at(i // 2)} for i in range(24)]
    before = {r["eventId"] for r in await send(http, tenant, messages)}
    inserted: set[str] = set()

    async def insert(page: int) -> None:
        # Newer, older and same-instant events arrive while the scroll goes on.
        results = await send(http, tenant, [{"type": "track", "userId": "p", "event": f"late-{page}-{j}",
                                             "timestamp": at(offset)} for j, offset in enumerate((-9, 5, 99))])
        inserted.update(r["eventId"] for r in results)

    pages = await scroll_all(http, tenant, "/userId:p/events", insert, sort=sort, size=5)
    served = [e["eventId"] for page in pages for e in page]
    assert len(served) == len(set(served)), "an event was served twice"
    assert before <= set(served), "an event present when the scroll began was skipped"
    assert set(served) <= before | inserted
    assert all(len(page) == 5 for page in pages[:-1]) and len(pages) >= 5
    times = [e["eventTime"] for page in pages for e in page]
    assert times == sorted(times, reverse=sort == "desc")


# --- Meta ---


async def test_meta(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await send(http, tenant, [
        {"type": "identify", "userId": "m", "traits": {"plan": "pro"}, "timestamp": at(1)},
        *tracks("m", ["A", "B", "A"], start=2),
    ])
    body = await ok(http, tenant, "/userId:m/meta")
    assert {k: body[k] for k in ("plan", "externalId", "audiences", "audiencesStatic")} == {
        "plan": "pro", "externalId": "m", "audiences": [], "audiencesStatic": []}
    assert body["createdAt"].endswith("Z") and body["lastActivityTime"] == ms(4)
    assert {a: e["eventTime"] for a, e in body["firstEvent"].items()} == {"identify": ms(1), "A": ms(2), "B": ms(3)}
    assert {a: e["eventTime"] for a, e in body["lastEvent"].items()} == {"identify": ms(1), "A": ms(4), "B": ms(3)}
    assert body["lastEvent"]["A"]["rawData"]["properties"] == {"i": 2}


# --- Listing ---


async def test_listing_pages_through_every_live_profile(http: httpx.AsyncClient, tenant: Tenant,
                                                        store: Store) -> None:
    # 101 new people, sent in smaller batches: each new person costs the embedded store several writes, and one
    # batch of 101 came close to the gateway's 10 s request deadline on a loaded machine.
    for start in range(0, 101, 25):
        await send(http, tenant, [{"type": "identify", "userId": f"p{i:03d}", "traits": {"n": i}}
                                  for i in range(start, min(start + 25, 101))])
    # A merge: the anonymous profile is merged into the known one and must not be listed.
    await send(http, tenant, [{"type": "track", "anonymousId": "m-anon", "event": "Seen"},
                              {"type": "identify", "userId": "m-user"}])
    await send(http, tenant, [{"type": "identify", "userId": "m-user", "anonymousId": "m-anon"}])
    merged = {d["_id"] async for d in store.profiles.find({"workspace": tenant.name, "merged_into": {"$ne": None}})}
    assert merged, "the test needs a merged profile"
    live = {d["_id"] async for d in store.profiles.find({"workspace": tenant.name})} - merged
    added: list[str] = []

    async def insert(page: int) -> None:
        results = await send(http, tenant, [{"type": "identify", "userId": f"late-{page}-{j}"} for j in range(3)])
        added.extend(r["eventId"] for r in results)

    pages = await scroll_all(http, tenant, "", insert)
    assert [len(page) for page in pages][:1] == [100]  # 100 at a time by default
    listed = [p["id"] for page in pages for p in page]
    assert len(listed) == len(set(listed)) and live <= set(listed) and not merged & set(listed)
    assert listed == sorted(listed)
    first = pages[0][0]
    assert set(first) >= {"id", "externalId", "n", "audiences", "audiencesStatic", "computed"}
    small = await scroll_all(http, tenant, "", size=40)
    assert [len(page) for page in small][:2] == [40, 40]
    for bad in ({"size": 0}, {"size": 101}, {"scrollId": "e30"}):
        error_of(await read(http, tenant, "", **bad), 400, "validation_error")


async def test_a_page_of_profiles_beyond_grpcs_default_message_size_is_served(
        http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    """100 profiles of 60 KB of traits each (more than gRPC's 4 MB default, which would read as a 429) written
    straight to the store, as many identify calls over time would leave them."""
    now = datetime.now(UTC)
    await store.profiles.insert_many([
        {"_id": f"big-{i:03d}", "workspace": tenant.name, "user_id": f"big-{i:03d}", "created_at": now,
         "updated_at": now, "traits": {"notes": "x" * 30_000, "more": "y" * 30_000}} for i in range(100)])
    body = await ok(http, tenant, "", size=100)
    assert len(body["data"]) == 100 and all(len(p["notes"]) == 30_000 for p in body["data"])


# --- Membership history ---


async def test_history_pages_newest_first(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    await send(http, tenant, [{"type": "identify", "userId": "h"}])
    h = await profile_id(http, tenant, "userId:h")
    # Several changes of one evaluation share their instant.
    await log_membership(store, tenant, h, [("a", "entered", T0), ("b", "entered", T0), ("c", "entered", T0),
                                            ("a", "exited", T0 + timedelta(seconds=5))], reason="time")
    expected = [e async for e in store.membership_log.find({"workspace": tenant.name, "profile_id": h}).sort(
        [("at", -1), ("_id", -1)])]
    late: list[str] = []

    async def insert(page: int) -> None:
        when = T0 + timedelta(seconds=60 if page == 1 else -60)  # one newer (not served), one older (served)
        await log_membership(store, tenant, h, [(f"late{page}", "entered", when)])
        late.append(f"late{page}")

    pages = await scroll_all(http, tenant, "/userId:h/audiences/history", insert, size=1)
    served = [(e["audience"], e["change"]) for page in pages for e in page]
    assert served[:4] == [(e["audience"], e["change"]) for e in expected]
    assert ("late1", "entered") not in served and ("late2", "entered") in served
    assert pages[0][0] == {"audience": "a", "change": "exited", "at": ms(5), "reason": "time",
                           "audienceId": "id-a", "profileId": h}
    for bad in ({"size": 0}, {"size": 101}, {"scrollId": "x"}):
        error_of(await read(http, tenant, "/userId:h/audiences/history", **bad), 400, "validation_error")


# --- Tenants, errors, OpenAPI ---


async def test_no_route_reads_across_tenants(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    other = Tenant(f"o{uuid.uuid4().hex[:9]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    await ensure_workspace(store, other.name, other.token, other.write_key)
    await send(http, tenant, [{"type": "identify", "userId": "secret", "traits": {"email": "s@example.com"}}])
    secret = await profile_id(http, tenant, "userId:secret")
    await log_membership(store, tenant, secret, [("vip", "entered", T0)])
    identifiers = ["userId:secret", f"id:{secret}", "email:s@example.com"]
    paths = [f"/{i}/{route}" for i in identifiers for route in IDENTIFIED_ROUTES] + [""]
    for path in paths:
        for headers in ({}, {"auth-token": "wrong"}, other.headers):  # this tenant's paths, without its token
            reply = await http.get(f"{tenant.base}/profiles{path}", headers=headers)
            error_of(reply, 403, "authentication_error")
        reply = await read(http, other, path)  # the other tenant's own paths do not see this tenant's profile
        if path:
            error_of(reply, 404, "not_found")
        else:
            assert reply.json() == {"scrollId": None, "data": []}
    # Nor do internal callers: the profile service scopes by the workspace in the call's metadata (test_profile_grpc).


async def test_errors_have_one_shape_and_a_request_id(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for path in ("/nowhere", f"{tenant.base}/profiles/userId:x/unknown"):
        reply = await http.get(path, headers=tenant.headers)
        error_of(reply, 404, "not_found")
    reply = await http.get(f"{tenant.base}/profiles", headers={"x-request-id": "mine-1", **tenant.headers})
    assert reply.status_code == 200 and reply.headers["x-request-id"] == "mine-1"


async def test_openapi_documents_every_route_with_examples(http: httpx.AsyncClient) -> None:
    spec = (await http.get("/openapi.json")).json()
    prefix = "/track/{client}/{account}/{brand}/v1/profiles"
    assert {f"{prefix}{p}" for p in ("", "/{profile_id}/audiences", "/{profile_id}/audiences/history",
                                     "/{profile_id}/traits", "/{profile_id}/events", "/{profile_id}/meta")} <= set(
        spec["paths"])
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            success = next((r for code, r in operation["responses"].items() if code.startswith("2")), {})
            for content in success.get("content", {}).values():
                schema = content.get("schema", {})
                if "example" not in content and "examples" not in content and not _schema_has_example(spec, schema):
                    missing.append(f"{method.upper()} {path} (response)")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                if "example" not in content and "examples" not in content and not _schema_has_example(
                        spec, content.get("schema", {})):
                    missing.append(f"{method.upper()} {path} (body)")
    assert not missing, missing


def _schema_has_example(spec: dict, schema: dict) -> bool:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return "example" in schema or "examples" in schema
