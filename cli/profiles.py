"""`cdp profile show`: one person as the engine knows them (ProfileService.GetProfile), as text or JSON."""

import argparse
import json
from typing import Any

from cdp.profile.v1 import profile_pb2
from cli.services import opened
from cli.settings import CliSettings
from services.common.proto_json import to_dict


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _block(title: str, values: dict[str, Any]) -> list[str]:
    if not values:
        return [f"{title}: none"]
    return [f"{title}:", *(f"  {key}: {_value(value)}" for key, value in sorted(values.items()))]


def render(profile: dict[str, Any]) -> str:
    """A profile (its public JSON) as text: who, then traits, computed traits and audiences."""
    facts = {"userId": profile.get("user_id"), "emails": ", ".join(profile.get("emails", [])),
             "anonymousIds": ", ".join(profile.get("anonymous_ids", [])), "created": profile.get("created_at"),
             "updated": profile.get("updated_at")}
    lines = [f"profile {profile['id']}", *(f"  {key}: {value}" for key, value in facts.items() if value)]
    lines += _block("traits", profile.get("traits", {}))
    lines += _block("computed traits", profile.get("computed", {}))
    audiences = profile.get("audiences", [])
    lines += ["audiences:", *(f"  {name}" for name in sorted(audiences))] if audiences else ["audiences: none"]
    return "\n".join(lines)


async def show(args: argparse.Namespace, settings: CliSettings) -> int:
    async with opened(settings) as backends:
        reply = await backends.profile.GetProfile(profile_pb2.GetProfileRequest(identifier=args.identifier),
                                                  **backends.call_options(args.workspace))
    profiles = [to_dict(p) for p in reply.profiles]
    if args.json:
        # A shared email names several people: the answer is always the list, as ProfileService gives it.
        print(json.dumps({"profiles": profiles}, indent=2, ensure_ascii=False))
    else:
        print("\n\n".join(render(p) for p in profiles))
    return 0
