"""`cdp tenant create`: a workspace and its credentials, written to the `workspaces` collection directly (admin
tooling's job, see services/common/tenancy.py), printed once: only their digests are kept."""

import argparse
import json
import secrets

from cli.errors import EXIT_REFUSED, CliError
from cli.settings import CliSettings
from services.common.errors import ConflictError
from services.common.store import Store
from services.common.tenancy import create_workspace, replace_credentials


def new_secret() -> str:
    """A credential: 256 random bits, URL-safe, so it fits a header, a Basic user name or a query unescaped."""
    return secrets.token_urlsafe(32)


async def create(args: argparse.Namespace, settings: CliSettings) -> int:
    auth_token, write_key = new_secret(), new_secret()
    store = Store(settings.mongodb_uri, settings.mongodb_database, appname="cdp-cli")
    try:
        if args.rotate:
            outcome = "credentials replaced" if await replace_credentials(
                store, args.workspace, auth_token, write_key) else "created"
        else:
            await create_workspace(store, args.workspace, auth_token, write_key)
            outcome = "created"
    except ConflictError as error:
        raise CliError(f"{error}; --rotate replaces its credentials", EXIT_REFUSED) from None
    finally:
        await store.close()

    if args.json:
        print(json.dumps({"workspace": args.workspace, "outcome": outcome, "authToken": auth_token,
                          "writeKey": write_key}, indent=2))
        return 0
    print(f"workspace   {args.workspace} ({outcome})")
    print(f"auth-token  {auth_token}")
    print(f"write key   {write_key}")
    print("Keep them now: only their digests are stored, so they cannot be shown again.")
    if args.rotate and outcome != "created":
        print("The old ones stop working once the gateways' credential caches expire "
              "(CDP_GATEWAY_CREDENTIAL_CACHE_SECONDS, 10 s by default).")
    return 0
