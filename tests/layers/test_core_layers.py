import numpy as np
import pytest

import numeras
from numeras import layers, ops
from numeras.autodiff import GradientTape


def _train_step_lowers_loss(layer, x, target):
    """One SGD step on mean squared error must lower that loss."""
    out = layer(x, training=True)
    with GradientTape() as tape:
        loss = ops.mean(ops.square(layer(x, training=True) - target))
    grads = tape.gradient(loss, layer.trainable_weights)
    for variable, grad in zip(layer.trainable_weights, grads):
        variable.assign_sub(0.1 * grad.numpy())
    after = ops.mean(ops.square(layer(x, training=True) - target))
    assert out.shape == target.shape
    assert float(after) < float(loss)


def test_dense_shapes_weights_and_names():
    dense = layers.Dense(512, activation="relu")
    assert dense.name == "dense"
    assert layers.Dense(3).name == "dense_1"
    y = dense(np.zeros((4, 784), dtype="float32"))
    assert y.shape == (4, 512)
    assert y.dtype == "float32"
    assert [w.shape for w in dense.weights] == [(784, 512), (512,)]
    assert dense.kernel.shape == (784, 512) and dense.bias.shape == (512,)
    assert dense.count_params() == 784 * 512 + 512
    assert dense.kernel.path == "dense/kernel"


def test_dense_computes_relu_dot_plus_bias():
    dense = layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    y = dense(x).numpy()
    expected = np.maximum(x @ dense.kernel.numpy() + dense.bias.numpy(), 0)
    np.testing.assert_allclose(y, expected, rtol=1e-6)


def test_dense_default_initializers_follow_keras():
    dense = layers.Dense(200)
    dense.build((None, 300))
    limit = np.sqrt(6 / (300 + 200))
    kernel = dense.kernel.numpy()
    assert kernel.dtype == np.float32
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert np.all(dense.bias.numpy() == 0)


def test_dense_training_step_and_config_round_trip():
    dense = layers.Dense(3, activation="tanh")
    x = np.random.default_rng(1).normal(size=(8, 4)).astype("float32")
    _train_step_lowers_loss(dense, x, np.full((8, 3), 0.5, dtype="float32"))
    config = dense.get_config()
    clone = layers.Dense.from_config(config)
    assert clone.get_config() == config
    assert clone.units == 3


def test_dense_rejects_bad_units_and_unknown_kwargs():
    with pytest.raises(ValueError, match="units"):
        layers.Dense(0)
    with pytest.raises(TypeError, match="unrecognized keyword"):
        layers.Dense(3, not_an_argument=1)


def test_legacy_input_shape_and_input_dim():
    assert layers.Dense(3, input_shape=(784,))._batch_input_shape == (None, 784)
    assert layers.Dense(3, input_dim=20)._batch_input_shape == (None, 20)


def test_activation_flatten_reshape():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4) - 10
    assert np.all(layers.Activation("relu")(x).numpy() >= 0)
    flat = layers.Flatten()
    assert flat(x).shape == (2, 12)
    assert flat.compute_output_shape((None, 3, 4)) == (None, 12)
    reshape = layers.Reshape((4, -1))
    assert reshape(x).shape == (2, 4, 3)
    assert reshape.compute_output_shape((None, 3, 4)) == (None, 4, 3)
    assert layers.Reshape.from_config(reshape.get_config()).target_shape == (4, -1)
    with pytest.raises(ValueError, match="cannot be reshaped"):
        layers.Reshape((5,)).compute_output_shape((None, 3, 4))


def test_dropout_is_inverted_and_training_only():
    numeras.backend.set_random_seed(0)
    drop = layers.Dropout(0.5)
    x = np.ones((1000, 100), dtype="float32")
    assert np.array_equal(drop(x).numpy(), x)
    y = drop(x, training=True).numpy()
    assert y.dtype == np.float32
    assert set(np.unique(y)) == {0.0, 2.0}
    assert abs((y == 0).mean() - 0.5) < 0.01
    assert abs(y.mean() - 1.0) < 0.02
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(1.5)


def test_dropout_gradient_flows_through_kept_units():
    drop = layers.Dropout(0.25, seed=3)
    x = numeras.Variable(np.ones((4, 8), dtype="float32"))
    with GradientTape() as tape:
        y = drop(x, training=True)
        total = ops.sum(y)
    grad = tape.gradient(total, x).numpy()
    np.testing.assert_allclose(grad, y.numpy())


def test_lambda_layer():
    double = layers.Lambda(lambda t: t * 2.0)
    assert np.array_equal(double(np.ones((2, 2), dtype="float32")).numpy(), np.full((2, 2), 2.0))
    assert double.compute_output_shape((None, 2)) == (None, 2)


def test_weights_get_set_and_freezing():
    dense = layers.Dense(2)
    dense.build((None, 3))
    weights = [np.ones((3, 2)), np.zeros(2)]
    dense.set_weights(weights)
    assert np.array_equal(dense.get_weights()[0], np.ones((3, 2), dtype="float32"))
    with pytest.raises(ValueError, match="shape"):
        dense.set_weights([np.ones((2, 2)), np.zeros(2)])
    dense.trainable = False
    assert dense.trainable_weights == [] and len(dense.non_trainable_weights) == 2


def test_kernel_regularizer_adds_loss():
    dense = layers.Dense(2, kernel_regularizer="l2")
    dense.build((None, 3))
    dense.set_weights([np.ones((3, 2)), np.zeros(2)])
    (penalty,) = dense.losses
    assert float(penalty) == pytest.approx(0.01 * 6)


def test_custom_layer_subclass_tracks_weights_and_sublayers():
    class Block(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.inner = layers.Dense(4)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(4,), initializer="ones", name="scale")

        def call(self, inputs):
            return self.inner(inputs) * self.scale

    block = Block()
    assert block(np.ones((2, 3), dtype="float32")).shape == (2, 4)
    assert block.built
    assert [w.name for w in block.weights] == ["scale", "kernel", "bias"]
