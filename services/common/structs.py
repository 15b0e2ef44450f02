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


def _python(value: struct_pb2.Value) -> Any:
    """A Value as Python, walked by hand rather than through json_format, which refuses NaN and Infinity: a
    caller may send them over gRPC, and the service that reads them says what is wrong with them."""
    match value.WhichOneof("kind"):
        case "struct_value":
            return {k: _python(v) for k, v in value.struct_value.fields.items()}
        case "list_value":
            return [_python(v) for v in value.list_value.values]
        case "number_value":
            return value.number_value
        case "string_value":
            return value.string_value
        case "bool_value":
            return value.bool_value
        case _:
            return None


def struct_to_dict(struct: struct_pb2.Struct) -> dict[str, Any]:
    return normalize({k: _python(v) for k, v in struct.fields.items()})


def dict_to_struct(data: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(data)
    return struct


def value_to_python(value: struct_pb2.Value) -> Any:
    return normalize(_python(value))


def python_to_value(data: Any) -> struct_pb2.Value:
    value = struct_pb2.Value()
    json_format.ParseDict(data, value)
    return value
