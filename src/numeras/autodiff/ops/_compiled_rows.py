"""Optional compiled kernels for softmax and softmax cross-entropy over the rows of a matrix.

A classifier's output is small (batch x classes, e.g. 128 x 10), so NumPy spends its time on the
calls, not the arithmetic: softmax is five calls, the cross-entropy's forward and backward about
twelve, each ~1 us. Each kernel here does its whole computation in one call, row by row, with the
formulas of the NumPy code in ``nn.py`` (the sums accumulate in float64, so the last bit may
differ). They are used only where ``nn.py`` checks they apply (C-contiguous float32/float64
matrices, the last axis) and when numba is there (``_accelerated.available()``, switched off by
``NUMERAS_NUMBA=0``); numba is imported and the kernels compiled (then cached on disk) on first use.
"""

from __future__ import annotations

from typing import Any

_kernels: Any = None


def kernels() -> Any:
    """The compiled kernels (compiled, or loaded from numba's cache, on the first call)."""
    global _kernels
    if _kernels is None:
        _kernels = _compile()
    return _kernels


def _compile() -> Any:
    from types import SimpleNamespace

    import numba
    import numpy as np

    # Serial on purpose: OpenBLAS's threads spin after each product and a thread pool loses to them.
    jit = numba.njit(cache=True, nogil=True, error_model="numpy")

    @jit
    def softmax_rows(x, out):  # pragma: no cover - compiled
        """out[i] = exp(x[i] - max(x[i])) / sum(exp(x[i] - max(x[i])))."""
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
    def cross_entropy_rows(x, t, log_p, loss):  # pragma: no cover - compiled
        """log_p[i] = x[i] - max - log(sum(exp(x[i] - max)));  loss[i] = -sum(t[i] * log_p[i])."""
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
    def cross_entropy_grad_rows(log_p, t, g, out):  # pragma: no cover - compiled
        """out[i] = (exp(log_p[i]) * sum(t[i]) - t[i]) * g[i]."""
        n, k = log_p.shape
        for i in range(n):
            t_sum = 0.0
            for j in range(k):
                t_sum += t[i, j]
            for j in range(k):
                out[i, j] = (np.exp(log_p[i, j]) * t_sum - t[i, j]) * g[i]

    return SimpleNamespace(
        softmax_rows=softmax_rows,
        cross_entropy_rows=cross_entropy_rows,
        cross_entropy_grad_rows=cross_entropy_grad_rows,
    )
