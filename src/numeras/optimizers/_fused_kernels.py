"""The numba kernels behind ``_fused.kernels()``; importing this module imports numba.

Each kernel walks its arrays as flat vectors and computes in their dtype: the scalars arrive
already cast to it (``usable`` guarantees one float dtype for all arrays), and ``1 - rho`` and
the like are computed by the caller in Python floats, as the NumPy code's weak scalars are.
"""

from __future__ import annotations

import numba

from numeras.backend import xp

# error_model="numpy": no Python-style zero-division checks, so the loops vectorise. No fastmath:
# the results stay those of the written formulas, as the NumPy code computes them.
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")

numba_version = numba.__version__


@_jit
def rmsprop(w, g, v, rho, one_minus_rho, lr, eps):  # pragma: no cover - compiled
    """v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps)."""
    w, g, v = w.reshape(-1), g.reshape(-1), v.reshape(-1)
    for i in range(w.size):
        gi = g[i]
        vi = rho * v[i] + one_minus_rho * (gi * gi)
        v[i] = vi
        w[i] -= lr * gi / xp.sqrt(vi + eps)


@_jit
def adam(w, g, m, v, one_minus_b1, one_minus_b2, alpha, eps):  # pragma: no cover - compiled
    """m += (g - m)(1 - beta_1);  v += (g^2 - v)(1 - beta_2);  w -= alpha m / (sqrt(v) + eps)."""
    w, g, m, v = w.reshape(-1), g.reshape(-1), m.reshape(-1), v.reshape(-1)
    for i in range(w.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * one_minus_b1
        vi = v[i] + (gi * gi - v[i]) * one_minus_b2
        m[i] = mi
        v[i] = vi
        w[i] -= alpha * mi / (xp.sqrt(vi) + eps)
