"""Workspaces (tenants) and their credentials.

A workspace is named `client/account/brand` (e.g. `intilery/marketing/MARKETING`); that name is its `_id`.
Tokens and write keys are stored only as SHA-256 digests: they are long random secrets, so a fast digest is
enough, and it lets the gateway find a workspace by one indexed read. The gateway resolves a credential and
passes the workspace to the services in gRPC metadata (`WORKSPACE_METADATA_KEY`).
"""

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from services.common.errors import ConflictError, ValidationError
from services.common.store import WORKSPACES, Store

WORKSPACE_METADATA_KEY = "x-cdp-workspace"
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def workspace_name(client: str, account: str, brand: str) -> str:
    for part in (client, account, brand):
        if not _PART.match(part):
            raise ValidationError(f"workspace part {part!r} must be 1-64 letters, digits, '_' or '-'")
    return f"{client}/{account}/{brand}"


def parse_workspace(text: str) -> str:
    """A workspace name written in one piece (`client/account/BRAND`, as it travels in metadata), checked part by
    part as `workspace_name` does."""
    parts = text.split("/")
    if len(parts) != 3:
        raise ValidationError(f"workspace {text!r} must be client/account/BRAND, e.g. intilery/marketing/MARKETING")
    return workspace_name(*parts)


@dataclass(frozen=True)
class Workspace:
    name: str


async def find_by_auth_token(store: Store, token: str) -> Workspace | None:
    return await _find(store, "auth_token_hashes", token)


async def find_by_write_key(store: Store, write_key: str) -> Workspace | None:
    return await _find(store, "write_key_hashes", write_key)


async def _find(store: Store, field: str, secret: str) -> Workspace | None:
    wanted = digest(secret)
    doc = await store.workspaces.find_one({field: wanted}, {field: 1})
    # The index lookup found the digest; the constant-time compare keeps the check itself free of timing leaks.
    if doc is None or not any(hmac.compare_digest(wanted, h) for h in doc.get(field, [])):
        return None
    return Workspace(name=doc["_id"])


async def ensure_workspace(store: Store, name: str, auth_token: str, write_key: str) -> None:
    """Admin tooling only: create the workspace if needed and make sure it accepts these credentials."""
    await store.ensure_indexes(WORKSPACES)
    await store.workspaces.update_one(
        {"_id": name},
        {
            "$setOnInsert": {"created_at": datetime.now(UTC)},
            "$addToSet": {"auth_token_hashes": digest(auth_token), "write_key_hashes": digest(write_key)},
        },
        upsert=True,
    )


async def create_workspace(store: Store, name: str, auth_token: str, write_key: str) -> None:
    """Admin tooling only: a new workspace accepting these credentials; ConflictError when it exists."""
    await store.ensure_indexes(WORKSPACES)
    try:
        await store.workspaces.insert_one({"_id": name, "created_at": datetime.now(UTC),
                                           "auth_token_hashes": [digest(auth_token)],
                                           "write_key_hashes": [digest(write_key)]})
    except DuplicateKeyError:
        raise ConflictError(f"workspace {name} exists already") from None


async def replace_credentials(store: Store, name: str, auth_token: str, write_key: str) -> bool:
    """Admin tooling only: the workspace accepts these credentials and no others (the gateway keeps trusting the
    old ones for as long as it caches them); created if absent. True when it existed."""
    await store.ensure_indexes(WORKSPACES)
    now = datetime.now(UTC)
    result = await store.workspaces.update_one(
        {"_id": name},
        {
            "$set": {"auth_token_hashes": [digest(auth_token)], "write_key_hashes": [digest(write_key)],
                     "credentials_replaced_at": now},
            "$setOnInsert": {"created_at": now},
        },
        upsert=True,
    )
    return result.matched_count == 1
