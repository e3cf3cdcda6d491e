"""numeras.ops beyond the Keras fixtures: the namespaces' arrangement, behaviour Keras on JAX
gets wrong or cannot show (projective affine transforms, 64-bit dtypes), gradients through
control flow, and the errors for bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

import numeras as nm
from numeras import ops


def test_namespaces_are_arranged_as_keras():
    assert ops.numpy.cumsum is ops.cumsum and ops.numpy.einsum is ops.einsum
    assert ops.nn.softmax is ops.softmax and ops.nn.conv is ops.conv
    assert ops.linalg.solve is ops.solve and ops.linalg.norm is ops.norm
    assert ops.core.while_loop is ops.while_loop and ops.math.top_k is ops.top_k
    assert callable(ops.nn.categorical_crossentropy)
    # Keras keeps the image ops in ops.image only.
    assert callable(ops.image.resize) and not hasattr(ops, "resize") and not hasattr(ops, "affine_transform")


def test_affine_transform_divides_by_the_projective_term():
    # Keras's JAX backend ignores c0 and c1; numeras applies the documented mapping
    # ((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k) with k = c0 x + c1 y + 1.
    image = np.arange(30, dtype="float32").reshape(1, 5, 6, 1)
    transform = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.1, 0.05], "float32")
    out = ops.image.affine_transform(image, transform, interpolation="nearest").numpy()
    for y in range(5):
        for x in range(6):
            k = 0.1 * x + 0.05 * y + 1.0
            source_y, source_x = int(np.round(y / k)), int(np.round(x / k))
            assert out[0, y, x, 0] == image[0, source_y, source_x, 0]


def test_resize_gradient_is_the_transpose_of_the_interpolation():
    image = nm.Variable(np.random.default_rng(0).normal(size=(1, 3, 4, 1)).astype("float32"))
    weights = np.random.default_rng(1).normal(size=(1, 6, 8, 1)).astype("float32")
    with nm.GradientTape() as tape:
        loss = ops.sum(ops.image.resize(image, (6, 8)) * weights)
    grad = tape.gradient(loss, image).numpy()
    # resize is linear: <resize(x), w> = <x, grad> for every x.
    probe = np.random.default_rng(2).normal(size=(1, 3, 4, 1)).astype("float32")
    lhs = float(np.sum(ops.image.resize(probe, (6, 8)).numpy() * weights))
    np.testing.assert_allclose(lhs, float(np.sum(probe * grad)), rtol=1e-5)


def test_gradients_flow_through_control_flow():
    x = nm.Variable(np.array([0.5, -1.0, 2.0], "float32"))
    with nm.GradientTape() as tape:
        _, total = ops.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * x), (0, ops.ones_like(x)))
        carry, ys = ops.scan(lambda c, v: (c + v, c * v), ops.zeros((), "float32"), x)
        loss = ops.sum(total) + carry + ops.sum(ys)
    grad = tape.gradient(loss, x).numpy()
    # d/dx of sum(x^3) + sum(x) + (0*x0 + x0*x1 + (x0+x1)*x2)
    x0, x1, x2 = 0.5, -1.0, 2.0
    expected = 3 * np.array([x0, x1, x2]) ** 2 + 1 + np.array([x1 + x2, x0 + x2, x0 + x1])
    np.testing.assert_allclose(grad, expected, rtol=1e-6)


def test_scan_without_xs_and_fori_loop():
    carry, ys = ops.scan(lambda c, _: (c * 2, c), ops.ones((), "int32"), length=4)
    assert int(carry) == 16 and ys.numpy().tolist() == [1, 2, 4, 8]
    assert float(ops.fori_loop(1, 4, lambda i, v: v + i, 0.0)) == 6.0


def test_while_loop_stops_at_maximum_iterations():
    assert int(ops.while_loop(lambda i: i < 100, lambda i: i + 1, 0, maximum_iterations=7)) == 7


def test_64_bit_stays_64_bit_where_keras_on_jax_would_narrow():
    x = np.ones((2, 2), "float64")
    assert ops.einsum("ij,jk->ik", x, x).dtype == "float64"
    assert ops.cumsum(x).dtype == "float64" and ops.inv(x + np.eye(2)).dtype == "float64"
    assert ops.add(np.ones(2, "uint32"), np.ones(2, "int32")).dtype == "int64"


def test_cumprod_and_prod_gradients_are_exact_at_zero():
    x = nm.Variable(np.array([2.0, 0.0, 3.0, 4.0]))
    with nm.GradientTape(persistent=True) as tape:
        product = ops.prod(x)
        running = ops.sum(ops.cumprod(x))
    np.testing.assert_array_equal(tape.gradient(product, x).numpy(), [0.0, 24.0, 0.0, 0.0])
    # d/dx of x0 + x0 x1 + x0 x1 x2 + x0 x1 x2 x3 at x1 = 0
    np.testing.assert_array_equal(tape.gradient(running, x).numpy(), [1.0, 2.0 + 6.0 + 24.0, 0.0, 0.0])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops.pad(np.ones((2, 2)), 1, mode="linear_ramp"), "`mode` must be one of"),
        (lambda: ops.top_k(np.ones((2, 3)), 4), "`k` must be in"),
        (lambda: ops.inv(np.ones((2, 3))), "must be a square matrix"),
        (lambda: ops.cholesky(-np.eye(2)), "symmetric positive definite"),
        (lambda: ops.image.resize(np.ones((4, 4)), (2, 2)), "rank 3"),
        (lambda: ops.image.resize(np.ones((4, 4, 1)), (2, 2), interpolation="cubic"), "`interpolation` must be one of"),
        (lambda: ops.image.affine_transform(np.ones((2, 4, 4, 1)), np.ones((3, 8))), "`transform` must have shape"),
        (lambda: ops.slice(np.ones((2, 3)), (0,), (1, 1)), "one entry per axis"),
        (lambda: ops.scatter(np.array([[0.5]]), np.ones(1), (2,)), "`indices` must be an integer array"),
        (lambda: ops.einsum("ij,jk", np.ones((2, 2))), "names 2 operands"),
        (lambda: ops.norm(np.ones((2, 2)), ord="nuc", axis=0), "matrix norm"),
        (lambda: ops.scan(lambda c, x: (c, x), 0.0), "`xs` or `length`"),
        (lambda: ops.round(np.array([True])), "cast it"),
        (lambda: ops.quantile(np.ones(3), 0.5, method="weird"), "`method` must be one of"),
    ],
)
def test_bad_arguments_are_named(call, message):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
        call()


def test_sparsemax_is_the_projection_onto_the_simplex():
    # Keras 3.15's sparsemax subtracts the sum of the running sums (its rows need not sum to 1);
    # numeras follows Martins & Astudillo (2016): tau = (sum of the k largest - 1) / k.
    x = np.array([[0.1, 2.0, 1.5, -1.0], [0.3, 0.2, 0.1, 0.0]], "float32")
    out = ops.sparsemax(x).numpy()
    np.testing.assert_allclose(out.sum(axis=-1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(out[0], [0.0, 0.75, 0.25, 0.0], rtol=1e-6)
    np.testing.assert_allclose(out[1], [0.4, 0.3, 0.2, 0.1], rtol=1e-5)
    np.testing.assert_allclose(ops.sparsemax(x.T, axis=0).numpy(), out.T, rtol=1e-6)
