"""Intilery's Profile API: `GET /track/{client}/{account}/{brand}/v1/profiles/{idType}:{id}/audiences`."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request

from cdp.profile.v1 import profile_pb2
from gateway.auth import Workspace
from services.common.structs import struct_to_dict

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1/profiles", tags=["profiles"])

ProfileId = Annotated[
    str,
    Path(
        description="`idType:id` with idType `id`, `userId`, `anonymousId` or `email`",
        examples=["email:joe.bloggs@intilery.com"],
    ),
]

AUDIENCES_EXAMPLE = {
    "lastName": "Bloggs",
    "firstName": "Joe",
    "email": "joe.bloggs@intilery.com",
    "externalId": "joe.bloggs@intilery.com",
    "id": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe",
    "audiences": ["high value customers"],
}


def audiences_body(profile: profile_pb2.Profile) -> dict[str, Any]:
    """The seed's shape: traits at the top level, then the profile's ids and its audiences (ours win on clashes)."""
    body = struct_to_dict(profile.traits)
    body["id"] = profile.id
    if profile.user_id:
        body["externalId"] = profile.user_id
    if profile.emails and "email" not in body:
        body["email"] = profile.emails[0]
    body["audiences"] = list(profile.audiences)
    return body


@router.get(
    "/{profile_id}/audiences",
    summary="A profile's traits and the audiences it is in",
    responses={
        200: {"content": {"application/json": {"example": AUDIENCES_EXAMPLE}},
              "description": "One profile; `{\"data\": [...]}` when an email is shared by several"},
        400: {"description": "Malformed identifier"},
        403: {"description": "Bad or missing auth-token"},
        404: {"description": "No such profile"},
    },
)
async def audiences(request: Request, workspace: Workspace, profile_id: ProfileId) -> dict[str, Any]:
    backends = request.app.state.backends
    reply = await backends.profile.GetProfile(
        profile_pb2.GetProfileRequest(identifier=profile_id), **backends.call_options(workspace)
    )
    bodies = [audiences_body(p) for p in reply.profiles]
    return bodies[0] if len(bodies) == 1 else {"data": bodies}
