"""The walking skeleton through the gateway: identify in, profile out, and the error cases."""

import uuid

import httpx

from services.common.store import Store
from tests.conftest import Tenant


async def identify(http: httpx.AsyncClient, tenant: Tenant, body: dict) -> httpx.Response:
    return await http.post(f"{tenant.base}/identify", json=body, headers=tenant.headers)


async def test_identify_then_read_back_by_every_identifier(http: httpx.AsyncClient, tenant: Tenant) -> None:
    traits = {"email": "Joe.Bloggs@Intilery.com", "firstName": "Joe", "lastName": "Bloggs", "age": 30}
    sent = await identify(http, tenant, {"userId": "joe-1", "anonymousId": "anon-1", "traits": traits})
    assert sent.status_code == 200, sent.text
    assert sent.json()["success"] is True
    uuid.UUID(sent.json()["eventId"])

    by_user = await http.get(f"{tenant.base}/profiles/userId:joe-1/audiences", headers=tenant.headers)
    assert by_user.status_code == 200, by_user.text
    body = by_user.json()
    assert {k: body[k] for k in traits} == traits
    assert body["externalId"] == "joe-1" and body["audiences"] == []
    for identifier in (f"id:{body['id']}", "email:joe.bloggs%40intilery.com", "anonymousId:anon-1"):
        again = await http.get(f"{tenant.base}/profiles/{identifier}/audiences", headers=tenant.headers)
        assert again.status_code == 200, (identifier, again.text)
        assert again.json() == body


async def test_later_identify_merges_traits(http: httpx.AsyncClient, tenant: Tenant) -> None:
    await identify(http, tenant, {"userId": "u", "traits": {"plan": "free", "city": "Leeds"}})
    await identify(http, tenant, {"userId": "u", "traits": {"plan": "pro"}})
    body = (await http.get(f"{tenant.base}/profiles/userId:u/audiences", headers=tenant.headers)).json()
    assert (body["plan"], body["city"]) == ("pro", "Leeds")


async def test_replayed_message_is_stored_once(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    message = {"userId": "u", "messageId": "m-1", "traits": {"plan": "pro"}}
    first, second = [await identify(http, tenant, message) for _ in range(2)]
    assert first.json()["eventId"] == second.json()["eventId"]
    assert await store.events.count_documents({"workspace": tenant.name}) == 1


async def test_unknown_profile_is_404(http: httpx.AsyncClient, tenant: Tenant) -> None:
    reply = await http.get(f"{tenant.base}/profiles/userId:nobody/audiences", headers=tenant.headers)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "not_found"
    assert reply.headers["x-request-id"]


async def test_malformed_identifier_is_400(http: httpx.AsyncClient, tenant: Tenant) -> None:
    for identifier in ("joe", "phone:1", "userId:"):
        reply = await http.get(f"{tenant.base}/profiles/{identifier}/audiences", headers=tenant.headers)
        assert reply.status_code == 400, identifier
        assert reply.json()["error"]["code"] == "validation_error"


async def test_bad_or_missing_token_is_403(http: httpx.AsyncClient, tenant: Tenant, store: Store) -> None:
    other = Tenant(f"x{uuid.uuid4().hex[:8]}/marketing/MARKETING", uuid.uuid4().hex, uuid.uuid4().hex)
    from services.common.tenancy import ensure_workspace

    await ensure_workspace(store, other.name, other.token, other.write_key)
    await identify(http, tenant, {"userId": "secret-user", "traits": {"a": 1}})
    path = f"{tenant.base}/profiles/userId:secret-user/audiences"
    for headers in ({}, {"auth-token": "wrong"}, other.headers):
        for reply in (
            await http.get(path, headers=headers),
            await http.post(f"{tenant.base}/identify", json={"userId": "x"}, headers=headers),
        ):
            assert reply.status_code == 403, (headers, reply.text)
            assert reply.json()["error"]["code"] == "authentication_error"
    # The other workspace's own path does not see this workspace's profile either.
    leaked = await http.get(f"{other.base}/profiles/userId:secret-user/audiences", headers=other.headers)
    assert leaked.status_code == 404


async def test_invalid_identify_is_400_and_stores_nothing(
    http: httpx.AsyncClient, tenant: Tenant, store: Store
) -> None:
    cases = [
        ({"traits": {"a": 1}}, "userId or anonymousId must not be empty"),
        ({"userId": "u", "traits": {"$gt": 1}}, "traits: key '$gt'"),
        ({"userId": "u", "traits": {"a.b": 1}}, "traits: key 'a.b'"),
        ({"userId": "u", "timestamp": "not a time"}, "timestamp"),
        ({"userId": "u", "traits": "not an object"}, "traits"),
        ({"userId": {"nested": 1}}, "userId"),
    ]
    for body, error in cases:
        reply = await identify(http, tenant, body)
        assert reply.status_code == 400, (body, reply.text)
        assert reply.json()["success"] is False and error in reply.json()["message"], reply.text
        assert reply.json()["error"]["code"] == "validation_error"
    bad_json = await http.post(f"{tenant.base}/identify", content=b"{nope", headers={
        **tenant.headers, "content-type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json()["success"] is False
    for collection in (store.events, store.profiles, store.due):
        assert await collection.count_documents({"workspace": tenant.name}) == 0


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert set(ready.json()["checks"]) == {"ingest", "segmentation", "profile", "store"}


async def test_openapi_describes_the_routes(http: httpx.AsyncClient) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    assert "/track/{client}/{account}/{brand}/v1/identify" in paths
    assert "/track/{client}/{account}/{brand}/v1/profiles/{profile_id}/audiences" in paths
