"""The `cdp` command: its arguments, the dispatch to each command's module, and every failure turned into one line
on stderr with its exit code (never a traceback)."""

import argparse
import asyncio
import importlib
import os
import sys
from collections.abc import Awaitable, Callable, Sequence

import grpc
import pydantic
from pymongo.errors import PyMongoError

from cli.errors import EXIT_FAILED, EXIT_REFUSED, CliError, rpc_failure, store_failure
from cli.settings import CliSettings
from services.common.errors import ValidationError
from services.common.tenancy import parse_workspace
from services.ingest.ingestion import MAX_BATCH

type Command = Callable[[argparse.Namespace, CliSettings], Awaitable[int]]

EPILOG = """\
Where things are: the services at $CDP_GATEWAY_{INGEST,SEGMENTATION,PROFILE}_TARGET (default 127.0.0.1:50051,
50052, 50053, as `make run` starts them), the store at $MONGODB_URI (default the embedded store of `make run`)
in the database $CDP_MONGODB_DATABASE (default cdp); each command's flags override them.

Exit codes: 0 done; 1 failed (a service or the store unreachable or failing, messages rejected); 2 refused (bad
arguments or input files, or a request the service refused as invalid, unknown or conflicting)."""


def _workspace(text: str) -> str:
    try:
        return parse_workspace(text)
    except ValidationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _bounded(low: int, high: int | None = None) -> Callable[[str], int]:
    def number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{value} is not between {low} and {high}" if high is not None
                                             else f"{value} is less than {low}")
        return value

    return number


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0 seconds")
    return value


def _flags(service: str | None = None, *, workspace: bool = True, json: bool = True,
           timeout: str | None = "each call's deadline in seconds (default $CDP_GATEWAY_REQUEST_TIMEOUT_SECONDS, "
                                 "10)") -> argparse.ArgumentParser:
    """The flags a command shares with others, as an argparse parent."""
    flags = argparse.ArgumentParser(add_help=False)
    if workspace:
        flags.add_argument("-w", "--workspace", required=True, type=_workspace, metavar="CLIENT/ACCOUNT/BRAND",
                           help="the workspace to act for, e.g. intilery/marketing/MARKETING")
    if service is not None:
        flags.add_argument(f"--{service}", dest="target", metavar="HOST:PORT",
                           help=f"the {service} service (default $CDP_GATEWAY_{service.upper()}_TARGET)")
    if timeout is not None:
        flags.add_argument("--timeout", type=_seconds, metavar="SECONDS", help=timeout)
    if json:
        flags.add_argument("--json", action="store_true", help="print JSON instead of text")
    return flags


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="cdp", description="Admin command line of the CDP audience engine.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    tenant = commands.add_parser("tenant", help="workspaces and their credentials")
    tenant_commands = tenant.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = tenant_commands.add_parser(
        "create", parents=[_flags(workspace=False, timeout=None)], help="create a workspace and its credentials",
        description="Create a workspace with a new random auth token and write key, stored only as digests and "
                    "printed once.")
    create.add_argument("workspace", type=_workspace, metavar="CLIENT/ACCOUNT/BRAND",
                        help="the workspace's name, e.g. intilery/marketing/MARKETING")
    create.add_argument("--rotate", action="store_true",
                        help="the workspace may exist: give it new credentials, and the old ones stop working")
    create.add_argument("--mongodb-uri", metavar="URI", help="the store (default $MONGODB_URI)")
    create.add_argument("--database", metavar="NAME", help="its database (default $CDP_MONGODB_DATABASE, cdp)")
    create.set_defaults(run="cli.tenants:create", service=None)

    bulk = commands.add_parser(
        "import", parents=[_flags("ingest", timeout="each batch's deadline in seconds (default 120)")],
        help="import tracking messages from a JSONL file",
        description="Send Segment-shaped messages (identify, track, page, screen, group, alias; one JSON object "
                    "a line) to the ingest service in batches. Lines without a messageId get one before the first "
                    "attempt, so retries store each message once. Exits 1 when any line was rejected.")
    bulk.add_argument("file", help="the JSONL file; - reads standard input")
    # 100: a batch takes seconds on the embedded store (about 10 new events/s), so progress moves and a batch stays
    # far inside its deadline; measured there, batches of 500 were no faster.
    bulk.add_argument("--batch-size", type=_bounded(1, MAX_BATCH), default=100, metavar="N",
                      help=f"messages per call, 1 to {MAX_BATCH} (default 100; batches also stay under the "
                           "gateway's request size)")
    bulk.add_argument("--retries", type=_bounded(0), default=5, metavar="N",
                      help="times a batch is sent again while the ingest service is unavailable (default 5)")
    bulk.set_defaults(run="cli.importing:run", service="ingest", timeout=120.0)

    apply = commands.add_parser(
        "apply", parents=[_flags("segmentation")], help="create or update definitions from files",
        description="Create or update audiences and computed traits from YAML or JSON files, by name. A file holds "
                    "definitions in the public JSON format under `computed_traits:` and/or `audiences:` (each a "
                    "list, or one definition). Prints created, updated or unchanged for each; exits 2 when one "
                    "was refused.")
    apply.add_argument("files", nargs="+", metavar="FILE", help="YAML or JSON files (.json is read as JSON)")
    apply.set_defaults(run="cli.definitions:run", service="segmentation")

    profile = commands.add_parser("profile", help="read profiles")
    profile_commands = profile.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = profile_commands.add_parser(
        "show", parents=[_flags("profile")], help="a profile's traits, computed traits and audiences")
    show.add_argument("identifier", metavar="IDTYPE:ID",
                      help="id:, userId:, anonymousId: or email: and the value, e.g. email:joe@example.com")
    show.set_defaults(run="cli.profiles:show", service="profile")

    audience = commands.add_parser("audience", help="read audiences")
    audience_commands = audience.add_subparsers(dest="action", required=True, metavar="ACTION")
    members = audience_commands.add_parser(
        "members", parents=[_flags("segmentation")], help="an audience's members (profile ids), one a line")
    members.add_argument("audience", metavar="NAME-OR-ID", help="the audience's name or id")
    members.add_argument("--limit", type=_bounded(1), metavar="N", help="at most N members (default all)")
    members.set_defaults(run="cli.memberships:members", service="segmentation")

    watch = commands.add_parser(
        "watch", parents=[_flags("segmentation", timeout="how long to wait for the service at the start "
                                                         "(default $CDP_GATEWAY_REQUEST_TIMEOUT_SECONDS, 10)")],
        help="follow membership changes as they happen",
        description="Print one line per membership change (a profile entered or exited an audience) until Ctrl-C. "
                    "Each line ends with its position: --from that position resumes after it.")
    watch.add_argument("--from", dest="start", default="", metavar="POSITION",
                       help="resume after this position; `start` for the whole history (default: from now on)")
    watch.add_argument("--audience", default="", metavar="NAME", help="only this audience's changes")
    watch.set_defaults(run="cli.memberships:watch", service="segmentation")
    return root


def settings_for(args: argparse.Namespace) -> CliSettings:
    """The environment's settings, with the command's flags over them."""
    try:
        settings = CliSettings()
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        # Aliased fields report their variable's name already; the others, their field's.
        variable = field if field.isupper() else f"{CliSettings.model_config.get('env_prefix', '')}{field}".upper()
        raise CliError(f"bad setting in the environment: {variable}: {first['msg']}", EXIT_REFUSED) from None
    update: dict[str, object] = {}
    if getattr(args, "target", None):
        update[f"{args.service}_target"] = args.target
    if getattr(args, "mongodb_uri", None):
        update["mongodb_uri"] = args.mongodb_uri
    if getattr(args, "database", None):
        update["mongodb_database"] = args.database
    if getattr(args, "timeout", None) and args.command != "import":  # an import's is per batch, its own
        update["request_timeout_seconds"] = args.timeout
    return settings.model_copy(update=update)


def _command(path: str) -> Command:
    module, _, name = path.partition(":")
    command: Command = getattr(importlib.import_module(module), name)
    return command


def _fail(error: CliError) -> int:
    for line in str(error).splitlines():
        print(f"cdp: {line}", file=sys.stderr)
    return error.code


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = settings_for(args)
        try:
            return asyncio.run(_command(args.run)(args, settings))
        except grpc.aio.AioRpcError as error:
            raise rpc_failure(error, args.service, getattr(settings, f"{args.service}_target")) from None
        except PyMongoError as error:
            raise store_failure(error, settings.mongodb_uri) from None
    except CliError as error:
        return _fail(error)
    except KeyboardInterrupt:
        # Ctrl-C is how a watch ends; anything else it interrupts did not finish.
        if args.command == "watch":
            return 0
        print("cdp: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`cdp audience members X | head`): nothing more to say, and nowhere to say it.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as error:
        # A fault of the CLI's own: one line, unless a traceback is asked for.
        if os.environ.get("CDP_LOG_LEVEL", "").upper() == "DEBUG":
            raise
        print(f"cdp: unexpected {type(error).__name__}: {error} (CDP_LOG_LEVEL=DEBUG shows where)", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
