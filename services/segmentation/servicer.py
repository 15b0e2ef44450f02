"""SegmentationService over gRPC: proto in -> Audiences / ComputedTraits -> proto out.

Definitions cross as their proto3-JSON form, which is the public definition format itself; the fields the service
sets (id, status, version, times) are ignored when sent, so a definition read can be sent back as an update.
"""

from collections.abc import AsyncIterator
from typing import Any

import grpc
from google.protobuf.message import Message

from cdp.segmentation.v1 import segmentation_pb2 as pb
from cdp.segmentation.v1 import segmentation_pb2_grpc
from services.common.errors import ValidationError
from services.common.grpc_server import rpc, rpc_stream, workspace_of
from services.common.proto_json import from_document, parse_message
from services.common.structs import python_to_value
from services.segmentation.audiences import Audiences
from services.segmentation.computed_traits_store import ComputedTraits
from services.segmentation.definition_store import Definitions
from services.segmentation.definitions import SET_BY_SERVICE
from services.segmentation.history import Follower

def definition(message: Message) -> dict[str, Any]:
    """A definition as sent, in its public JSON shape, without the fields the service sets."""
    return {k: v for k, v in parse_message(message).items() if k not in SET_BY_SERVICE}


type GetRequest = pb.GetAudienceRequest | pb.GetComputedTraitRequest


async def _get(definitions: Definitions, workspace: str, request: GetRequest) -> dict[str, Any]:
    """By id or by name, whichever the request's `key` holds."""
    key = request.WhichOneof("key")
    if key is None:
        raise ValidationError("id or name is required")
    if key == "id":
        return await definitions.get(workspace, request.id)
    return await definitions.get_by_name(workspace, request.name)


def audience(data: dict[str, Any]) -> pb.Audience:
    return from_document(data, pb.Audience())


def computed_trait(data: dict[str, Any]) -> pb.ComputedTrait:
    return from_document(data, pb.ComputedTrait())


class SegmentationServicer(segmentation_pb2_grpc.SegmentationServiceServicer):
    def __init__(self, audiences: Audiences, computed_traits: ComputedTraits, follower: Follower) -> None:
        self.audiences = audiences
        self.computed_traits = computed_traits
        self.follower = follower

    # --- Audiences ---

    @rpc
    async def CreateAudience(
        self, request: pb.CreateAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateAudienceResponse:
        created = await self.audiences.create(workspace_of(context), definition(request.audience))
        return pb.CreateAudienceResponse(audience=audience(created))

    @rpc
    async def GetAudience(
        self, request: pb.GetAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAudienceResponse:
        return pb.GetAudienceResponse(audience=audience(await _get(self.audiences, workspace_of(context), request)))

    @rpc
    async def ListAudiences(
        self, request: pb.ListAudiencesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAudiencesResponse:
        found = await self.audiences.list(workspace_of(context))
        return pb.ListAudiencesResponse(audiences=[audience(a) for a in found])

    @rpc
    async def UpdateAudience(
        self, request: pb.UpdateAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateAudienceResponse:
        updated = await self.audiences.update(workspace_of(context), request.id, definition(request.audience))
        return pb.UpdateAudienceResponse(audience=audience(updated))

    @rpc
    async def DeleteAudience(
        self, request: pb.DeleteAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteAudienceResponse:
        await self.audiences.delete(workspace_of(context), request.id)
        return pb.DeleteAudienceResponse()

    @rpc
    async def PreviewAudience(
        self, request: pb.PreviewAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.PreviewAudienceResponse:
        size, sample = await self.audiences.preview(workspace_of(context), definition(request.audience))
        return pb.PreviewAudienceResponse(size=size, sample=sample)

    @rpc
    async def ListAudienceMembers(
        self, request: pb.ListAudienceMembersRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAudienceMembersResponse:
        ids, cursor = await self.audiences.members(workspace_of(context), request.id, request.limit, request.cursor)
        return pb.ListAudienceMembersResponse(profile_ids=ids, next_cursor=cursor)

    @rpc
    async def GetAudienceSizeHistory(
        self, request: pb.GetAudienceSizeHistoryRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAudienceSizeHistoryResponse:
        points = await self.audiences.size_history(workspace_of(context), request.id, request.bucket, request.buckets)
        reply = pb.GetAudienceSizeHistoryResponse()
        for point in points:
            added = reply.points.add(size=point.size, entered=point.entered, exited=point.exited)
            added.at.FromDatetime(point.at)
        return reply

    # --- Computed traits ---

    @rpc
    async def CreateComputedTrait(
        self, request: pb.CreateComputedTraitRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateComputedTraitResponse:
        created = await self.computed_traits.create(workspace_of(context), definition(request.computed_trait))
        return pb.CreateComputedTraitResponse(computed_trait=computed_trait(created))

    @rpc
    async def GetComputedTrait(
        self, request: pb.GetComputedTraitRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetComputedTraitResponse:
        found = await _get(self.computed_traits, workspace_of(context), request)
        return pb.GetComputedTraitResponse(computed_trait=computed_trait(found))

    @rpc
    async def ListComputedTraits(
        self, request: pb.ListComputedTraitsRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListComputedTraitsResponse:
        found = await self.computed_traits.list(workspace_of(context))
        return pb.ListComputedTraitsResponse(computed_traits=[computed_trait(t) for t in found])

    @rpc
    async def UpdateComputedTrait(
        self, request: pb.UpdateComputedTraitRequest, context: grpc.aio.ServicerContext
    ) -> pb.UpdateComputedTraitResponse:
        updated = await self.computed_traits.update(
            workspace_of(context), request.id, definition(request.computed_trait))
        return pb.UpdateComputedTraitResponse(computed_trait=computed_trait(updated))

    @rpc
    async def DeleteComputedTrait(
        self, request: pb.DeleteComputedTraitRequest, context: grpc.aio.ServicerContext
    ) -> pb.DeleteComputedTraitResponse:
        await self.computed_traits.delete(workspace_of(context), request.id)
        return pb.DeleteComputedTraitResponse()

    @rpc
    async def PreviewComputedTrait(
        self, request: pb.PreviewComputedTraitRequest, context: grpc.aio.ServicerContext
    ) -> pb.PreviewComputedTraitResponse:
        size, sample = await self.computed_traits.preview(workspace_of(context), definition(request.computed_trait))
        return pb.PreviewComputedTraitResponse(size=size, sample=[
            pb.ProfileValue(profile_id=profile_id, value=python_to_value(value)) for profile_id, value in sample])

    # --- Membership changes ---

    @rpc_stream
    async def WatchMemberships(
        self, request: pb.WatchMembershipsRequest, context: grpc.aio.ServicerContext
    ) -> AsyncIterator[pb.WatchMembershipsResponse]:
        changes = self.follower.follow(workspace_of(context), request.after, request.from_start, request.audience)
        async for position, entry in changes:
            change = pb.MembershipChange(
                position=position.encode(), profile_id=entry["profile_id"], audience_id=entry["audience_id"],
                audience=entry.get("audience", ""), change=entry["change"], reason=entry.get("reason", ""))
            change.at.FromDatetime(entry["at"])
            yield pb.WatchMembershipsResponse(change=change)
