"""Proto3 JSON in and out: the public REST bodies *are* the proto3 JSON of the contracts' messages.

`google.protobuf.json_format` does the translation; this module adds two things it lacks. Parse errors name the
offending field by its path (`conditions[0].event.window.last.amount: must be a whole number`), in the same form
the services' own checks use, since json_format's messages name it inconsistently or not at all. And documents
from the store (with `datetime`s and explicit `None`s) turn into messages without hand mapping.
"""

from datetime import datetime
from typing import Any

from google.protobuf import json_format, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from services.common.errors import ValidationError
from services.common.structs import normalize

_EXPECTED = {
    FieldDescriptor.CPPTYPE_STRING: "must be a string",
    FieldDescriptor.CPPTYPE_BOOL: "must be true or false",
    FieldDescriptor.CPPTYPE_INT32: "must be a whole number",
    FieldDescriptor.CPPTYPE_INT64: "must be a whole number",
    FieldDescriptor.CPPTYPE_UINT32: "must be a whole number",
    FieldDescriptor.CPPTYPE_UINT64: "must be a whole number",
    FieldDescriptor.CPPTYPE_DOUBLE: "must be a number",
    FieldDescriptor.CPPTYPE_FLOAT: "must be a number",
    FieldDescriptor.CPPTYPE_ENUM: "must be one of the enumerated words",
}
_WELL_KNOWN_EXPECTED = {
    "google.protobuf.Timestamp": "must be an RFC 3339 date-time with a zone, e.g. 2026-01-01T00:00:00Z",
    "google.protobuf.Struct": "must be an object",
    "google.protobuf.ListValue": "must be a list",
}


def parse[M: Message](data: Any, message: M) -> M:
    """`data` (decoded JSON) parsed into `message`; ValidationError naming the first bad field's path."""
    if not isinstance(data, dict):  # json_format would take an empty list for an empty message
        raise ValidationError("body: must be an object")
    try:
        return json_format.ParseDict(data, message)
    except json_format.ParseError as error:
        raise ValidationError(_locate(data, message.DESCRIPTOR, "") or f"body: {error}") from None


def to_dict(message: Message) -> dict[str, Any]:
    """The public JSON of a message: proto field names, integral numbers as ints (see structs.normalize), 64-bit
    integers too (proto3 JSON writes them as strings, which no JSON client expects of a count)."""
    return _int64s(message, normalize(json_format.MessageToDict(message, preserving_proto_field_name=True)))


_INT64 = (FieldDescriptor.CPPTYPE_INT64, FieldDescriptor.CPPTYPE_UINT64)


def _int64s(message: Message, data: dict[str, Any]) -> dict[str, Any]:
    for field in message.DESCRIPTOR.fields:
        if field.name not in data or _is_map(field):
            continue
        if field.cpp_type in _INT64:
            data[field.name] = [int(v) for v in data[field.name]] if field.is_repeated else int(data[field.name])
        elif field.message_type is not None and not field.message_type.full_name.startswith("google.protobuf."):
            value = getattr(message, field.name)
            for item, part in zip(value, data[field.name]) if field.is_repeated else ((value, data[field.name]),):
                _int64s(item, part)
    return data


def parse_message(message: Message) -> dict[str, Any]:
    """`to_dict` of a message a caller sent over gRPC, which may hold what JSON cannot (a Timestamp beyond the
    year 9999, a NaN in a Value): ValidationError naming the first such field's path."""
    try:
        return to_dict(message)
    except (json_format.SerializeToJsonError, ValueError):
        raise ValidationError(_unwritable(message, "") or "the message cannot be written as JSON") from None


def from_document[M: Message](document: dict[str, Any], message: M) -> M:
    """A stored document (public field names, `datetime`s, `None` for absent) as a message."""
    return json_format.ParseDict(_jsonable(document), message)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        stamp = Timestamp()
        stamp.FromDatetime(value)
        return stamp.ToJsonString()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _locate(data: Any, descriptor: Descriptor, path: str) -> str | None:
    """Where `data` fails to fit `descriptor`, as `path: reason`; None when this part parses."""
    if not isinstance(data, dict):
        return f"{path or 'body'}: must be an object"
    fields = {f.name: f for f in descriptor.fields} | {f.json_name: f for f in descriptor.fields}
    for key, value in data.items():
        here = f"{path}.{key}" if path else str(key)
        field = fields.get(key)
        if field is None:
            return f"{here}: unknown field"
        if value is None:  # proto3 JSON: null means "not set"
            continue
        if field.is_repeated and not _is_map(field):
            if not isinstance(value, list):
                return f"{here}: must be a list"
            problems = (_locate_value(item, field, f"{here}[{i}]") for i, item in enumerate(value))
            problem = next((p for p in problems if p), None)
        else:
            problem = _locate_value(value, field, here)
        if problem:
            return problem
    return _oneof_clash(data, fields, descriptor, path)


def _oneof_clash(data: dict[str, Any], fields: dict[str, FieldDescriptor], descriptor: Descriptor,
                 path: str) -> str | None:
    for oneof in descriptor.oneofs:
        given = sorted({fields[k].name for k, v in data.items()
                        if v is not None and fields[k].containing_oneof is oneof})
        if len(given) > 1:
            return f"{path or 'body'}: takes only one of {', '.join(given)}"
    return None


def _locate_value(value: Any, field: FieldDescriptor, path: str) -> str | None:
    nested = field.message_type
    if nested is not None and not nested.full_name.startswith("google.protobuf.") and not _is_map(field):
        return _locate(value, nested, path)
    # A scalar or a well-known type: parse it alone, in a message of its own kind.
    probe = message_factory.GetMessageClass(field.containing_type)()
    try:
        json_format.ParseDict({field.name: [value] if field.is_repeated and not _is_map(field) else value}, probe)
    except json_format.ParseError:
        if nested is not None:
            return f"{path}: {_WELL_KNOWN_EXPECTED.get(nested.full_name, 'is not valid')}"
        return f"{path}: {_EXPECTED.get(field.cpp_type, 'is not valid')}"
    return None


_UNWRITABLE = {
    "google.protobuf.Timestamp": "must be an instant within the years 1 to 9999 (nanos 0 to 999999999)",
}


def _unwritable(message: Message, path: str) -> str | None:
    """Where a message holds a value JSON cannot, as `path: reason`; None when it holds none."""
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        here = f"{path}.{field.name}" if path else field.name
        if _is_map(field):
            items = [(f"{here}.{key}", item) for key, item in value.items()]
        elif field.is_repeated:
            items = [(f"{here}[{i}]", item) for i, item in enumerate(value)]
        else:
            items = [(here, value)]
        for where, item in items:
            if not isinstance(item, Message):  # a map of scalars
                continue
            kind = item.DESCRIPTOR.full_name
            if not kind.startswith("google.protobuf."):
                if found := _unwritable(item, where):
                    return found
                continue
            try:
                json_format.MessageToDict(item)
            except (json_format.SerializeToJsonError, ValueError):
                return f"{where}: {_UNWRITABLE.get(kind, 'must hold only finite numbers (not NaN or Infinity)')}"
    return None


def _is_map(field: FieldDescriptor) -> bool:
    return field.message_type is not None and field.message_type.GetOptions().map_entry
