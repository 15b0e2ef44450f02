"""The servicer decorator turns domain errors into status codes; the workspace comes only from metadata."""

import grpc
import pytest
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from services.common.errors import ConflictError, ContendedError, InUseError, NotFoundError, ValidationError
from services.common.grpc_server import rpc, workspace_of


class Aborted(Exception):
    pass


class Context:
    """The two things a servicer uses of grpc.aio.ServicerContext."""

    def __init__(self, metadata: tuple[tuple[str, str], ...] = ()) -> None:
        self.metadata = metadata
        self.code: grpc.StatusCode | None = None
        self.details = ""
        self.trailing: tuple[tuple[str, str], ...] = ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self.metadata

    def set_trailing_metadata(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self.trailing = metadata

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.code, self.details = code, details
        raise Aborted


class Servicer:
    def __init__(self, error: Exception | None) -> None:
        self.error = error

    @rpc
    async def Call(self, request: str, context: Context) -> str:
        workspace = workspace_of(context)  # type: ignore[arg-type]
        if self.error:
            raise self.error
        return f"{workspace}:{request}"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ValidationError("bad"), grpc.StatusCode.INVALID_ARGUMENT),
        (NotFoundError("none"), grpc.StatusCode.NOT_FOUND),
        (ConflictError("taken"), grpc.StatusCode.ALREADY_EXISTS),
        (InUseError("referred to"), grpc.StatusCode.FAILED_PRECONDITION),
        (ContendedError("kept racing"), grpc.StatusCode.UNAVAILABLE),
        (ServerSelectionTimeoutError("down"), grpc.StatusCode.UNAVAILABLE),
        (OperationFailure("refused", code=2), grpc.StatusCode.INTERNAL),
    ],
)
async def test_domain_errors_become_status_codes(error: Exception, code: grpc.StatusCode) -> None:
    context = Context((("x-cdp-workspace", "a/b/C"),))
    with pytest.raises(Aborted):
        await Servicer(error).Call("r", context)
    assert context.code == code


async def test_the_workspace_comes_from_metadata() -> None:
    assert await Servicer(None).Call("r", Context((("x-cdp-workspace", "a/b/C"),))) == "a/b/C:r"
    context = Context((("other", "x"),))
    with pytest.raises(Aborted):
        await Servicer(None).Call("r", context)
    assert context.code == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize("name", ["nope", "a/b", "a/b/C/d", "../../x", "$x/b/C", "a//C", "a/b/C\x00"])
async def test_a_malformed_workspace_is_refused(name: str) -> None:
    context = Context((("x-cdp-workspace", name),))
    with pytest.raises(Aborted):
        await Servicer(None).Call("r", context)
    assert context.code == grpc.StatusCode.UNAUTHENTICATED and "names no workspace" in context.details


async def test_unexpected_errors_are_not_swallowed() -> None:
    with pytest.raises(ZeroDivisionError):
        await Servicer(ZeroDivisionError()).Call("r", Context((("x-cdp-workspace", "a/b/C"),)))


async def test_a_lost_store_tells_clients_not_to_retry_automatically() -> None:
    context = Context((("x-cdp-workspace", "a/b/C"),))
    with pytest.raises(Aborted):
        await Servicer(ServerSelectionTimeoutError("down")).Call("r", context)
    assert context.code == grpc.StatusCode.UNAVAILABLE and context.trailing == (("grpc-retry-pushback-ms", "-1"),)
