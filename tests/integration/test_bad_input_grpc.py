"""A corpus of malformed calls to every RPC of IngestService, ProfileService and SegmentationService (the
WatchMemberships stream included): without the workspace metadata, with a malformed one, with bytes that are not
the request message, and with bad fields.

Each call gets a status other than INTERNAL or UNKNOWN, with a message that says what is wrong (Ingest answers a
bad message in its result, as its contract says, and the call succeeds); and the workspace (a seeded one, see
`seeded.py`) holds exactly what it held before, as does the workspace a malformed metadata value names.
"""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.struct_pb2 import Struct, Value
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.common.v1.common_pb2 import Message as Tracked
from cdp.ingest.v1 import ingest_pb2
from cdp.profile.v1 import profile_pb2 as pp
from cdp.segmentation.v1 import segmentation_pb2 as sp
from services.common.store import Store
from tests.integration.conftest import stored
from tests.integration.seeded import Seeded, forged

SERVICES = {
    "ingest": ingest_pb2.DESCRIPTOR.services_by_name["IngestService"],
    "profile": pp.DESCRIPTOR.services_by_name["ProfileService"],
    "segmentation": sp.DESCRIPTOR.services_by_name["SegmentationService"],
}
RPCS: dict[str, tuple[str, MethodDescriptor]] = {
    method.name: (service, method) for service, descriptor in SERVICES.items() for method in descriptor.methods
}
PER_MESSAGE = None  # Ingest's answer to bad messages: the call succeeds, each message is rejected in its result
INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
UNAUTHENTICATED, IN_USE = grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.FAILED_PRECONDITION

type Request = Message | bytes | Callable[[dict[str, str]], Message]


@dataclass(frozen=True)
class Call:
    """One call of an RPC (by method name). `request` may be made from the seed's values; `metadata` is "ok" (the
    seeded workspace), "none", or the workspace name to send instead."""

    id: str
    method: str
    request: Request
    code: grpc.StatusCode | None
    words: str
    metadata: str = "ok"

    def message(self, values: dict[str, str]) -> Message | bytes:
        return self.request(values) if callable(self.request) else self.request


def struct(**fields: Any) -> Struct:
    made = Struct()
    made.update(fields)
    return made


def track(**fields: Any) -> Tracked:
    return Tracked(**{"type": "track", "user_id": "u9", "event": "Clicked", **fields})


def ingest(*messages: Tracked) -> ingest_pb2.IngestRequest:
    return ingest_pb2.IngestRequest(messages=messages)


def when(seconds: int, nanos: int = 0) -> Timestamp:
    return Timestamp(seconds=seconds, nanos=nanos)


OK_CONDITION = sp.Condition(mode="required", trait=sp.TraitCondition(path="plan", op="exists"))


def audience(*conditions: sp.Condition, name: str = "new audience", **fields: Any) -> sp.Audience:
    return sp.Audience(name=name, conditions=conditions or [OK_CONDITION], **fields)


def event(window: sp.Window | None = None, **fields: Any) -> sp.Condition:
    return sp.Condition(mode="required", event=sp.EventCondition(name="Clicked", window=window, **fields))


def quick(amount: int, unit: str = "days") -> sp.Window:
    return sp.Window(kind="quick", last=sp.Span(amount=amount, unit=unit))


def member_of(name: str) -> sp.Condition:
    return sp.Condition(mode="required", audience=sp.AudienceCondition(name=name, member=True))


def computed(**fields: Any) -> sp.ComputedTrait:
    return sp.ComputedTrait(**{"name": "new trait", "kind": "count", **fields})


BUYERS = audience(sp.Condition(mode="required", event=sp.EventCondition(name="Order Completed")), name="buyers")

# The least request of each RPC that would act on the workspace (Ingest would store a message).
MINIMAL: dict[str, Request] = {
    "Ingest": ingest(track()),
    "GetProfile": pp.GetProfileRequest(identifier="userId:u1"),
    "GetTraits": pp.GetTraitsRequest(identifier="userId:u1"),
    "ListEvents": pp.ListEventsRequest(identifier="userId:u1"),
    "GetMeta": pp.GetMetaRequest(identifier="userId:u1"),
    "ListProfiles": pp.ListProfilesRequest(),
    "GetMembershipHistory": pp.GetMembershipHistoryRequest(identifier="userId:u1"),
    "CreateAudience": sp.CreateAudienceRequest(audience=audience()),
    "GetAudience": sp.GetAudienceRequest(name="buyers"),
    "ListAudiences": sp.ListAudiencesRequest(),
    "UpdateAudience": lambda v: sp.UpdateAudienceRequest(id=v["buyers"], audience=BUYERS),
    "DeleteAudience": lambda v: sp.DeleteAudienceRequest(id=v["big"]),
    "PreviewAudience": sp.PreviewAudienceRequest(audience=audience()),
    "ListAudienceMembers": lambda v: sp.ListAudienceMembersRequest(id=v["buyers"]),
    "CreateComputedTrait": sp.CreateComputedTraitRequest(computed_trait=computed()),
    "GetComputedTrait": sp.GetComputedTraitRequest(name="total_revenue"),
    "ListComputedTraits": sp.ListComputedTraitsRequest(),
    "UpdateComputedTrait": lambda v: sp.UpdateComputedTraitRequest(id=v["trait"], computed_trait=computed(
        name="total_revenue", kind="sum", property="revenue")),
    "DeleteComputedTrait": lambda v: sp.DeleteComputedTraitRequest(id=v["trait"]),
    "WatchMemberships": sp.WatchMembershipsRequest(from_start=True),
    "GetCatalog": pp.GetCatalogRequest(),
    "PreviewComputedTrait": sp.PreviewComputedTraitRequest(computed_trait=computed()),
    "GetAudienceSizeHistory": lambda v: sp.GetAudienceSizeHistoryRequest(id=v["buyers"]),
}
MALFORMED_WORKSPACES = ["nope", "a/b", "a/b/C/d", "../../x", "$x/b/C", "a b/c/D", "a//C", "a/b/C\\"]

METADATA_CASES = [
    case for i, method in enumerate(RPCS) for case in (
        Call(f"{method}-without-workspace", method, MINIMAL[method], UNAUTHENTICATED,
             "missing x-cdp-workspace metadata", metadata="none"),
        Call(f"{method}-malformed-workspace", method, MINIMAL[method], UNAUTHENTICATED,
             "x-cdp-workspace metadata names no workspace",
             metadata=MALFORMED_WORKSPACES[i % len(MALFORMED_WORKSPACES)]),
    )
]

UNDECODABLE_CASES = [
    Call(f"{method}-undecodable", method, data, INVALID, "is not its protobuf message")
    for method, data in [("Ingest", b"\xff\xff\xff\xff"), ("GetProfile", b"\x0a\x10u"), ("ListEvents", b"\x2a\x02"),
                         ("CreateAudience", b"\x0a\xff\xff\xff\xff\x0f"), ("UpdateComputedTrait", b"\x0b"),
                         ("WatchMemberships", b"\x12\x05abc")]
]

INGEST_CASES = [
    Call("ingest-nothing", "Ingest", ingest(), INVALID, "a batch needs at least one message"),
    Call("ingest-2501-messages", "Ingest", ingest(*[track()] * 2501), INVALID, "at most 2500 messages, not 2501"),
    *(Call(f"ingest-{name}", "Ingest", ingest(message), PER_MESSAGE, words) for name, message, words in [
        ("dollar-key", track(type="identify", traits=struct(**{"$set": {"admin": True}})), "traits: key '$set'"),
        ("dotted-key", track(properties=struct(a={"b.c": 1})), "properties.a: key 'b.c'"),
        ("nul-key", track(context=struct(l=[{"x\u0000": 1}])), "context.l[0]: key"),
        ("nan", track(properties=struct(price=float("nan"))), "properties.price: nan is not a JSON number"),
        ("infinity", track(type="identify", traits=struct(score=[float("-inf")])), "traits.score[0]: -inf is not"),
        ("unknown-type", track(type="merge"), "type must be one of identify, track, page, screen, group, alias"),
        ("nul-in-userId", track(user_id="u\u00009"), "userId must not hold control characters"),
        ("overlong-anonymousId", track(user_id="", anonymous_id="a" * 513), "anonymousId may be at most 512"),
        ("no-ids", track(user_id=""), "userId or anonymousId must not be empty"),
        ("placeholder-userId", track(user_id="undefined"), "userId or anonymousId must not be empty"),
        ("track-without-event", track(event=" "), "event must not be empty for a track call"),
        ("alias-without-previousId", track(type="alias"), "an alias call needs both userId and previousId"),
        ("timestamp-words", track(timestamp="yesterday"), "timestamp 'yesterday' is not an ISO-8601"),
        ("sentAt-impossible", track(sent_at="2026-02-30T00:00:00Z"), "sentAt '2026-02-30T00:00:00Z'"),
        ("message-over-32kb", track(properties=struct(pad="x" * 40_000)), "a message may be at most 32 KB"),
    ]),
    Call("ingest-all-invalid", "Ingest", ingest(track(user_id=""), track(type=""), track(event="")), PER_MESSAGE,
         "userId or anonymousId must not be empty"),
]

SCROLL_OF_U1 = {"l": "events", "profile": "user_id:u1", "query": {}, "size": 1}
PROFILE_CASES = [
    Call("profile-empty-identifier", "GetProfile", pp.GetProfileRequest(), INVALID, "ProfileID must be in format"),
    Call("profile-unknown-id-type", "GetProfile", pp.GetProfileRequest(identifier="phone:1"), INVALID,
         "id_type must be one of id, userId, anonymousId, email, not 'phone'"),
    Call("profile-nul", "GetProfile", pp.GetProfileRequest(identifier="userId:u\u00001"), INVALID,
         "userId must not hold control characters"),
    Call("profile-overlong-email", "GetProfile", pp.GetProfileRequest(identifier="email:" + "e" * 513), INVALID,
         "email may be at most 512 characters"),
    Call("profile-emoji-of-nobody", "GetProfile", pp.GetProfileRequest(identifier="userId:😀"), NOT_FOUND,
         "no profile with userId:😀"),
    Call("traits-class", "GetTraits", pp.GetTraitsRequest(identifier="userId:u1", trait_class="everything"), INVALID,
         "class must be audience or computed_trait, not 'everything'"),
    Call("traits-no-identifier", "GetTraits", pp.GetTraitsRequest(trait_class="audience"), INVALID,
         "ProfileID must be in format"),
    *(Call(f"events-{name}", "ListEvents", request, INVALID, words) for name, request, words in [
        ("size-negative", pp.ListEventsRequest(identifier="userId:u1", size=-1), "size must be 1 to 100, not -1"),
        ("size-101", pp.ListEventsRequest(identifier="userId:u1", size=101), "size must be 1 to 100, not 101"),
        ("size-int32-max", pp.ListEventsRequest(identifier="userId:u1", size=2**31 - 1), "size must be 1 to 100"),
        ("sort", pp.ListEventsRequest(identifier="userId:u1", sort="random"), "sort must be asc or desc"),
        ("start-after-end", pp.ListEventsRequest(identifier="userId:u1", start=when(100), end=when(50)),
         "start must be before end"),
        ("start-beyond-year-9999", pp.ListEventsRequest(identifier="userId:u1", start=when(2**62)),
         "start: Timestamp is not valid"),
        ("end-negative-nanos", pp.ListEventsRequest(identifier="userId:u1", end=when(1, -5)),
         "end: Timestamp is not valid"),
        ("scroll-garbage", pp.ListEventsRequest(identifier="userId:u1", scroll_id="zzz"),
         "scrollId is not one this listing issued (events)"),
        ("scroll-beyond-any-instant", pp.ListEventsRequest(identifier="userId:u1", scroll_id=forged(
            {**SCROLL_OF_U1, "after": [-(10**30), "x"]})), "scrollId is damaged"),
    ]),
    Call("events-scroll-of-history", "ListEvents", lambda v: pp.ListEventsRequest(
        identifier="userId:u1", scroll_id=v["history_scroll"]), INVALID, "not one this listing issued (events)"),
    Call("events-scroll-of-another-profile", "ListEvents", lambda v: pp.ListEventsRequest(
        identifier="email:u2@example.com", scroll_id=v["events_scroll"]), INVALID, "issued for another profile"),
    Call("events-scroll-with-other-actions", "ListEvents", lambda v: pp.ListEventsRequest(
        identifier="userId:u1", scroll_id=v["events_scroll"], include=["page"]), INVALID,
         "include differs from the query the scrollId was issued for"),
    Call("meta-value-without-type", "GetMeta", pp.GetMetaRequest(identifier=":u1"), INVALID, "id_type must be one of"),
    Call("meta-of-nobody", "GetMeta", pp.GetMetaRequest(identifier="id:nobody"), NOT_FOUND,
         "no profile with id:nobody"),
    Call("listing-size-negative", "ListProfiles", pp.ListProfilesRequest(size=-5), INVALID, "size must be 1 to 100"),
    Call("listing-size-101", "ListProfiles", pp.ListProfilesRequest(size=101), INVALID, "size must be 1 to 100"),
    Call("listing-scroll-of-events", "ListProfiles", lambda v: pp.ListProfilesRequest(scroll_id=v["events_scroll"]),
         INVALID, "scrollId is not one this listing issued (profiles)"),
    Call("listing-scroll-damaged", "ListProfiles", pp.ListProfilesRequest(scroll_id=forged(
        {"l": "profiles", "after": ["x"]})), INVALID, "scrollId is damaged"),
    Call("history-size-1000", "GetMembershipHistory", pp.GetMembershipHistoryRequest(
        identifier="userId:u1", size=1000), INVALID, "size must be 1 to 100, not 1000"),
    Call("history-scroll-garbage", "GetMembershipHistory", pp.GetMembershipHistoryRequest(
        identifier="userId:u1", scroll_id="!!"), INVALID, "scrollId is not one this listing issued (history)"),
    Call("history-scroll-of-events", "GetMembershipHistory", lambda v: pp.GetMembershipHistoryRequest(
        identifier="userId:u1", scroll_id=v["events_scroll"]), INVALID, "not one this listing issued (history)"),
    Call("history-malformed-identifier", "GetMembershipHistory", pp.GetMembershipHistoryRequest(
        identifier="userId"), INVALID, "ProfileID must be in format"),
]

SEGMENTATION_CASES = [
    # Audiences.
    Call("create-nothing", "CreateAudience", sp.CreateAudienceRequest(), INVALID, "name: must not be empty"),
    Call("create-unknown-unit", "CreateAudience", sp.CreateAudienceRequest(audience=audience(event(quick(
        1, "fortnights")))), INVALID, "conditions[0].event.window.last.unit: must be one of minutes"),
    Call("create-nan-value", "CreateAudience", sp.CreateAudienceRequest(audience=audience(sp.Condition(
        mode="required", trait=sp.TraitCondition(path="p", op="eq", value=Value(number_value=float("nan")))))),
         INVALID, "conditions[0].trait.value: must hold only finite numbers"),
    Call("create-window-beyond-year-9999", "CreateAudience", sp.CreateAudienceRequest(audience=audience(event(
        sp.Window(kind="absolute", start=when(2**62), end=when(2**62 + 1))))),
         INVALID, "conditions[0].event.window.start: must be an instant within the years 1 to 9999"),
    Call("create-ignored-field-out-of-range", "CreateAudience", sp.CreateAudienceRequest(audience=audience(
        created_at=when(-(2**62)))), INVALID, "created_at: must be an instant within"),
    Call("create-window-too-long", "CreateAudience", sp.CreateAudienceRequest(audience=audience(event(quick(
        2**31 - 1, "minutes")))), INVALID, "window.last.amount: must be at most 52596000 minutes"),
    Call("create-unknown-reference", "CreateAudience", sp.CreateAudienceRequest(audience=audience(member_of(
        "ghost"))), INVALID, "conditions[0].audience.name: no audience named 'ghost'"),
    Call("create-name-taken", "CreateAudience", sp.CreateAudienceRequest(audience=BUYERS),
         grpc.StatusCode.ALREADY_EXISTS, "audience name 'buyers' is taken"),
    Call("create-name-with-nul", "CreateAudience", sp.CreateAudienceRequest(audience=audience(name="a\u0000b")),
         INVALID, "name: must not hold control characters"),
    Call("get-no-key", "GetAudience", sp.GetAudienceRequest(), INVALID, "id or name is required"),
    Call("get-empty-name", "GetAudience", sp.GetAudienceRequest(name=""), INVALID, "name: must not be empty"),
    Call("get-name-with-nul", "GetAudience", sp.GetAudienceRequest(name="buyers\u0000"), INVALID,
         "name: must not hold control characters"),
    Call("get-unknown-id", "GetAudience", sp.GetAudienceRequest(id="nope"), NOT_FOUND, "no audience with id 'nope'"),
    Call("update-empty-id", "UpdateAudience", sp.UpdateAudienceRequest(audience=BUYERS), INVALID, "id is required"),
    Call("update-unknown-id", "UpdateAudience", sp.UpdateAudienceRequest(id="nope", audience=BUYERS), NOT_FOUND,
         "no audience with id 'nope'"),
    Call("update-rename-referred", "UpdateAudience", lambda v: sp.UpdateAudienceRequest(
        id=v["buyers"], audience=sp.Audience(name="shoppers", conditions=BUYERS.conditions)), IN_USE,
         "audience 'buyers' cannot be renamed"),
    Call("update-cycle", "UpdateAudience", lambda v: sp.UpdateAudienceRequest(id=v["buyers"], audience=audience(
        member_of("big spenders"), name="buyers")), INVALID, "buyers -> big spenders -> buyers"),
    Call("update-rename-to-taken", "UpdateAudience", lambda v: sp.UpdateAudienceRequest(id=v["big"], audience=audience(
        name="buyers")), grpc.StatusCode.ALREADY_EXISTS, "audience name 'buyers' is taken"),
    Call("delete-referred", "DeleteAudience", lambda v: sp.DeleteAudienceRequest(id=v["buyers"]), IN_USE,
         "audience 'big spenders' refers to it by name"),
    Call("delete-empty-id", "DeleteAudience", sp.DeleteAudienceRequest(), INVALID, "id is required"),
    Call("preview-nothing", "PreviewAudience", sp.PreviewAudienceRequest(), INVALID,
         "conditions: needs at least one condition"),
    Call("preview-relative-inverted", "PreviewAudience", sp.PreviewAudienceRequest(audience=audience(event(sp.Window(
        kind="relative", **{"from": sp.Span(amount=1, unit="days")}, to=sp.Span(amount=2, unit="days"))))), INVALID,
         "window: from must be further back than to"),
    Call("preview-after-past-year-9999", "PreviewAudience", sp.PreviewAudienceRequest(audience=audience(sp.Condition(
        mode="required", trait=sp.TraitCondition(path="p", op="after", value=Value(
            string_value="9999-12-31T23:59:59-14:00"))))), INVALID, "is out of range"),
    Call("members-limit-negative", "ListAudienceMembers", lambda v: sp.ListAudienceMembersRequest(
        id=v["buyers"], limit=-1), INVALID, "limit: must be 1 to 1000, not -1"),
    Call("members-limit-1001", "ListAudienceMembers", lambda v: sp.ListAudienceMembersRequest(
        id=v["buyers"], limit=1001), INVALID, "limit: must be 1 to 1000, not 1001"),
    Call("members-cursor-forged", "ListAudienceMembers", lambda v: sp.ListAudienceMembersRequest(
        id=v["buyers"], cursor="\u0000"), INVALID, "cursor is not one this listing issued (members)"),
    Call("members-cursor-of-another-audience", "ListAudienceMembers", lambda v: sp.ListAudienceMembersRequest(
        id=v["big"], cursor=v["members_cursor"]), INVALID, "cursor was issued for another audience"),
    Call("members-empty-id", "ListAudienceMembers", sp.ListAudienceMembersRequest(), INVALID, "id is required"),
    Call("members-unknown-id", "ListAudienceMembers", sp.ListAudienceMembersRequest(id="nope"), NOT_FOUND,
         "no audience with id 'nope'"),
    # Computed traits.
    Call("trait-create-nothing", "CreateComputedTrait", sp.CreateComputedTraitRequest(), INVALID,
         "name: must not be empty"),
    Call("trait-create-unknown-kind", "CreateComputedTrait", sp.CreateComputedTraitRequest(computed_trait=computed(
        kind="median")), INVALID, "kind: must be one of count, sum"),
    Call("trait-create-window-too-long", "CreateComputedTrait", sp.CreateComputedTraitRequest(computed_trait=computed(
        window=quick(10**6, "weeks"))), INVALID, "window.last.amount: must be at most 5217 weeks"),
    Call("trait-create-infinity-in-filter", "CreateComputedTrait", sp.CreateComputedTraitRequest(
        computed_trait=computed(event=sp.EventFilter(where=[sp.Filter(property="p", op="gt", value=Value(
            number_value=float("inf")))]))), INVALID, "event.where[0].value: must hold only finite numbers"),
    Call("trait-get-no-key", "GetComputedTrait", sp.GetComputedTraitRequest(), INVALID, "id or name is required"),
    Call("trait-get-unknown-name", "GetComputedTrait", sp.GetComputedTraitRequest(name="ghost"), NOT_FOUND,
         "no computed trait named 'ghost'"),
    Call("trait-update-unknown-id", "UpdateComputedTrait", sp.UpdateComputedTraitRequest(
        id="nope", computed_trait=computed()), NOT_FOUND, "no computed trait with id 'nope'"),
    Call("trait-update-rename-referred", "UpdateComputedTrait", lambda v: sp.UpdateComputedTraitRequest(
        id=v["trait"], computed_trait=computed()), IN_USE, "computed trait 'total_revenue' cannot be renamed"),
    Call("trait-update-property-dollar", "UpdateComputedTrait", lambda v: sp.UpdateComputedTraitRequest(
        id=v["trait"], computed_trait=computed(name="total_revenue", kind="sum", property="$revenue")), INVALID,
         "property: must be a dotted path"),
    Call("trait-delete-referred", "DeleteComputedTrait", lambda v: sp.DeleteComputedTraitRequest(id=v["trait"]), IN_USE,
         "computed trait 'total_revenue' cannot be deleted"),
    Call("trait-delete-empty-id", "DeleteComputedTrait", sp.DeleteComputedTraitRequest(), INVALID, "id is required"),
    Call("trait-preview-unknown-kind", "PreviewComputedTrait", sp.PreviewComputedTraitRequest(computed_trait=computed(
        kind="median")), INVALID, "kind: must be one of count, sum"),
    Call("trait-preview-nothing", "PreviewComputedTrait", sp.PreviewComputedTraitRequest(), INVALID,
         "kind: is required"),
    # Audience sizes over time.
    Call("sizes-unknown-bucket", "GetAudienceSizeHistory", lambda v: sp.GetAudienceSizeHistoryRequest(
        id=v["buyers"], bucket="week"), INVALID, "bucket must be one of"),
    Call("sizes-too-many-buckets", "GetAudienceSizeHistory", lambda v: sp.GetAudienceSizeHistoryRequest(
        id=v["buyers"], buckets=10_000), INVALID, "buckets must be 1 to"),
    Call("sizes-unknown-id", "GetAudienceSizeHistory", sp.GetAudienceSizeHistoryRequest(id="nope"), NOT_FOUND,
         "no audience with id 'nope'"),
    # The membership stream, resumed from positions it did not issue.
    *(Call(f"watch-after-{name}", "WatchMemberships", request, INVALID, "is not a position from this stream")
      for name, request in [
          ("garbage", sp.WatchMembershipsRequest(after="garbage")),
          ("a-scroll-id", lambda v: sp.WatchMembershipsRequest(after=v["history_scroll"])),
          ("without-zone", sp.WatchMembershipsRequest(after="MjAyNi0wMS0wMVQwMDowMDowMHx4")),  # 2026-01-01T00:00:00|x
          ("before-year-1", sp.WatchMembershipsRequest(after="MDAwMS0wMS0wMVQwMDowMDowMCsxNDowMHx4")),  # +14:00
      ]),
]

CASES = [*METADATA_CASES, *UNDECODABLE_CASES, *INGEST_CASES, *PROFILE_CASES, *SEGMENTATION_CASES]


def test_the_corpus_is_large_named_uniquely_and_reaches_every_rpc() -> None:
    assert len(CASES) >= 120
    assert len({case.id for case in CASES}) == len(CASES)
    assert {case.method for case in CASES if case.metadata == "ok"} | {"ListAudiences", "ListComputedTraits", "GetCatalog"} == set(
        RPCS), "an RPC without a bad-field case (the two lists and the catalog take no fields)"


async def first_reply(channel: grpc.aio.Channel, method: MethodDescriptor, request: Message | bytes,
                      metadata: tuple[tuple[str, str], ...]) -> Message:
    """The RPC's answer (a stream's first message), sending `request` as it is, bytes included."""
    path = f"/{method.containing_service.full_name}/{method.name}"
    reply_type = message_factory.GetMessageClass(method.output_type)
    options: dict[str, Any] = {"request_serializer": lambda r: r if isinstance(r, bytes) else r.SerializeToString(),
                               "response_deserializer": reply_type.FromString}
    if not method.server_streaming:
        return await channel.unary_unary(path, **options)(request, metadata=metadata, timeout=20)
    replies: AsyncIterator[Message] = channel.unary_stream(path, **options)(request, metadata=metadata, timeout=20)
    async for reply in replies:
        return reply
    raise AssertionError("the stream ended without a reply")


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_malformed_call(channels: dict[str, grpc.aio.Channel], seeded: Seeded, store: Store,
                             case: Call) -> None:
    service, method = RPCS[case.method]
    workspaces = [seeded.tenant.name] + ([case.metadata] if case.metadata not in ("ok", "none") else [])
    metadata = {"ok": seeded.tenant.metadata, "none": ()}.get(case.metadata, (("x-cdp-workspace", case.metadata),))
    before = [await stored(store, workspace) for workspace in workspaces]
    try:
        reply = await first_reply(channels[service], method, case.message(seeded.values), metadata)
    except grpc.aio.AioRpcError as error:
        assert error.code() not in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN), error
        assert (error.code(), case.words in (error.details() or "")) == (case.code, True), error
    else:
        assert case.code is PER_MESSAGE, f"expected {case.code}, answered {reply}"
        results = reply.results  # type: ignore[attr-defined]
        assert results and not any(r.accepted for r in results), reply
        assert case.words in results[0].error, reply
    assert [await stored(store, workspace) for workspace in workspaces] == before
