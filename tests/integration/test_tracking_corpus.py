"""A corpus of malformed tracking requests across both styles: each gets its 4xx, none a 5xx, nothing is written.

Transport errors (JSON, types, encodings, auth, batch shape) are refused by the gateway; message rules (ids, event,
timestamps, keys) by the ingest service. Either way the workspace must have no event, profile, identity or due
entry afterwards.
"""

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.conftest import basic, deep, nothing_written


@dataclass(frozen=True)
class Case:
    """One request. `path` starts with `i/` (Intilery, under the workspace's base) or `s/` (Segment, `/v1/`);
    `auth` is "ok" (the workspace's own credential), "none", or a header dict sent as is."""

    id: str
    path: str
    body: Any
    status: int
    words: str
    auth: str | dict[str, str] = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "POST"

    def url(self, tenant: Tenant) -> str:
        style, _, rest = self.path.partition("/")
        return f"{tenant.base}/{rest}" if style == "i" else f"/v1/{rest}"

    def request_headers(self, tenant: Tenant) -> dict[str, str]:
        segment = self.path.startswith("s/")
        own = basic(tenant.write_key) if segment else tenant.headers
        auth = self.auth if isinstance(self.auth, dict) else own if self.auth == "ok" else {}
        return {"content-type": "application/json", **auth, **self.headers}

    def content(self) -> bytes:
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


T = {"userId": "u1", "event": "Clicked"}  # a valid track body, for cases that break something else
GZ = {"content-encoding": "gzip"}

CASES = [
    # Not JSON, or not a JSON object.
    Case("bad-json", "i/identify", b"{nope", 400, "not valid JSON"),
    Case("bad-json-segment", "s/track", b'{"userId": "u1",', 400, "not valid JSON"),
    Case("empty-body", "i/track", b"", 400, "body is empty"),
    Case("truncated-batch", "i/batch", b'{"batch": [', 400, "not valid JSON"),
    Case("array-body", "i/identify", [{"userId": "u1"}], 400, "must be a JSON object, not an array"),
    Case("string-body", "s/identify", "u1", 400, "must be a JSON object, not a string"),
    Case("null-body", "i/track", None, 400, "must be a JSON object, not null"),
    Case("nan", "i/track", b'{"userId": "u1", "event": "E", "properties": {"x": NaN}}', 400, "NaN"),
    Case("invalid-utf8", "i/identify", b'{"userId": "u\xff"}', 400, "not valid JSON"),
    Case("lone-surrogate", "i/identify", b'{"userId": "u1", "traits": {"a": "\\ud800"}}', 400, "lone surrogate"),
    Case("deep-arrays", "i/track", b'{"userId": "u1", "event": "E", "properties": {"a": ' + b"[" * 5000
         + b"]" * 5000 + b"}}", 400, "more than 32 levels"),
    Case("deeper-than-the-parser", "i/track", b'{"userId": "u1", "event": "E", "properties": {"a": '
         + b"[" * 200_000 + b"]" * 200_000 + b"}}", 400, "nested too deeply"),
    Case("deep-objects", "s/track", {**T, "properties": deep(40)}, 400, "more than 32 levels"),
    # Wrong JSON types.
    Case("userId-object", "i/identify", {"userId": {"id": 1}}, 400, "userId must be a string or a number"),
    Case("userId-array", "i/identify", {"userId": ["u1"]}, 400, "userId must be a string or a number"),
    Case("userId-bool", "i/identify", {"userId": True}, 400, "not a boolean"),
    Case("anonymousId-bool", "s/identify", {"anonymousId": False}, 400, "anonymousId must be"),
    Case("traits-string", "i/identify", {"userId": "u1", "traits": "plan=pro"}, 400, "traits must be a JSON object"),
    Case("properties-array", "i/track", {**T, "properties": [1]}, 400, "properties must be a JSON object"),
    Case("context-number", "i/track", {**T, "context": 3}, 400, "context must be a JSON object"),
    Case("event-number", "i/track", {"userId": "u1", "event": 3}, 400, "event must be a string"),
    Case("name-object", "s/page", {"userId": "u1", "name": {"n": 1}}, 400, "name must be a string"),
    Case("timestamp-number", "i/track", {**T, "timestamp": 1764756000}, 400, "timestamp must be a string"),
    Case("messageId-object", "s/track", {**T, "messageId": {}}, 400, "messageId must be a string or a number"),
    Case("groupId-object", "s/group", {"userId": "u1", "groupId": {"g": 1}}, 400, "groupId must be"),
    Case("previousId-array", "s/alias", {"userId": "u1", "previousId": ["a"]}, 400, "previousId must be"),
    Case("number-too-large", "i/track", b'{"userId": "u1", "event": "E", "properties": {"n": 1' + b"0" * 400
         + b"}}", 400, "properties:"),
    # Missing ids and the ingest service's message rules.
    Case("no-ids", "i/identify", {"traits": {"plan": "pro"}}, 400, "userId or anonymousId must not be empty"),
    Case("empty-ids", "i/identify", {"userId": "", "anonymousId": ""}, 400, "userId or anonymousId"),
    Case("null-ids", "s/track", {"userId": None, "anonymousId": None, "event": "E"}, 400, "userId or anonymousId"),
    Case("placeholder-userId", "i/track", {**T, "userId": "null"}, 400, "userId or anonymousId"),
    Case("placeholder-anonymousId", "s/identify", {"anonymousId": "anonymous"}, 400, "userId or anonymousId"),
    Case("no-event", "s/track", {"userId": "u1"}, 400, "event must not be empty"),
    Case("empty-event", "i/track", {"userId": "u1", "event": "  "}, 400, "event must not be empty"),
    Case("group-without-groupId", "s/group", {"userId": "u1"}, 400, "groupId must not be empty"),
    Case("alias-without-previousId", "s/alias", {"userId": "u1"}, 400, "previousId"),
    # Bad timestamps.
    Case("timestamp-words", "i/track", {**T, "timestamp": "yesterday"}, 400, "timestamp 'yesterday'"),
    Case("sentAt-impossible", "s/identify", {"userId": "u1", "sentAt": "2026-13-45T00:00:00Z"}, 400, "sentAt"),
    Case("originalTimestamp-us-date", "i/page", {"userId": "u1", "originalTimestamp": "12/03/2026"}, 400,
         "originalTimestamp"),
    # Keys that would be store operators or paths.
    Case("dollar-key", "i/identify", {"userId": "u1", "traits": {"$set": {"admin": True}}}, 400, "traits: key '$set'"),
    Case("dot-key", "i/track", {**T, "properties": {"a.b": 1}}, 400, "properties: key 'a.b'"),
    Case("nul-key", "s/track", {**T, "context": {"x\u0000y": 1}}, 400, "context: key"),
    Case("nested-dollar-key", "i/identify", {"userId": "u1", "traits": {"a": {"$where": "1"}}}, 400, "traits.a"),
    Case("dot-key-in-array", "s/track", {**T, "properties": {"items": [{"a.b": 1}]}}, 400, "properties.items[0]"),
    Case("empty-key", "i/identify", {"userId": "u1", "traits": {"": 1}}, 400, "must be non-empty"),
    # Credentials.
    Case("no-auth-token", "i/track", T, 403, "missing auth-token", auth="none"),
    Case("wrong-auth-token", "i/track", T, 403, "not valid for this workspace", auth={"auth-token": "wrong"}),
    Case("no-write-key", "s/track", T, 401, "missing write key", auth="none"),
    Case("wrong-write-key", "s/track", T, 401, "write key is not valid", auth=basic("wrong")),
    Case("bearer-auth", "s/track", T, 401, "must be HTTP Basic", auth={"authorization": "Bearer abc"}),
    Case("basic-not-base64", "s/track", T, 401, "not valid HTTP Basic", auth={"authorization": "Basic %%%"}),
    Case("basic-empty-user", "s/track", T, 401, "write key is not valid",
         auth={"authorization": "Basic " + base64.b64encode(b":").decode()}),
    Case("body-write-key-wrong", "s/track", {**T, "writeKey": "wrong"}, 401, "not valid", auth="none"),
    Case("body-write-key-number", "s/track", {**T, "writeKey": 12}, 401, "missing write key", auth="none"),
    # Content encodings.
    Case("brotli", "i/identify", {"userId": "u1"}, 415, "'br' is not supported", headers={"content-encoding": "br"}),
    Case("deflate", "i/track", T, 415, "'deflate' is not supported", headers={"content-encoding": "deflate"}),
    Case("gzip-that-is-not", "s/batch", {"batch": [{"type": "track", **T}]}, 400, "not valid gzip", headers=GZ),
    Case("gzip-truncated", "s/batch", gzip.compress(json.dumps({"batch": [{"type": "track", **T}]}).encode())[:-8],
         400, "truncated", headers=GZ),
    # Batches that are not batches, or hold nothing valid.
    Case("batch-empty", "i/batch", {"batch": []}, 400, "batch is empty"),
    Case("batch-object", "s/batch", {"batch": {"type": "track", **T}}, 400, "batch must be an array"),
    Case("batch-missing", "s/batch", {"type": "track", **T}, 400, "batch must be an array of messages, not null"),
    Case("batch-string", "i/batch", {"batch": "[]"}, 400, "not a string"),
    Case("batch-of-scalars", "i/batch", {"batch": [1, "a", None]}, 400, "no message of the batch was stored"),
    Case("batch-all-invalid", "s/batch", {"batch": [{"type": "track", "userId": {}}, {"type": "track"}]}, 400,
         "no message of the batch was stored"),
    Case("batch-unknown-types", "i/batch", {"batch": [{"type": "merge", **T}, {**T}]}, 400, "type must be one of"),
    Case("batch-context-string", "s/batch", {"batch": [{"type": "track", **T}], "context": "x"}, 400,
         "context must be a JSON object"),
    Case("batch-sentAt-number", "s/batch", {"batch": [{"type": "track", **T}], "sentAt": 5}, 400,
         "sentAt must be a string"),
    # Routes and methods that do not exist.
    Case("get-a-post-route", "s/track", None, 405, "Method Not Allowed", method="GET"),
    Case("unknown-call", "s/merge", T, 404, "Not Found"),
]


async def test_timestamps_whose_skew_correction_overflows_are_400(http: httpx.AsyncClient, tenant: Tenant,
                                                                  store: Store) -> None:
    body = {**T, "timestamp": "0001-01-01T00:00:00Z", "sentAt": "9999-12-31T23:59:59Z"}
    reply = await http.post(f"{tenant.base}/track", json=body, headers=tenant.headers)
    assert reply.status_code == 400, reply.text
    assert await nothing_written(store, tenant)


def test_the_corpus_is_large_and_named_uniquely() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_malformed_request(http: httpx.AsyncClient, tenant: Tenant, store: Store, case: Case) -> None:
    reply = await http.request(case.method, case.url(tenant), content=case.content() if case.body is not None
                               or case.method == "POST" else None, headers=case.request_headers(tenant))
    assert reply.status_code < 500, reply.text
    assert reply.status_code == case.status, reply.text
    body = reply.json()
    assert case.words in body["error"]["message"], body
    if reply.status_code != 405 and reply.status_code != 404:
        assert body["success"] is False and body["message"] == body["error"]["message"]
    assert await nothing_written(store, tenant)
