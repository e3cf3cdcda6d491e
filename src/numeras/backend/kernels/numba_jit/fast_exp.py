"""A vectorised exp for the compiled kernels: ``exp_inplace(values, scratch)`` sets a 1-D contiguous
``values`` to its exp (``scratch``: a work array of at least its size).

numba has no vectorised exp: libm's scalar expf costs several nanoseconds an entry. For float32
this is a Cephes-style polynomial exp (range reduction, degree-6 polynomial, exponent bits added
as integers) that LLVM vectorises, ~0.5 ns an entry and within 1 ulp; for float64 (gradient
checks) NumPy's exp entry by entry. Below -87 the result is 0 (NumPy's would be a subnormal under
1.6e-38, or 0 below -104); above 88 it stays exp(88) ~ 1.65e38 (NumPy's: inf past 88.7). The recurrent kernels' activations and the
softmax kernels use it.
"""

from __future__ import annotations

import numpy as np
from numba import types
from numba.extending import overload


def exp_inplace(values, scratch):
    """values[:] = exp(values) for 1-D contiguous arrays; ``scratch`` is a work array of their size."""
    np.exp(values, out=values)


@overload(exp_inplace, jit_options={"nogil": True})
def _exp_inplace_compiled(values, scratch):  # pragma: no cover - compiled
    if values.dtype == types.float32:

        def exp_float32(values, scratch):
            # exp(v) = 2^k * exp(r), k = round(v / ln 2), r = v - k ln 2 (ln 2 in two parts, Cephes's
            # expf); 2^k is built in ``scratch`` from its exponent bits. v is clamped to [-87, 88],
            # where exp stays a normal float32.
            bits = scratch.view(np.int32)
            for j in range(values.size):
                raw = values[j]
                v = min(max(raw, np.float32(-87.0)), np.float32(88.0))
                k = np.floor(v * np.float32(1.44269504) + np.float32(0.5))
                r = v - k * np.float32(0.693359375) + k * np.float32(2.12194440e-4)
                p = np.float32(1.9875691500e-4)
                p = p * r + np.float32(1.3981999507e-3)
                p = p * r + np.float32(8.3334519073e-3)
                p = p * r + np.float32(4.1665795894e-2)
                p = p * r + np.float32(1.6666665459e-1)
                p = p * r + np.float32(5.0000001201e-1)
                values[j] = p * r * r + r + np.float32(1.0)
                # Below -87 the exact exp is under float32's smallest normal: 0 (bits 0 are +0.0),
                # as a softmax of far-apart logits gives exactly 0 in NumPy.
                bits[j] = np.int32(0) if raw < np.float32(-87.0) else (np.int32(k) + np.int32(127)) << np.int32(23)
            for j in range(values.size):
                values[j] *= scratch[j]

        return exp_float32

    def exp_any(values, scratch):
        for j in range(values.size):
            values[j] = np.exp(values[j])

    return exp_any
