"""Audience and computed-trait definitions over REST, under `/track/{client}/{account}/{brand}/v1/`.

The bodies are the proto3 JSON of `cdp.segmentation.v1.Audience` / `ComputedTrait` with proto field names, which is
the public definition format: `json_format` translates them both ways, so nothing here maps fields by hand or
checks a rule. The two kinds share one set of CRUD routes, made per kind by `_add_crud`; audiences add preview,
members and size history, computed traits a preview of their values.
"""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from google.protobuf.message import Message

from cdp.segmentation.v1 import segmentation_pb2 as pb
from gateway.auth import Workspace
from gateway.errors import ApiError
from gateway.limits import json_object_body
from services.common.errors import ValidationError
from services.common.proto_json import parse, to_dict
from services.common.structs import value_to_python

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1")

AUDIENCE_EXAMPLE = {
    "name": "high value customers",
    "description": "Viewed a product over 100 in the last 30 days, never ordered",
    "conditions": [
        {"mode": "required",
         "event": {"name": "Product Viewed", "where": [{"property": "price", "op": "gt", "value": 100}],
                   "count": {"op": "at_least", "value": 1},
                   "window": {"kind": "quick", "last": {"amount": 30, "unit": "days"}}}},
        {"mode": "not_required", "event": {"name": "Order Completed"}},
        {"mode": "optional", "computed_trait": {"name": "total_revenue", "op": "gt", "value": 500}},
    ],
}
COMPUTED_TRAIT_EXAMPLE = {
    "name": "total_revenue",
    "description": "Revenue of the last year's orders",
    "kind": "sum",
    "property": "revenue",
    "event": {"name": "Order Completed", "where": []},
    "window": {"kind": "quick", "last": {"amount": 365, "unit": "days"}},
}
_STORED = {"id": "0b6f4a52-2f0c-4c59-9d36-3f7c1b7f4d10", "version": 1, "size": 2,
           "status": {"state": "building", "progress": 0, "updated_at": "2026-12-03T10:00:00Z"},
           "created_at": "2026-12-03T10:00:00Z", "updated_at": "2026-12-03T10:00:00Z"}


@dataclass(frozen=True)
class Kind:
    """One kind of definition, as the REST routes and the SegmentationService name it."""

    path: str  # the URL segment: "audiences"
    label: str  # in words: "audience"
    rpc: str  # the RPC name's noun: CreateAudience, GetAudience, ...
    field: str  # the message's field name in requests and responses: "audience"
    plural: str  # the List response's field: "audiences"
    message: type[Message]
    example: dict[str, Any]


AUDIENCES = Kind("audiences", "audience", "Audience", "audience", "audiences", pb.Audience, AUDIENCE_EXAMPLE)
COMPUTED_TRAITS = Kind("computed-traits", "computed trait", "ComputedTrait", "computed_trait", "computed_traits",
                       pb.ComputedTrait, COMPUTED_TRAIT_EXAMPLE)

DefinitionId = Annotated[str, Path(alias="id", description="The definition's id, as created")]
# Read by the gateway's own JSON reader (JSON only, the request limit, gzip, clear messages), as tracking bodies are.
DefinitionBody = Annotated[dict[str, Any], Depends(json_object_body)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid definition: the message names the offending field, e.g. "
                         "`conditions[2].event.window.from`"},
    403: {"description": "Bad or missing auth-token"},
}
_BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    **_ERRORS,
    413: {"description": "The body is over the request limit (500 KB unless configured otherwise)"},
    415: {"description": "The body is not declared `application/json`, or has a Content-Encoding other than gzip"},
}


def _openapi_body(example: dict[str, Any]) -> dict[str, Any]:
    """`openapi_extra` stating the JSON object body a route reads through `DefinitionBody`."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"type": "object"}, "examples": {"example": {"value": example}}}}}}


def _parse(body: dict[str, Any], kind: Kind) -> Message:
    try:
        return parse(body, kind.message())
    except ValidationError as error:
        raise ApiError(400, "validation_error", str(error)) from None


async def _call(request: Request, workspace: str, method: str, **fields: Any) -> Any:
    """SegmentationService.`method` with its `{method}Request` of these fields, for the workspace."""
    backends = request.app.state.backends
    message = getattr(pb, f"{method}Request")(**fields)
    return await getattr(backends.segmentation, method)(message, **backends.call_options(workspace))


def _add_crud(kind: Kind) -> None:
    """POST/GET `/{path}` and GET/PUT/DELETE `/{path}/{id}` for one kind of definition."""
    answer = {"content": {"application/json": {"example": {**kind.example, **_STORED}}}}
    a = "an" if kind.label[0] in "aeiou" else "a"

    @router.post(f"/{kind.path}", status_code=201, tags=[kind.path], operation_id=f"create_{kind.field}",
                 summary=f"Create {a} {kind.label} and start computing it",
                 responses={201: {"description": f"The {kind.label}, status building", **answer}, **_BODY_ERRORS,
                            409: {"description": "The name is taken"}}, openapi_extra=_openapi_body(kind.example))
    async def create(request: Request, workspace: Workspace, body: DefinitionBody) -> dict[str, Any]:
        reply = await _call(request, workspace, f"Create{kind.rpc}", **{kind.field: _parse(body, kind)})
        return to_dict(getattr(reply, kind.field))

    @router.get(f"/{kind.path}", tags=[kind.path], operation_id=f"list_{kind.plural}",
                summary=f"List the workspace's {kind.label}s by name",
                responses={200: {"content": {"application/json": {"example": {"data": [{**kind.example, **_STORED}]}}}},
                           **_ERRORS})
    async def list_all(request: Request, workspace: Workspace) -> dict[str, Any]:
        reply = await _call(request, workspace, f"List{kind.rpc}s")
        return {"data": [to_dict(d) for d in getattr(reply, kind.plural)]}

    @router.get(f"/{kind.path}/{{id}}", tags=[kind.path], operation_id=f"get_{kind.field}",
                summary=f"Read {a} {kind.label}, with its status (building, ready or failed)",
                responses={200: answer, **_ERRORS, 404: {"description": f"No such {kind.label}"}})
    async def get(request: Request, workspace: Workspace, definition_id: DefinitionId) -> dict[str, Any]:
        reply = await _call(request, workspace, f"Get{kind.rpc}", id=definition_id)
        return to_dict(getattr(reply, kind.field))

    @router.put(f"/{kind.path}/{{id}}", tags=[kind.path], operation_id=f"update_{kind.field}",
                summary=f"Replace {a} {kind.label}'s whole definition and recompute it",
                responses={200: answer, **_BODY_ERRORS, 404: {"description": f"No such {kind.label}"},
                           409: {"description": "The new name is taken"}}, openapi_extra=_openapi_body(kind.example))
    async def update(request: Request, workspace: Workspace, definition_id: DefinitionId,
                     body: DefinitionBody) -> dict[str, Any]:
        reply = await _call(request, workspace, f"Update{kind.rpc}", id=definition_id,
                            **{kind.field: _parse(body, kind)})
        return to_dict(getattr(reply, kind.field))

    @router.delete(f"/{kind.path}/{{id}}", status_code=204, tags=[kind.path], operation_id=f"delete_{kind.field}",
                   summary=f"Delete {a} {kind.label} (refused while an audience refers to it)",
                   responses={**_ERRORS, 404: {"description": f"No such {kind.label}"}})
    async def delete(request: Request, workspace: Workspace, definition_id: DefinitionId) -> Response:
        await _call(request, workspace, f"Delete{kind.rpc}", id=definition_id)
        return Response(status_code=204)


@router.post("/audiences/preview", tags=["audiences"], operation_id="preview_audience",
             summary="Count the profiles an unsaved audience matches now, with a sample of their ids",
             responses={200: {"content": {"application/json": {"example": {"size": 2, "sample": [
                 "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "9a1d4c1e-0f57-4a43-a0a4-1c1b5a3c2e77"]}}}}, **_BODY_ERRORS},
             openapi_extra=_openapi_body(AUDIENCE_EXAMPLE))
async def preview(request: Request, workspace: Workspace, body: DefinitionBody) -> dict[str, Any]:
    reply = await _call(request, workspace, "PreviewAudience", audience=_parse(body, AUDIENCES))
    return {"size": reply.size, "sample": list(reply.sample)}


@router.get("/audiences/{id}/members", tags=["audiences"], operation_id="list_audience_members",
            summary="Page through an audience's member profile ids",
            responses={200: {"content": {"application/json": {"example": {
                "data": ["4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe"], "cursor": None}}}},
                **_ERRORS, 404: {"description": "No such audience"}})
async def members(
    request: Request,
    workspace: Workspace,
    definition_id: DefinitionId,
    # Bounded here as well, so that OpenAPI states it and no number beyond an int32 reaches the request message.
    limit: Annotated[int, Query(ge=0, le=1000, description="Ids per page, 1 to 1000 (0: the default, 100)")] = 0,
    cursor: Annotated[str, Query(description="The previous page's `cursor`; none for the first page")] = "",
) -> dict[str, Any]:
    reply = await _call(request, workspace, "ListAudienceMembers", id=definition_id, limit=limit, cursor=cursor)
    return {"data": list(reply.profile_ids), "cursor": reply.next_cursor or None}


@router.get("/audiences/{id}/size-history", tags=["audiences"], operation_id="get_audience_size_history",
            summary="An audience's size at the end of each recent hour or day, from its membership changes",
            description="Oldest first; the last point is the current bucket, ending now. `entered`/`exited` count "
                        "the profiles that entered and left during each bucket.",
            responses={200: {"content": {"application/json": {"example": {"data": [
                {"at": "2026-12-02T00:00:00Z", "size": 40, "entered": 3, "exited": 1},
                {"at": "2026-12-03T10:00:00Z", "size": 42, "entered": 2, "exited": 0}]}}}},
                **_ERRORS, 404: {"description": "No such audience"}})
async def size_history(
    request: Request,
    workspace: Workspace,
    definition_id: DefinitionId,
    bucket: Annotated[str, Query(description="`day` (the default) or `hour`",
                                 json_schema_extra={"enum": ["day", "hour"]})] = "",
    buckets: Annotated[int, Query(ge=0, le=366, description="How many buckets, 1 to 366 (0: the default, 30)")] = 0,
) -> dict[str, Any]:
    reply = await _call(request, workspace, "GetAudienceSizeHistory", id=definition_id, bucket=bucket,
                        buckets=buckets)
    return {"data": [{"at": p.at.ToJsonString(), "size": p.size, "entered": p.entered, "exited": p.exited}
                     for p in reply.points]}


@router.post("/computed-traits/preview", tags=["computed-traits"], operation_id="preview_computed_trait",
             summary="Compute an unsaved computed trait now: how many profiles have a value, and a few values",
             responses={200: {"content": {"application/json": {"example": {"size": 2, "sample": [
                 {"profileId": "4c90b9cf-5e4d-4689-ba57-b0f3e7c813fe", "value": 620.5},
                 {"profileId": "9a1d4c1e-0f57-4a43-a0a4-1c1b5a3c2e77", "value": 120}]}}}}, **_BODY_ERRORS},
             openapi_extra=_openapi_body(COMPUTED_TRAIT_EXAMPLE))
async def preview_computed_trait(request: Request, workspace: Workspace, body: DefinitionBody) -> dict[str, Any]:
    reply = await _call(request, workspace, "PreviewComputedTrait", computed_trait=_parse(body, COMPUTED_TRAITS))
    return {"size": reply.size,
            "sample": [{"profileId": v.profile_id, "value": value_to_python(v.value)} for v in reply.sample]}


_add_crud(AUDIENCES)
_add_crud(COMPUTED_TRAITS)
