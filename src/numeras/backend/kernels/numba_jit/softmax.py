"""Compiled softmax and softmax cross-entropy over the rows of a matrix.

A classifier's output is small (batch x classes, e.g. 128 x 10), so NumPy spends its time on the
calls, not the arithmetic: softmax is five calls, the cross-entropy's forward and backward about
twelve, each ~1 us. Each kernel here does its whole computation in one call, row by row (the sums
accumulate in float64, so the last bit may differ). Anything other than a C-contiguous
float32/float64 matrix reduced along its last axis goes to the NumPy reference.
"""

from __future__ import annotations

import numpy as np

from numeras.backend.kernels.numba_jit import compiled_float, jit
from numeras.backend.kernels.numpy_ref import softmax as reference


def _rows(a, axis: int, *others) -> bool:
    """True for a C-contiguous float32/float64 matrix reduced along its last axis, with ``others``
    of its shape and dtype, C-contiguous."""
    if not (
        type(a) is np.ndarray and a.ndim == 2 and axis in (1, -1) and a.shape[1]
        and compiled_float(a.dtype) and a.flags.c_contiguous
    ):
        return False
    for other in others:
        if type(other) is not np.ndarray or other.dtype != a.dtype or other.shape != a.shape or not other.flags.c_contiguous:
            return False
    return True


@jit
def _softmax_rows(x, out):  # pragma: no cover - compiled
    n, k = x.shape
    for i in range(n):
        m = x[i, 0]
        for j in range(1, k):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(k):
            e = np.exp(x[i, j] - m)
            out[i, j] = e
            s += e
        for j in range(k):
            out[i, j] = out[i, j] / s


@jit
def _cross_entropy_rows(x, t, log_p, loss):  # pragma: no cover - compiled
    n, k = x.shape
    for i in range(n):
        m = x[i, 0]
        for j in range(1, k):
            if x[i, j] > m:
                m = x[i, j]
        s = 0.0
        for j in range(k):
            s += np.exp(x[i, j] - m)
        shift = m + np.log(s)
        total = 0.0
        for j in range(k):
            v = x[i, j] - shift
            log_p[i, j] = v
            total += t[i, j] * log_p[i, j]
        loss[i] = -total


@jit
def _cross_entropy_grad_rows(log_p, t, g, out):  # pragma: no cover - compiled
    n, k = log_p.shape
    for i in range(n):
        t_sum = 0.0
        for j in range(k):
            t_sum += t[i, j]
        for j in range(k):
            out[i, j] = (np.exp(log_p[i, j]) * t_sum - t[i, j]) * g[i]


def softmax(x, axis: int):
    if not _rows(x, axis):
        return reference.softmax(x, axis)
    z = np.empty_like(x)
    _softmax_rows(x, z)
    return z


def softmax_cross_entropy(x, t, axis: int):
    if not _rows(x, axis, t):
        return reference.softmax_cross_entropy(x, t, axis)
    log_p = np.empty_like(t)
    loss = np.empty(t.shape[0], dtype=t.dtype)
    _cross_entropy_rows(x, t, log_p, loss)
    return log_p, loss


def softmax_cross_entropy_grad(log_p, t, g, axis: int):
    if not (_rows(log_p, axis, t) and g.dtype == t.dtype and g.shape == t.shape[:1]):
        return reference.softmax_cross_entropy_grad(log_p, t, g, axis)
    dlogits = np.empty_like(t)
    _cross_entropy_grad_rows(log_p, t, np.ascontiguousarray(g), dlogits)
    return dlogits
