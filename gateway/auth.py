"""Who is calling: a credential resolves to a workspace, which must be the one the path names.

The two resolvers here are the only way a route learns its workspace, so they are also where each request is
counted against its workspace's rate limit (`gateway.ratelimit.admit`).
"""

import base64
import binascii
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Header, Path, Request

from gateway.errors import ApiError
from gateway.limits import json_body
from gateway.ratelimit import admit
from services.common import tenancy
from services.common.errors import ValidationError
from services.common.store import Store

_MAX_CACHED = 10_000

type Finder = Callable[[Store, str], Awaitable[tenancy.Workspace | None]]


@dataclass
class Credentials:
    """Resolves auth tokens and write keys through a short-lived cache in front of one indexed read."""

    store: Store
    ttl: float
    _cache: dict[tuple[str, str], tuple[float, str | None]] = field(default_factory=dict)

    async def workspace_for_token(self, token: str) -> str | None:
        return await self._resolve("token", token, tenancy.find_by_auth_token)

    async def workspace_for_write_key(self, write_key: str) -> str | None:
        return await self._resolve("write_key", write_key, tenancy.find_by_write_key)

    async def _resolve(self, kind: str, secret: str, find: Finder) -> str | None:
        now = time.monotonic()
        key = (kind, tenancy.digest(secret))  # never keep the secret itself in memory longer than the request
        cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        found = await find(self.store, secret)
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
    return admit(request, named)


Workspace = Annotated[str, Depends(tenant)]


def _unauthorized(message: str) -> ApiError:
    # 401, as HTTP Basic asks; Segment's libraries do not retry it (they retry 5xx and 429 only).
    return ApiError(401, "authentication_error", message, headers={"WWW-Authenticate": 'Basic realm="write key"'})


def _basic_user(authorization: str) -> str:
    """The user name of an HTTP Basic `Authorization` header (Segment's write key; the password is empty)."""
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise _unauthorized("Authorization must be HTTP Basic with the write key as user name")
    try:
        user, _, _password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise _unauthorized("Authorization is not valid HTTP Basic (base64 of 'writeKey:')") from None
    return user


async def write_key_workspace(
    request: Request,
    authorization: Annotated[
        str | None, Header(description="HTTP Basic, the workspace's write key as user name and an empty password")
    ] = None,
) -> str:
    """The workspace whose write key the request carries: as the Basic user name or, as browsers send it (no
    custom headers, so no CORS preflight), as `writeKey` in the JSON body."""
    if authorization:
        write_key = _basic_user(authorization)
    else:
        body: Any = await json_body(request)
        in_body = body.get("writeKey") if isinstance(body, dict) else None
        if not isinstance(in_body, str):
            raise _unauthorized("missing write key: send it as the Basic user name or as writeKey in the body")
        write_key = in_body
    credentials: Credentials = request.app.state.credentials
    workspace = await credentials.workspace_for_write_key(write_key) if write_key else None
    if workspace is None:
        raise _unauthorized("the write key is not valid")
    return admit(request, workspace)


WriteKeyWorkspace = Annotated[str, Depends(write_key_workspace)]
