"""The value tests of conditions (`eq`, `gt`, `contains`, `before`, ...), each written twice: as Python over one
profile's data, and as a MongoDB aggregation expression over many. The two must agree on every input, so the
semantics are chosen to be expressible exactly in both:

- Values are compared only within a class: numbers (ints and floats, never booleans), strings (by code point, as
  BSON's binary order does), booleans. `1 == True` is false; `gt` between a number and a string is false.
- Missing and null are the same ("no value"): `exists` is true only for a present, non-null value; `neq` is the
  negation of `eq`, so it holds for no value.
- Arrays and objects never equal a literal (no element matching).
- `before`/`after` read a value as an instant only when it is a string in strict ISO-8601 form (a date, or a
  date-time with seconds and a zone; at most milliseconds, BSON's precision).
- Paths (`a.b`) descend objects only.
"""

import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final

type Expr = Any  # a MongoDB aggregation expression


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()

ISO_INSTANT = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-](0\d|1[0-4]):[0-5]\d))?$"
_ISO_INSTANT = re.compile(ISO_INSTANT)


# ---- one profile, in Python ----

def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# The classes of the exact built-in types, looked up before any isinstance: the evaluator's hottest call.
_CLASSES: Final = {int: "number", float: "number", str: "string", bool: "bool"}


def _class(value: Any) -> str:
    found = _CLASSES.get(type(value))
    if found is not None:
        return found
    if is_number(value):  # subclasses, such as BSON's Int64
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    return "other"


def get_path(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return MISSING
        document = document[key]
    return document


def as_instant(value: Any) -> datetime | None:
    """The instant a value names, under the strict form both evaluators share; None when it names none."""
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def literal_instant(text: str) -> datetime:
    """A definition's date literal (checked at validation) as an aware instant."""
    instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _eq(value: Any, literal: Any) -> bool:
    return _class(value) == _class(literal) != "other" and value == literal


_ORDERINGS: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}
_TEXT_TESTS: Final[dict[str, Callable[[str, str], bool]]] = {
    "contains": lambda value, literal: literal in value, "starts_with": str.startswith, "ends_with": str.endswith}


def test(op: str, value: Any, literal: Any) -> bool:
    """Whether `value` (MISSING when absent) passes `op literal`."""
    if op == "exists":
        return (value is not MISSING and value is not None) == (True if literal is None else literal)
    if op == "eq":
        return _eq(value, literal)
    if op == "neq":
        return not _eq(value, literal)
    if op == "in":
        return any(_eq(value, item) for item in literal)
    if op in _ORDERINGS:
        kind = _class(value)
        return kind == _class(literal) and kind in ("number", "string") and _ORDERINGS[op](value, literal)
    if op in _TEXT_TESTS:
        return isinstance(value, str) and _TEXT_TESTS[op](value, literal)
    if op in ("before", "after"):
        instant = as_instant(value)
        bound = literal_instant(literal)
        return instant is not None and (instant < bound if op == "before" else instant > bound)
    raise ValueError(f"unknown operator {op!r}")


# ---- every profile, as MongoDB expressions ----

def negate(expr: Expr) -> Expr:
    """Logical not. Written as $cond because the embedded store does not know the `$not` expression."""
    return {"$cond": [expr, False, True]}


def is_present(expr: Expr) -> Expr:
    """A value that is neither missing nor null."""
    return negate({"$in": [{"$type": expr}, ["missing", "null"]]})


def path_expr(root: Expr, path: str) -> Expr:
    """The value at `path` under `root`; null where a step is not an object (never an error, never array-walking)."""
    expr = root
    for key in path.split("."):
        expr = {"$let": {"vars": {"v": expr}, "in": {"$cond": [
            {"$eq": [{"$type": "$$v"}, "object"]}, {"$getField": {"field": {"$literal": key}, "input": "$$v"}}, None]}}}
    return expr


def _class_is(expr: Expr, literal: Any) -> Expr:
    match _class(literal):
        case "number":
            return {"$isNumber": expr}
        case "string":
            return {"$eq": [{"$type": expr}, "string"]}
        case "bool":
            return {"$eq": [{"$type": expr}, "bool"]}
    return False


def _eq_expr(expr: Expr, literal: Any) -> Expr:
    return {"$and": [_class_is(expr, literal), {"$eq": [expr, {"$literal": literal}]}]}


def test_expr(op: str, expr: Expr, literal: Any) -> Expr:
    """The aggregation expression that is true exactly where `test(op, value, literal)` is."""
    if isinstance(expr, dict):
        # A computed value (a path walk) is bound once: most tests read their value twice or more, and the store
        # would walk the path again for each.
        return {"$let": {"vars": {"x": expr}, "in": _test_expr(op, "$$x", literal)}}
    return _test_expr(op, expr, literal)


def _test_expr(op: str, expr: Expr, literal: Any) -> Expr:
    if op == "exists":
        return is_present(expr) if literal in (None, True) else negate(is_present(expr))
    if op == "eq":
        return _eq_expr(expr, literal)
    if op == "neq":
        return negate(_eq_expr(expr, literal))
    if op == "in":
        return {"$or": [_eq_expr(expr, item) for item in literal]} if literal else False
    if op in ("gt", "gte", "lt", "lte"):
        if _class(literal) not in ("number", "string"):
            return False
        return {"$and": [_class_is(expr, literal), {f"${op}": [expr, {"$literal": literal}]}]}
    if op in ("contains", "starts_with", "ends_with"):
        return {"$let": {"vars": {"s": expr}, "in": {"$cond": [
            {"$eq": [{"$type": "$$s"}, "string"]}, _string_test(op, "$$s", literal), False]}}}
    if op in ("before", "after"):
        instant = {"$cond": [
            {"$eq": [{"$type": expr}, "string"]},
            {"$cond": [{"$regexMatch": {"input": expr, "regex": ISO_INSTANT}},
                       {"$dateFromString": {"dateString": expr, "onError": None}}, None]},
            None]}
        compare = "$lt" if op == "before" else "$gt"
        return {"$let": {"vars": {"d": instant}, "in": {"$and": [
            {"$ne": ["$$d", None]}, {compare: ["$$d", literal_instant(literal)]}]}}}
    raise ValueError(f"unknown operator {op!r}")


def _string_test(op: str, s: Expr, literal: str) -> Expr:
    size = len(literal)  # code points, as $strLenCP counts
    text = {"$literal": literal}  # a literal starting with "$" must not be read as a field path
    if op == "contains":
        return {"$gte": [{"$indexOfCP": [s, text]}, 0]}
    if op == "starts_with":
        return {"$eq": [{"$substrCP": [s, 0, size]}, text]}
    return {"$let": {"vars": {"n": {"$strLenCP": s}}, "in": {"$and": [
        {"$gte": ["$$n", size]}, {"$eq": [{"$substrCP": [s, {"$subtract": ["$$n", size]}, size]}, text]}]}}}
