"""SymbolicTensor: its dtype, and its Python operators, which record the operation registered
in numeras.symbolic.operators (numeras.layers registers TensorOperator)."""

import numpy as np
import pytest
from symbolic_helpers import placeholder

from numeras import backend
from numeras.backend import standardize_dtype
from numeras.symbolic import SymbolicTensor, any_symbolic, operators
from numeras.symbolic.operators import getitem_shape, matmul_shape


class _Recorder:
    """Stands for the operation factory: remembers what each operator asked for."""

    def __init__(self):
        self.requests = []

    def __call__(self, operator, **config):
        def operation(inputs):
            self.requests.append((operator, config, inputs))
            return f"result of {operator}"

        return operation


@pytest.fixture
def recorder(monkeypatch):
    recorder = _Recorder()
    monkeypatch.setattr(operators, "_operation_factory", recorder)
    return recorder


def test_operators_with_numbers_ask_for_the_number_and_its_side(recorder):
    x = placeholder((3,), "x")
    assert x + 2 == "result of add"
    assert 1.5 - x == "result of subtract"
    assert np.float32(2) * x == "result of multiply"  # a NumPy scalar on the left defers to __rmul__
    assert x ** 3 == "result of power"
    assert recorder.requests == [
        ("add", {"operand": 2, "operand_first": False}, x),
        ("subtract", {"operand": 1.5, "operand_first": True}, x),
        ("multiply", {"operand": np.float32(2), "operand_first": True}, x),
        ("power", {"operand": 3, "operand_first": False}, x),
    ]


def test_operators_between_tensors_pass_both_in_operand_order(recorder):
    x, y = placeholder((3,), "x"), placeholder((3,), "y")
    assert (x / y, x @ y) == ("result of divide", "result of matmul")
    assert [(op, config, [t.name for t in pair]) for op, config, pair in recorder.requests] == [
        ("divide", {}, ["x", "y"]),
        ("matmul", {}, ["x", "y"]),
    ]
    recorder.requests.clear()
    assert x.__rsub__(y) == "result of subtract"  # what `y - x` runs if y's __sub__ gives up
    assert [t.name for t in recorder.requests[0][2]] == ["y", "x"]


def test_unary_operators_and_indexing(recorder):
    x = placeholder((4, 3), "x")
    results = [-x, abs(x), x[:, 1:, None, ...]]
    assert results == ["result of negative", "result of absolute", "result of getitem"]
    assert +x is x
    assert recorder.requests[0][:2] == ("negative", {})
    assert recorder.requests[1][:2] == ("absolute", {})
    operator, config, _ = recorder.requests[2]
    assert operator == "getitem"
    assert config["key"] == [
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
        {"class_name": "__slice__", "config": {"start": 1, "stop": None, "step": None}},
        None,
        {"class_name": "__ellipsis__", "config": {}},
    ]


def test_operands_other_than_tensors_and_numbers_are_refused(recorder):
    x = placeholder((3,), "x")
    with pytest.raises(TypeError, match="combine with `@` only with other symbolic tensors or Python numbers, received list"):
        x @ [1, 2, 3]
    with pytest.raises(TypeError, match="received bool"):
        x + True
    with pytest.raises(TypeError, match="ints, slices, None and ..., received ndarray"):
        x[np.array([0, 1])]
    assert recorder.requests == []


def test_operators_without_a_registered_operation_say_what_to_import(monkeypatch):
    monkeypatch.setattr(operators, "_operation_factory", None)
    with pytest.raises(RuntimeError, match=r"`\*` .*import numeras.layers"):
        placeholder((3,), "x") * 2


def test_a_symbolic_tensor_has_no_values():
    with pytest.raises(TypeError, match="has no values yet"):
        np.asarray(placeholder((3,), "x"))


def test_any_symbolic_looks_through_nested_structures():
    x = placeholder((3,), "x")
    assert any_symbolic(x)
    assert any_symbolic({"b": [1, (2, x)], "a": 0})
    assert not any_symbolic([np.zeros(3), {"a": 1.0}])
    assert not any_symbolic(np.zeros(3))


def test_dtypes_are_standardized_to_names():
    backend.set_floatx("float64")
    assert SymbolicTensor((None, 2)).dtype == "float64"
    assert standardize_dtype(np.float16) == "float16"
    assert standardize_dtype(np.dtype("int32")) == "int32"
    assert standardize_dtype({"class_name": "DTypePolicy", "config": {"name": "float16"}}) == "float16"

    class ForeignDtype:
        name = "uint8"

    assert standardize_dtype(ForeignDtype()) == "uint8"


def test_shape_rules_of_matmul_and_indexing():
    assert matmul_shape((None, 3, 4), (4, 2)) == (None, 3, 2)
    assert matmul_shape((None, 4), (4,)) == (None,)
    assert matmul_shape((4,), (None, 4, 5)) == (None, 5)
    with pytest.raises(ValueError, match=r"last axis of the left operand \(4\).*\(3\)"):
        matmul_shape((None, 4), (3, 2))
    assert getitem_shape((None, 6, 4), (slice(None), slice(None, 3)), "op") == (None, 3, 4)
    assert getitem_shape((None, 6, 4), (Ellipsis, -1), "op") == (None, 6)
    with pytest.raises(ValueError, match="op: indexing a symbolic tensor must keep the batch axis whole"):
        getitem_shape((None, 6), (0,), "op")
    with pytest.raises(ValueError, match="op: the index .* does not fit the shape"):
        getitem_shape((None, 6), (slice(None), 7), "op")
