"""BatchNormalization with a mask, against Keras 3.15 (fixtures by
fixtures/make_batchnorm_mask_fixtures.py): training statistics over the unmasked entries only,
for masks passed explicitly and arriving implicitly (Embedding(mask_zero=True) -> BatchNormalization
-> LSTM), the moving statistics they update, gradients w.r.t. inputs, gamma and beta, the inference
path, float64 gradient checks of the masked op, and the errors for masks that do not fit."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from numeras import GradientTape, layers, models
from numeras.autodiff import Tensor
from numeras.autodiff.ops.normalization import batch_norm_train, masked_batch_norm_train
from numeras.testing import gradcheck

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "batchnorm_mask_cases.json")) as _f:
    CASES = json.load(_f)
EXPECTED = np.load(os.path.join(FIXTURES, "batchnorm_mask_expected.npz"))
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}


def _case(name: str):
    spec = CASES[name]
    count = sum(1 for key in EXPECTED.files if key.startswith(f"{name}/w"))
    weights = [EXPECTED[f"{name}/w{i}"] for i in range(count)]
    layer = layers.BatchNormalization(**spec["kwargs"])
    layer.build(tuple(spec["shape"]))
    layer.set_weights(weights)
    return layer, EXPECTED[f"{name}/x"], EXPECTED[f"{name}/mask"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_training_outputs_moving_statistics_and_gradients_match_keras(name):
    layer, x, mask = _case(name)
    x_tensor = Tensor(x)
    with GradientTape() as tape:
        tape.watch(x_tensor)
        outputs = layer(x_tensor, training=True, mask=mask)
    assert outputs.dtype == "float32"
    np.testing.assert_allclose(outputs.numpy(), EXPECTED[f"{name}/training"], **TOLERANCE)
    np.testing.assert_allclose(layer.moving_mean.numpy(), EXPECTED[f"{name}/moving_mean"], **TOLERANCE)
    np.testing.assert_allclose(layer.moving_variance.numpy(), EXPECTED[f"{name}/moving_variance"], **TOLERANCE)
    weights = layer.trainable_weights
    grads = tape.gradient(outputs, [x_tensor, *weights], output_gradients=EXPECTED[f"{name}/cot"])
    np.testing.assert_allclose(grads[0].numpy(), EXPECTED[f"{name}/grad_x"], rtol=1e-4, atol=1e-4)
    for i, grad in enumerate(grads[1:]):
        np.testing.assert_allclose(grad.numpy(), EXPECTED[f"{name}/grad_w{i}"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("name", sorted(CASES))
def test_inference_ignores_the_mask_as_keras(name):
    layer, x, mask = _case(name)
    before = [w.numpy().copy() for w in layer.weights]
    outputs = layer(x, training=False, mask=mask)
    np.testing.assert_allclose(outputs.numpy(), EXPECTED[f"{name}/inference"], **TOLERANCE)
    np.testing.assert_allclose(outputs.numpy(), layer(x, training=False).numpy(), rtol=0, atol=0)
    for weight, value in zip(layer.weights, before):
        np.testing.assert_array_equal(weight.numpy(), value)


def test_mask_changes_the_statistics():
    """The masked statistics are those of the unmasked entries alone, not of the whole batch."""
    layer, x, mask = _case("sequence_mask")
    masked = layer(x, training=True, mask=mask).numpy()
    unmasked = layers.BatchNormalization(momentum=0.9)
    unmasked.build(x.shape)
    unmasked.set_weights(layer.get_weights())
    assert not np.allclose(masked, unmasked(x, training=True).numpy(), atol=1e-3)
    counted = x[mask]  # (entries, features)
    gamma, beta = (w.numpy() for w in layer.trainable_weights)
    expected = gamma * (x - counted.mean(axis=0)) / np.sqrt(counted.var(axis=0) + layer.epsilon) + beta
    np.testing.assert_allclose(masked, expected, rtol=1e-4, atol=1e-4)


def _model():
    ids = layers.Input(shape=(7,), dtype="int32")
    hidden = layers.Embedding(12, 4, mask_zero=True, name="embedding")(ids)
    hidden = layers.BatchNormalization(momentum=0.9, name="batch_normalization")(hidden)
    hidden = layers.LSTM(3, name="lstm")(hidden)
    model = models.Model(ids, layers.Dense(2, name="dense")(hidden))
    count = sum(1 for key in EXPECTED.files if key.startswith("model/w"))
    model.set_weights([EXPECTED[f"model/w{i}"] for i in range(count)])
    return model


def test_implicit_mask_from_embedding_matches_keras():
    model = _model()
    ids = EXPECTED["model/ids"]
    np.testing.assert_allclose(model(ids, training=False).numpy(), EXPECTED["model/inference"], **TOLERANCE)
    variables = model.trainable_variables
    assert [v.path for v in variables] == list(EXPECTED["model/grad_paths"])
    with GradientTape() as tape:
        outputs = model(ids, training=True)
    np.testing.assert_allclose(outputs.numpy(), EXPECTED["model/training"], **TOLERANCE)
    bn = model.layers[2]
    assert isinstance(bn, layers.BatchNormalization)
    np.testing.assert_allclose(bn.moving_mean.numpy(), EXPECTED["model/moving_mean"], **TOLERANCE)
    np.testing.assert_allclose(bn.moving_variance.numpy(), EXPECTED["model/moving_variance"], **TOLERANCE)
    grads = tape.gradient(outputs, variables, output_gradients=EXPECTED["model/cot"])
    for i, grad in enumerate(grads):
        np.testing.assert_allclose(grad.numpy(), EXPECTED[f"model/grad{i}"], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "shape, mask_shape, axis",
    [((3, 4, 2), (3, 4, 1), -1), ((3, 2, 4), (3, 2, 1), 1), ((5, 3), (5, 1), -1), ((2, 3, 2, 2), (2, 1, 2, 1), -1)],
)
def test_masked_op_gradients_match_finite_differences(shape, mask_shape, axis):
    rng = np.random.default_rng(7)
    x = rng.normal(size=shape) * 3.0 + 1.0
    mask = rng.random(mask_shape) > 0.4
    mask.flat[-1] = True
    features = shape[axis]
    gamma, beta = rng.normal(size=features) + 1.0, rng.normal(size=features)
    assert gradcheck(lambda a, g, b: masked_batch_norm_train(a, mask, g, b, axis, 1e-3)[0], [x, gamma, beta])
    assert gradcheck(lambda a: masked_batch_norm_train(a, mask, None, None, axis, 1e-3)[0], [x])


def test_masked_op_gradients_with_a_single_or_no_counted_entry():
    """The fuzz factor in the divisor matters most when few entries count; the gradient keeps it."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3, 4, 2)) + 20.0
    gamma = rng.normal(size=2)
    single = np.zeros((3, 4, 1), dtype=bool)
    single[1, 2] = True
    assert gradcheck(lambda a, g: masked_batch_norm_train(a, single, g, None, -1, 1e-3)[0], [x, gamma])
    nothing = np.zeros((3, 4, 1), dtype=bool)
    outputs, mean, variance = masked_batch_norm_train(x, nothing, gamma, None, -1, 1e-3)
    np.testing.assert_array_equal(mean, 0.0)
    np.testing.assert_array_equal(variance, 0.0)
    assert gradcheck(lambda a, g: masked_batch_norm_train(a, nothing, g, None, -1, 1e-3)[0], [x, gamma])


def test_layer_masked_training_gradcheck_in_float64():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(3, 5, 2))
    mask = np.ones((3, 5), dtype=bool)
    mask[0, 3:] = False
    mask[2, :2] = False
    bn = layers.BatchNormalization(dtype="float64", gamma_initializer="random_normal", beta_initializer="random_normal")
    bn.build(x.shape)

    def f(inputs, gamma, beta):
        saved = bn.gamma, bn.beta
        object.__setattr__(bn, "gamma", gamma)
        object.__setattr__(bn, "beta", beta)
        try:
            return bn(inputs, training=True, mask=mask)
        finally:
            object.__setattr__(bn, "gamma", saved[0])
            object.__setattr__(bn, "beta", saved[1])

    assert gradcheck(f, [x, bn.gamma.numpy(), bn.beta.numpy()])


def test_all_true_mask_is_the_plain_statistics_up_to_the_fuzz_factor():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 6, 3)).astype("float32")
    gamma, beta = rng.normal(size=3).astype("float32"), rng.normal(size=3).astype("float32")
    plain, plain_mean, plain_var = batch_norm_train(x, gamma, beta, -1, 1e-3)
    masked, mean, var = masked_batch_norm_train(x, np.ones((4, 6, 1), dtype=bool), gamma, beta, -1, 1e-3)
    np.testing.assert_allclose(masked.numpy(), plain.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(mean, plain_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, plain_var, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mask_shape", [(4, 6, 3), (4, 6, 1), (4,), (4, 5), (3, 6)])
def test_mask_that_does_not_fit_is_a_clear_error(mask_shape):
    bn = layers.BatchNormalization()
    x = np.zeros((4, 6, 3), dtype="float32")
    with pytest.raises(ValueError, match="mask") as info:
        bn(x, training=True, mask=np.ones(mask_shape, dtype=bool))
    assert str(mask_shape) in str(info.value)


def test_op_rejects_a_mask_of_another_rank():
    with pytest.raises(ValueError, match=r"mask of shape \(4, 6\)"):
        masked_batch_norm_train(np.zeros((4, 6, 3), "float32"), np.ones((4, 6), dtype=bool))


def test_mask_from_masking_layer_reaches_the_statistics():
    """Masking upstream: the same statistics, output and output mask as the explicit mask."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 5, 2)).astype("float32") + 1.0
    x[0, 3:] = 0.0
    x[2, :2] = 0.0
    mask = np.any(x != 0.0, axis=-1)
    implicit = layers.BatchNormalization()
    explicit = layers.BatchNormalization()
    outputs = implicit(layers.Masking(mask_value=0.0)(x), training=True)
    expected = explicit(x, training=True, mask=mask)
    np.testing.assert_allclose(outputs.numpy(), expected.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(implicit.moving_mean.numpy(), explicit.moving_mean.numpy(), rtol=1e-6)
    np.testing.assert_allclose(implicit.moving_mean.numpy(), 0.01 * x[mask].mean(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(outputs._keras_mask.numpy(), mask)


def test_masked_statistics_under_a_distribution(monkeypatch):
    """One process holds the whole batch: its masked statistics are the global ones. Several
    processes would need masked collectives, which numeras does not have: a clear error."""
    from numeras.distribution import distribution_lib

    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 3, 2)).astype("float32")
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)
    expected = layers.BatchNormalization()(x, training=True, mask=mask).numpy()

    class FakeDistribution:
        def __init__(self, size):
            self.size = size

    monkeypatch.setattr(distribution_lib, "distribution", lambda: FakeDistribution(1))
    np.testing.assert_allclose(layers.BatchNormalization()(x, training=True, mask=mask).numpy(), expected)
    monkeypatch.setattr(distribution_lib, "distribution", lambda: FakeDistribution(2))
    with pytest.raises(NotImplementedError, match="masked batch statistics"):
        layers.BatchNormalization()(x, training=True, mask=mask)
