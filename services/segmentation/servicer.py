"""SegmentationService over gRPC: proto in -> Audiences -> proto out.

Definitions cross as their proto3-JSON form, which is the public definition format itself.
"""

from typing import Any

import grpc
from google.protobuf import json_format

from cdp.segmentation.v1 import segmentation_pb2 as pb
from cdp.segmentation.v1 import segmentation_pb2_grpc
from services.common.grpc_server import rpc, workspace_of
from services.common.structs import normalize
from services.segmentation.audiences import Audiences

_SET_BY_SERVICE = ("id", "created_at", "updated_at")


def definition(audience: pb.Audience) -> dict[str, Any]:
    data = json_format.MessageToDict(audience, preserving_proto_field_name=True)
    return normalize({k: v for k, v in data.items() if k not in _SET_BY_SERVICE})


def audience_message(data: dict[str, Any]) -> pb.Audience:
    message = json_format.ParseDict({k: v for k, v in data.items() if k not in _SET_BY_SERVICE}, pb.Audience())
    message.id = data["id"]
    message.created_at.FromDatetime(data["created_at"])
    message.updated_at.FromDatetime(data["updated_at"])
    return message


class SegmentationServicer(segmentation_pb2_grpc.SegmentationServiceServicer):
    def __init__(self, audiences: Audiences) -> None:
        self.audiences = audiences

    @rpc
    async def CreateAudience(
        self, request: pb.CreateAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.CreateAudienceResponse:
        created = await self.audiences.create(workspace_of(context), definition(request.audience))
        return pb.CreateAudienceResponse(audience=audience_message(created))

    @rpc
    async def GetAudience(
        self, request: pb.GetAudienceRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetAudienceResponse:
        found = await self.audiences.get(workspace_of(context), request.name)
        return pb.GetAudienceResponse(audience=audience_message(found))

    @rpc
    async def ListAudiences(
        self, request: pb.ListAudiencesRequest, context: grpc.aio.ServicerContext
    ) -> pb.ListAudiencesResponse:
        found = await self.audiences.list(workspace_of(context))
        return pb.ListAudiencesResponse(audiences=[audience_message(a) for a in found])
