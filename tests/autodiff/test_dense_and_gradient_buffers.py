"""The fused ``dense`` primitive and gradients written into caller-owned buffers (``out=``)."""

import tracemalloc

import numpy as np
import pytest

import numeras as nm
from numeras import layers, models, ops
from numeras.autodiff import graph
from numeras.autodiff.ops import dense
from numeras.testing.gradient_check import check_dtype_preserved, gradcheck


def leaf(values, dtype="float64"):
    return nm.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4), (4,)], ids=["matrix", "batch-of-sequences", "vector"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no-bias"])
def test_dense_gradients_match_finite_differences(x_shape, with_bias):
    rng = np.random.default_rng(0)
    inputs = [rng.standard_normal(x_shape), rng.standard_normal((4, 5))]
    if with_bias:
        inputs.append(rng.standard_normal(5))
    assert gradcheck(lambda *args: dense(*args), inputs)


@pytest.mark.parametrize("x_shape", [(3, 4), (2, 3, 4)], ids=["matrix", "batch-of-sequences"])
def test_dense_with_fused_relu_gradients_match_finite_differences(x_shape):
    rng = np.random.default_rng(6)
    inputs = [rng.standard_normal(x_shape), rng.standard_normal((4, 5)), rng.standard_normal(5)]
    assert gradcheck(lambda *args: dense(*args, activation="relu"), inputs)


def test_dense_layer_uses_the_fused_primitive_and_matches_keras_formula():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 3)).astype("float32")
    for activation, formula in [("relu", lambda z: np.maximum(z, 0)), (None, lambda z: z), ("tanh", np.tanh)]:
        layer = layers.Dense(4, activation=activation, bias_initializer="ones")
        out = layer(x)
        expected = formula(x @ layer.kernel.numpy() + layer.bias.numpy())
        np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
        fused = activation in ("relu", None)
        assert (out._parents[1:] == (layer.kernel, layer.bias)) is fused
    with pytest.raises(ValueError, match="`activation` must be None or 'relu'"):
        dense(nm.Tensor(x), nm.Tensor(np.ones((3, 4), "float32")), activation="tanh")


def test_dense_equals_the_composite_and_keeps_float32():
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype("float32") for s in [(6, 3), (3, 2), (2,)])
    fused = dense(nm.Tensor(x), nm.Tensor(w), nm.Tensor(b))
    np.testing.assert_allclose(fused.numpy(), x @ w + b, rtol=1e-6)
    check_dtype_preserved(lambda *args: dense(*args), [x, w, b], dtype="float32")


def test_dense_is_one_node_and_falls_back_outside_its_shapes():
    x, w, b = leaf(np.ones((2, 3))), leaf(np.ones((3, 4))), leaf(np.zeros(4))
    z = dense(x, w, b)
    assert z._parents == (x, w, b)
    # A kernel of another dtype is promoted first (float64 with float32 gives float64, Keras's
    # rule) and its gradient comes back in its own dtype; a bias that is not one value per unit
    # takes the general ops.
    narrow_kernel = leaf(np.ones((3, 4)), "float32")
    with nm.GradientTape() as tape:
        mixed = dense(x, narrow_kernel, b)
    assert mixed.shape == (2, 4) and mixed.dtype == "float64"
    assert tape.gradient(ops.sum(mixed), narrow_kernel).dtype == "float32"
    wide_bias = leaf(np.zeros((2, 4)))
    with nm.GradientTape() as tape:
        y = ops.sum(dense(x, w, wide_bias))
    np.testing.assert_allclose(tape.gradient(y, wide_bias).numpy(), np.ones((2, 4)))


def test_gradients_land_in_the_out_arrays():
    rng = np.random.default_rng(2)
    x = nm.Tensor(rng.standard_normal((5, 3)))
    w, b = nm.Variable(rng.standard_normal((3, 4))), nm.Variable(rng.standard_normal(4))
    with nm.GradientTape(persistent=True) as tape:
        y = ops.sum(ops.tanh(dense(x, w, b)) ** 2)
    expected = tape.gradient(y, [w, b])
    buffers = [np.full((3, 4), np.nan), np.full(4, np.nan)]
    got = tape.gradient(y, [w, b], out=buffers)
    for g, e, buffer in zip(got, expected, buffers):
        assert g.numpy() is buffer
        np.testing.assert_allclose(buffer, e.numpy(), rtol=1e-12)


def test_out_accumulates_a_variable_used_several_times():
    # w reaches the loss through two matmuls, a broadcast add and an element-wise square.
    rng = np.random.default_rng(3)
    x = nm.Tensor(rng.standard_normal((2, 3)))
    w = nm.Variable(rng.standard_normal((3, 3)))
    with nm.GradientTape(persistent=True) as tape:
        y = ops.sum((x @ w) @ w) + ops.sum(w * w) + ops.sum(w[0] * x)
    expected = tape.gradient(y, w).numpy()
    buffer = np.full((3, 3), np.nan)
    tape.gradient(y, w, out=buffer)
    np.testing.assert_allclose(buffer, expected, rtol=1e-12)
    with nm.GradientTape() as tape:
        y = ops.sum(w @ w)  # the same leaf as both operands of one matmul
    tape.gradient(y, w, out=buffer)
    np.testing.assert_allclose(buffer, np.ones((3, 3)) @ w.numpy().T + w.numpy().T @ np.ones((3, 3)), rtol=1e-12)


def test_out_receives_a_broadcast_operand_gradient_and_interior_sources():
    col = leaf(np.ones((3, 1)))
    with nm.GradientTape() as tape:
        hidden = col * 2.0
        tape.watch(hidden)
        y = ops.sum(ops.broadcast_to(hidden, (2, 3, 4)))
    col_out, hidden_out = np.empty((3, 1)), np.empty((3, 1))
    g_col, g_hidden = tape.gradient(y, [col, hidden], out=[col_out, hidden_out])
    np.testing.assert_allclose(col_out, np.full((3, 1), 16.0))
    np.testing.assert_allclose(hidden_out, np.full((3, 1), 8.0))
    assert g_col.numpy() is col_out and g_hidden.numpy() is hidden_out


def test_out_with_unconnected_sources():
    a, unused = leaf([1.0, 2.0]), leaf([5.0])
    buffers = [np.empty(2), np.full(1, 7.0)]
    with nm.GradientTape(persistent=True) as tape:
        y = ops.sum(a * 3.0)
    ga, gu = tape.gradient(y, [a, unused], out=buffers)
    assert gu is None
    np.testing.assert_allclose(buffers[1], [7.0])  # left alone
    tape.gradient(y, [a, unused], out=buffers, unconnected_gradients="zero")
    np.testing.assert_allclose(buffers[1], [0.0])


def test_out_arrays_are_checked():
    a = leaf([1.0, 2.0])
    for bad, message in [
        ([np.empty(3)], "shape and dtype"),
        ([np.empty(2, dtype="float32")], "shape and dtype"),
        ([np.empty(4)[::2]], "C-contiguous"),
        ([np.empty(2), np.empty(2)], "one array per source"),
    ]:
        with nm.GradientTape() as tape:
            y = ops.sum(a * a)
        with pytest.raises(ValueError, match=message):
            tape.gradient(y, [a], out=bad)


def test_unbroadcast_into_out():
    g = np.ones((2, 3, 4))
    out = np.empty((3, 1))
    assert graph.unbroadcast(g, (3, 1), out=out) is out
    np.testing.assert_allclose(out, np.full((3, 1), 8.0))


def _seed_like_model(units: int = 256, inputs: int = 512):
    model = models.Sequential([layers.Dense(units, activation="relu", input_shape=(inputs,)), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_train_step_reuses_one_flat_gradient_buffer():
    model = _seed_like_model(16, 8)
    rng = np.random.default_rng(4)
    x = rng.random((4, 8), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[[1, 2, 3, 4]]
    model.train_on_batch(x, y)
    trainable = model.trainable_weights
    buffers = model._gradient_buffers(trainable)
    assert model._gradient_buffers(trainable) is buffers
    flat = buffers[0].base
    assert flat is not None and flat.ndim == 1 and flat.size == sum(w.numpy().size for w in trainable)
    assert all(b.base is flat and b.shape == w.shape for b, w in zip(buffers, trainable))


def test_a_training_step_allocates_nothing_the_size_of_a_kernel():
    # The kernel is 512 x 256 float32 = 512 KiB; everything else in a batch of 4 is tiny. A step that
    # allocated a kernel-sized gradient or temporary would show it in tracemalloc's peak (NumPy
    # reports its data buffers there).
    model = _seed_like_model()
    rng = np.random.default_rng(5)
    x = rng.random((4, 512), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[[0, 1, 2, 3]]
    model.train_on_batch(x, y)  # builds the optimizer and the gradient buffers
    model.train_on_batch(x, y)
    tracemalloc.start()
    try:
        model.train_on_batch(x, y)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 512 * 256 * 4 / 2, f"a training step allocated {peak} bytes at its peak"
