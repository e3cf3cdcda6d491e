"""Compiled recurrent kernels: the same functions, arguments and results as
``numpy_ref/recurrent.py`` (read its module docstring for the array conventions).

Each forward and each backward is one compiled call looping over time, batch rows and units, so a
sequence of 500 steps costs one call instead of thousands of small NumPy operations. The small
recurrent products (one row of h times the (U, G*U) recurrent kernel, which stays in L1 cache) are
written as loops whose innermost index runs along contiguous memory, so they vectorise without
reassociating sums; the backward multiplies by a transposed copy of the kernel for the same reason.
Work arrays are allocated once per call, never per step; a masked step of a row is skipped.
Everything stays in the arrays' own dtype (float32 in training, float64 in gradient checks).
Optional arguments (``step_mask``, ``recurrent_mask``, ``recurrent_bias``, ``dhs`` rows) that are
None are compiled out: numba specialises on None.
"""

from __future__ import annotations

import numba
import numpy as np

# Serial on purpose: the ops call OpenBLAS around these kernels, whose threads keep spinning after
# each product; a numba thread pool would fight them for the machine's cores.
_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def _sigmoid(z):  # pragma: no cover - compiled
    """1 / (1 + e^-z): exp in the array's dtype (expf for float32, ~4 ns; e^-z = inf gives 0)."""
    return 1.0 / (1.0 + np.exp(-z))


@_jit
def _tanh(z):  # pragma: no cover - compiled
    """tanh through one float64 exp: ~10 ns against ~28 ns for libm's scalar tanhf, and accurate to
    float32 rounding (numba has no vectorised tanh without Intel's SVML)."""
    e = np.exp(-2.0 * abs(np.float64(z)))
    t = (1.0 - e) / (1.0 + e)
    return t if z >= 0 else -t


@_jit
def _row_times_kernel(h_row, kernel, mask, gate_lo, gate_hi, units, out):  # pragma: no cover - compiled
    """out[j] += sum_k h_row[k] * mask[g, k] * kernel[k, j] for the columns of gate blocks
    gate_lo..gate_hi-1 (``mask`` a (G, U) row of the recurrent dropout mask, or None)."""
    for g in range(gate_lo, gate_hi):
        lo = g * units
        for k in range(units):
            hk = h_row[k]
            if mask is not None:
                hk = hk * mask[g, k]
            if hk != 0:
                for j in range(lo, lo + units):
                    out[j] += hk * kernel[k, j]


@_jit
def _row_times_transpose(dz_row, kernel_t, mask, gate_lo, gate_hi, units, out):  # pragma: no cover - compiled
    """out[k] += sum_g mask[g, k] * sum_{j in block g} dz_row[j] * kernel_t[j, k]."""
    for g in range(gate_lo, gate_hi):
        lo = g * units
        if mask is None:
            for j in range(lo, lo + units):
                d = dz_row[j]
                if d != 0:
                    for k in range(units):
                        out[k] += d * kernel_t[j, k]
        else:
            for j in range(lo, lo + units):
                d = dz_row[j]
                if d != 0:
                    for k in range(units):
                        out[k] += d * kernel_t[j, k] * mask[g, k]


@_jit
def simple_rnn_forward(proj, recurrent_kernel, h0, step_mask, recurrent_mask, hs):  # pragma: no cover - compiled
    steps, batch, units = proj.shape
    z = np.empty(units, dtype=proj.dtype)
    hs[0] = h0
    for t in range(steps):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                hs[t + 1, b] = hs[t, b]
                continue
            z[:] = proj[t, b]
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            _row_times_kernel(hs[t, b], recurrent_kernel, mask, 0, 1, units, z)
            for u in range(units):
                hs[t + 1, b, u] = _tanh(z[u])


@_jit
def simple_rnn_backward(dhs, recurrent_kernel, hs, step_mask, recurrent_mask, dproj, dh0):  # pragma: no cover - compiled
    steps, batch, units = dproj.shape
    kernel_t = np.ascontiguousarray(recurrent_kernel.T)
    carry = np.zeros((batch, units), dtype=dproj.dtype)
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                for u in range(units):
                    carry[b, u] += dhs[t + 1, b, u]
                    dproj[t, b, u] = 0
                continue
            for u in range(units):
                h = hs[t + 1, b, u]
                dproj[t, b, u] = (carry[b, u] + dhs[t + 1, b, u]) * (1 - h * h)
                carry[b, u] = 0
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            _row_times_transpose(dproj[t, b], kernel_t, mask, 0, 1, units, carry[b])
    for b in range(batch):
        for u in range(units):
            dh0[b, u] = carry[b, u] + dhs[0, b, u]


@_jit
def lstm_forward(proj, recurrent_kernel, h0, c0, step_mask, recurrent_mask, hs, cs, gates):  # pragma: no cover - compiled
    steps, batch, width = proj.shape
    units = width // 4
    z = np.empty(width, dtype=proj.dtype)
    hs[0] = h0
    cs[0] = c0
    for t in range(steps):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                hs[t + 1, b] = hs[t, b]
                cs[t + 1, b] = cs[t, b]
                continue
            z[:] = proj[t, b]
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            _row_times_kernel(hs[t, b], recurrent_kernel, mask, 0, 4, units, z)
            a = gates[t, b]
            for u in range(units):
                i = _sigmoid(z[u])
                f = _sigmoid(z[units + u])
                g = _tanh(z[2 * units + u])
                o = _sigmoid(z[3 * units + u])
                a[u] = i
                a[units + u] = f
                a[2 * units + u] = g
                a[3 * units + u] = o
                c = f * cs[t, b, u] + i * g
                cs[t + 1, b, u] = c
                hs[t + 1, b, u] = o * _tanh(c)


@_jit
def lstm_backward(dhs, dc_last, recurrent_kernel, hs, cs, gates, step_mask, recurrent_mask, dproj, dh0, dc0):  # pragma: no cover - compiled
    steps, batch, width = dproj.shape
    units = width // 4
    kernel_t = np.ascontiguousarray(recurrent_kernel.T)
    dh_carry = np.zeros((batch, units), dtype=dproj.dtype)
    dc_carry = dc_last.copy()
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                for u in range(units):
                    dh_carry[b, u] += dhs[t + 1, b, u]
                for j in range(width):
                    dproj[t, b, j] = 0
                continue
            a = gates[t, b]
            dz = dproj[t, b]
            for u in range(units):
                i = a[u]
                f = a[units + u]
                g = a[2 * units + u]
                o = a[3 * units + u]
                dh = dh_carry[b, u] + dhs[t + 1, b, u]
                tanh_c = _tanh(cs[t + 1, b, u])
                dc = dc_carry[b, u] + dh * o * (1 - tanh_c * tanh_c)
                dz[u] = dc * g * i * (1 - i)
                dz[units + u] = dc * cs[t, b, u] * f * (1 - f)
                dz[2 * units + u] = dc * i * (1 - g * g)
                dz[3 * units + u] = dh * tanh_c * o * (1 - o)
                dc_carry[b, u] = dc * f
                dh_carry[b, u] = 0
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            _row_times_transpose(dz, kernel_t, mask, 0, 4, units, dh_carry[b])
    for b in range(batch):
        for u in range(units):
            dh0[b, u] = dh_carry[b, u] + dhs[0, b, u]
            dc0[b, u] = dc_carry[b, u]


@_jit
def gru_forward(proj, recurrent_kernel, recurrent_bias, h0, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent):  # pragma: no cover - compiled
    steps, batch, width = proj.shape
    units = width // 3
    inner = np.empty(width, dtype=proj.dtype)
    reset_h = np.empty(units, dtype=proj.dtype)
    hs[0] = h0
    for t in range(steps):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                hs[t + 1, b] = hs[t, b]
                continue
            h_prev = hs[t, b]
            a = gates[t, b]
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            if recurrent_bias is not None:
                inner[:] = recurrent_bias
            else:
                inner[:] = 0
            if reset_after:
                _row_times_kernel(h_prev, recurrent_kernel, mask, 0, 3, units, inner)
                for u in range(units):
                    z = _sigmoid(proj[t, b, u] + inner[u])
                    r = _sigmoid(proj[t, b, units + u] + inner[units + u])
                    hh = _tanh(proj[t, b, 2 * units + u] + r * inner[2 * units + u])
                    candidate_recurrent[t, b, u] = inner[2 * units + u]
                    a[u] = z
                    a[units + u] = r
                    a[2 * units + u] = hh
                    hs[t + 1, b, u] = z * h_prev[u] + (1 - z) * hh
            else:
                _row_times_kernel(h_prev, recurrent_kernel, mask, 0, 2, units, inner)
                for u in range(units):
                    a[u] = _sigmoid(proj[t, b, u] + inner[u])
                    r = _sigmoid(proj[t, b, units + u] + inner[units + u])
                    a[units + u] = r
                    rh = r * h_prev[u]
                    if recurrent_mask is not None:
                        rh = rh * recurrent_mask[2, b, u]
                    reset_h[u] = rh
                    candidate_recurrent[t, b, u] = rh
                    inner[2 * units + u] = proj[t, b, 2 * units + u]
                for k in range(units):
                    rk = reset_h[k]
                    for j in range(2 * units, 3 * units):
                        inner[j] += rk * recurrent_kernel[k, j]
                for u in range(units):
                    z = a[u]
                    hh = _tanh(inner[2 * units + u])
                    a[2 * units + u] = hh
                    hs[t + 1, b, u] = z * h_prev[u] + (1 - z) * hh


@_jit
def gru_backward(dhs, recurrent_kernel, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, dproj, d_candidate, dh0):  # pragma: no cover - compiled
    steps, batch, width = dproj.shape
    units = width // 3
    kernel_t = np.ascontiguousarray(recurrent_kernel.T)
    carry = np.zeros((batch, units), dtype=dproj.dtype)
    dh = np.empty(units, dtype=dproj.dtype)
    rec = np.empty(width, dtype=dproj.dtype)
    d_reset_h = np.empty(units, dtype=dproj.dtype)
    for t in range(steps - 1, -1, -1):
        for b in range(batch):
            if step_mask is not None and not step_mask[t, b]:
                for u in range(units):
                    carry[b, u] += dhs[t + 1, b, u]
                for j in range(width):
                    dproj[t, b, j] = 0
                if d_candidate is not None:
                    for u in range(units):
                        d_candidate[t, b, u] = 0
                continue
            a = gates[t, b]
            dz = dproj[t, b]
            h_prev = hs[t, b]
            mask = None if recurrent_mask is None else recurrent_mask[:, b]
            for u in range(units):
                dh[u] = carry[b, u] + dhs[t + 1, b, u]
                z = a[u]
                hh = a[2 * units + u]
                dz[u] = dh[u] * (h_prev[u] - hh) * z * (1 - z)
                dz[2 * units + u] = dh[u] * (1 - z) * (1 - hh * hh)
                carry[b, u] = dh[u] * z
            if reset_after:
                for u in range(units):
                    r = a[units + u]
                    dah = dz[2 * units + u]
                    dz[units + u] = dah * candidate_recurrent[t, b, u] * r * (1 - r)
                    if d_candidate is not None:
                        d_candidate[t, b, u] = dah * r
                    rec[u] = dz[u]
                    rec[units + u] = dz[units + u]
                    rec[2 * units + u] = dah * r
                _row_times_transpose(rec, kernel_t, mask, 0, 3, units, carry[b])
            else:
                d_reset_h[:] = 0
                for j in range(2 * units, 3 * units):
                    d = dz[j]
                    if d != 0:
                        for k in range(units):
                            d_reset_h[k] += d * kernel_t[j, k]
                for u in range(units):
                    r = a[units + u]
                    masked_h = h_prev[u]
                    through = d_reset_h[u] * r
                    if recurrent_mask is not None:
                        masked_h = masked_h * recurrent_mask[2, b, u]
                        through = through * recurrent_mask[2, b, u]
                    dz[units + u] = d_reset_h[u] * masked_h * r * (1 - r)
                    carry[b, u] += through
                _row_times_transpose(dz, kernel_t, mask, 0, 2, units, carry[b])
    for b in range(batch):
        for u in range(units):
            dh0[b, u] = carry[b, u] + dhs[0, b, u]
