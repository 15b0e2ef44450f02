"""The definition formats (audiences, computed traits): checking a definition before anything is stored.

A definition is kept in the store exactly in the public JSON shape (the protos mirror it), so this module is the
one place that says what a valid one is. Errors name the offending field by its path, e.g.
`conditions[1].event.where[0].op`, so a builder can show them next to the field.

Everything here is pure: checks that need the store (do referenced audiences and computed traits exist?) live in
`audiences.py`, which uses `references` and `find_cycle` from here.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from services.common.errors import ValidationError
from services.common.identifiers import CONTROL_CHARACTERS

MODES = ("required", "not_required", "optional")
OPERATORS = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "starts_with", "ends_with", "exists", "in",
             "before", "after")
COUNT_OPS = ("at_least", "at_most", "exactly")
UNITS = ("minutes", "hours", "days", "weeks")
WINDOW_KINDS = ("quick", "relative", "absolute", "before", "after")
EVENT_TYPES = ("track", "page", "screen")
KINDS = ("event", "trait", "computed_trait", "audience", "group")
COMPUTED_KINDS = ("count", "sum", "avg", "min", "max", "most_frequent", "first", "last", "unique_list",
                  "unique_list_count")
MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_DEPTH = 5
# Windows reach back at most this far: every event is after 1970, and a longer span would take the window's start
# before the year 1, where the engine's date arithmetic overflows. For all time, leave the window out.
MAX_SPAN = timedelta(days=36525)
_PATH = re.compile(r"^[^$.\x00][^.\x00]*(\.[^$.\x00][^.\x00]*)*$")

# The fields of a definition its service sets (and ignores when sent), so a definition read can be sent back.
SET_BY_SERVICE = ("id", "status", "version", "created_at", "updated_at", "size")


def _fail(path: str, message: str) -> ValidationError:
    return ValidationError(f"{path}: {message}")


def check_name(name: Any, path: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise _fail(path, "must not be empty")
    if len(name) > MAX_NAME:
        raise _fail(path, f"must be at most {MAX_NAME} characters")
    # Names are shown and referred to: a control character in one is a mistake (or hides one).
    if CONTROL_CHARACTERS.search(name):
        raise _fail(path, "must not hold control characters (tabs, line breaks, NUL, ...)")
    return name.strip()


def _check_description(definition: dict[str, Any]) -> str:
    description = definition.get("description") or ""
    if not isinstance(description, str):
        raise _fail("description", "must be a string")
    if len(description) > MAX_DESCRIPTION:
        raise _fail("description", f"must be at most {MAX_DESCRIPTION} characters, not {len(description)}")
    return description


def _one_of(value: Any, allowed: tuple[str, ...], path: str) -> None:
    if value is None or value == "":
        raise _fail(path, f"is required: one of {', '.join(allowed)}")
    if value not in allowed:
        raise _fail(path, f"must be one of {', '.join(allowed)}, not {value!r}")


def _check_path(value: Any, path: str) -> None:
    if not isinstance(value, str) or not _PATH.match(value):
        raise _fail(path, "must be a dotted path of non-empty keys that do not start with '$'")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _check_operand(op: str, value: Any, present: bool, path: str) -> None:
    if op == "exists":
        if present and not isinstance(value, bool):
            raise _fail(path, "exists takes true or false (default true)")
        return
    if not present or value is None:
        raise _fail(path, f"{op} needs a value")
    if op == "in":
        if not isinstance(value, list):
            raise _fail(path, "in needs a list of values")
        # As for eq: an object or a list never equals a value (values.py), so one in the list is a mistake.
        for i, item in enumerate(value):
            if not _is_scalar(item):
                raise _fail(f"{path}[{i}]", "must be a string, a number or a boolean")
    elif op in ("contains", "starts_with", "ends_with") and not isinstance(value, str):
        raise _fail(path, f"{op} needs a string")
    elif op in ("gt", "gte", "lt", "lte") and not isinstance(value, int | float | str):
        raise _fail(path, f"{op} needs a number or a string")
    elif op in ("before", "after"):
        _check_instant(value, path)
    elif not _is_scalar(value):
        raise _fail(path, f"{op} needs a string, a number or a boolean, not an object or a list")


def _check_instant(value: Any, path: str) -> datetime:
    """The instant a definition names (an ISO-8601 string; UTC without a zone), in UTC."""
    if value is None or value == "":
        raise _fail(path, "is required: an ISO-8601 date-time, e.g. 2026-01-01T00:00:00Z")
    if not isinstance(value, str):
        raise _fail(path, f"{value!r} is not an ISO-8601 date-time string")
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return instant.astimezone(UTC) if instant.tzinfo else instant.replace(tzinfo=UTC)
    except ValueError:
        raise _fail(path, f"{value!r} is not an ISO-8601 date-time") from None
    except OverflowError:  # e.g. 9999-12-31T23:59:59-14:00, past the last instant in UTC
        raise _fail(path, f"{value!r} is out of range: in UTC it must fall within the years 1 to 9999") from None


def _check_test(test: dict[str, Any], key: str, path: str) -> None:
    _check_path(test.get(key), f"{path}.{key}")
    _one_of(test.get("op"), OPERATORS, f"{path}.op")
    _check_operand(test["op"], test.get("value"), "value" in test, f"{path}.value")


def _check_span(span: Any, path: str) -> None:
    if not isinstance(span, dict):
        raise _fail(path, "is required for this window kind")
    amount = span.get("amount", 0)
    if not isinstance(amount, int) or amount <= 0:
        raise _fail(f"{path}.amount", "must be a positive whole number")
    _one_of(span.get("unit"), UNITS, f"{path}.unit")
    if span_seconds(span) > MAX_SPAN.total_seconds():
        most = int(MAX_SPAN.total_seconds()) // _SPAN_SECONDS[span["unit"]]
        raise _fail(f"{path}.amount", f"must be at most {most} {span['unit']} (100 years); "
                                      "leave the window out for all time")


_SPAN_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800}


def span_seconds(span: dict[str, Any]) -> int:
    return int(span["amount"]) * _SPAN_SECONDS[span["unit"]]


def _check_window(window: dict[str, Any], path: str) -> None:
    kind = window.get("kind")
    _one_of(kind, WINDOW_KINDS, f"{path}.kind")
    if kind == "quick":
        _check_span(window.get("last"), f"{path}.last")
    elif kind == "relative":
        _check_span(window.get("from"), f"{path}.from")
        _check_span(window.get("to"), f"{path}.to")
        if span_seconds(window["from"]) <= span_seconds(window["to"]):
            raise _fail(path, "from must be further back than to (e.g. from 90 to 30 days ago)")
    elif kind == "absolute":
        start, end = (_check_instant(window.get(bound), f"{path}.{bound}") for bound in ("start", "end"))
        if start >= end:
            raise _fail(path, "start must be before end")
    else:
        _check_instant(window.get("at"), f"{path}.at")


def _check_event_filter(event: dict[str, Any], path: str) -> None:
    """Which events: the part an event condition shares with a computed trait's `event`."""
    if "type" in event:
        _one_of(event["type"], EVENT_TYPES, f"{path}.type")
    for i, test in enumerate(event.get("where", [])):
        _check_test(test, "property", f"{path}.where[{i}]")


def _check_event(event: dict[str, Any], path: str) -> None:
    _check_event_filter(event, path)
    if "count" in event:
        _one_of(event["count"].get("op"), COUNT_OPS, f"{path}.count.op")
        if event["count"].get("value", 0) < 0:
            raise _fail(f"{path}.count.value", "must not be negative")
    if "window" in event:
        _check_window(event["window"], f"{path}.window")


def check_conditions(conditions: list[dict[str, Any]], path: str = "conditions", depth: int = 0) -> None:
    if not conditions:
        raise _fail(path, "needs at least one condition")
    if depth > MAX_DEPTH:
        raise _fail(path, f"groups nest at most {MAX_DEPTH} deep")
    for i, condition in enumerate(conditions):
        here = f"{path}[{i}]"
        _one_of(condition.get("mode"), MODES, f"{here}.mode")
        kinds = [k for k in KINDS if k in condition]
        if len(kinds) != 1:
            raise _fail(here, f"needs exactly one of {', '.join(KINDS)}")
        kind = kinds[0]
        body = condition[kind]
        if kind == "event":
            _check_event(body, f"{here}.event")
        elif kind == "trait":
            _check_test(body, "path", f"{here}.trait")
        elif kind == "computed_trait":
            check_name(body.get("name"), f"{here}.computed_trait.name")
            _one_of(body.get("op"), OPERATORS, f"{here}.computed_trait.op")
            _check_operand(body["op"], body.get("value"), "value" in body, f"{here}.computed_trait.value")
        elif kind == "audience":
            check_name(body.get("name"), f"{here}.audience.name")
        else:
            check_conditions(body.get("conditions", []), f"{here}.group.conditions", depth + 1)


def check_audience(definition: dict[str, Any], require_name: bool = True) -> dict[str, Any]:
    """The definition, checked, with its name trimmed; raises ValidationError naming the first bad field.

    `require_name=False` is for previews of unsaved drafts: a missing name is then `""`, which nothing can refer to.
    """
    name = check_name(definition.get("name")) if require_name or definition.get("name") else ""
    description = _check_description(definition)
    check_conditions(definition.get("conditions", []))
    for reference in references(definition["conditions"]):
        if reference.kind == "audience" and reference.name == name:
            raise _fail(reference.path, f"audience {name!r} cannot refer to itself")
    return {**definition, "name": name, "description": description}


def check_computed_trait(definition: dict[str, Any], require_name: bool = True) -> dict[str, Any]:
    """The computed trait's stored fields, checked: every field present, `None` where the definition has none
    (no property for `count`, no window for all time), `{}` for "every event". `require_name=False` is for
    previews of unsaved drafts, as for audiences."""
    name = check_name(definition.get("name")) if require_name or definition.get("name") else ""
    kind = definition.get("kind")
    _one_of(kind, COMPUTED_KINDS, "kind")
    prop = definition.get("property") or None
    if kind == "count" and prop is not None:
        raise _fail("property", "count takes no property: it counts the matching events")
    if kind != "count":
        if prop is None:
            raise _fail("property", f"{kind} needs the event property it reads, e.g. revenue")
        _check_path(prop, "property")
    event = definition.get("event") or {}
    _check_event_filter(event, "event")
    window = definition.get("window")
    if window is not None:
        _check_window(window, "window")
    return {"name": name, "description": _check_description(definition), "kind": kind, "property": prop,
            "event": event, "window": window}


type ReferenceKind = Literal["audience", "computed_trait"]


@dataclass(frozen=True)
class Reference:
    """A condition that names another definition: which kind, which name, and where in the definition."""

    kind: ReferenceKind
    name: str
    path: str


def references(conditions: list[dict[str, Any]], path: str = "conditions") -> list[Reference]:
    """Every audience and computed-trait reference in a condition tree, in document order, groups included."""
    found: list[Reference] = []
    for i, condition in enumerate(conditions):
        here = f"{path}[{i}]"
        for kind in ("audience", "computed_trait"):
            if kind in condition:
                found.append(Reference(kind, condition[kind]["name"].strip(), f"{here}.{kind}.name"))
        if "group" in condition:
            found += references(condition["group"].get("conditions", []), f"{here}.group.conditions")
    return found


def referenced_audiences(conditions: list[dict[str, Any]]) -> set[str]:
    return {r.name for r in references(conditions) if r.kind == "audience"}


def find_cycle(graph: Mapping[str, Iterable[str]], start: str) -> list[str] | None:
    """A cycle of audience names reachable from `start` through `graph` (name -> names it refers to), as the path
    that closes it, e.g. `["a", "b", "a"]`; None when there is none. Names missing from the graph refer to nothing."""
    path = [start]
    finished: set[str] = set()
    # Depth first with an explicit stack: a long chain of audiences must not hit Python's recursion limit.
    stack = [iter(graph.get(start, ()))]
    while stack:
        following = next(stack[-1], None)
        if following is None:
            stack.pop()
            finished.add(path.pop())
        elif following in path:
            return [*path[path.index(following):], following]
        elif following not in finished:
            path.append(following)
            stack.append(iter(graph.get(following, ())))
    return None
