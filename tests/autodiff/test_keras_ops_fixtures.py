"""numeras.ops against real Keras: every case of fixtures/ops_cases.py replayed and compared with
the values and dtypes Keras 3.15.1 (JAX backend) gave (fixtures/make_ops_fixtures.py wrote
them), plus the dtype tables of unary and binary ops and of ``result_type``."""

from __future__ import annotations

import json
import os
import sys

import numpy as np
import pytest

from numeras import backend, ops
from numeras.autodiff.tensor import Tensor

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
sys.path.insert(0, HERE)

import ops_cases  # noqa: E402

with open(os.path.join(HERE, "ops_expected.json")) as _f:
    EXPECTED = json.load(_f)
ARRAYS = np.load(os.path.join(HERE, "ops_expected.npz"))
PYTHON_TYPES = {"python_bool": bool, "python_int": int, "python_float": float}

# Cases whose values may differ from Keras's beyond float32 rounding, and why.
TOLERANCES = {
    "resize_bicubic": 2e-3,  # TensorFlow's (and numeras's) bicubic quantises positions to 1/1024; JAX does not
    "erfinv": 1e-5,  # near |x| = 1 erfinv is steep: float32 rounding of the input shows
    "arctanh": 1e-5,
}


def _flat(value) -> list:
    if isinstance(value, (tuple, list)):
        return [leaf for item in value for leaf in _flat(item)]
    return [value]


def _dtype(value) -> str:
    if isinstance(value, Tensor):
        return value.dtype
    return backend.standardize_dtype(np.asarray(value).dtype)


ALL_CASES = {**ops_cases.CASES, **ops_cases.IMAGE_CASES}


@pytest.fixture
def quiet_arithmetic():
    """The dtype tables divide by the False/0 entries of their inputs: only dtypes are read."""
    with np.errstate(all="ignore"):
        yield


def test_every_case_was_recorded():
    assert set(EXPECTED["cases"]) == set(ALL_CASES)


@pytest.mark.parametrize("name", sorted(ALL_CASES))
def test_values_and_dtypes_match_keras(name):
    outputs = _flat(ALL_CASES[name](ops))
    expected_dtypes = EXPECTED["cases"][name]
    assert [_dtype(o) for o in outputs] == expected_dtypes
    tolerance = TOLERANCES.get(name, 1e-6)
    for i, out in enumerate(outputs):
        want = ARRAYS[f"{name}/{i}"]
        got = np.asarray(ops.convert_to_numpy(out))
        assert got.shape == want.shape, (i, got.shape, want.shape)
        if want.dtype.kind == "f":
            np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance * 10, equal_nan=True, err_msg=f"output {i}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"output {i}")


@pytest.mark.parametrize("key", sorted(EXPECTED["result_type_64"]))
def test_result_type_follows_keras_lattice(key):
    a, b = key.split(",")
    got = backend.result_type(PYTHON_TYPES.get(a, a), PYTHON_TYPES.get(b, b))
    assert got == EXPECTED["result_type_64"][key]
    # Keras on JAX narrows 64-bit results to 32 bits; numeras keeps them (and only differs there).
    keras_answer = EXPECTED["result_type"][key]
    if keras_answer != got:
        assert "64" in got and keras_answer == got.replace("64", "32")


def _binary_rows():
    rows = []
    for op, table in EXPECTED["binary_dtypes"].items():
        for key, answer in table.items():
            if not answer.startswith("error"):
                rows.append((op, key, answer))
    return rows


def _operand(name: str):
    if name in ops_cases.SCALARS:
        return ops_cases.SCALARS[name]
    return ops_cases.dtype_input(name)


@pytest.mark.parametrize("op,key,answer", _binary_rows(), ids=lambda v: str(v))
def test_binary_op_dtypes_match_keras(op, key, answer, quiet_arithmetic):
    a, b = key.split(",")
    out = ops_cases.binary_dtype_op(ops, op, _operand(a), _operand(b))
    expected = answer
    pair_key = key
    # Where Keras narrowed a 64-bit promotion to 32 bits (uint32 with a signed int), numeras keeps 64.
    if EXPECTED["result_type"][pair_key] != EXPECTED["result_type_64"][pair_key] and answer == EXPECTED["result_type"][pair_key]:
        expected = EXPECTED["result_type_64"][pair_key]
    assert out.dtype == expected


def test_binary_ops_refuse_what_keras_refuses(quiet_arithmetic):
    refused = [(op, key) for op, table in EXPECTED["binary_dtypes"].items() for key, v in table.items() if v.startswith("error")]
    assert refused, "the table records Keras's refusals (bool - bool)"
    for op, key in refused:
        a, b = key.split(",")
        with pytest.raises(TypeError):
            ops_cases.binary_dtype_op(ops, op, _operand(a), _operand(b))


def _unary_rows():
    return [
        (op, dtype, answer)
        for op, table in EXPECTED["unary_dtypes"].items()
        for dtype, answer in table.items()
        if not answer.startswith("error")
    ]


@pytest.mark.parametrize("op,dtype,answer", _unary_rows(), ids=lambda v: str(v))
def test_unary_op_dtypes_match_keras(op, dtype, answer, quiet_arithmetic):
    out = ops_cases.unary_dtype_op(ops, op, ops_cases.unary_input(dtype))
    assert _dtype(out) == answer


@pytest.mark.parametrize("dtype", ["int64", "float64"])
def test_64_bit_inputs_keep_64_bits(dtype):
    x = np.array([[1, 2], [3, 1]], dtype=dtype)
    assert ops.add(x, x).dtype == dtype
    assert ops.sum(x).dtype == dtype
    assert ops.exp(x).dtype == ("float64" if dtype == "float64" else "float32")


def test_python_scalars_never_widen_float32():
    x = ops.ones((2,), dtype="float32")
    for result in (x * 2.5, 2.5 * x, x + 1, ops.power(x, 2.0), ops.divide(x, 3), ops.maximum(x, 0.5), ops.mod(x, 1.5)):
        assert result.dtype == "float32"
    assert (ops.ones((2,), dtype="int32") + 1.5).dtype == "float32"
    assert ops.add(1, 2).dtype == "int32" and ops.add(1, 2.0).dtype == "float32"
