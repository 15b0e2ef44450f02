"""The id of the request being handled, so that every log line written for it can be found by it.

The gateway gives every HTTP request an `x-request-id` (the caller's, or a new one) and carries it to every gRPC
call it makes for that request, in the metadata key of the same name; each service takes it from there (or makes a
fresh one for a caller that sent none). A context variable holds it while the request or call is handled: the JSON
log formatter (`services.common.logging`) writes it in every line, and tasks started meanwhile inherit it.
"""

import re
import uuid
from contextvars import ContextVar, Token

METADATA_KEY = "x-request-id"

_current: ContextVar[str | None] = ContextVar("request_id", default=None)
# What a caller's id may be: it goes into gRPC metadata (printable ASCII only) and into every log line, so anything
# else, or anything longer, is replaced by an id of our own rather than refused.
_ACCEPTABLE = re.compile(r"[!-~]{1,128}")


def accept(given: str | None) -> str:
    """The caller's id if it is usable as one, else a new id."""
    return given if given and _ACCEPTABLE.fullmatch(given) else str(uuid.uuid4())


def current() -> str | None:
    """The id of the request or call being handled here; None outside one."""
    return _current.get()


def begin(request_id: str) -> Token[str | None]:
    """Make `request_id` current (until `end` with the token returned)."""
    return _current.set(request_id)


def end(token: Token[str | None]) -> None:
    _current.reset(token)
