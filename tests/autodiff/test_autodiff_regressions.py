"""Bugs found while building the gradcheck harness, each pinned by a test."""

import math

import numpy as np
import pytest

import numeras as nm
from numeras import ops
from numeras.testing import gradcheck


def grad_of(f, *values):
    tensors = [nm.Tensor(np.asarray(v, dtype="float64"), requires_grad=True) for v in values]
    with nm.GradientTape() as tape:
        y = f(*tensors)
    return [g.numpy() for g in tape.gradient(y, tensors)]


def test_vector_dot_vector_backward():
    # matmul's VJP used expand_dims(g, -2) on the 0-d gradient and raised AxisError.
    ga, gb = grad_of(ops.dot, [1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    np.testing.assert_allclose(ga, [4.0, 5.0, 6.0])
    np.testing.assert_allclose(gb, [1.0, 2.0, 3.0])
    ga, gb = grad_of(lambda a, b: a @ b, [1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(ga, [3.0, 4.0])


def test_max_with_an_initial_above_every_entry_has_zero_gradient_not_nan():
    (g,) = grad_of(lambda x: ops.max(x, initial=10.0), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])
    (g,) = grad_of(lambda x: ops.min(x, initial=-10.0), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(g, [0.0, 0.0, 0.0])


def test_max_ties_share_the_gradient():
    (g,) = grad_of(lambda x: ops.max(x, axis=-1), [[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]])
    np.testing.assert_allclose(g, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("pad_width", [((1, 2),), (1, 2), 1, ((1, 2), (0, 3))])
def test_pad_widths_broadcast_like_numpy(pad_width):
    # A single (before, after) pair applies to every axis; the VJP sliced only the first axis.
    data = np.arange(6.0).reshape(2, 3)
    x = nm.Tensor(data, requires_grad=True)
    with nm.GradientTape() as tape:
        y = ops.pad(x, pad_width)
    np.testing.assert_array_equal(y.numpy(), np.pad(data, pad_width))
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), np.ones((2, 3)))


def test_softplus_gradient_is_sigmoid_everywhere_including_zero():
    # relu(x) + log1p(exp(-|x|)) gave gradient 0 at x = 0 instead of 1/2.
    x = np.array([0.0, -1e-9, 1e-9, -800.0, 800.0, 3.0])
    (g,) = grad_of(lambda t: ops.softplus(t), x)
    np.testing.assert_allclose(g, 0.5 * (1 + np.tanh(x / 2)), rtol=1e-12)  # sigmoid, overflow-free
    values = ops.softplus(nm.Tensor(x)).numpy()
    np.testing.assert_allclose(values, np.logaddexp(0, x), rtol=1e-12)
    assert ops.softplus(nm.Tensor(np.array([100.0], dtype="float32"))).dtype == "float32"


def test_axis_lists_are_accepted_like_tuples():
    x = np.arange(6.0).reshape(2, 3) / 6
    for f in (ops.logsumexp, ops.sum, ops.max, ops.mean, ops.var):
        np.testing.assert_allclose(f(nm.Tensor(x), axis=[0, 1]).numpy(), f(nm.Tensor(x), axis=(0, 1)).numpy())
    assert ops.squeeze(nm.Tensor(np.ones((1, 2, 1))), axis=[0, 2]).shape == (2,)
    assert ops.expand_dims(nm.Tensor(np.ones(2)), axis=[0, 2]).shape == (1, 2, 1)


def test_erf_is_accurate_to_a_few_ulps():
    # The Abramowitz-Stegun formula used before was off by up to 1.5e-7 and broke gradchecks.
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1e-300, -1e-12, 2.0, -2.0, 6.0, 40.0]])
    expected = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(ops.erf(nm.Tensor(x)).numpy(), expected, rtol=1e-14, atol=1e-15)
    x32 = x.astype("float32")
    z32 = ops.erf(nm.Tensor(x32))
    assert z32.dtype == "float32"
    np.testing.assert_allclose(z32.numpy(), [math.erf(v) for v in x32.astype(float)], atol=3e-7)
    assert np.array_equal(ops.erf(nm.Tensor(np.array([np.inf, -np.inf]))).numpy(), [1.0, -1.0])
    assert np.isnan(ops.erf(nm.Tensor(np.array([np.nan]))).numpy()).all()


def test_exact_gelu_matches_its_definition_and_gradchecks_tightly():
    x = np.linspace(-4, 4, 41)
    expected = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in x]
    np.testing.assert_allclose(ops.gelu(nm.Tensor(x), approximate=False).numpy(), expected, rtol=1e-13, atol=1e-14)
    assert gradcheck(lambda t: ops.gelu(t, approximate=False), x, rtol=1e-7, max_elementwise=100)


def test_numpy_reductions_accept_tensors():
    t = nm.Tensor(np.arange(4.0).reshape(2, 2))
    assert float(np.sum(t)) == 6.0
    np.testing.assert_allclose(np.mean(t, axis=0).numpy(), [1.0, 2.0])
    assert t.sum(dtype="float32").dtype == "float32"
    with pytest.raises(TypeError, match="`out` is not supported"):
        t.sum(out=np.zeros(()))


def test_integer_operand_meets_float_tensor_in_the_float_dtype():
    x = nm.Variable(np.ones(3, dtype="float32"))
    idx = nm.Tensor(np.array([1, 2, 3]))
    with nm.GradientTape() as tape:
        y = x * idx + idx
    assert y.dtype == "float32"
    assert tape.gradient(y, x).dtype == "float32"
    assert (nm.Tensor(np.array([True, False])) * x[:2]).dtype == "float32"


def test_python_int_with_a_boolean_tensor_counts_like_numpy():
    # The int used to adopt the mask's bool dtype: `mask * 2` stayed bool, `1 - mask` raised.
    # A Python int is weakly typed: with a bool it gives int32, as in Keras (not NumPy's int64).
    mask = nm.Tensor(np.array([-1.0, 2.0])) > 0
    for result, expected in [(mask * 2, [0, 2]), (mask + 1, [1, 2]), (1 - mask, [1, 0])]:
        assert result.dtype == "int32"
        np.testing.assert_array_equal(result.numpy(), expected)
    assert (mask * 0.5).dtype == "float32"
    assert (nm.Tensor(np.array([1, 2], dtype="int32")) * 3).dtype == "int32"


@pytest.mark.parametrize(
    "make",
    [
        lambda x: ops.argmax(x),
        lambda x: ops.argmin(x, axis=0),
        lambda x: ops.sign(x),
        lambda x: ops.equal(x, 0.5),
        lambda x: ops.greater(x, 0.5),
        lambda x: ops.less(x, 0.5),
        lambda x: ops.one_hot(ops.argmax(x, axis=-1), 3),
        lambda x: ops.stop_gradient(x),
        lambda x: ops.zeros_like(x),
        lambda x: ops.ones_like(x),
        lambda x: ops.cast(x, "int32"),
    ],
    ids=["argmax", "argmin", "sign", "equal", "greater", "less", "one_hot", "stop_gradient", "zeros_like", "ones_like", "cast-int"],
)
def test_non_differentiable_ops_return_constants(make):
    x = nm.Variable(np.array([[0.1, 0.9, 0.5], [0.7, 0.2, 0.3]]))
    y = make(x)
    assert not y.requires_grad and y._vjp is None
