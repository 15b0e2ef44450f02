"""Audience and computed-trait definitions through SegmentationService, against the real suite and store.

What the engine computes (preview sizes, members, backfill results) is tested with the engine; here: the
definitions themselves, checked whole, stored, versioned, refused when they would break one another.
"""

from typing import Any

import grpc
import pytest
from google.protobuf import json_format

from cdp.segmentation.v1 import segmentation_pb2 as seg
from cdp.segmentation.v1.segmentation_pb2_grpc import SegmentationServiceStub
from services.common.store import Store
from tests.conftest import Tenant

TOTAL_REVENUE = {"name": "total_revenue", "kind": "sum", "property": "revenue",
                 "event": {"name": "Order Completed", "where": []},
                 "window": {"kind": "quick", "last": {"amount": 365, "unit": "days"}}}


def audience(name: str, *conditions: dict[str, Any]) -> seg.Audience:
    body = {"name": name, "conditions": list(conditions) or [{"mode": "required", "event": {"name": "Signed Up"}}]}
    return json_format.ParseDict(body, seg.Audience())


def member_of(name: str, member: bool = True) -> dict[str, Any]:
    return {"mode": "required", "audience": {"name": name, "member": member}}


def computed(name: str = "total_revenue", value: int = 500) -> dict[str, Any]:
    return {"mode": "required", "computed_trait": {"name": name, "op": "gt", "value": value}}


def trait(body: dict[str, Any] = TOTAL_REVENUE) -> seg.ComputedTrait:
    return json_format.ParseDict(body, seg.ComputedTrait())


@pytest.fixture
def stub(channels: dict[str, grpc.aio.Channel]) -> SegmentationServiceStub:
    return SegmentationServiceStub(channels["segmentation"])


async def refused(call: Any, code: grpc.StatusCode) -> str:
    """The details of a call that must fail with `code`."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    assert caught.value.code() == code, caught.value.details()
    return caught.value.details() or ""


async def test_computed_traits_create_read_update_delete(stub: SegmentationServiceStub, tenant: Tenant,
                                                         store: Store) -> None:
    md = tenant.metadata
    created = (await stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()),
                                              metadata=md)).computed_trait
    assert created.id and created.version == 1
    assert created.status.state == "building" and created.status.HasField("progress")
    assert json_format.MessageToDict(created.event) == {"name": "Order Completed"}
    doc = await store.computed_traits.find_one({"_id": created.id})
    assert {k: doc[k] for k in ("workspace", "name", "kind", "property", "event", "window")} == {
        "workspace": tenant.name, **TOTAL_REVENUE, "event": {"name": "Order Completed"}}  # as proto3 JSON has it
    assert doc["status"]["state"] == "building" and doc["version"] == 1

    by_id = (await stub.GetComputedTrait(seg.GetComputedTraitRequest(id=created.id), metadata=md)).computed_trait
    by_name = (await stub.GetComputedTrait(seg.GetComputedTraitRequest(name="total_revenue"),
                                           metadata=md)).computed_trait
    assert by_id.id == by_name.id == created.id and by_id.created_at == created.created_at

    counter = trait({"name": "orders", "kind": "count", "event": {"name": "Order Completed"}})
    updated = (await stub.UpdateComputedTrait(
        seg.UpdateComputedTraitRequest(id=created.id, computed_trait=counter), metadata=md)).computed_trait
    assert (updated.name, updated.kind, updated.property, updated.version) == ("orders", "count", "", 2)
    assert not updated.HasField("window")  # the whole definition was replaced
    assert updated.status.state == "building" and updated.created_at == created.created_at
    listed = (await stub.ListComputedTraits(seg.ListComputedTraitsRequest(), metadata=md)).computed_traits
    assert [t.name for t in listed] == ["orders"]

    await stub.DeleteComputedTrait(seg.DeleteComputedTraitRequest(id=created.id), metadata=md)
    for call in (stub.GetComputedTrait(seg.GetComputedTraitRequest(id=created.id), metadata=md),
                 stub.DeleteComputedTrait(seg.DeleteComputedTraitRequest(id=created.id), metadata=md),
                 stub.UpdateComputedTrait(seg.UpdateComputedTraitRequest(id=created.id, computed_trait=counter),
                                          metadata=md)):
        assert "no computed trait with id" in await refused(call, grpc.StatusCode.NOT_FOUND)


async def test_names_are_unique_per_workspace(stub: SegmentationServiceStub, tenant: Tenant) -> None:
    md = tenant.metadata
    first = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("a")), metadata=md)).audience
    second = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("b")), metadata=md)).audience
    await refused(stub.CreateAudience(seg.CreateAudienceRequest(audience=audience(" a ")), metadata=md),
                  grpc.StatusCode.ALREADY_EXISTS)
    details = await refused(stub.UpdateAudience(seg.UpdateAudienceRequest(id=second.id, audience=audience("a")),
                                                metadata=md), grpc.StatusCode.ALREADY_EXISTS)
    assert "audience name 'a' is taken" in details
    renamed = (await stub.UpdateAudience(seg.UpdateAudienceRequest(id=first.id, audience=audience("c")),
                                         metadata=md)).audience
    assert (renamed.name, renamed.version) == ("c", 2)
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("a")), metadata=md)  # the name is free
    await stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()), metadata=md)
    await refused(stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()), metadata=md),
                  grpc.StatusCode.ALREADY_EXISTS)
    other = (("x-cdp-workspace", tenant.name + "-other"),)
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("a")), metadata=other)
    await stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()), metadata=other)


async def test_references_must_exist_and_nothing_is_saved(stub: SegmentationServiceStub, tenant: Tenant,
                                                          store: Store) -> None:
    md = tenant.metadata
    nested = {"mode": "optional", "group": {"conditions": [computed("missing")]}}
    cases = [
        (audience("x", member_of("nobody")), "conditions[0].audience.name: no audience named 'nobody'"),
        (audience("x", member_of("x")), "conditions[0].audience.name: audience 'x' cannot refer to itself"),
        (audience("x", computed(), nested),
         "conditions[0].computed_trait.name: no computed trait named 'total_revenue'"),
    ]
    for definition, error in cases:
        details = await refused(stub.CreateAudience(seg.CreateAudienceRequest(audience=definition), metadata=md),
                                grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith(error), details
    await stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()), metadata=md)
    details = await refused(stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("x", computed(), nested)),
                                                metadata=md), grpc.StatusCode.INVALID_ARGUMENT)
    assert details.startswith("conditions[1].group.conditions[0].computed_trait.name: no computed trait named "
                              "'missing'"), details
    details = await refused(stub.PreviewAudience(seg.PreviewAudienceRequest(audience=audience("", member_of("no"))),
                                                 metadata=md), grpc.StatusCode.INVALID_ARGUMENT)
    assert details.startswith("conditions[0].audience.name: no audience named 'no'")
    assert await store.audiences.count_documents({"workspace": tenant.name}) == 0
    # References do not cross workspaces either.
    other = (("x-cdp-workspace", tenant.name + "-other"),)
    await refused(stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("x", computed())), metadata=other),
                  grpc.StatusCode.INVALID_ARGUMENT)


async def test_cycles_between_audiences_are_refused(stub: SegmentationServiceStub, tenant: Tenant,
                                                    store: Store) -> None:
    md = tenant.metadata
    a = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("a")), metadata=md)).audience
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("b", member_of("a"))), metadata=md)
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("c", member_of("b", False))), metadata=md)
    looped = audience("a", {"mode": "required", "event": {}}, member_of("c"))
    details = await refused(stub.UpdateAudience(seg.UpdateAudienceRequest(id=a.id, audience=looped), metadata=md),
                            grpc.StatusCode.INVALID_ARGUMENT)
    assert details == "conditions[1].audience.name: audiences would refer to each other in a cycle: a -> c -> b -> a"
    kept = await store.audiences.find_one({"_id": a.id})
    assert kept["version"] == 1 and len(kept["conditions"]) == 1  # nothing saved


async def test_referred_definitions_cannot_be_deleted_or_renamed(stub: SegmentationServiceStub,
                                                                 tenant: Tenant) -> None:
    md = tenant.metadata
    revenue = (await stub.CreateComputedTrait(seg.CreateComputedTraitRequest(computed_trait=trait()),
                                              metadata=md)).computed_trait
    base = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("base")), metadata=md)).audience
    spender = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience(
        "big spenders", computed(), member_of("base"))), metadata=md)).audience
    await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience(
        "also", {"mode": "required", "group": {"conditions": [member_of("base")]}})), metadata=md)

    details = await refused(stub.DeleteAudience(seg.DeleteAudienceRequest(id=base.id), metadata=md),
                            grpc.StatusCode.FAILED_PRECONDITION)
    assert details.startswith("audience 'base' cannot be deleted: audiences 'also', 'big spenders' refer to it")
    details = await refused(stub.DeleteComputedTrait(seg.DeleteComputedTraitRequest(id=revenue.id), metadata=md),
                            grpc.StatusCode.FAILED_PRECONDITION)
    assert details.startswith("computed trait 'total_revenue' cannot be deleted: audience 'big spenders' refers")
    renamed = trait({**json_format.MessageToDict(trait()), "name": "revenue"})
    details = await refused(stub.UpdateComputedTrait(seg.UpdateComputedTraitRequest(
        id=revenue.id, computed_trait=renamed), metadata=md), grpc.StatusCode.FAILED_PRECONDITION)
    assert details.startswith("computed trait 'total_revenue' cannot be renamed")
    # Its rules may change under the same name.
    await stub.UpdateComputedTrait(seg.UpdateComputedTraitRequest(
        id=revenue.id, computed_trait=trait({**TOTAL_REVENUE, "kind": "max"})), metadata=md)

    await stub.DeleteAudience(seg.DeleteAudienceRequest(id=spender.id), metadata=md)
    await stub.DeleteComputedTrait(seg.DeleteComputedTraitRequest(id=revenue.id), metadata=md)


async def test_lookups_are_scoped_and_checked(stub: SegmentationServiceStub, tenant: Tenant) -> None:
    md = tenant.metadata
    created = (await stub.CreateAudience(seg.CreateAudienceRequest(audience=audience("mine")), metadata=md)).audience
    other = (("x-cdp-workspace", tenant.name + "-other"),)
    for call in (stub.GetAudience(seg.GetAudienceRequest(id=created.id), metadata=other),
                 stub.DeleteAudience(seg.DeleteAudienceRequest(id=created.id), metadata=other),
                 stub.ListAudienceMembers(seg.ListAudienceMembersRequest(id=created.id), metadata=other)):
        await refused(call, grpc.StatusCode.NOT_FOUND)
    assert "id or name is required" in await refused(
        stub.GetAudience(seg.GetAudienceRequest(), metadata=md), grpc.StatusCode.INVALID_ARGUMENT)
    for limit in (-1, 1001):
        details = await refused(stub.ListAudienceMembers(seg.ListAudienceMembersRequest(id=created.id, limit=limit),
                                                         metadata=md), grpc.StatusCode.INVALID_ARGUMENT)
        assert details.startswith("limit: must be 1 to 1000")
    got = (await stub.GetAudience(seg.GetAudienceRequest(id=created.id), metadata=md)).audience
    assert got.status.state in ("building", "ready", "failed") and got.version == 1
