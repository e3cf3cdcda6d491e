"""BatchNormalization: batch statistics while training, moving averages at inference (Keras 3's
momentum 0.99 and epsilon 1e-3), gradients through the batch statistics, weights and config."""

import numpy as np
import pytest
from conv_layer_checks import (
    assert_config_round_trip,
    assert_output_shape,
    assert_training_step_lowers_loss,
    layer_gradcheck,
)

from numeras import layers, models


def _data(shape=(6, 4, 5, 3), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=shape) * 3.0 + 2.0).astype("float32")


def test_weights_follow_keras():
    bn = layers.BatchNormalization()
    bn.build((None, 4, 5, 3))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.trainable for w in bn.weights] == [True, True, False, False]
    assert bn.count_params() == 12 and len(bn.trainable_weights) == 2
    assert bn.momentum == 0.99 and bn.epsilon == 1e-3
    plain = layers.BatchNormalization(center=False, scale=False)
    plain.build((None, 3))
    assert [w.name for w in plain.weights] == ["moving_mean", "moving_variance"]


def test_training_uses_batch_statistics_and_updates_moving_averages():
    x = _data()
    bn = layers.BatchNormalization(gamma_initializer="ones", beta_initializer="zeros")
    y = bn(x, training=True).numpy()
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-5)
    assert y.dtype == np.float32 and bn.moving_mean.dtype == "float32"


def test_inference_uses_moving_statistics_and_leaves_them_alone():
    x = _data()
    bn = layers.BatchNormalization(beta_initializer="ones")
    bn.build(x.shape)
    bn.moving_mean.assign(np.array([1.0, 2.0, 3.0]))
    bn.moving_variance.assign(np.array([4.0, 1.0, 0.25]))
    before = [w.numpy().copy() for w in bn.weights]
    y = bn(x).numpy()
    expected = (x - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 1.0, 0.25]) + 1e-3) + 1.0
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    bn(x, training=False)
    for w, b in zip(bn.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


def test_frozen_layer_runs_in_inference_mode():
    x = _data()
    bn = layers.BatchNormalization()
    bn.build(x.shape)
    bn.trainable = False
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), 0)


@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_finite_differences(training):
    x = _data((5, 3, 4), seed=1).astype("float64")
    bn = layers.BatchNormalization(dtype="float64", gamma_initializer="random_normal", beta_initializer="random_normal")
    bn.build(x.shape)
    bn.moving_mean.assign(np.array([0.5, -1.0, 2.0, 0.0]))
    bn.moving_variance.assign(np.array([1.5, 0.5, 2.0, 1.0]))
    assert layer_gradcheck(bn, x, training=training)


def test_channels_first_axis_and_dense_inputs():
    x = _data((6, 3, 4, 5))
    bn = layers.BatchNormalization(axis=1)
    y = bn(x, training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert bn.gamma.shape == (3,)
    dense = layers.BatchNormalization()
    flat = _data((32, 7))
    np.testing.assert_allclose(dense(flat, training=True).numpy().std(axis=0), 1, rtol=1e-3)


def test_config_round_trip_shape_and_training_step():
    x = _data().astype("float64")
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False, dtype="float64")
    assert_output_shape(bn, x)
    assert_config_round_trip(bn)
    assert_training_step_lowers_loss(bn, x)


def test_fit_updates_moving_statistics_and_evaluate_uses_them():
    rng = np.random.default_rng(2)
    x = (rng.normal(size=(64, 6, 6, 1)) * 2 + 5).astype("float32")
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 64)]
    model = models.Sequential(
        [
            layers.Input((6, 6, 1)),
            layers.Conv2D(4, 3),
            layers.BatchNormalization(),
            layers.Activation("relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile("rmsprop", "categorical_crossentropy")
    bn = model.layers[1]
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert model.optimizer.iterations.numpy() == 8
    assert np.all(bn.moving_mean.numpy() != 0)
    frozen_stats = bn.moving_mean.numpy().copy()
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), frozen_stats)


def test_errors():
    with pytest.raises(ValueError, match="`momentum` must be in"):
        layers.BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="renorm"):
        layers.BatchNormalization(renorm=True)
    with pytest.raises(ValueError, match="expected 3 features on axis -1"):
        bn = layers.BatchNormalization()
        bn.build((None, 3))
        bn(np.zeros((2, 4), dtype="float32"))
