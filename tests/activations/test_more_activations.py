"""Keras 3's activations numeras gained (celu, glu, hard_tanh, hard_shrink, soft_shrink,
tanh_shrink, threshold, log_sigmoid, sparse_plus, sparse_sigmoid, squareplus, sparsemax) and
the rest of ``keras.activations``: every Keras name resolves, values and gradients on a grid with
every kink on it match Keras 3.15.1 (tests/layers/fixtures/more_layers_*, JAX backend),
serialization by name, float64 gradchecks away from the kinks."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import numeras
from numeras import activations, layers
from numeras.autodiff import GradientTape, Tensor
from numeras.testing import gradcheck

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "layers", "fixtures")
with open(os.path.join(FIXTURES, "more_layers_cases.json"), encoding="utf-8") as _f:
    FIXTURE = json.load(_f)
EXPECTED = np.load(os.path.join(FIXTURES, "more_layers_expected.npz"))
CASES = FIXTURE["activations"]

NEW = (
    "celu", "glu", "hard_shrink", "hard_tanh", "log_sigmoid", "soft_shrink", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "tanh_shrink", "threshold",
)


def test_every_keras_activation_name_resolves_and_serializes_to_itself():
    for name in FIXTURE["activation_names"]:
        fn = activations.get(name)
        assert callable(fn)
        canonical = {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)
        assert activations.serialize(fn) == canonical
        assert activations.deserialize(activations.serialize(fn)) is fn
        assert activations.deserialize({"class_name": "function", "config": canonical}) is fn
    for name in NEW:
        assert getattr(activations, name) is activations.get(name)


# Kinks where the gradient is a convention and numeras's differs from JAX's: numeras's clip passes
# the whole gradient at its bounds (as TensorFlow's clip_by_value), JAX's passes half (min/max ties)
# or none (relu6). Everywhere else, kinks included, the gradients agree.
CLIP_BOUNDS = {
    "activation_hard_sigmoid": (-3.0, 3.0),
    "activation_hard_silu": (-3.0, 3.0),
    "activation_hard_swish": (-3.0, 3.0),
    "activation_relu6": (0.0, 6.0),
    "activation_sparse_sigmoid": (-1.0, 1.0),
    "activation_relu_options": (4.0,),
}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_values_and_gradients_match_keras(case):
    key = case["id"]
    fn = activations.get(case["name"])
    x = Tensor(EXPECTED[f"{key}/x"])
    with GradientTape() as tape:
        tape.watch(x)
        y = fn(x, **case["kwargs"])
        objective = numeras.ops.sum(y * EXPECTED[f"{key}/cotangent"])
    assert y.dtype == "float32"
    np.testing.assert_allclose(y.numpy(), EXPECTED[f"{key}/y"], rtol=2e-6, atol=2e-6)
    grad, expected = tape.gradient(objective, x).numpy(), EXPECTED[f"{key}/dx"]
    compared = ~np.isin(x.numpy(), CLIP_BOUNDS.get(key, ()))
    assert compared.sum() >= x.numpy().size - 2
    np.testing.assert_allclose(grad[compared], expected[compared], rtol=2e-5, atol=1e-5)


def _away_from(points, kinks, margin=0.05):
    points = np.asarray(points, dtype=np.float64)
    for kink in kinks:
        points = points[np.abs(points - kink) > margin]
    return points


GRADCHECKED = {
    "celu": ({"alpha": 0.6}, ()),
    "hard_tanh": ({}, (-1.0, 1.0)),
    "hard_shrink": ({"threshold": 0.7}, (-0.7, 0.7)),
    "soft_shrink": ({"threshold": 0.7}, (-0.7, 0.7)),
    "tanh_shrink": ({}, ()),
    "threshold": ({"threshold": 0.3, "default_value": -1.5}, (0.3,)),
    "log_sigmoid": ({}, ()),
    "sparse_plus": ({}, (-1.0, 1.0)),
    "sparse_sigmoid": ({}, (-1.0, 1.0)),
    "squareplus": ({"b": 2.0}, ()),
    "elu": ({"alpha": 0.8}, (0.0,)),
}


@pytest.mark.parametrize("name", sorted(GRADCHECKED))
def test_elementwise_gradcheck_float64(name):
    kwargs, kinks = GRADCHECKED[name]
    x = _away_from(np.linspace(-4.1, 4.3, 43), kinks)
    fn = activations.get(name)
    assert gradcheck(lambda v: fn(v, **kwargs), x)
    assert fn(x.astype("float32"), **kwargs).dtype == "float32"


@pytest.mark.parametrize("axis", [-1, 0])
def test_glu_gradcheck_and_halves(axis):
    x = np.random.default_rng(1).normal(size=(4, 6))
    assert gradcheck(lambda v: activations.glu(v, axis=axis), x)
    a, b = np.split(x, 2, axis=axis)
    np.testing.assert_allclose(activations.glu(x, axis=axis).numpy(), a / (1 + np.exp(-b)))
    with pytest.raises(ValueError, match="even"):
        activations.glu(np.zeros((2, 3)))


def _sparsemax_reference(z):
    """Martins and Astudillo (2016), Algorithm 1, one row at a time."""
    out = np.empty_like(z)
    for i, row in enumerate(z):
        ordered = np.sort(row)[::-1]
        sums = np.cumsum(ordered)
        k = np.arange(1, len(row) + 1)
        support = k[1 + k * ordered > sums].max()
        tau = (sums[support - 1] - 1) / support
        out[i] = np.maximum(row - tau, 0)
    return out


def test_sparsemax_is_the_simplex_projection():
    z = np.random.default_rng(2).normal(size=(20, 7)) * 0.7
    out = activations.sparsemax(z).numpy()
    np.testing.assert_allclose(out, _sparsemax_reference(z), atol=1e-12)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0)
    assert (out >= 0).all() and (out == 0).any() and ((out > 0).sum(axis=-1) > 1).any()
    np.testing.assert_allclose(activations.sparsemax(z.T, axis=0).numpy(), out.T)
    # Keras 3.15.1 agrees only where the support is a single entry (the fixture's rows): for larger
    # supports its tau sums the running sums instead of taking the k-th one, so its rows can sum to
    # 0 (keras.activations.sparsemax([[1, 1.2, 0]]) is [[0, 0, 0]]); numeras keeps the definition.
    np.testing.assert_allclose(activations.sparsemax(np.array([[1.0, 1.2, 0.0]])).numpy(), [[0.4, 0.6, 0.0]])


def test_activation_layer_and_dense_accept_the_new_names():
    x = np.linspace(-2, 2, 12, dtype="float32").reshape(2, 6)
    for name in NEW:
        if name == "threshold":
            continue  # needs arguments
        out = layers.Activation(name)(x)
        expected = activations.get(name)(x)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        config = layers.Dense(4, activation=name).get_config()
        assert config["activation"] == name
        assert layers.Dense.from_config(config).activation is activations.get(name)


def test_unknown_activation_name_lists_the_new_ones():
    with pytest.raises(ValueError, match="squareplus"):
        activations.get("squareplux")
