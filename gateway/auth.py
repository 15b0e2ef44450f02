"""Who is calling: a credential resolves to a workspace, which must be the one the path names."""

import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Header, Path, Request

from gateway.errors import ApiError
from services.common import tenancy
from services.common.errors import ValidationError
from services.common.store import Store

_MAX_CACHED = 10_000


@dataclass
class Credentials:
    """Resolves auth tokens through a short-lived cache in front of one indexed read."""

    store: Store
    ttl: float
    _cache: dict[str, tuple[float, str | None]] = field(default_factory=dict)

    async def workspace_for_token(self, token: str) -> str | None:
        now = time.monotonic()
        key = tenancy.digest(token)  # never keep the secret itself in memory longer than the request
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        found = await tenancy.find_by_auth_token(self.store, token)
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[key] = (now + self.ttl, found.name if found else None)
        return found.name if found else None


def _forbidden(message: str) -> ApiError:
    return ApiError(403, "authentication_error", message)


async def tenant(
    request: Request,
    client: Annotated[str, Path(description="Client id, e.g. `intilery`")],
    account: Annotated[str, Path(description="Account id, e.g. `marketing`")],
    brand: Annotated[str, Path(description="Brand id, e.g. `MARKETING`")],
    auth_token: Annotated[str | None, Header(description="The workspace's API token")] = None,
) -> str:
    """The workspace the request acts for: the one its `auth-token` belongs to, if that is the one in the path."""
    if not auth_token:
        raise _forbidden("missing auth-token header")
    try:
        named = tenancy.workspace_name(client, account, brand)
    except ValidationError as error:
        raise _forbidden(str(error)) from None
    credentials: Credentials = request.app.state.credentials
    if await credentials.workspace_for_token(auth_token) != named:
        raise _forbidden("auth-token is not valid for this workspace")
    return named


Workspace = Annotated[str, Depends(tenant)]
