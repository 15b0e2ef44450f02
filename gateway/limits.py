"""Transport limits of JSON bodies: body size, gzip, JSON, message size and depth.

These are the gateway's only rules about tracking messages and definitions; what makes either valid is the
services' business. Every limit counts the *decompressed* body, and decompression stops as soon as the limit is
passed, so a small gzip bomb costs us at most the limit in memory. Tracking routes take any content type (browsers
send JSON as text/plain to avoid a CORS preflight); the other JSON routes take only JSON (`json_object_body`).
"""

import json
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from gateway.errors import ApiError
from gateway.settings import GatewaySettings

_GZIP = zlib.MAX_WBITS | 16  # zlib's window bits that accept a gzip header and trailer only
_STATE_KEY = "tracking_body"


@dataclass(frozen=True)
class Limits:
    message_bytes: int
    request_bytes: int
    batch_messages: int
    nesting_depth: int

    @classmethod
    def of(cls, settings: GatewaySettings) -> "Limits":
        return cls(settings.max_message_bytes, settings.max_request_bytes, settings.max_batch_messages,
                   settings.max_nesting_depth)


def too_large(message: str) -> ApiError:
    return ApiError(413, "invalid_request_error", message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "validation_error", message)


def _encoding(request: Request) -> str:
    """The one content coding we accept besides none: a chain ("gzip, br") or any other coding is refused."""
    coding = request.headers.get("content-encoding", "").strip().lower()
    if coding in ("", "identity"):
        return ""
    if coding in ("gzip", "x-gzip"):
        return "gzip"
    raise ApiError(415, "invalid_request_error",
                   f"Content-Encoding {coding!r} is not supported; send gzip or no encoding")


async def _capped(chunks: AsyncIterator[bytes], limit: int, what: str) -> AsyncIterator[bytes]:
    """The chunks, refused with 413 as soon as more than `limit` bytes have come."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > limit:
            raise too_large(f"the {what} is over the limit of {limit} bytes")
        yield chunk


async def _gunzip(chunks: AsyncIterator[bytes], limit: int) -> AsyncIterator[bytes]:
    """Decompress a gzip stream (several members allowed, as the format permits), producing at most `limit` + 1
    bytes per step: the caller's cap then refuses a bomb after about `limit` bytes, whatever its ratio."""
    inflater = zlib.decompressobj(_GZIP)
    try:
        async for chunk in chunks:
            data = chunk
            while data:
                if inflater.eof:  # the previous member ended: what follows is the next member
                    inflater = zlib.decompressobj(_GZIP)
                yield inflater.decompress(data, limit + 1)
                data = inflater.unconsumed_tail or (inflater.unused_data if inflater.eof else b"")
        if not inflater.eof:
            raise bad_request("the gzip body is truncated")
    except zlib.error as error:
        raise bad_request(f"the body is not valid gzip ({error})") from None


async def read_body(request: Request, limits: Limits) -> bytes:
    """The request body, decompressed, within the request limit."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limits.request_bytes:
        raise too_large(f"the request body is {length} bytes, over the limit of {limits.request_bytes} bytes")
    # The raw stream is capped too: a gzip body larger than the limit can only decompress to about that much.
    chunks = _capped(request.stream(), limits.request_bytes, "request body")
    if _encoding(request) == "gzip":
        chunks = _capped(_gunzip(chunks, limits.request_bytes), limits.request_bytes, "decompressed request body")
    return b"".join([chunk async for chunk in chunks])


def _no_constants(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(body: bytes) -> Any:
    """Strict JSON: UTF-8, no NaN or Infinity (Python's json accepts them; nothing downstream can hold them)."""
    if not body.strip():
        raise bad_request("the body is empty; send a JSON object")
    try:
        # Decoded here: given bytes, json.loads would also take UTF-16 and UTF-32, which JSON on the wire is not.
        # A leading UTF-8 byte order mark is allowed, as json.loads allowed it (some Windows clients send one).
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        where = f"{error.reason} at byte {error.start}"
        raise bad_request(f"the body is not valid JSON: it is not UTF-8 ({where})") from None
    try:
        return json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise bad_request("the body is nested too deeply") from None
    except ValueError as error:  # a JSONDecodeError, or a constant refused
        raise bad_request(f"the body is not valid JSON: {error}") from None


async def json_body(request: Request) -> Any:
    """The request's JSON body within the limits; read once per request, whichever dependency asks first."""
    if not hasattr(request.state, _STATE_KEY):
        limits: Limits = request.app.state.limits
        setattr(request.state, _STATE_KEY, parse_json(await read_body(request, limits)))
    return getattr(request.state, _STATE_KEY)


def _json_content_type(request: Request) -> None:
    """415 unless the body is declared JSON (`application/json` or `+json`), in UTF-8 if a charset is named. A
    request without a Content-Type is read as JSON, as FastAPI does."""
    declared = request.headers.get("content-type")
    if declared is None:
        return
    media, *params = (part.strip().lower() for part in declared.split(";"))
    charset = next((p.partition("=")[2].strip('"') for p in params if p.startswith("charset=")), "utf-8")
    if (media != "application/json" and not (media.startswith("application/") and media.endswith("+json"))) \
            or charset not in ("utf-8", "utf8"):
        raise ApiError(415, "invalid_request_error",
                       f"Content-Type {declared!r} is not supported; send application/json in UTF-8")


async def json_object_body(request: Request) -> dict[str, Any]:
    """The JSON object body of a route that takes only JSON (definitions): declared JSON, within the request limit,
    nested no deeper than tracking messages may be, valid Unicode."""
    _json_content_type(request)
    body = json_object(await json_body(request))
    limits: Limits = request.app.state.limits
    if deeper_than(body, limits.nesting_depth):
        raise bad_request(f"the body nests objects and arrays more than {limits.nesting_depth} levels deep")
    compact_json(body, "the body")
    return body


def json_object(body: Any, what: str = "the body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise bad_request(f"{what} must be a JSON object, not {json_type(body)}")
    return body


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for error messages."""
    match value:
        case None:
            return "null"
        case bool():
            return "a boolean"
        case int() | float():
            return "a number"
        case str():
            return "a string"
        case list():
            return "an array"
        case _:
            return "an object"


def compact_json(value: Any, what: str) -> bytes:
    """A JSON value as compact UTF-8 JSON; refuses lone surrogates ("\\ud800" escapes), which protobuf could not
    carry, naming `what` holds one."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:
        raise bad_request(f"{what} holds a string that is not valid Unicode (a lone surrogate)") from None


def message_size(message: dict[str, Any]) -> int:
    """A message's size as Segment counts it: its JSON, here compact and UTF-8 (so never more than the sender's)."""
    return len(compact_json(message, "the message"))


def deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest more than `limit` levels in a JSON value (`{}` is one level).

    Iterative and stopping at the limit: a recursive walk could itself run out of stack on hostile input.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth + 1 > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def check_message(message: dict[str, Any], limits: Limits) -> None:
    """A message's transport limits: 413 when too large, 400 when too deep or not encodable."""
    # Depth first: it bounds the recursion of the JSON encoder that measures the size.
    if deeper_than(message, limits.nesting_depth):
        raise bad_request(f"the message nests objects and arrays more than {limits.nesting_depth} levels deep")
    size = message_size(message)
    if size > limits.message_bytes:
        raise too_large(f"the message is {size} bytes, over the limit of {limits.message_bytes} bytes per message")
