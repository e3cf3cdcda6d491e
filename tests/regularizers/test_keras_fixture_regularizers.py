"""The orthogonal regularizer's formula and a layer's activity regularization against Keras
3.15 (tests/regularizers/fixtures/make_fixtures.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from numeras import layers, regularizers
from numeras.autodiff.tape import GradientTape
from numeras.autodiff.tensor import Tensor

EXPECTED = np.load(os.path.join(os.path.dirname(__file__), "fixtures", "expected.npz"))


@pytest.mark.parametrize("key", ["plain", "zero_row"])
@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_value_and_gradient_match_keras(key, mode):
    x = Tensor(EXPECTED[f"orthogonal/{key}/x"])
    regularizer = regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    with GradientTape() as tape:
        tape.watch(x)
        value = regularizer(x)
    np.testing.assert_allclose(value.numpy(), EXPECTED[f"orthogonal/{key}/{mode}/value"], rtol=1e-5, atol=1e-7)
    grad = tape.gradient(value, x).numpy()
    keras_grad = EXPECTED[f"orthogonal/{key}/{mode}/grad"]
    # Keras's gradient through the zero row's norm is NaN; numeras keeps it finite and agrees
    # wherever Keras's is a number.
    finite = np.isfinite(keras_grad)
    assert np.isfinite(grad).all()
    np.testing.assert_allclose(grad[finite], keras_grad[finite], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("batch", [4, 1])
def test_activity_regularizer_is_divided_by_the_batch_size_as_keras_does(batch):
    layer = layers.Dense(2, activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.02))
    layer.build((None, 3))
    layer.set_weights([EXPECTED["activity/kernel"], EXPECTED["activity/bias"]])
    output = layer(EXPECTED[f"activity/{batch}/x"])
    np.testing.assert_allclose(output.numpy(), EXPECTED[f"activity/{batch}/output"], rtol=1e-5, atol=1e-6)
    losses = [float(np.asarray(loss.numpy() if hasattr(loss, "numpy") else loss)) for loss in layer.losses]
    np.testing.assert_allclose(losses, EXPECTED[f"activity/{batch}/losses"], rtol=1e-5, atol=1e-7)


def test_activity_regularization_loss_of_an_empty_batch_is_zero():
    value = regularizers.activity_regularization_loss(regularizers.L2(0.1), Tensor(np.zeros((0, 3), "float32")))
    assert float(value.numpy()) == 0.0
