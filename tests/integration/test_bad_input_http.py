"""A corpus of malformed requests to every REST route but tracking's (test_tracking_corpus.py has those): the
Profile API, the definition routes (CRUD, preview, members) and health.

Each request gets its 4xx in the one error shape, with a message that says what is wrong; none gets a 5xx; and the
workspace (a seeded one, see `seeded.py`) holds exactly what it held before, every collection counted and the
definitions compared whole.
"""

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from services.common.store import Store
from tests.conftest import Tenant
from tests.integration.conftest import deep, stored
from tests.integration.seeded import BIG_SPENDERS, BUYERS, Seeded, forged

NO_BODY = object()
CODES = {400: "validation_error", 403: "authentication_error", 404: "not_found", 405: "invalid_request_error",
         409: "invalid_request_error", 413: "invalid_request_error", 415: "invalid_request_error"}


@dataclass(frozen=True)
class Case:
    """One request. `path` is under the workspace's base unless it starts with "/", with `{name}` filled from the
    seed's values, as are `params` (or made from them, by a function); `auth` is "ok" (the workspace's token),
    "none", "other" (another workspace's token) or a header dict sent as is. A body that is not bytes is sent as
    JSON."""

    id: str
    method: str
    path: str
    status: int
    words: str
    body: Any = NO_BODY
    params: dict[str, str | Callable[[dict[str, str]], str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    auth: str | dict[str, str] = "ok"
    code: str = ""  # the error code, when not the status's usual one

    def url(self, seeded: Seeded) -> str:
        path = self.path.format(**seeded.values)
        return path if path.startswith("/") else f"{seeded.tenant.base}/{path}"

    def query(self, seeded: Seeded) -> dict[str, str] | None:
        made = {k: v(seeded.values) if callable(v) else v.format(**seeded.values) for k, v in self.params.items()}
        return made or None  # None keeps a query written into the path

    def request_headers(self, seeded: Seeded) -> dict[str, str]:
        named = {"ok": seeded.tenant.headers, "none": {}, "other": seeded.other.headers}
        auth = self.auth if isinstance(self.auth, dict) else named[self.auth]
        typed = {"content-type": "application/json"} if self.body is not NO_BODY else {}
        return {**typed, **auth, **self.headers}

    def content(self) -> bytes | None:
        if self.body is NO_BODY:
            return None
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


def audience(*conditions: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"name": "new audience", "conditions": list(conditions), **fields}


def trait(path: str = "plan", op: str = "eq", **extra: Any) -> dict[str, Any]:
    return {"mode": "required", "trait": {"path": path, "op": op, **extra}}


def event(**spec: Any) -> dict[str, Any]:
    return {"mode": "required", "event": {"name": "Clicked", **spec}}


def quick(amount: Any, unit: str = "days") -> dict[str, Any]:
    return {"kind": "quick", "last": {"amount": amount, "unit": unit}}


def group(conditions: list[dict[str, Any]], levels: int) -> list[dict[str, Any]]:
    for _ in range(levels):
        conditions = [{"mode": "required", "group": {"conditions": conditions}}]
    return conditions


def computed(**fields: Any) -> dict[str, Any]:
    return {"name": "new trait", "kind": "count", **fields}


OK = [trait(op="exists")]  # a valid condition list, for cases that break something else
P = "profiles/userId:u1"
ROUTES = ["audiences", "traits", "events", "meta", "audiences/history"]
SCROLL_OF_U1 = {"l": "events", "profile": "user_id:u1", "query": {}, "size": 1}

PROFILE_CASES = [
    # Identifiers: malformed, unknown types, ids no profile can have, and well-formed ids of nobody.
    *(Case(f"unknown-id-type-{route.replace('/', '-')}", "GET", f"profiles/phone:123/{route}", 400,
           "id_type must be one of id, userId, anonymousId, email, not 'phone'") for route in ROUTES),
    Case("id-without-type", "GET", "profiles/u1/audiences", 400, "ProfileID must be in format of id_type:id"),
    Case("id-type-without-value", "GET", "profiles/userId:/traits", 400, "ProfileID must be in format"),
    Case("id-value-without-type", "GET", "profiles/:u1/meta", 400, "id_type must be one of"),
    Case("id-type-wrong-case", "GET", "profiles/USERID:u1/events", 400, "not 'USERID'"),
    Case("id-with-nul", "GET", "profiles/userId:u%001/audiences/history", 400,
         "userId must not hold control characters"),
    Case("email-with-tab", "GET", "profiles/email:u1%09@example.com/audiences", 400,
         "email must not hold control characters"),
    Case("id-overlong", "GET", "profiles/anonymousId:" + "a" * 600 + "/meta", 400,
         "anonymousId may be at most 512 characters, not 600"),
    Case("id-invalid-utf8", "GET", "profiles/userId:%FF/audiences", 400, "path is not valid UTF-8"),
    Case("id-lone-surrogate", "GET", "profiles/userId:%ED%A0%80/traits", 400, "path is not valid UTF-8"),
    Case("id-emoji-of-nobody", "GET", "profiles/userId:%F0%9F%98%80/audiences", 404, "no profile with userId:😀"),
    Case("id-rtl-combining-of-nobody", "GET", "profiles/userId:%E2%80%AEe%CC%81/traits", 404,
         "no profile with userId:\u202ee\u0301"),
    Case("profile-id-of-nobody", "GET", "profiles/id:00000000-0000-0000-0000-000000000000/meta", 404,
         "no profile with id:00000000"),
    Case("route-past-the-profile", "GET", f"{P}/audiences/everything", 404, "Not Found"),
    # Page sizes.
    *(Case(f"events-size-{name}", "GET", f"{P}/events", 400, words, params={"size": size}) for name, size, words in [
        ("0", "0", "query.size: Input should be greater than or equal to 1"),
        ("101", "101", "query.size: Input should be less than or equal to 100"),
        ("negative", "-5", "query.size: Input should be greater than or equal to 1"),
        ("word", "ten", "query.size: Input should be a valid integer"),
        ("fraction", "2.5", "query.size: Input should be a valid integer"),
        ("beyond-int64", "99999999999999999999", "query.size: Input should be less than or equal to 100"),
        ("empty", "", "query.size: Input should be a valid integer"),
    ]),
    Case("history-size-0", "GET", f"{P}/audiences/history", 400, "query.size", params={"size": "0"}),
    Case("history-size-word", "GET", f"{P}/audiences/history", 400, "query.size", params={"size": "all"}),
    Case("listing-size-101", "GET", "profiles", 400, "query.size: Input should be less than or equal to 100",
         params={"size": "101"}),
    Case("listing-size-negative", "GET", "profiles", 400, "query.size", params={"size": "-1"}),
    Case("listing-size-word", "GET", "profiles", 400, "query.size", params={"size": "many"}),
    # Event queries.
    Case("events-start-words", "GET", f"{P}/events", 400, "query.start:", params={"start": "yesterday"}),
    Case("events-start-month-13", "GET", f"{P}/events", 400, "query.start:", params={"start": "2026-13-01"}),
    Case("events-end-bad-zone", "GET", f"{P}/events", 400, "query.end:", params={"end": "2026-01-01T00:00:00+25:00"}),
    Case("events-start-after-end", "GET", f"{P}/events", 400, "start must be before end",
         params={"start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}),
    Case("events-sort", "GET", f"{P}/events", 400, "sort must be asc or desc, not 'sideways'",
         params={"sort": "sideways"}),
    Case("traits-class", "GET", f"{P}/traits", 400, "class must be audience or computed_trait, not 'everything'",
         params={"class": "everything"}),
    # Scroll ids: garbage, another listing's, another profile's, forged or damaged, or with another query.
    Case("events-scroll-garbage", "GET", f"{P}/events", 400, "scrollId is not one this listing issued (events)",
         params={"scrollId": "garbage"}),
    Case("events-scroll-overlong", "GET", f"{P}/events", 400, "scrollId is not one this listing issued",
         params={"scrollId": "x" * 4000}),
    Case("events-scroll-not-utf8", "GET", f"{P}/events?scrollId=%C0%AF", 400, "query is not valid UTF-8"),
    Case("events-scroll-of-the-listing", "GET", f"{P}/events", 400, "not one this listing issued (events)",
         params={"scrollId": "{profiles_scroll}"}),
    Case("events-scroll-of-another-profile", "GET", "profiles/userId:u2/events", 400,
         "scrollId was issued for another profile", params={"scrollId": "{events_scroll}"}),
    Case("events-scroll-beyond-any-instant", "GET", f"{P}/events", 400, "scrollId is damaged", params={
        "scrollId": forged({**SCROLL_OF_U1, "after": [10**30, "x"]})}),
    Case("events-scroll-without-position", "GET", f"{P}/events", 400, "scrollId is damaged", params={
        "scrollId": forged({**SCROLL_OF_U1, "after": "x"})}),
    Case("events-scroll-with-forged-query", "GET", f"{P}/events", 400, "sort must be asc or desc", params={
        "scrollId": forged({**SCROLL_OF_U1, "after": [0, "x"], "query": {"sort": {"$ne": 1}}})}),
    Case("events-scroll-with-another-sort", "GET", f"{P}/events", 400, "sort differs from the query the scrollId",
         params={"scrollId": "{events_scroll}", "sort": "asc"}),
    Case("history-scroll-of-events", "GET", f"{P}/audiences/history", 400,
         "scrollId is not one this listing issued (history)", params={"scrollId": "{events_scroll}"}),
    Case("history-scroll-without-position", "GET", f"{P}/audiences/history", 400, "scrollId is damaged", params={
        "scrollId": forged({"l": "history", "profile": "user_id:u1", "after": {"$gt": 0}})}),
    Case("listing-scroll-garbage", "GET", "profiles", 400, "scrollId is not one this listing issued (profiles)",
         params={"scrollId": "%%%"}),
    Case("listing-scroll-of-history", "GET", "profiles", 400, "not one this listing issued (profiles)",
         params={"scrollId": "{history_scroll}"}),
    Case("listing-scroll-operator", "GET", "profiles", 400, "scrollId is damaged", params={
        "scrollId": forged({"l": "profiles", "after": {"$gt": ""}})}),
    Case("listing-scroll-huge-size", "GET", "profiles", 400, "size must be 1 to 100, not 1000000", params={
        "scrollId": forged({"l": "profiles", "after": "0", "size": 1_000_000})}),
    # Methods, credentials.
    Case("post-a-profile", "POST", f"{P}/audiences", 405, "Method Not Allowed", body={}),
    Case("delete-traits", "DELETE", f"{P}/traits", 405, "Method Not Allowed"),
    Case("put-the-listing", "PUT", "profiles", 405, "Method Not Allowed", body={}),
    Case("profile-without-token", "GET", f"{P}/audiences", 403, "missing auth-token", auth="none"),
    Case("profile-wrong-token", "GET", f"{P}/meta", 403, "not valid for this workspace",
         auth={"auth-token": "wrong"}),
    Case("profile-other-workspaces-token", "GET", f"{P}/events", 403, "not valid for this workspace", auth="other"),
    Case("listing-malformed-workspace", "GET", "/track/a$b/marketing/MARKETING/v1/profiles", 403,
         "workspace part 'a$b' must be"),
]

BODY_CASES = [
    # Not JSON, or not a JSON object.
    Case("invalid-json", "POST", "audiences", 400, "the body is not valid JSON", body=b'{"name": "x"'),
    Case("truncated-json", "PUT", "computed-traits/{trait}", 400, "the body is not valid JSON", body=b'{"name": '),
    Case("empty-body", "POST", "audiences", 400, "the body is empty", body=b""),
    Case("array-body", "POST", "audiences", 400, "must be a JSON object, not an array", body=[BUYERS]),
    Case("string-body", "POST", "audiences/preview", 400, "must be a JSON object, not a string", body="buyers"),
    Case("null-body", "PUT", "audiences/{buyers}", 400, "must be a JSON object, not null", body=None),
    Case("nan", "POST", "audiences", 400, "NaN is not a JSON number",
         body=b'{"name": "x", "conditions": [{"mode": "required", "trait": {"path": "p", "op": "eq", "value": NaN}}]}'),
    Case("infinity", "POST", "computed-traits", 400, "Infinity is not a JSON number",
         body=b'{"name": "x", "kind": "count", "description": Infinity}'),
    Case("lone-surrogate", "POST", "audiences", 400, "lone surrogate",
         body=b'{"name": "x\\ud800", "conditions": [{"mode": "required", "trait": {"path": "p", "op": "exists"}}]}'),
    Case("invalid-utf8", "POST", "audiences", 400, "it is not UTF-8", body=b'{"name": "\xff"}'),
    Case("utf16", "POST", "audiences", 400, "it is not UTF-8", body=json.dumps(BUYERS).encode("utf-16")),
    Case("deep-objects", "POST", "audiences", 400, "more than 32 levels deep",
         body={"name": "x", "conditions": [trait(value=deep(40))]}),
    Case("deeper-than-the-parser", "POST", "audiences/preview", 400, "nested too deeply",
         body=b'{"conditions": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
    Case("huge-body", "POST", "audiences", 413, "over the limit of 512000 bytes",
         body=audience(*OK, description="d" * 600_000)),
    Case("huge-gzip-body", "PUT", "audiences/{buyers}", 413, "decompressed request body is over the limit",
         body=gzip.compress(json.dumps(audience(*OK, description="d" * 600_000)).encode()),
         headers={"content-encoding": "gzip"}),
    # Content types and encodings.
    Case("form-body", "POST", "audiences", 415, "Content-Type 'application/x-www-form-urlencoded' is not supported",
         body=b"name=x", headers={"content-type": "application/x-www-form-urlencoded"}),
    Case("text-plain", "POST", "computed-traits", 415, "'text/plain' is not supported",
         body=computed(), headers={"content-type": "text/plain"}),
    Case("xml", "POST", "audiences/preview", 415, "'application/xml' is not supported", body=b"<audience/>",
         headers={"content-type": "application/xml"}),
    Case("multipart", "PUT", "audiences/{buyers}", 415, "'multipart/form-data", body=b"--x--",
         headers={"content-type": "multipart/form-data; boundary=x"}),
    Case("latin-1", "POST", "audiences", 415, "send application/json in UTF-8", body='{"name": "é"}'.encode("latin-1"),
         headers={"content-type": "application/json; charset=latin-1"}),
    Case("brotli", "POST", "audiences", 415, "Content-Encoding 'br' is not supported", body=BUYERS,
         headers={"content-encoding": "br"}),
    Case("deflate", "PUT", "computed-traits/{trait}", 415, "'deflate' is not supported", body=computed(),
         headers={"content-encoding": "deflate"}),
    Case("gzip-that-is-not", "POST", "audiences", 400, "not valid gzip", body=BUYERS,
         headers={"content-encoding": "gzip"}),
]

DEFINITION_CASES = [
    # Fields the format does not have, keys that would be store operators or paths, wrong JSON types.
    Case("unknown-field", "POST", "audiences", 400, "colour: unknown field", body=audience(*OK, colour="red")),
    Case("dollar-key", "POST", "audiences", 400, "$set: unknown field", body=audience(*OK, **{"$set": {}})),
    Case("dotted-key", "POST", "computed-traits", 400, "a.b: unknown field", body=computed(**{"a.b": 1})),
    Case("nul-key", "PUT", "audiences/{buyers}", 400, "unknown field", body=audience(*OK, **{"na\u0000me": "x"})),
    Case("nested-unknown-field", "POST", "audiences", 400, "conditions[0].event.nme: unknown field",
         body=audience({"mode": "required", "event": {"nme": "x"}})),
    Case("operator-in-a-value", "POST", "audiences", 400,
         "conditions[0].trait.value: eq needs a string, a number or a boolean", body=audience(trait(value={"$gt": 1}))),
    Case("operator-in-a-list", "POST", "audiences/preview", 400,
         "conditions[0].trait.value[1]: must be a string, a number or a boolean",
         body=audience(trait(op="in", value=["pro", {"$where": "1"}]))),
    Case("name-number", "POST", "audiences", 400, "name: must be a string", body=audience(*OK, name=5)),
    Case("conditions-object", "POST", "audiences", 400, "conditions: must be a list",
         body={"name": "x", "conditions": {}}),
    Case("where-object", "POST", "audiences", 400, "conditions[0].event.where: must be a list",
         body=audience(event(where={"property": "x"}))),
    Case("amount-word", "POST", "audiences", 400, "window.last.amount: must be a whole number",
         body=audience(event(window=quick("seven")))),  # "7" is proto3 JSON for 7, so it is not a case
    Case("amount-fraction", "POST", "audiences", 400, "window.last.amount: must be a whole number",
         body=audience(event(window=quick(1.5)))),
    Case("amount-beyond-int32", "POST", "audiences", 400, "window.last.amount: must be a whole number",
         body=audience(event(window=quick(2**40)))),
    Case("description-number", "POST", "computed-traits", 400, "description: must be a string",
         body=computed(description=5)),
    # Unknown words.
    Case("unknown-mode", "POST", "audiences", 400, "conditions[0].mode: must be one of required, not_required, "
         "optional, not 'sometimes'", body=audience({**trait(op="exists"), "mode": "sometimes"})),
    Case("missing-mode", "POST", "audiences", 400, "conditions[0].mode: is required: one of required",
         body=audience({"trait": {"path": "p", "op": "exists"}})),
    Case("unknown-operator", "POST", "audiences", 400, "conditions[0].trait.op: must be one of eq, neq",
         body=audience(trait(op="like", value="pro"))),
    Case("unknown-count-op", "POST", "audiences", 400, "conditions[0].event.count.op: must be one of at_least",
         body=audience(event(count={"op": "roughly", "value": 2}))),
    Case("unknown-window-kind", "POST", "audiences", 400, "window.kind: must be one of quick, relative",
         body=audience(event(window={"kind": "lately"}))),
    Case("unknown-unit", "POST", "audiences", 400, "window.last.unit: must be one of minutes, hours, days, weeks, "
         "not 'fortnights'", body=audience(event(window=quick(1, "fortnights")))),
    Case("unknown-event-type", "POST", "audiences", 400, "conditions[0].event.type: must be one of track, page, "
         "screen, not 'identify'", body=audience(event(type="identify"))),
    # Conditions that do not make sense.
    Case("no-conditions", "POST", "audiences", 400, "conditions: needs at least one condition", body=audience()),
    Case("condition-of-no-kind", "POST", "audiences", 400, "conditions[0]: needs exactly one of event, trait",
         body=audience({"mode": "required"})),
    Case("condition-of-two-kinds", "POST", "audiences", 400, "conditions[0]: takes only one of event, trait",
         body=audience({"mode": "required", "trait": {"path": "p", "op": "exists"}, "event": {"name": "x"}})),
    Case("groups-too-deep", "POST", "audiences", 400, "groups nest at most 5 deep", body=audience(*group(OK, 7))),
    Case("empty-group", "POST", "audiences", 400, "conditions[0].group.conditions: needs at least one",
         body=audience({"mode": "required", "group": {"conditions": []}})),
    Case("path-dollar", "POST", "audiences", 400, "conditions[0].trait.path: must be a dotted path",
         body=audience(trait(path="$where", value=1))),
    Case("path-empty-step", "POST", "audiences", 400, "conditions[0].trait.path: must be a dotted path",
         body=audience(trait(path="a..b", value=1))),
    Case("path-nul", "POST", "audiences", 400, "conditions[0].event.where[0].property: must be a dotted path",
         body=audience(event(where=[{"property": "a\u0000b", "op": "exists"}]))),
    Case("eq-without-value", "POST", "audiences", 400, "conditions[0].trait.value: eq needs a value",
         body=audience(trait())),
    Case("in-not-a-list", "POST", "audiences", 400, "in needs a list of values",
         body=audience(trait(op="in", value=1))),
    Case("gt-a-list", "POST", "audiences", 400, "gt needs a number or a string",
         body=audience(trait(op="gt", value=[1]))),
    Case("contains-a-number", "POST", "audiences", 400, "contains needs a string",
         body=audience(trait(op="contains", value=1))),
    Case("exists-a-string", "POST", "audiences", 400, "exists takes true or false",
         body=audience(trait(op="exists", value="yes"))),
    Case("before-not-a-date", "POST", "audiences", 400, "conditions[0].trait.value: 'tomorrow' is not an ISO-8601",
         body=audience(trait(op="before", value="tomorrow"))),
    Case("after-past-year-9999", "POST", "audiences/preview", 400, "'9999-12-31T23:59:59-14:00' is out of range",
         body=audience(trait(op="after", value="9999-12-31T23:59:59-14:00"))),
    Case("count-negative", "POST", "audiences", 400, "conditions[0].event.count.value: must not be negative",
         body=audience(event(count={"op": "at_least", "value": -1}))),
    # Windows: negative, empty, inverted, incomplete, too long.
    Case("window-negative", "POST", "audiences", 400, "window.last.amount: must be a positive whole number",
         body=audience(event(window=quick(-1)))),
    Case("window-zero", "PUT", "audiences/{buyers}", 400, "window.last.amount: must be a positive whole number",
         body=audience(event(window=quick(0)))),
    Case("window-too-long", "POST", "audiences", 400, "window.last.amount: must be at most 5217 weeks (100 years)",
         body=audience(event(window=quick(2**31 - 1, "weeks")))),
    Case("window-relative-inverted", "POST", "audiences", 400, "window: from must be further back than to",
         body=audience(event(window={"kind": "relative", "from": {"amount": 30, "unit": "days"},
                                     "to": {"amount": 90, "unit": "days"}}))),
    Case("window-relative-without-to", "POST", "audiences", 400, "window.to: is required for this window kind",
         body=audience(event(window={"kind": "relative", "from": {"amount": 30, "unit": "days"}}))),
    Case("window-absolute-inverted", "POST", "audiences/preview", 400, "window: start must be before end",
         body=audience(event(window={"kind": "absolute", "start": "2026-02-01T00:00:00Z",
                                     "end": "2026-01-01T00:00:00Z"}))),
    Case("window-absolute-no-zone", "POST", "audiences", 400, "window.start: must be an RFC 3339 date-time",
         body=audience(event(window={"kind": "absolute", "start": "2026-01-01", "end": "2026-02-01T00:00:00Z"}))),
    Case("window-before-without-instant", "POST", "audiences", 400, "window.at: is required: an ISO-8601 date-time",
         body=audience(event(window={"kind": "before"}))),
    # Names and descriptions, unicode included.
    Case("name-blank", "POST", "audiences", 400, "name: must not be empty", body=audience(*OK, name=" \u3000 ")),
    Case("name-too-long", "POST", "audiences", 400, "name: must be at most 200 characters",
         body=audience(*OK, name="😀" * 201)),
    Case("name-with-nul", "POST", "audiences", 400, "name: must not hold control characters",
         body=audience(*OK, name="big\u0000spenders")),
    Case("name-with-newline", "POST", "computed-traits", 400, "name: must not hold control characters",
         body=computed(name="total\nrevenue")),
    Case("reference-with-tab", "POST", "audiences", 400, "conditions[0].audience.name: must not hold control",
         body=audience({"mode": "required", "audience": {"name": "buy\ters"}})),
    Case("description-too-long", "POST", "audiences", 400, "description: must be at most 2000 characters",
         body=audience(*OK, description="\u202e" * 2001)),
    # References.
    Case("unknown-audience", "POST", "audiences", 400, "conditions[0].audience.name: no audience named 'ghost'",
         body=audience({"mode": "required", "audience": {"name": "ghost"}})),
    Case("unknown-computed-trait", "POST", "audiences/preview", 400, "no computed trait named 'ghost 👻'",
         body=audience({"mode": "required", "computed_trait": {"name": "ghost 👻", "op": "gt", "value": 1}})),
    Case("unknown-reference-in-a-group", "POST", "audiences", 400,
         "conditions[0].group.conditions[0].group.conditions[0].audience.name: no audience named 'nobody'",
         body=audience(*group([{"mode": "required", "audience": {"name": "nobody"}}], 2))),
    Case("self-reference", "POST", "audiences", 400, "audience 'me' cannot refer to itself",
         body=audience({"mode": "required", "audience": {"name": "me"}}, name="me")),
    Case("cycle", "PUT", "audiences/{buyers}", 400, "audiences would refer to each other in a cycle: "
         "buyers -> big spenders -> buyers",
         body={**BUYERS, "conditions": [{"mode": "required", "audience": {"name": "big spenders"}}]}),
    # Computed traits.
    Case("unknown-kind", "POST", "computed-traits", 400, "kind: must be one of count, sum",
         body=computed(kind="median")),
    Case("missing-kind", "POST", "computed-traits", 400, "kind: is required: one of count",
         body={"name": "new trait"}),
    Case("count-with-property", "POST", "computed-traits", 400, "property: count takes no property",
         body=computed(property="revenue")),
    Case("sum-without-property", "POST", "computed-traits", 400, "property: sum needs the event property",
         body=computed(kind="sum")),
    Case("property-dollar", "PUT", "computed-traits/{trait}", 400, "property: must be a dotted path",
         body=computed(kind="sum", property="$revenue")),
    Case("event-filter-with-count", "POST", "computed-traits", 400, "event.count: unknown field",
         body=computed(event={"name": "x", "count": {"op": "at_least", "value": 1}})),
    Case("trait-window-too-long", "POST", "computed-traits", 400, "window.last.amount: must be at most 36525 days",
         body=computed(window=quick(36526))),
    Case("trait-window-out-of-range", "POST", "computed-traits", 400, "window.at: must be an RFC 3339 date-time",
         body=computed(window={"kind": "after", "at": "9999-12-31T23:59:59-14:00"})),
    # Ids, names taken, definitions others refer to.
    Case("get-unknown-audience", "GET", "audiences/nope", 404, "no audience with id 'nope'"),
    Case("get-emoji-id", "GET", "audiences/%F0%9F%98%80", 404, "no audience with id '😀'"),
    Case("get-invalid-utf8-id", "GET", "computed-traits/%C3%28", 400, "path is not valid UTF-8"),
    Case("put-unknown-audience", "PUT", "audiences/nope", 404, "no audience with id 'nope'", body=BUYERS),
    Case("delete-unknown-computed-trait", "DELETE", "computed-traits/nope", 404, "no computed trait with id 'nope'"),
    Case("name-taken", "POST", "audiences", 409, "audience name 'buyers' is taken in this workspace", body=BUYERS),
    Case("rename-to-a-taken-name", "PUT", "audiences/{big}", 409, "audience name 'buyers' is taken",
         body={**BIG_SPENDERS, "name": "buyers", "conditions": OK}),
    Case("delete-referred-audience", "DELETE", "audiences/{buyers}", 400, "audience 'buyers' cannot be deleted: "
         "audience 'big spenders' refers to it by name", code="invalid_request_error"),
    Case("delete-referred-computed-trait", "DELETE", "computed-traits/{trait}", 400,
         "computed trait 'total_revenue' cannot be deleted", code="invalid_request_error"),
    Case("rename-referred-audience", "PUT", "audiences/{buyers}", 400, "audience 'buyers' cannot be renamed",
         body={**BUYERS, "name": "shoppers"}, code="invalid_request_error"),
    Case("invalid-update-of-an-audience", "PUT", "audiences/{big}", 400, "conditions[2].trait.op: must be one of",
         body={**BIG_SPENDERS, "conditions": [*BIG_SPENDERS["conditions"], trait(op="~")]}),
    # Members.
    Case("members-limit-negative", "GET", "audiences/{buyers}/members", 400, "query.limit:", params={"limit": "-1"}),
    Case("members-limit-1001", "GET", "audiences/{buyers}/members", 400, "query.limit:", params={"limit": "1001"}),
    Case("members-limit-word", "GET", "audiences/{buyers}/members", 400, "query.limit:", params={"limit": "all"}),
    Case("members-cursor-forged", "GET", "audiences/{buyers}/members", 400,
         "cursor is not one this listing issued (members)", params={"cursor": "zzzz"}),
    Case("members-cursor-of-another-audience", "GET", "audiences/{big}/members", 400,
         "cursor was issued for another audience", params={"cursor": "{members_cursor}"}),
    Case("members-cursor-a-scroll-id", "GET", "audiences/{buyers}/members", 400, "cursor is not one this listing",
         params={"cursor": "{profiles_scroll}"}),
    Case("members-cursor-without-position", "GET", "audiences/{buyers}/members", 400, "cursor is damaged",
         params={"cursor": lambda v: forged({"l": "members", "audience": v["buyers"], "after": {"$gt": ""}})}),
    Case("members-of-nobody", "GET", "audiences/nope/members", 404, "no audience with id 'nope'"),
    # The builder's reads: computed-trait previews, audience sizes over time, the catalog.
    Case("trait-preview-unknown-kind", "POST", "computed-traits/preview", 400, "kind: must be one of count, sum",
         body=computed(kind="median")),
    Case("trait-preview-not-json", "POST", "computed-traits/preview", 400, "the body is not valid JSON",
         body=b"{kind"),
    Case("sizes-unknown-bucket", "GET", "audiences/{buyers}/size-history", 400, "bucket",
         params={"bucket": "week"}),
    Case("sizes-too-many-buckets", "GET", "audiences/{buyers}/size-history", 400, "buckets",
         params={"buckets": "367"}),
    Case("sizes-of-nobody", "GET", "audiences/nope/size-history", 404, "no audience with id 'nope'"),
    Case("catalog-posted", "POST", "catalog", 405, "Method Not Allowed", body={}),
    # Methods, credentials.
    Case("patch-audiences", "PATCH", "audiences", 405, "Method Not Allowed", body={}),
    Case("post-to-an-audience", "POST", "audiences/{buyers}", 405, "Method Not Allowed", body=BUYERS),
    Case("put-computed-traits", "PUT", "computed-traits", 405, "Method Not Allowed", body=computed()),
    Case("delete-every-audience", "DELETE", "audiences", 405, "Method Not Allowed"),
    Case("create-without-token", "POST", "audiences", 403, "missing auth-token", body=audience(*OK), auth="none"),
    Case("delete-with-another-workspaces-token", "DELETE", "computed-traits/{trait}", 403,
         "not valid for this workspace", auth="other"),
]

HEALTH_CASES = [
    Case("post-healthz", "POST", "/healthz", 405, "Method Not Allowed", body={}),
    Case("delete-readyz", "DELETE", "/readyz", 405, "Method Not Allowed"),
    Case("healthz-query-not-utf8", "GET", "/healthz?x=%FF", 400, "query is not valid UTF-8"),
]

CASES = [*PROFILE_CASES, *BODY_CASES, *DEFINITION_CASES, *HEALTH_CASES]


def test_the_corpus_is_large_and_named_uniquely() -> None:
    assert len(CASES) >= 170
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_malformed_request(http: httpx.AsyncClient, seeded: Seeded, store: Store, case: Case) -> None:
    before = await stored(store, seeded.tenant.name)
    reply = await http.request(case.method, case.url(seeded), params=case.query(seeded), content=case.content(),
                               headers=case.request_headers(seeded))
    assert reply.status_code < 500, reply.text
    assert reply.status_code == case.status, reply.text
    error = reply.json()["error"]
    assert error["code"] == (case.code or CODES[case.status]), error
    assert case.words in error["message"], error
    assert reply.headers["x-request-id"]
    assert await stored(store, seeded.tenant.name) == before


async def test_unicode_that_is_valid_round_trips_exactly(http: httpx.AsyncClient, tenant: Tenant) -> None:
    """The other side of the unicode cases above: emoji, right-to-left and combining characters are names and ids
    like any other, stored and answered as sent (not normalized, not refused)."""
    name = "😀 VIP \u202eRTL\u202c e\u0301 日本"
    created = await http.post(f"{tenant.base}/audiences", json=audience(*OK, name=name), headers=tenant.headers)
    assert created.status_code == 201 and created.json()["name"] == name, created.text
    got = await http.get(f"{tenant.base}/audiences/{created.json()['id']}", headers=tenant.headers)
    assert got.json()["name"] == name
    user = "😀\u202ee\u0301"
    sent = await http.post(f"{tenant.base}/identify", json={"userId": user}, headers=tenant.headers)
    assert sent.status_code == 200, sent.text
    profile = await http.get(f"{tenant.base}/profiles/userId:{quote(user)}/audiences", headers=tenant.headers)
    assert profile.status_code == 200 and profile.json()["externalId"] == user, profile.text
