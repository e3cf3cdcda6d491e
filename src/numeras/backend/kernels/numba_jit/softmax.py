"""Compiled softmax, its gradient and the softmax cross-entropy over the rows of a matrix.

A classifier's output is small (batch x classes, e.g. 128 x 10), so NumPy spends its time on the
calls, not the arithmetic: softmax is five calls, the cross-entropy's forward and backward about
twelve, each ~1 us. Attention's scores are large (32 x 2 x 600 x 600 in the book's Transformer:
92 MB in float32), and there NumPy's passes over memory cost: softmax makes six, its gradient
five. Each kernel here does its whole computation in one call, row by row, so a row is read from
memory once and its later passes run in cache; exp is the vectorised one of ``fast_exp`` (the
sums accumulate in float64, so the last bit may differ). Softmax and its gradient take any
C-contiguous float32/float64 array reduced along its last axis (its rows are the last axis);
anything else goes to the NumPy reference.
"""

from __future__ import annotations

import numba
import numpy as np

from numeras.backend.kernels.numba_jit import compiled_float, jit
from numeras.backend.kernels.numba_jit.fast_exp import exp_inplace
from numeras.backend.kernels.numpy_ref import softmax as reference


def _rows(a, axis: int, *others) -> bool:
    """True for a C-contiguous float32/float64 matrix reduced along its last axis, with ``others``
    of its shape and dtype, C-contiguous."""
    return type(a) is np.ndarray and a.ndim == 2 and _last_axis_rows(a, axis, *others)


def _last_axis_rows(a, axis: int, *others) -> bool:
    """True for a C-contiguous float32/float64 array (2-D or more) reduced along its last axis,
    with ``others`` of its shape and dtype, C-contiguous: it is then a matrix of rows."""
    if not (
        type(a) is np.ndarray and a.ndim >= 2 and axis in (-1, a.ndim - 1) and a.shape[-1]
        and compiled_float(a.dtype) and a.flags.c_contiguous
    ):
        return False
    for other in others:
        if type(other) is not np.ndarray or other.dtype != a.dtype or other.shape != a.shape or not other.flags.c_contiguous:
            return False
    return True


# The row loops' max and sums are reductions, which LLVM vectorises only when it may reorder them
# ("reassoc") and assume no NaN ("nnan": a NaN score still makes its row NaN, through exp and the
# sum). Without these flags the loops ran one element after another: 2.5x NumPy's time.
_reducing_jit = numba.njit(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "nnan", "nsz", "contract"})


@_reducing_jit
def _softmax_rows(x, out):  # pragma: no cover - compiled
    n, k = x.shape
    scratch = np.empty(k, dtype=x.dtype)
    inverse = np.empty(1, dtype=x.dtype)  # 1 / sum in the array's dtype: no float64 products in the row loop
    for i in range(n):
        m = x[i, 0]
        for j in range(1, k):
            m = max(m, x[i, j])
        row = out[i]
        for j in range(k):
            row[j] = x[i, j] - m
        exp_inplace(row, scratch)
        s = 0.0
        for j in range(k):
            s += row[j]
        inverse[0] = 1.0 / s
        scale = inverse[0]  # a local: a load from an array inside the loop might alias the row
        for j in range(k):
            row[j] *= scale


@_reducing_jit
def _softmax_grad_rows(z, g, out):  # pragma: no cover - compiled
    n, k = z.shape
    total = np.empty(1, dtype=z.dtype)  # sum(g * z) in the array's dtype
    for i in range(n):
        s = 0.0
        for j in range(k):
            s += g[i, j] * z[i, j]
        total[0] = s
        shift = total[0]  # a local: a load from an array inside the loop might alias ``out``
        for j in range(k):
            out[i, j] = z[i, j] * (g[i, j] - shift)


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
    if not _last_axis_rows(x, axis):
        return reference.softmax(x, axis)
    z = np.empty_like(x)
    _softmax_rows(x.reshape(-1, x.shape[-1]), z.reshape(-1, x.shape[-1]))
    return z


def softmax_grad(z, g, axis: int):
    if not _last_axis_rows(z, axis, g):
        return reference.softmax_grad(z, g, axis)
    dx = np.empty_like(z)
    _softmax_grad_rows(z.reshape(-1, z.shape[-1]), g.reshape(-1, z.shape[-1]), dx.reshape(-1, z.shape[-1]))
    return dx


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
