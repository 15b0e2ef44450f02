"""Identity resolution through the real ingest and profile services: merges, conflicts, races."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from cdp.common.v1 import common_pb2
from cdp.ingest.v1 import ingest_pb2, ingest_pb2_grpc
from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from services.common.store import Store
from services.ingest.ingestion import Ingestor
from services.ingest.messages import RawMessage
from services.common.structs import dict_to_struct, struct_to_dict
from tests.conftest import Tenant


def message(kind: str = "track", **fields: object) -> common_pb2.Message:
    traits = fields.pop("traits", None)
    context = fields.pop("context", None)
    built = common_pb2.Message(type=kind, event="Clicked" if kind == "track" else "", **fields)  # type: ignore[arg-type]
    if traits is not None:
        built.traits.CopyFrom(dict_to_struct(traits))  # type: ignore[arg-type]
    if context is not None:
        built.context.CopyFrom(dict_to_struct(context))  # type: ignore[arg-type]
    return built


class Api:
    def __init__(self, channels: dict[str, grpc.aio.Channel], tenant: Tenant) -> None:
        self.ingest_stub = ingest_pb2_grpc.IngestServiceStub(channels["ingest"])
        self.profile_stub = profile_pb2_grpc.ProfileServiceStub(channels["profile"])
        self.metadata = tenant.metadata

    async def send(self, *messages: common_pb2.Message) -> list[ingest_pb2.MessageResult]:
        reply = await self.ingest_stub.Ingest(ingest_pb2.IngestRequest(messages=messages), metadata=self.metadata)
        assert all(r.accepted for r in reply.results), reply
        return list(reply.results)

    async def profiles(self, identifier: str) -> list[profile_pb2.Profile]:
        try:
            reply = await self.profile_stub.GetProfile(
                profile_pb2.GetProfileRequest(identifier=identifier), metadata=self.metadata)
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.NOT_FOUND
            return []
        return list(reply.profiles)

    async def one(self, identifier: str) -> profile_pb2.Profile:
        found = await self.profiles(identifier)
        assert len(found) == 1, (identifier, found)
        return found[0]


@pytest.fixture
def api(channels: dict[str, grpc.aio.Channel], tenant: Tenant) -> Api:
    return Api(channels, tenant)


async def test_an_anonymous_visitor_who_signs_up_keeps_one_profile(api: Api, store: Store, tenant: Tenant) -> None:
    first = await api.send(message(anonymous_id="anon-1"), message(anonymous_id="anon-1"))
    [signed_up] = await api.send(message("identify", anonymous_id="anon-1", user_id="u-1", traits={"plan": "pro"}))
    assert signed_up.profile_id == first[0].profile_id == first[1].profile_id
    profile = await api.one("userId:u-1")
    assert (profile.id, list(profile.anonymous_ids)) == (signed_up.profile_id, ["anon-1"])
    assert await store.events.count_documents({"workspace": tenant.name, "profile_id": profile.id}) == 3


async def test_identify_merges_the_anonymous_profile_into_the_known_one(
    api: Api, store: Store, tenant: Tenant
) -> None:
    [known] = await api.send(message("identify", user_id="u-1", traits={"plan": "pro", "city": "Leeds"}))
    [anonymous] = await api.send(message("identify", anonymous_id="anon-9", traits={"plan": "free", "color": "red"}))
    assert known.profile_id != anonymous.profile_id
    await api.send(message(anonymous_id="anon-9"))
    [merged] = await api.send(message("identify", anonymous_id="anon-9", user_id="u-1"))
    assert merged.profile_id == known.profile_id
    for identifier in ("userId:u-1", "anonymousId:anon-9", f"id:{anonymous.profile_id}"):
        assert (await api.one(identifier)).id == known.profile_id
    survivor = await api.one("userId:u-1")
    # The known profile's traits win; the anonymous one's fill the gaps.
    assert struct_to_dict(survivor.traits) == {"plan": "pro", "city": "Leeds", "color": "red"}
    assert await store.events.count_documents({"workspace": tenant.name, "profile_id": known.profile_id}) == 4
    assert await store.events.count_documents({"workspace": tenant.name, "profile_id": anonymous.profile_id}) == 0
    # That both are marked due is checked where the suite's workers cannot take the marks first: below.


async def test_one_batch_that_meets_a_person_twice_then_merges_them(store: Store, tenant: Tenant) -> None:
    """Anonymous, then known by userId, then identified as both, all in one batch: what the batch wrote for the
    anonymous profile is stored before the merge moves it. Ingested in-process with a clock a day ahead, so that
    the suite's workers leave the due marks for this test to read."""
    ahead = datetime.now(UTC) + timedelta(days=1)
    results = await Ingestor(store, clock=lambda: ahead).ingest(tenant.name, [
        RawMessage("track", event="Viewed", anonymous_id="anon-b"),
        RawMessage("track", event="Viewed", user_id="u-b"),
        RawMessage("identify", anonymous_id="anon-b", user_id="u-b", traits={"plan": "pro"}),
    ])
    assert all(r.accepted for r in results), results
    anonymous, known, merged = (r.profile_id for r in results)
    assert anonymous != known == merged
    survivor = await store.profiles.find_one({"_id": known})
    assert survivor is not None and (survivor["user_id"], survivor["anonymous_ids"]) == ("u-b", ["anon-b"])
    assert (await store.profiles.find_one({"_id": anonymous}) or {}).get("merged_into") == known
    assert await store.events.count_documents({"workspace": tenant.name, "profile_id": known}) == 3
    due = {d["_id"] async for d in store.due.find({"_id": {"$in": [known, anonymous]}, "due_at": ahead})}
    assert due == {known, anonymous}  # both are re-evaluated: the survivor gains, the loser's memberships go


async def test_two_user_ids_are_never_merged(api: Api) -> None:
    [one] = await api.send(message("identify", user_id="u-1", anonymous_id="shared-device"))
    [two] = await api.send(message("identify", user_id="u-2", anonymous_id="shared-device", traits={"a": 1}))
    assert one.profile_id != two.profile_id
    assert (await api.one("anonymousId:shared-device")).id == one.profile_id
    assert list((await api.one("userId:u-2")).anonymous_ids) == []


async def test_email_finds_the_profile_and_a_shared_email_lists_both(api: Api) -> None:
    [joe] = await api.send(message("identify", user_id="joe", traits={"email": "Joe@Example.com"}))
    [visit] = await api.send(message(anonymous_id="anon-x", context={"traits": {"email": "joe@example.com"}}))
    assert visit.profile_id == joe.profile_id
    assert list((await api.one("userId:joe")).anonymous_ids) == ["anon-x"]
    [jane] = await api.send(message("identify", user_id="jane", traits={"email": "joe@example.com"}))
    assert jane.profile_id != joe.profile_id
    assert sorted(p.id for p in await api.profiles("email:JOE@example.com")) == sorted([joe.profile_id, jane.profile_id])


async def test_null_unsets_a_trait_and_placeholder_ids_are_ignored(api: Api) -> None:
    await api.send(message("identify", user_id="u", traits={"plan": "pro", "city": "Leeds"}))
    [unset] = await api.send(message("identify", user_id="u", anonymous_id="anonymous", traits={"city": None}))
    profile = await api.one("userId:u")
    assert struct_to_dict(profile.traits) == {"plan": "pro"}
    assert list(profile.anonymous_ids) == [] and unset.profile_id == profile.id
    [by_anonymous] = await api.send(message(user_id="null", anonymous_id="real-anon"))
    assert (await api.one("anonymousId:real-anon")).id == by_anonymous.profile_id
    assert await api.profiles("userId:null") == []


async def test_alias_merges_the_previous_id(api: Api) -> None:
    [anonymous] = await api.send(message(anonymous_id="anon-a"))
    [user] = await api.send(message("identify", user_id="u-a"))
    [aliased] = await api.send(message("alias", user_id="u-a", previous_id="anon-a"))
    assert aliased.profile_id == user.profile_id
    assert (await api.one(f"id:{anonymous.profile_id}")).id == user.profile_id


async def test_racing_merges_end_in_one_profile(api: Api, store: Store, tenant: Tenant) -> None:
    await api.send(message("identify", user_id="racer", traits={"a": 1}))
    await api.send(message(anonymous_id="r-anon"))
    results = await asyncio.gather(*[
        api.send(message("identify", user_id="racer", anonymous_id="r-anon", message_id=str(uuid.uuid4())))
        for _ in range(8)])
    assert len({r[0].profile_id for r in results}) == 1
    survivor = await api.one("userId:racer")
    assert (await api.one("anonymousId:r-anon")).id == survivor.id
    live = await store.profiles.count_documents({"workspace": tenant.name, "merged_into": {"$exists": False}})
    assert live == 1
    assert await store.events.count_documents({"workspace": tenant.name, "profile_id": survivor.id}) == 10


async def test_racing_users_for_one_anonymous_id_each_keep_their_own(api: Api, store: Store, tenant: Tenant) -> None:
    results = await asyncio.gather(*[
        api.send(message("identify", user_id=f"user-{i}", anonymous_id="contested")) for i in range(6)])
    profiles = {r[0].profile_id for r in results}
    assert len(profiles) == 6
    owners = [p async for p in store.profiles.find({"workspace": tenant.name, "anonymous_ids": "contested"})]
    assert len(owners) == 1
    async for doc in store.profiles.find({"workspace": tenant.name}):
        assert isinstance(doc.get("user_id"), str)  # one userId each, never overwritten
    for i in range(6):
        assert (await api.one(f"userId:user-{i}")).user_id == f"user-{i}"
