"""Each optimizer's update against Keras 3's formula, recomputed here in float64 NumPy.

The references transcribe keras/src/optimizers/<name>.py (Keras 3) step by step; numeras
computes in float32, so deltas are compared with a float32-sized tolerance relative to the
size of the update. A "tiny gradient" case makes epsilon's placement matter.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import numeras as nm
from numeras import optimizers

SHAPES = [(5, 3), (3,)]


def _gradient_sequence(scale: float, steps: int = 3, seed: int = 0) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[(rng.standard_normal(s) * scale).astype(np.float32) for s in SHAPES] for _ in range(steps)]


def _initial_weights(scale: float, seed: int = 1) -> list[np.ndarray]:
    # Small weights, so float32 resolves updates as small as lr * grad.
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(s) * scale).astype(np.float32) for s in SHAPES]


def _lr32(lr: float) -> float:
    # The optimizer stores a float learning rate in a float32 Variable, as Keras does.
    return float(np.float32(lr))


# -- float64 references, one function per Keras file ------------------------------------------
def ref_sgd(w, grads, lr=0.01, momentum=0.0, nesterov=False):
    lr = _lr32(lr)
    m = np.zeros_like(w)
    for g in grads:
        if momentum == 0:
            w = w - g * lr
            continue
        m = m * momentum - g * lr
        w = w + (m * momentum - g * lr) if nesterov else w + m
    return w


def ref_rmsprop(w, grads, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    lr = _lr32(lr)
    velocity = np.zeros_like(w)
    average = np.zeros_like(w)
    mom = np.zeros_like(w)
    for g in grads:
        velocity = rho * velocity + (1 - rho) * g**2
        if centered:
            average = rho * average + (1 - rho) * g
            denominator = velocity - average**2 + epsilon
        else:
            denominator = velocity + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            mom = momentum * mom + increment
            w = w - mom
        else:
            w = w - increment
    return w


def ref_adagrad(w, grads, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    lr = _lr32(lr)
    accumulator = np.full_like(w, initial_accumulator_value)
    for g in grads:
        accumulator = accumulator + g**2
        w = w - lr * g / np.sqrt(accumulator + epsilon)
    return w


def ref_adam(w, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
    lr = _lr32(lr)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_hat = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if weight_decay is not None:
            w = w - w * weight_decay * lr
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        if amsgrad:
            v_hat = np.maximum(v_hat, v)
            w = w - m * alpha / (np.sqrt(v_hat) + epsilon)
        else:
            w = w - m * alpha / (np.sqrt(v) + epsilon)
    return w


def ref_adamw(w, grads, lr=0.001, weight_decay=0.004, **kwargs):
    return ref_adam(w, grads, lr=lr, weight_decay=weight_decay, **kwargs)


def ref_nadam(w, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    lr = _lr32(lr)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    u_product = 1.0
    for t, g in enumerate(grads, start=1):
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product = u_product * u_t  # Nadam._backend_update_step, once per apply
        u_product_t_1 = u_product * u_t_1
        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        w = w - m_hat * lr / (np.sqrt(v_hat) + epsilon)
    return w


def ref_adamax(w, grads, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    lr = _lr32(lr)
    m = np.zeros_like(w)
    u = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - beta_1)
        u = np.maximum(beta_2 * u, np.abs(g))
        w = w - lr * m / ((1 - beta_1**t) * (u + epsilon))
    return w


def ref_adadelta(w, grads, lr=0.001, rho=0.95, epsilon=1e-7):
    lr = _lr32(lr)
    accumulated_grad = np.zeros_like(w)
    accumulated_delta = np.zeros_like(w)

    def rms(x):
        return np.sqrt(x + epsilon)

    for g in grads:
        accumulated_grad = rho * accumulated_grad + (1 - rho) * g**2
        delta = -(rms(accumulated_delta) * g / rms(accumulated_grad))
        accumulated_delta = rho * accumulated_delta + (1 - rho) * delta**2
        w = w + lr * delta
    return w


CASES = [
    ("SGD", ref_sgd, {}),
    ("SGD", ref_sgd, {"learning_rate": 0.1}),
    ("SGD", ref_sgd, {"learning_rate": 0.1, "momentum": 0.9}),
    ("SGD", ref_sgd, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
    ("RMSprop", ref_rmsprop, {}),
    ("RMSprop", ref_rmsprop, {"learning_rate": 0.01, "rho": 0.8, "epsilon": 1e-6}),
    ("RMSprop", ref_rmsprop, {"learning_rate": 0.01, "momentum": 0.5}),
    ("RMSprop", ref_rmsprop, {"learning_rate": 0.01, "centered": True}),
    ("RMSprop", ref_rmsprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.9}),
    ("Adagrad", ref_adagrad, {}),
    ("Adagrad", ref_adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-5}),
    ("Adam", ref_adam, {}),
    ("Adam", ref_adam, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5}),
    ("Adam", ref_adam, {"learning_rate": 0.02, "amsgrad": True}),
    ("AdamW", ref_adamw, {}),
    ("AdamW", ref_adamw, {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True}),
    ("Nadam", ref_nadam, {}),
    ("Nadam", ref_nadam, {"learning_rate": 0.02, "beta_1": 0.85, "beta_2": 0.99}),
    ("Adamax", ref_adamax, {}),
    ("Adamax", ref_adamax, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.9}),
    ("Adadelta", ref_adadelta, {}),
    ("Adadelta", ref_adadelta, {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
]


def _case_id(case) -> str:
    name, _, kwargs = case
    return name + ("(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")" if kwargs else "()")


def _assert_same_update(after, before, expected, what):
    actual_delta = after.astype(np.float64) - before
    expected_delta = expected - before
    scale = np.abs(expected_delta).max()
    assert scale > 0, f"{what}: the reference did not move the weights"
    # float32 rounding: relative to the update, plus a few ulps of the weights themselves.
    atol = 2e-4 * scale + 8 * np.finfo(np.float32).eps * np.abs(expected).max()
    np.testing.assert_allclose(actual_delta, expected_delta, rtol=2e-4, atol=atol, err_msg=what)


@pytest.mark.parametrize("grad_scale", [1.0, 1e-4], ids=["unit-grads", "tiny-grads"])
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_three_steps_match_keras_formula(case, grad_scale):
    name, reference, kwargs = case
    optimizer = getattr(optimizers, name)(**kwargs)
    weights = _initial_weights(scale=0.01 * grad_scale)
    variables = [nm.Variable(w, name=f"v{i}") for i, w in enumerate(weights)]
    grad_steps = _gradient_sequence(grad_scale)
    for grads in grad_steps:
        optimizer.apply_gradients(zip(grads, variables))
    ref_kwargs = {k: v for k, v in kwargs.items() if k != "learning_rate"}
    if "learning_rate" in kwargs:
        ref_kwargs["lr"] = kwargs["learning_rate"]
    for i, variable in enumerate(variables):
        start = weights[i].astype(np.float64)
        expected = reference(start, [g[i].astype(np.float64) for g in grad_steps], **ref_kwargs)
        assert variable.dtype == "float32"
        _assert_same_update(variable.numpy(), start, expected, f"{_case_id(case)} variable {i}")


def test_rmsprop_keeps_epsilon_inside_the_square_root():
    # With g = 1e-4: v = 0.1 * 1e-8 = 1e-9; Keras: g / sqrt(v + 1e-7) ~= 3.1e-4 * ...,
    # whereas sqrt(v) + eps would give an update ~10x larger.
    variable = nm.Variable(np.zeros(1, np.float32))
    optimizers.RMSprop(learning_rate=1.0).apply([np.full(1, 1e-4, np.float32)], [variable])
    expected = -1e-4 / math.sqrt(1e-9 + 1e-7)
    np.testing.assert_allclose(variable.numpy(), [expected], rtol=1e-5)


def test_rmsprop_docstring_example():
    # keras.optimizers.RMSprop docstring: loss = var**2 / 2 from var = 10 -> 9.683772.
    variable = nm.Variable(10.0)
    optimizers.RMSprop(learning_rate=0.1).apply([variable.numpy().copy()], [variable])
    np.testing.assert_allclose(variable.numpy(), 9.683772, rtol=1e-6)


def test_sgd_momentum_documented_values():
    # tf.keras SGD docstring: loss = var**2 / 2, var = 1.0, lr 0.1, momentum 0.9 -> 0.9, then 0.72.
    variable = nm.Variable(1.0)
    optimizer = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    optimizer.apply([variable.numpy().copy()], [variable])
    np.testing.assert_allclose(variable.numpy(), 0.9, rtol=1e-6)
    optimizer.apply([variable.numpy().copy()], [variable])
    np.testing.assert_allclose(variable.numpy(), 0.72, rtol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "Nadam", "Adadelta"])
def test_float64_variables_are_updated_in_float64(name):
    kwargs = {"learning_rate": 0.05} if name != "Adadelta" else {"learning_rate": 1.0}
    reference = {"SGD": ref_sgd, "RMSprop": ref_rmsprop, "Adam": ref_adam, "Nadam": ref_nadam, "Adadelta": ref_adadelta}[name]
    start = np.linspace(-1, 1, 7)
    variable = nm.Variable(start, dtype="float64")
    grads = [np.cos(np.arange(7.0) + k) for k in range(3)]
    optimizer = getattr(optimizers, name)(**kwargs)
    for g in grads:
        optimizer.apply([g], [variable])
    assert variable.dtype == "float64"
    assert all(slot.dtype in ("float64", "int64", "float32") for slot in optimizer.variables)
    expected = reference(start, grads, lr=kwargs["learning_rate"])
    np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-12, atol=1e-14)
