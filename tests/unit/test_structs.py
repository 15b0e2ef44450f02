import math

from services.common.structs import dict_to_struct, normalize, python_to_value, struct_to_dict, value_to_python


def test_integral_numbers_round_trip_as_ints() -> None:
    data = {"age": 30, "score": 2.5, "nested": {"n": [1, 2.0, "x", None, True]}}
    assert struct_to_dict(dict_to_struct(data)) == {"age": 30, "score": 2.5, "nested": {"n": [1, 2, "x", None, True]}}
    assert type(struct_to_dict(dict_to_struct(data))["age"]) is int


def test_numbers_beyond_exact_range_stay_floats() -> None:
    assert isinstance(normalize(float(2**60)), float)


def test_values_round_trip() -> None:
    for value in (3, 1.5, "s", None, [1, "a"], {"k": 2}):
        assert value_to_python(python_to_value(value)) == value


def test_numbers_json_cannot_hold_come_through_for_the_services_to_refuse() -> None:
    struct = dict_to_struct({"a": [float("nan")], "b": {"c": float("-inf")}})
    found = struct_to_dict(struct)
    assert math.isnan(found["a"][0]) and found["b"]["c"] == float("-inf")
