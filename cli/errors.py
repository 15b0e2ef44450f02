"""What the CLI says when a command fails: one line on stderr and an exit code, never a traceback."""

import re

import grpc
from pymongo.errors import ConnectionFailure, PyMongoError, ServerSelectionTimeoutError

EXIT_FAILED = 1  # the command ran and failed: a service or the store unreachable or failing, messages rejected
EXIT_REFUSED = 2  # the command was wrong: its arguments, its input files, or a request the service refused

# Answers that say the request itself was wrong: fixing the command, not retrying it, helps.
_REFUSED = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.ALREADY_EXISTS,
            grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.OUT_OF_RANGE, grpc.StatusCode.UNAUTHENTICATED,
            grpc.StatusCode.PERMISSION_DENIED}


class CliError(Exception):
    """A failure to report as `cdp: <message>`, exiting with `code`."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.code = code


def rpc_failure(error: grpc.aio.AioRpcError, service: str, target: str) -> CliError:
    code = error.code()
    details = error.details() or code.name.lower()
    if code == grpc.StatusCode.UNAVAILABLE:
        return unreachable(service, target, details)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return CliError(f"the {service} service at {target} did not answer in time (--timeout gives it longer)")
    return CliError(f"{code.name.lower().replace('_', ' ')}: {details}", EXIT_REFUSED if code in _REFUSED
                    else EXIT_FAILED)


def unreachable(service: str, target: str, why: str) -> CliError:
    return CliError(f"the {service} service at {target} is unavailable ({why}); is the suite running? "
                    f"(--{service} or CDP_GATEWAY_{service.upper()}_TARGET says where it is)")


def store_failure(error: PyMongoError, uri: str) -> CliError:
    where = re.sub(r"//[^@/]*@", "//", uri)  # never print a password the URI carries
    if isinstance(error, ServerSelectionTimeoutError):
        return CliError(f"cannot reach the store at {where} (no answer in time); MONGODB_URI or --mongodb-uri "
                        "says where it is")
    if isinstance(error, ConnectionFailure):
        return CliError(f"lost the store at {where}: {error}")
    return CliError(f"the store refused the operation: {error}")
