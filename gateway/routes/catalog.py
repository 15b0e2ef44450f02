"""What the workspace has sent, for builders: `GET /track/{client}/{account}/{brand}/v1/catalog`."""

from typing import Any

from fastapi import APIRouter, Request

from cdp.profile.v1 import profile_pb2
from gateway.auth import Workspace

router = APIRouter(prefix="/track/{client}/{account}/{brand}/v1", tags=["catalog"])

CATALOG_EXAMPLE = {
    "events": [{"type": "track", "name": "Product Viewed", "seen": 120, "lastSeen": "2026-12-03T10:00:00Z",
                "properties": [{"path": "price", "types": ["number"]}, {"path": "product.sku", "types": ["string"]}]},
               {"type": "page", "name": "Pricing", "seen": 30, "lastSeen": "2026-12-03T09:00:00Z", "properties": []}],
    "traits": [{"path": "email", "types": ["string"]}, {"path": "plan", "types": ["string"]}],
    "eventsRead": 150, "profilesRead": 40,
}


def _fields(found: Any) -> list[dict[str, Any]]:
    return [{"path": f.path, "types": list(f.types)} for f in found]


@router.get("/catalog", operation_id="get_catalog",
            summary="The event names, property paths and trait paths the workspace has sent",
            description="Read from the most recent events (`eventsRead` of them) and a sample of profiles "
                        "(`profilesRead`), so its cost stays flat as the workspace grows: a name seen only long ago "
                        "may be missing. Events are most seen first; paths go two levels deep.",
            responses={200: {"content": {"application/json": {"example": CATALOG_EXAMPLE}}},
                       403: {"description": "Bad or missing auth-token"}})
async def catalog(request: Request, workspace: Workspace) -> dict[str, Any]:
    backends = request.app.state.backends
    reply = await backends.profile.GetCatalog(profile_pb2.GetCatalogRequest(), **backends.call_options(workspace))
    return {"events": [{"type": e.type, "name": e.name, "seen": e.seen,
                        "lastSeen": e.last_seen.ToJsonString() if e.HasField("last_seen") else None,
                        "properties": _fields(e.properties)} for e in reply.events],
            "traits": _fields(reply.traits), "eventsRead": reply.events_read, "profilesRead": reply.profiles_read}
