"""ProfileService over gRPC: proto in -> Profiles -> proto out."""

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from cdp.profile.v1 import profile_pb2, profile_pb2_grpc
from services.common.grpc_server import rpc, workspace_of
from services.common.structs import dict_to_struct
from services.profile.profiles import Profiles, ProfileView


def _timestamp(value) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def profile_message(view: ProfileView) -> profile_pb2.Profile:
    return profile_pb2.Profile(
        id=view.id,
        user_id=view.user_id,
        anonymous_ids=view.anonymous_ids,
        emails=view.emails,
        traits=dict_to_struct(view.traits),
        audiences=view.audiences,
        computed=dict_to_struct(view.computed),
        created_at=_timestamp(view.created_at),
        updated_at=_timestamp(view.updated_at),
    )


class ProfileServicer(profile_pb2_grpc.ProfileServiceServicer):
    def __init__(self, profiles: Profiles) -> None:
        self.profiles = profiles

    @rpc
    async def GetProfile(
        self, request: profile_pb2.GetProfileRequest, context: grpc.aio.ServicerContext
    ) -> profile_pb2.GetProfileResponse:
        views = await self.profiles.find(workspace_of(context), request.identifier)
        return profile_pb2.GetProfileResponse(profiles=[profile_message(v) for v in views])
