"""The gateway's transport limits: body size, gzip (and gzip bombs), strict JSON, message size and depth."""

import gzip
import json
from collections.abc import Sequence

import pytest
from starlette.requests import Request

from gateway.errors import ApiError
from gateway.limits import (
    Limits,
    check_message,
    deeper_than,
    json_object_body,
    message_size,
    parse_json,
    read_body,
)

LIMITS = Limits(message_bytes=1024, request_bytes=4096, batch_messages=10, nesting_depth=5)


class _App:
    """What the readers need of the app: its limits."""

    def __init__(self) -> None:
        self.state = type("State", (), {"limits": LIMITS})()


def request(body: bytes, headers: dict[str, str] | None = None, chunk: int = 1000) -> Request:
    """A request whose body arrives in chunks, as from a socket."""
    parts: Sequence[bytes] = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    messages = [{"type": "http.request", "body": part, "more_body": i < len(parts) - 1} for i, part in enumerate(parts)]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "method": "POST", "path": "/", "headers": raw_headers, "app": _App()}, receive)


async def refused(body: bytes, headers: dict[str, str] | None = None) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await read_body(request(body, headers), LIMITS)
    return caught.value


async def test_plain_and_gzip_bodies_are_read_whole() -> None:
    body = json.dumps({"userId": "u", "pad": "x" * 3000}).encode()
    assert await read_body(request(body), LIMITS) == body
    for coding in ("gzip", "GZIP", "x-gzip"):
        assert await read_body(request(gzip.compress(body), {"content-encoding": coding}, chunk=7), LIMITS) == body


async def test_a_multi_member_gzip_body_is_read_whole() -> None:
    body = gzip.compress(b'{"a":') + gzip.compress(b'"b"}')
    assert await read_body(request(body, {"content-encoding": "gzip"}, chunk=3), LIMITS) == b'{"a":"b"}'


async def test_over_the_request_limit_is_413_counted_decompressed() -> None:
    big = b"x" * (LIMITS.request_bytes + 1)
    assert (await refused(big)).status == 413
    assert (await refused(b"{}", {"content-length": str(LIMITS.request_bytes + 1)})).status == 413
    compressed = gzip.compress(big)
    assert len(compressed) < LIMITS.request_bytes
    error = await refused(compressed, {"content-encoding": "gzip"})
    assert error.status == 413 and "decompressed" in error.message


async def test_a_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)  # 20 MB of zeros in about 20 KB
    error = await refused(bomb[:4000], {"content-encoding": "gzip"})  # its first 4 KB already inflate past 4 KB
    assert error.status == 413


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        (b"not gzip at all", {"content-encoding": "gzip"}, 400, "not valid gzip"),
        (gzip.compress(b'{"a": 1}')[:-6], {"content-encoding": "gzip"}, 400, "truncated"),
        (b"", {"content-encoding": "gzip"}, 400, "truncated"),
        (b"{}", {"content-encoding": "br"}, 415, "'br' is not supported"),
        (b"{}", {"content-encoding": "gzip, br"}, 415, "not supported"),
        (b"{}", {"content-encoding": "deflate"}, 415, "not supported"),
    ],
)
async def test_bad_encodings(body: bytes, headers: dict[str, str], status: int, words: str) -> None:
    error = await refused(body, headers)
    assert (error.status, words in error.message) == (status, True), error.message


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"  \n", "empty"),
        (b"{nope", "not valid JSON"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity"),
        (b'{"a": "\xff"}', "not valid JSON"),
        ('{"a": 1}'.encode("utf-16"), "it is not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_strict_json(body: bytes, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json(body)
    assert caught.value.status == 400 and words in caught.value.message, caught.value.message


@pytest.mark.parametrize("content_type", [None, "application/json", "Application/JSON; charset=UTF-8",
                                          "application/merge-patch+json", 'application/json; charset="utf8"'])
async def test_json_only_bodies_take_json(content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    assert await json_object_body(request(b'{"name": "a"}', headers)) == {"name": "a"}


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b'{"a": 1}', "text/plain", 415, "'text/plain' is not supported"),
        (b"a=1", "application/x-www-form-urlencoded", 415, "send application/json"),
        (b'{"a": 1}', "application/json; charset=latin-1", 415, "in UTF-8"),
        (b"[]", "application/json", 400, "must be a JSON object, not an array"),
        (b'{"a": "\\ud800"}', "application/json", 400, "lone surrogate"),
        (b'{"a": [[[[[[1]]]]]]}', "application/json", 400, "more than 5 levels"),
    ],
)
async def test_json_only_bodies_refuse(body: bytes, content_type: str, status: int, words: str) -> None:
    with pytest.raises(ApiError) as caught:
        await json_object_body(request(body, {"content-type": content_type}))
    assert (caught.value.status, words in caught.value.message) == (status, True), caught.value.message


def test_a_utf8_byte_order_mark_is_allowed() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


def test_message_size_is_compact_utf8_json() -> None:
    assert message_size({"a": "é", "b": [1, 2]}) == len('{"a":"é","b":[1,2]}'.encode())
    with pytest.raises(ApiError, match="lone surrogate"):
        message_size({"a": "\ud800"})


def test_depth_counts_objects_and_arrays() -> None:
    assert not deeper_than({"a": [{"b": 1}]}, 3)
    assert deeper_than({"a": [{"b": {}}]}, 3)
    assert not deeper_than("scalar", 0)
    deep: object = 1
    for _ in range(10_000):  # far deeper than the recursion limit: the check must not recurse
        deep = [deep]
    assert deeper_than(deep, 32)


def test_check_message_limits() -> None:
    check_message({"userId": "u", "traits": {"a": {"b": {"c": 1}}}}, LIMITS)
    with pytest.raises(ApiError) as caught:
        check_message({"userId": "u", "pad": "x" * LIMITS.message_bytes}, LIMITS)
    assert caught.value.status == 413 and "bytes per message" in caught.value.message
    with pytest.raises(ApiError) as caught:
        check_message({"a": {"b": {"c": {"d": {"e": {}}}}}}, LIMITS)
    assert caught.value.status == 400 and "5 levels" in caught.value.message
