"""numeras.saving.object_registration: shared name lookup errors and config (de)serialisation."""

import pytest

from numeras.saving.object_registration import deserialize_object, serialize_object, unknown_name_error


class _Thing:
    def __init__(self, size=1):
        self.size = size

    def get_config(self):
        return {"size": self.size}


def _function():
    return "called"


TABLE = {"Thing": _Thing, "thing": _Thing, "function_name": _function}


def test_unknown_name_error_suggests_closest_and_lists_all():
    error = unknown_name_error("widget", "thnig", TABLE, argument="kind")
    message = str(error)
    assert isinstance(error, ValueError)
    assert "Unknown widget 'thnig' passed as `kind`" in message
    assert "Did you mean 'thing'?" in message
    assert "Thing, function_name, thing" in message
    assert "Did you mean" not in str(unknown_name_error("widget", "zzzzzz", TABLE))


def test_serialize_and_deserialize_round_trip():
    config = serialize_object(_Thing(size=3), "tests")
    assert config == {"module": "tests", "class_name": "_Thing", "config": {"size": 3}, "registered_name": None}
    rebuilt = deserialize_object({"class_name": "Thing", "config": {"size": 3}}, TABLE, "widget")
    assert isinstance(rebuilt, _Thing) and rebuilt.size == 3
    assert deserialize_object("thing", TABLE, "widget").size == 1
    assert deserialize_object("function_name", TABLE, "widget") is _function
    assert deserialize_object({"class_name": "function", "config": "function_name"}, TABLE, "widget") is _function


def test_custom_objects_and_errors():
    class Custom:
        pass

    assert isinstance(deserialize_object("Custom", TABLE, "widget", {"Custom": Custom}), Custom)
    with pytest.raises(ValueError, match="class_name"):
        deserialize_object({"config": {}}, TABLE, "widget")
    with pytest.raises(TypeError, match="widget"):
        deserialize_object(3, TABLE, "widget")
    with pytest.raises(ValueError, match="Did you mean 'Thing'"):
        deserialize_object("Thnig", TABLE, "widget")
    with pytest.raises(TypeError, match="get_config"):
        serialize_object(object(), "tests")
