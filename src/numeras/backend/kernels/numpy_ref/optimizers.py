"""Optimizer update kernels: each rule in place on the variable and its slots, with ``out=``
ufuncs into the caller's scratch buffers (no temporaries), in the variable's dtype. The scalars
arrive as Python floats (weak scalars: a float32 variable stays float32)."""

from __future__ import annotations

from numeras.backend import xp


def rmsprop_update(
    w, g, velocity, rho, learning_rate, epsilon, denominator, increment,
    average=None, momentum=None, momentum_rate=0.0,
) -> None:
    """v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps).

    Centered (``average`` given): a = rho a + (1 - rho) g and the denominator is sqrt(v - a^2 + eps).
    With ``momentum`` (a buffer, ``momentum_rate`` > 0): m = rate m + increment;  w -= m."""
    xp.multiply(velocity, rho, out=velocity)
    xp.square(g, out=denominator)
    xp.multiply(denominator, 1.0 - rho, out=denominator)
    xp.add(velocity, denominator, out=velocity)
    if average is not None:
        xp.multiply(average, rho, out=average)
        xp.multiply(g, 1.0 - rho, out=denominator)
        xp.add(average, denominator, out=average)
        xp.square(average, out=denominator)
        xp.subtract(velocity, denominator, out=denominator)
        xp.add(denominator, epsilon, out=denominator)
    else:
        xp.add(velocity, epsilon, out=denominator)
    xp.sqrt(denominator, out=denominator)
    xp.multiply(g, learning_rate, out=increment)
    xp.divide(increment, denominator, out=increment)
    if momentum is not None:
        xp.multiply(momentum, momentum_rate, out=momentum)
        xp.add(momentum, increment, out=momentum)
        xp.subtract(w, momentum, out=w)
    else:
        xp.subtract(w, increment, out=w)


def adam_update(w, g, m, v, beta_1, beta_2, alpha, epsilon, scratch, increment, v_hat=None) -> None:
    """m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2);  w -= alpha m / (sqrt(v) + eps).

    ``alpha`` is the bias-corrected step lr sqrt(1 - beta_2^t) / (1 - beta_1^t). AMSGrad
    (``v_hat`` given): v_hat = max(v_hat, v) takes v's place in the denominator."""
    xp.subtract(g, m, out=scratch)
    xp.multiply(scratch, 1.0 - beta_1, out=scratch)
    xp.add(m, scratch, out=m)
    xp.square(g, out=scratch)
    xp.subtract(scratch, v, out=scratch)
    xp.multiply(scratch, 1.0 - beta_2, out=scratch)
    xp.add(v, scratch, out=v)
    if v_hat is not None:
        xp.maximum(v_hat, v, out=v_hat)
        v = v_hat
    xp.sqrt(v, out=scratch)
    xp.add(scratch, epsilon, out=scratch)
    xp.multiply(m, alpha, out=increment)
    xp.divide(increment, scratch, out=increment)
    xp.subtract(w, increment, out=w)
