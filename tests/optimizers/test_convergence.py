"""Sanity: every optimizer minimises an ill-conditioned quadratic."""

from __future__ import annotations

import numpy as np
import pytest

import numeras as nm
from numeras import optimizers

CURVATURE = np.array([[1.0, 3.0], [0.5, 2.0]], np.float32)
TARGET = np.array([[1.5, -2.0], [0.5, 3.0]], np.float32)

SETTINGS = {
    "SGD": {"learning_rate": 0.2},
    "SGD-momentum": {"learning_rate": 0.05, "momentum": 0.9},
    "SGD-nesterov": {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    "RMSprop": {"learning_rate": 0.01},
    "RMSprop-centered-momentum": {"learning_rate": 0.005, "centered": True, "momentum": 0.5},
    "Adagrad": {"learning_rate": 0.5},
    "Adam": {"learning_rate": 0.05},
    "Adam-amsgrad": {"learning_rate": 0.05, "amsgrad": True},
    "AdamW": {"learning_rate": 0.05, "weight_decay": 0.0001},
    "Nadam": {"learning_rate": 0.05},
    "Adamax": {"learning_rate": 0.1},
    "Adadelta": {"learning_rate": 20.0, "rho": 0.9},
}


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_minimises_a_quadratic(setting):
    # f(w) = 0.5 * sum(a * (w - c)**2): gradient a * (w - c), minimum at c.
    optimizer = getattr(optimizers, setting.split("-")[0])(**SETTINGS[setting])
    w = nm.Variable(np.zeros((2, 2), np.float32))
    grad = np.empty_like(w.numpy())
    for _ in range(600):
        np.multiply(CURVATURE, w.numpy() - TARGET, out=grad)
        optimizer.apply_gradients([(grad, w)])
    assert w.dtype == "float32"
    np.testing.assert_allclose(w.numpy(), TARGET, atol=0.05, err_msg=setting)


def test_training_through_the_tape_converges():
    w = nm.Variable(np.zeros(3, np.float32))
    target = np.array([1.0, -1.0, 0.5], np.float32)
    optimizer = optimizers.RMSprop(learning_rate=0.02)
    for _ in range(300):
        with nm.GradientTape() as tape:
            loss = nm.ops.sum(nm.ops.square(w - target))
        grads = tape.gradient(loss, [w])
        optimizer.apply_gradients(zip(grads, [w]))
    np.testing.assert_allclose(w.numpy(), target, atol=0.03)
