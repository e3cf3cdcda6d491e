"""The Tensor API: introspection, NumPy interop, operators, indexing; Variable; convert_to_tensor."""

import numpy as np
import pytest

import numeras as nm
from numeras import ops


# -- introspection ----------------------------------------------------------------------
def test_shape_ndim_dtype_size_numpy():
    data = np.arange(6, dtype="float32").reshape(2, 3)
    t = nm.Tensor(data)
    assert t.shape == (2, 3) and t.ndim == 2 and t.size == 6
    assert t.dtype == "float32" and isinstance(t.dtype, str)
    assert t.numpy() is data  # shared, not copied
    assert isinstance(t.numpy(), np.ndarray)


def test_python_floats_become_floatx_and_arrays_keep_their_dtype():
    assert nm.Tensor(1.5).dtype == "float32"
    assert nm.Tensor([1.0, 2.0]).dtype == "float32"
    assert nm.Tensor([1, 2]).dtype == "int64"
    assert nm.Tensor(np.ones(2)).dtype == "float64"
    assert nm.Tensor(np.float64(2.0)).dtype == "float64"
    assert nm.Tensor([1.0], dtype="float64").dtype == "float64"
    assert nm.Tensor(True).dtype == "bool"


def test_op_outputs_hold_arrays_even_when_zero_dimensional():
    x = nm.Tensor(np.float32(2.0))
    for y in (x * x, ops.exp(x), ops.sum(nm.Tensor([1.0, 2.0])), x + 1.0):
        assert isinstance(y.numpy(), np.ndarray) and y.shape == () and y.dtype == "float32"


def test_array_protocol():
    t = nm.Tensor(np.array([1.0, 2.0]))
    assert np.asarray(t) is t.data
    copy = np.array(t, copy=True)
    assert copy is not t.data and not np.shares_memory(copy, t.data)
    as_float32 = np.asarray(t, dtype="float32")
    assert as_float32.dtype == np.float32
    np.testing.assert_array_equal(np.sum(t), 3.0)


def test_len_iter_item_conversions_and_format():
    t = nm.Tensor(np.arange(6.0).reshape(3, 2))
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, nm.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[1].numpy(), [2.0, 3.0])
    with pytest.raises(TypeError, match="0-d"):
        len(nm.Tensor(1.0))
    s = nm.Tensor(2.5)
    assert float(s) == 2.5 and int(nm.Tensor(3)) == 3 and s.item() == 2.5
    assert bool(nm.Tensor(1.0)) and not bool(nm.Tensor(0.0))
    assert f"{s:.2f}" == "2.50"
    assert [10, 20, 30][nm.Tensor(np.int64(1))] == 20  # __index__


def test_repr_shows_values_shape_dtype_and_requires_grad():
    t = nm.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    text = repr(t)
    assert text.startswith("Tensor(") and "shape=(2,)" in text and "dtype=float64" in text
    assert "requires_grad=True" in text and "1." in text
    assert "requires_grad" not in repr(nm.Tensor([1.0]))
    v = nm.Variable(np.zeros(2, dtype="float32"), name="bias")
    assert repr(v).startswith("<Variable path=bias, shape=(2,), dtype=float32, value=")


# -- operators ---------------------------------------------------------------------------
def test_arithmetic_operators_and_their_gradients():
    a = nm.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = nm.Tensor(np.array([3.0, 5.0]), requires_grad=True)
    with nm.GradientTape(persistent=True) as tape:
        results = {
            "add": a + b,
            "sub": a - b,
            "mul": a * b,
            "div": a / b,
            "pow": a**b,
            "neg": -a,
            "pos": +a,
            "abs": abs(-a),
        }
    np.testing.assert_allclose(results["add"].numpy(), [4.0, 7.0])
    np.testing.assert_allclose(results["div"].numpy(), [1 / 3, 2 / 5])
    np.testing.assert_allclose(results["pow"].numpy(), [1.0, 32.0])
    assert results["pos"] is a
    ga, gb = tape.gradient(results["pow"], [a, b])
    np.testing.assert_allclose(ga.numpy(), b.numpy() * a.numpy() ** (b.numpy() - 1))
    np.testing.assert_allclose(gb.numpy(), a.numpy() ** b.numpy() * np.log(a.numpy()))
    np.testing.assert_allclose(tape.gradient(results["neg"], a).numpy(), [-1.0, -1.0])
    np.testing.assert_allclose(tape.gradient(results["abs"], a).numpy(), [1.0, 1.0])


@pytest.mark.parametrize(
    "expression, value, gradient",
    [
        (lambda x: 2.0 + x, [3.0, 4.0], [1.0, 1.0]),
        (lambda x: 2.0 - x, [1.0, 0.0], [-1.0, -1.0]),
        (lambda x: 2.0 * x, [2.0, 4.0], [2.0, 2.0]),
        (lambda x: 2.0 / x, [2.0, 1.0], [-2.0, -0.5]),
        (lambda x: 2.0**x, [2.0, 4.0], [2 * np.log(2), 4 * np.log(2)]),
        (lambda x: x**2, [1.0, 4.0], [2.0, 4.0]),
        (lambda x: np.array([1.0, 1.0]) - x, [0.0, -1.0], [-1.0, -1.0]),
        (lambda x: np.array([3.0, 3.0]) / x, [3.0, 1.5], [-3.0, -0.75]),
        (lambda x: np.array([[1.0, 2.0]]) @ x, [5.0], [1.0, 2.0]),
        (lambda x: np.float64(3.0) * x, [3.0, 6.0], [3.0, 3.0]),
    ],
    ids=["radd", "rsub", "rmul", "rdiv", "rpow", "pow", "ndarray-rsub", "ndarray-rdiv", "ndarray-rmatmul", "npscalar-rmul"],
)
def test_reflected_operators_with_python_numbers_and_ndarrays(expression, value, gradient):
    x = nm.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with nm.GradientTape() as tape:
        y = expression(x)
    assert isinstance(y, nm.Tensor)
    np.testing.assert_allclose(y.numpy(), value)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), gradient)


def test_python_numbers_adopt_the_tensor_dtype():
    x32 = nm.Tensor(np.ones(2, dtype="float32"))
    for y in (x32 + 1.5, 1.5 + x32, x32 * 2, 2 / x32, x32**2.0, 3.0**x32, x32 - 1e-300):
        assert y.dtype == "float32", y
    x64 = nm.Tensor(np.ones(2))
    assert (x64 * 2.5).dtype == "float64"
    integers = nm.Tensor(np.array([1, 2, 3]))
    assert (integers * 2).dtype == "int64"
    assert (integers * 0.5).dtype == "float32"  # a float meets an int tensor: floatx, not float64
    assert (integers / 2).dtype == "float32"


def test_comparisons_are_not_differentiable():
    x = nm.Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for result, expected in [
        (x < 2.0, [True, False, False]),
        (x <= 2.0, [True, True, False]),
        (x > 2.0, [False, False, True]),
        (x >= 2.0, [False, True, True]),
        (x == 2.0, [False, True, False]),
        (x != 2.0, [True, False, True]),
        (x > nm.Tensor([0.0, 5.0, 0.0]), [True, False, True]),
    ]:
        assert isinstance(result, nm.Tensor) and result.dtype == "bool"
        assert not result.requires_grad and result._vjp is None
        np.testing.assert_array_equal(result.numpy(), expected)
    assert len({x, x}) == 1  # tensors stay hashable despite __eq__


@pytest.mark.parametrize(
    "key",
    [0, -1, slice(1, 3), (1, slice(None)), (Ellipsis, 0), [2, 0, 2], np.array([True, False, True]), (None, 1)],
    ids=["int", "negative", "slice", "tuple", "ellipsis", "list-repeats", "mask", "newaxis"],
)
def test_getitem_matches_numpy_and_scatters_gradients(key):
    data = np.arange(12.0).reshape(3, 4)
    x = nm.Tensor(data, requires_grad=True)
    with nm.GradientTape() as tape:
        y = x[key]
    np.testing.assert_array_equal(y.numpy(), data[key])
    expected = np.zeros_like(data)
    np.add.at(expected, key if not isinstance(key, list) else np.array(key), 1.0)
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), expected)


def test_getitem_with_tensor_keys():
    x = nm.Tensor(np.arange(5.0), requires_grad=True)
    idx = nm.Tensor(np.array([4, 4, 0]))
    mask = x > 2.0
    with nm.GradientTape(persistent=True) as tape:
        picked = x[idx]
        masked = x[mask]
    np.testing.assert_array_equal(picked.numpy(), [4.0, 4.0, 0.0])
    np.testing.assert_array_equal(masked.numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(tape.gradient(picked, x).numpy(), [1.0, 0.0, 0.0, 0.0, 2.0])
    np.testing.assert_array_equal(tape.gradient(masked, x).numpy(), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_convenience_methods():
    x = nm.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.T.shape == (3, 2)
    assert x.reshape(3, 2).shape == (3, 2) and x.reshape((6,)).shape == (6,)
    assert float(x.sum()) == 15.0 and x.sum(axis=0, keepdims=True).shape == (1, 3)
    assert float(x.mean()) == 2.5
    y = x.astype("float32")
    assert y.dtype == "float32" and y.requires_grad


# -- Variable ---------------------------------------------------------------------------
def test_variable_owns_a_copy_of_its_initial_value():
    source = np.array([1.0, 2.0], dtype="float32")
    v = nm.Variable(source)
    source[0] = 100.0
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert isinstance(v, nm.Tensor)


def test_variable_dtype_name_path_trainable():
    v = nm.Variable([1.0, 2.0], name="kernel")
    assert v.dtype == "float32" and v.name == "kernel" and v.path == "kernel"
    assert v.trainable and v.requires_grad
    v.trainable = False
    assert not v.requires_grad
    assert nm.Variable(np.ones(2), dtype="float16").dtype == "float16"
    counter = nm.Variable(0, dtype="int64", trainable=True)
    assert not counter.requires_grad  # integers are never differentiated
    a, b = nm.Variable([1.0]), nm.Variable([1.0])
    assert a.name != b.name
    assert nm.Variable(lambda: np.ones(3)).shape == (3,)  # callable initial value


def test_variable_value_is_a_snapshot():
    v = nm.Variable([1.0, 2.0])
    value = v.value
    assert type(value) is nm.Tensor and not value.requires_grad
    v.assign([5.0, 6.0])
    np.testing.assert_array_equal(value.numpy(), [1.0, 2.0])


def test_assign_writes_in_place():
    v = nm.Variable(np.zeros((2, 2), dtype="float32"))
    buffer = v.data
    view = v.numpy()
    assert v.assign(np.ones((2, 2))) is v
    assert v.data is buffer and v.dtype == "float32"
    np.testing.assert_array_equal(view, np.ones((2, 2)))
    v.assign(nm.Tensor(np.full((2, 2), 3.0)))
    np.testing.assert_array_equal(view, np.full((2, 2), 3.0))


def test_assign_add_and_assign_sub_write_in_place():
    v = nm.Variable(np.array([1.0, 2.0], dtype="float32"))
    buffer = v.data
    v.assign_add(np.array([0.5, 0.5]))
    v.assign_sub(nm.Tensor(np.array([1.0, 0.0], dtype="float32")))
    v.assign_add(1.0)  # a scalar broadcasts
    assert v.data is buffer and v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), [1.5, 3.5])


@pytest.mark.parametrize("method", ["assign", "assign_add", "assign_sub"])
def test_assign_with_the_wrong_shape_says_what_was_expected(method):
    v = nm.Variable(np.zeros((2, 3)), name="weights")
    with pytest.raises(ValueError, match=rf"Variable\.{method}.*\(2, 3\).*'weights'.*\(3, 2\)"):
        getattr(v, method)(np.ones((3, 2)))
    np.testing.assert_array_equal(v.numpy(), np.zeros((2, 3)))


def test_assign_does_not_record_a_graph():
    v = nm.Variable([1.0, 2.0])
    with nm.GradientTape() as tape:
        v.assign_add([1.0, 1.0])
        y = ops.sum(v * v)
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [4.0, 6.0])
    assert v._vjp is None


# -- convert_to_tensor -------------------------------------------------------------------
def test_convert_to_tensor():
    t = nm.Tensor([1.0])
    assert nm.convert_to_tensor(t) is t
    assert nm.convert_to_tensor(t, dtype="float32") is t
    data = np.ones(3)
    wrapped = nm.convert_to_tensor(data)
    assert wrapped.numpy() is data and wrapped.dtype == "float64"
    assert nm.convert_to_tensor(2.0).dtype == "float32"
    assert nm.convert_to_tensor([1, 2]).dtype == "int64"
    assert nm.convert_to_tensor([1, 2], dtype="float32").dtype == "float32"


def test_convert_to_tensor_cast_is_differentiable():
    v = nm.Variable(np.array([1.0, 2.0], dtype="float32"))
    with nm.GradientTape() as tape:
        y = ops.sum(nm.convert_to_tensor(v, dtype="float64") * 3.0)
    assert y.dtype == "float64"
    g = tape.gradient(y, v)
    assert g.dtype == "float32"
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])
