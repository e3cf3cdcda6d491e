"""Activations: values against NumPy references, float32 in and out, gradients, names."""

import math

import numpy as np
import pytest

import numeras
from numeras import activations, ops

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


_erf = np.vectorize(math.erf)

REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": _sigmoid,
    "tanh": np.tanh,
    "linear": lambda x: x,
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "exponential": np.exp,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "relu6": lambda x: np.clip(x, 0, 6),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "hard_swish": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "mish": lambda x: x * np.tanh(_softplus(x)),
}

# Away from every kink (0, +-3, 6) so finite differences are valid there.
POINTS = np.array([-7.5, -4.2, -2.5, -1.3, -0.4, 0.3, 0.9, 1.7, 2.6, 4.1, 6.8], dtype=np.float64)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy_reference_and_stay_float32(name):
    fn = activations.get(name)
    x = POINTS.astype(np.float32)
    out = fn(numeras.Tensor(x))
    expected = REFERENCES[name](POINTS)
    if name == "linear":
        assert isinstance(out, numeras.Tensor) and out.data is x
        return
    assert out.dtype == "float32"
    assert out.shape == x.shape
    np.testing.assert_allclose(out.numpy(), expected, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - {"linear"}))
def test_gradients_match_finite_differences(name):
    fn = activations.get(name)
    x = numeras.Tensor(POINTS.copy(), requires_grad=True)
    ops.sum(fn(x)).backward()
    step = 1e-6
    reference = REFERENCES[name]
    numeric = (reference(POINTS + step) - reference(POINTS - step)) / (2 * step)
    np.testing.assert_allclose(x.grad, numeric, rtol=1e-4, atol=1e-6)


def test_softmax_and_log_softmax():
    logits = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]], dtype=np.float32)
    probabilities = activations.softmax(numeras.Tensor(logits))
    shifted = logits - logits.max(axis=-1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(probabilities.numpy(), expected, rtol=1e-6)
    assert probabilities.dtype == "float32"
    assert probabilities._logits is not None  # for the fused cross-entropy gradient
    np.testing.assert_allclose(
        activations.softmax(numeras.Tensor(logits), axis=0).numpy().sum(axis=0), [1, 1, 1], rtol=1e-6
    )
    log_p = activations.log_softmax(numeras.Tensor(logits))
    # Exact even where softmax underflows: log_softmax = shifted - log(sum(exp(shifted))).
    expected_log = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(log_p.numpy(), expected_log, rtol=1e-6)
    assert log_p.numpy()[1, 2] == pytest.approx(-2000.0 - math.log(2), rel=1e-6)


def test_sigmoid_logits_are_never_mistaken_for_softmax_logits():
    x = numeras.Tensor(np.array([0.5, -1.0], dtype=np.float32))
    out = activations.sigmoid(x)
    if getattr(out, "_logits_kind", None) == "sigmoid":
        assert out._logits is x
    else:
        assert out._logits is None


def test_relu_keras_arguments_match_keras_docstring():
    x = [-10.0, -5.0, 0.0, 5.0, 10.0]
    np.testing.assert_array_equal(activations.relu(x).numpy(), [0, 0, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, negative_slope=0.5).numpy(), [-5, -2.5, 0, 5, 10])
    np.testing.assert_array_equal(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_array_equal(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])
    combined = activations.relu(x, negative_slope=0.5, max_value=8.0, threshold=2.0).numpy()
    # Above the threshold: x capped at 8; below it: 0.5 * (x - threshold).
    np.testing.assert_array_equal(combined, [-6, -3.5, -1, 5, 8])
    assert activations.relu(np.array(x, dtype=np.float32), max_value=6.0).dtype == "float32"


def test_relu_with_arguments_is_differentiable():
    x = numeras.Tensor(np.array([-3.0, 1.0, 4.0, 9.0]), requires_grad=True)
    ops.sum(activations.relu(x, negative_slope=0.1, max_value=6.0, threshold=2.0)).backward()
    np.testing.assert_allclose(x.grad, [0.1, 0.1, 1.0, 0.0])


def test_gelu_default_is_exact_and_approximate_differs():
    x = numeras.Tensor(np.array([1.0], dtype=np.float32))
    exact = activations.gelu(x).numpy()[0]
    approximate = activations.gelu(x, approximate=True).numpy()[0]
    assert exact == pytest.approx(0.8413447, abs=1e-6)
    assert approximate == pytest.approx(0.8411920, abs=1e-6)


def test_elu_alpha_leaky_slope_and_crelu():
    x = np.array([-1.0, 2.0], dtype=np.float32)
    np.testing.assert_allclose(activations.elu(x, alpha=2.0).numpy(), [2 * (np.exp(-1) - 1), 2.0], rtol=1e-6)
    np.testing.assert_allclose(activations.leaky_relu(x, negative_slope=0.5).numpy(), [-0.5, 2.0])
    np.testing.assert_array_equal(activations.crelu(np.array([[-1.0, 2.0]], dtype=np.float32)).numpy(), [[0, 2, 1, 0]])


def test_python_numbers_give_float32():
    assert activations.sigmoid([0.0, 1.0]).dtype == "float32"
    assert activations.relu([1.0, -1.0]).dtype == "float32"


def test_get_names_none_and_callables():
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.get(None) is activations.linear

    def custom(x):
        return x

    assert activations.get(custom) is custom
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh


def test_get_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(ValueError) as info:
        activations.get("relu7")
    message = str(info.value)
    assert "Did you mean" in message and "'relu" in message
    assert "softmax" in message and "sigmoid" in message
    with pytest.raises(ValueError, match="Could not interpret"):
        activations.get(42)


def test_serialize_and_deserialize():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.deserialize("softmax") is activations.softmax
    with pytest.raises(ValueError, match="built-in"):
        activations.serialize(lambda x: x)
    with pytest.raises(ValueError, match="Did you mean 'sigmoid'"):
        activations.deserialize("sigmoud")
