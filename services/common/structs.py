"""JSON-like values across protobuf: `google.protobuf.Struct`/`Value` hold every number as a double.

Senders are mostly JavaScript, where 3 and 3.0 are one number; so integral doubles within JavaScript's exact range
come back as ints, and `{"age": 30}` round-trips as 30, not 30.0.
"""

from typing import Any

from google.protobuf import json_format, struct_pb2

_EXACT = 2**53


def normalize(value: Any) -> Any:
    """Integral doubles back to ints, anywhere in a JSON-like value."""
    if isinstance(value, float) and value.is_integer() and -_EXACT <= value <= _EXACT:
        return int(value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return normalize(json_format.MessageToDict(struct))


def dict_to_struct(data: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(data)
    return struct


def value_to_python(value: struct_pb2.Value) -> Any:
    return normalize(json_format.MessageToDict(value))


def python_to_value(data: Any) -> struct_pb2.Value:
    value = struct_pb2.Value()
    json_format.ParseDict(data, value)
    return value
