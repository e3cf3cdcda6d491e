"""LayerNormalization against Keras 3.15 (outputs and gradients from
fixtures/make_attention_fixtures.py), the fused layer-norm primitive's gradient in float64, and
Keras's weights, config and errors."""

import json
import os
import warnings

import numpy as np
import pytest
from conv_layer_checks import assert_config_round_trip, assert_training_step_lowers_loss

from numeras import layers, ops
from numeras.autodiff import GradientTape, Tensor
from numeras.autodiff.ops.layer_normalization import layer_norm
from numeras.testing import gradcheck

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
with open(os.path.join(FIXTURES, "attention_cases.json")) as _f:
    CASES = {c["name"]: c for c in json.load(_f)["cases"] if c["layer"] == "LayerNormalization"}
EXPECTED = np.load(os.path.join(FIXTURES, "attention_expected.npz"))


def _layer(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rms_scaling is deprecated, as in Keras
        layer = layers.LayerNormalization(**case["kwargs"])
    layer.build(tuple(case["shapes"][0]))
    layer.set_weights([EXPECTED[f"{case['name']}/weight_{j}"] for j in range(len(case["weight_names"]))])
    return layer


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras_outputs_and_gradients(name):
    case = CASES[name]
    layer = _layer(case)
    assert [w.name for w in layer.weights] == case["weight_names"]
    x = Tensor(EXPECTED[f"{name}/input_0"])
    with GradientTape() as tape:
        tape.watch(x)
        out = layer(x)
        loss = ops.sum(out * EXPECTED[f"{name}/cotangent"])
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), EXPECTED[f"{name}/output"], rtol=1e-5, atol=1e-5)
    grads = tape.gradient(loss, [x, *layer.trainable_weights])
    np.testing.assert_allclose(grads[0].numpy(), EXPECTED[f"{name}/grad_input_0"], rtol=1e-4, atol=1e-5)
    for j, grad in enumerate(grads[1:]):
        np.testing.assert_allclose(grad.numpy(), EXPECTED[f"{name}/grad_weight_{j}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_matches_keras(name):
    case = CASES[name]
    config = _layer(case).get_config()
    keras_config = case["keras_config"]
    assert set(config) == set(keras_config)
    for key, value in keras_config.items():
        if key in ("dtype", "name", "trainable"):
            continue
        if isinstance(value, dict) and "class_name" in value:
            assert config[key]["class_name"] == value["class_name"], key
            continue
        assert config[key] == value, key


@pytest.mark.parametrize(
    "shape, axis, use_gamma, use_beta, rms",
    [
        ((3, 5), -1, True, True, False),
        ((2, 3, 4), 1, True, False, False),
        ((2, 3, 4, 2), (1, 3), True, True, False),
        ((2, 3, 4), (1, 2), False, True, False),
        ((4, 6), -1, True, False, True),
        ((2, 3, 4), (0, 1, 2), True, True, False),
    ],
)
def test_layer_norm_primitive_gradcheck_float64(shape, axis, use_gamma, use_beta, rms):
    rng = np.random.default_rng(0)
    x = rng.normal(size=shape) * 2.0 + 0.5
    axes = sorted(a % len(shape) for a in ((axis,) if isinstance(axis, int) else axis))
    param_shape = tuple(shape[a] for a in axes)
    params = []
    if use_gamma:
        params.append(rng.normal(size=param_shape))
    if use_beta:
        params.append(rng.normal(size=param_shape))

    def f(t, *p):
        gamma = p[0] if use_gamma else None
        beta = p[-1] if use_beta else None
        return layer_norm(t, gamma, beta, axis=axis, epsilon=1e-3, rms_scaling=rms)

    assert gradcheck(f, [x, *params], rtol=1e-5, atol=1e-7)


def test_layer_norm_formula_float64():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 5))
    gamma, beta = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    out = layer_norm(Tensor(x), gamma, beta, axis=(1, 2), epsilon=1e-5).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5) * gamma + beta, rtol=1e-12)
    assert out.dtype == np.float64


def test_ops_layer_normalization_uses_keras_epsilon_and_keeps_dtype():
    x = np.arange(5, dtype="float32")
    out = ops.layer_normalization(x)
    expected = (x - 2.0) / np.sqrt(2.0 + 1e-7)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
    half = ops.layer_normalization(x.astype("float16"))
    assert half.dtype == "float16"
    np.testing.assert_allclose(half.numpy().astype("float32"), expected, rtol=2e-3)


def test_weights_defaults_and_config_round_trip():
    layer = layers.LayerNormalization()
    layer.build((None, 7, 6))
    assert [w.name for w in layer.weights] == ["gamma", "beta"]
    assert layer.gamma.shape == (6,) and layer.epsilon == 1e-3 and layer.axis == [-1]  # as Keras: kept as given, as a list
    np.testing.assert_array_equal(layer.gamma.numpy(), 1.0)
    np.testing.assert_array_equal(layer.beta.numpy(), 0.0)
    assert_config_round_trip(layer)
    two = layers.LayerNormalization(axis=[-1, 1])
    two.build((None, 3, 4))
    # Keras sorts the axes as given (negative first) and shapes gamma in that order.
    assert two.axis == [-1, 1] and two.gamma.shape == (4, 3)


def test_trains_and_matches_between_training_and_inference():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 5, 6)).astype("float32")
    layer = layers.LayerNormalization(gamma_initializer="random_normal", beta_initializer="random_normal")
    np.testing.assert_array_equal(layer(x, training=True).numpy(), layer(x, training=False).numpy())
    assert_training_step_lowers_loss(layer, x)


def test_errors_name_the_argument():
    with pytest.raises(TypeError, match="axis"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="epsilon"):
        layers.LayerNormalization(epsilon=0)
    with pytest.raises(ValueError, match="out of range"):
        layers.LayerNormalization(axis=3)(np.zeros((2, 3), "float32"))
    layer = layers.LayerNormalization()
    layer(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="sizes"):
        layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match="gamma"):
        layer_norm(np.zeros((2, 3)), np.ones(4))


def test_rms_scaling_warns_as_keras():
    with pytest.warns(UserWarning, match="deprecated"):
        layer = layers.LayerNormalization(rms_scaling=True)
    layer.build((None, 4))
    assert [w.name for w in layer.weights] == ["gamma"]
