"""`cdp audience members` (ListAudienceMembers, page by page) and `cdp watch` (WatchMemberships, followed)."""

import argparse
import asyncio
import json
import sys

import grpc

from cdp.segmentation.v1 import segmentation_pb2 as pb
from cli.errors import EXIT_REFUSED, CliError
from cli.retry import delays, unavailable
from cli.services import acting_for, opened, reachable
from cli.settings import CliSettings
from gateway.backends import Backends
from services.common.proto_json import to_dict

# ListAudienceMembers' largest page.
_PAGE = 1000
# `cdp watch --from start`: the whole log, not only what happens from now on.
FROM_START = "start"
# Consecutive failed reconnections after which `watch` gives up.
_WATCH_RETRIES = 8


async def find_audience(backends: Backends, workspace: str, key: str) -> pb.Audience:
    """The audience named `key`, or else the one whose id it is."""
    for request in (pb.GetAudienceRequest(name=key), pb.GetAudienceRequest(id=key)):
        try:
            reply = await backends.segmentation.GetAudience(request, **backends.call_options(workspace))
            return reply.audience
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
    raise CliError(f"the workspace has no audience named {key!r} nor with that id", EXIT_REFUSED)


async def members(args: argparse.Namespace, settings: CliSettings) -> int:
    async with opened(settings) as backends:
        audience = await find_audience(backends, args.workspace, args.audience)
        if audience.status.state != "ready":
            progress = f", {audience.status.progress:.0%} done" if audience.status.state == "building" else ""
            print(f"note: audience {audience.name!r} is {audience.status.state}{progress}: its members may be "
                  "incomplete", file=sys.stderr)
        found: list[str] = []
        cursor = ""
        while args.limit is None or len(found) < args.limit:
            page = _PAGE if args.limit is None else min(_PAGE, args.limit - len(found))
            reply = await backends.segmentation.ListAudienceMembers(
                pb.ListAudienceMembersRequest(id=audience.id, limit=page, cursor=cursor),
                **backends.call_options(args.workspace))
            found += reply.profile_ids
            if not args.json:
                for profile_id in reply.profile_ids:
                    print(profile_id)
                sys.stdout.flush()
            cursor = reply.next_cursor
            if not cursor:
                break
    if args.json:
        print(json.dumps({"audience": {"id": audience.id, "name": audience.name}, "members": found}, indent=2))
    return 0


def describe(change: pb.MembershipChange) -> str:
    """One change as a line: when, what, which audience, who, why, and where to resume after it."""
    at = change.at.ToJsonString()
    return (f"{at} {change.change:<7} audience={json.dumps(change.audience, ensure_ascii=False)} "
            f"profile={change.profile_id} reason={change.reason} position={change.position}")


def _watched(change: pb.MembershipChange, as_json: bool) -> str:
    return json.dumps(to_dict(change), ensure_ascii=False) if as_json else describe(change)


async def watch(args: argparse.Namespace, settings: CliSettings) -> int:
    """Follow the changes until interrupted (Ctrl-C ends the command with 0, see main). A stream the service drops
    (a restart) is resumed after the last change printed, with a backoff."""
    position = "" if args.start == FROM_START else args.start
    from_start = args.start == FROM_START
    async with opened(settings) as backends:
        # Connected before saying so: a watch from now on misses nothing made after this line.
        await reachable(backends, "segmentation", settings.segmentation_target, settings.request_timeout_seconds)
        print(f"watching membership changes of {args.workspace} (Ctrl-C stops)", file=sys.stderr, flush=True)
        waits = delays()
        failures = 0
        while True:
            request = pb.WatchMembershipsRequest(after=position, from_start=from_start and not position,
                                                 audience=args.audience)
            why = "the stream ended"
            try:
                async for reply in backends.segmentation.WatchMemberships(request,
                                                                         metadata=acting_for(args.workspace)):
                    print(_watched(reply.change, args.json), flush=True)
                    position = reply.change.position
                    failures, waits = 0, delays()
            except grpc.aio.AioRpcError as error:
                if not unavailable(error) or failures == _WATCH_RETRIES:
                    raise
                why = f"the segmentation service is unavailable ({error.details()})"
            failures += 1
            delay = next(waits)
            print(f"{why}; resuming in {delay:.1f} s", file=sys.stderr, flush=True)
            await asyncio.sleep(delay)
