"""Compiled recurrent kernels: the same functions, arguments and results as
``numpy_ref/recurrent.py`` (read its module docstring for the array conventions).

Each forward and each backward is one compiled call looping over time, batch rows and units, so a
sequence of 500 steps costs one call instead of thousands of small NumPy operations. The small
recurrent products (128 x 32 times the (32, G*32) recurrent kernel, which stays in L1 cache) are
loops whose innermost index runs along contiguous memory, two batch rows and four terms a pass
(``_product``), so they vectorise; the backward multiplies by a transposed copy of the kernel for
the same reason. Work arrays are allocated once per call, never per step; a masked step of a row
is skipped.

Batch rows never interact in a recurrence, so each kernel is written for a range of rows
(``_<kernel>_rows(lo, hi, ...)``, the whole time loop) and the public kernel runs it either on
all rows on the calling thread or on one chunk of rows per numba thread (``numba.prange``; the
threads meet once per call, not once per step). ``_ThreadChoice`` picks between the two by timing
calls: two threads can halve a kernel when two cores are free and lose when the machine is busy.

numba has no vectorised exp or tanh (libm's scalar tanhf alone cost three times the rest of an
LSTM step), so each step gathers the arguments of its activations in a block and exponentiates the
block at once with ``_exp_inplace``: for float32 a Cephes-style polynomial exp (range reduction,
degree-6 polynomial, exponent bits added as integers) that LLVM vectorises, ~0.5 ns an entry and
within 1 ulp; for float64 (gradient checks) NumPy's exp entry by entry. From e = exp(-z):
sigmoid(z) = 1 / (1 + e); from e = exp(-2|z|): tanh(z) = sign(z) (1 - e) / (1 + e).
Everything stays in the arrays' own dtype (float32 in training, float64 in gradient checks).
Optional arguments (``step_mask``, ``recurrent_mask``, ``recurrent_bias``, ``d_candidate``) that are
None are compiled out: numba specialises on None.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np

from numeras.backend import split_products
from numeras.backend.kernels.numba_jit.fast_exp import exp_inplace as _exp_inplace

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")
# The public kernels split the batch rows into one chunk per numba thread (numba.prange): rows
# never interact in a recurrence, so each chunk runs the whole time loop alone and the threads
# meet once per call, not once per step. The ops keep NumPy's BLAS on one thread meanwhile
# (autodiff/ops/recurrent.py), so no spinning OpenBLAS thread competes with these.
_parallel_jit = numba.njit(cache=True, nogil=True, error_model="numpy", parallel=True)
# numba runs these on OpenMP threads (its "omp" threading layer, libgomp), which by default spin
# for a while after each kernel waiting for the next, on the cores that the products following a
# kernel (split over threads by backend/split_products.py) need. Passive threads sleep at once; a
# kernel then pays one wake-up (~tens of us) per call. IMDB LSTM training step, 2-core machine:
# 64 ms (spinning, products split) -> 53 ms (passive). libgomp reads the variable when it loads,
# at numba's first parallel kernel; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

_MIN_CHUNK_ROWS = 16
"""Fewer batch rows than this per thread are not worth a thread's start-up and cache traffic."""

_ONE = np.float32(1.0)  # float32 constants keep float32 arithmetic float32 and are exact in float64
_TWO = np.float32(2.0)


@_jit
def _exp_rows(block, scratch, lo, hi):  # pragma: no cover - compiled
    """exp of rows ``lo:hi`` of a C-contiguous 2-D ``block`` in place (``scratch``: at least as
    many entries)."""
    width = block.shape[1]
    _exp_inplace(block.reshape(block.size)[lo * width : hi * width], scratch[: (hi - lo) * width])


@_jit
def _tanh_from(z, e):  # pragma: no cover - compiled
    """tanh(z) given e = exp(-2|z|)."""
    t = (_ONE - e) / (_ONE + e)
    return t if z >= 0 else -t


@_jit
def _product(left, scale, right, out, lo, hi, offset):  # pragma: no cover - compiled
    """out[lo:hi] = (left[:, offset:offset + K] * scale)[lo:hi] @ right for small C-contiguous 2-D
    arrays, K = len(right) (the per-step recurrent products of one chunk of batch rows; ``scale``
    (B, K) is a recurrent dropout mask, or None).

    Two rows of ``left`` and four of ``right`` at a time: each pass over an output row adds four
    products, so the loads and stores of ``out`` (the bottleneck of a one-product-per-pass loop)
    are a quarter as many, and each loaded entry of ``right`` serves two rows. The innermost loop
    runs along whole rows of ``right`` and ``out`` from index 0 and vectorises (~2.5x the one-term
    loop at 128 x 32 x 128 on the project's machine, AVX-512); a loop over part of a row starting
    at a variable column does not (numba's negative-index check stays in it: ~6x slower), which
    is why the dropout paths below multiply whole gate blocks held in arrays of their own."""
    inner = right.shape[0]
    width = out.shape[1]
    paired = hi - (hi - lo) % 2
    grouped = inner - inner % 4
    for b in range(lo, paired, 2):
        for j in range(width):
            out[b, j] = 0
            out[b + 1, j] = 0
        for k in range(0, grouped, 4):
            i = offset + k
            a0, a1, a2, a3 = left[b, i], left[b, i + 1], left[b, i + 2], left[b, i + 3]
            c0, c1, c2, c3 = left[b + 1, i], left[b + 1, i + 1], left[b + 1, i + 2], left[b + 1, i + 3]
            if scale is not None:
                a0, a1, a2, a3 = a0 * scale[b, k], a1 * scale[b, k + 1], a2 * scale[b, k + 2], a3 * scale[b, k + 3]
                c0, c1 = c0 * scale[b + 1, k], c1 * scale[b + 1, k + 1]
                c2, c3 = c2 * scale[b + 1, k + 2], c3 * scale[b + 1, k + 3]
            for j in range(width):
                r0, r1, r2, r3 = right[k, j], right[k + 1, j], right[k + 2, j], right[k + 3, j]
                out[b, j] += a0 * r0 + a1 * r1 + a2 * r2 + a3 * r3
                out[b + 1, j] += c0 * r0 + c1 * r1 + c2 * r2 + c3 * r3
        for k in range(grouped, inner):
            a0, c0 = left[b, offset + k], left[b + 1, offset + k]
            if scale is not None:
                a0, c0 = a0 * scale[b, k], c0 * scale[b + 1, k]
            for j in range(width):
                out[b, j] += a0 * right[k, j]
                out[b + 1, j] += c0 * right[k, j]
    for b in range(paired, hi):
        for j in range(width):
            out[b, j] = 0
        for k in range(inner):
            a0 = left[b, offset + k] if scale is None else left[b, offset + k] * scale[b, k]
            for j in range(width):
                out[b, j] += a0 * right[k, j]


@_jit
def _column_blocks(kernel, units):  # pragma: no cover - compiled
    """The kernel's column blocks of ``units`` as one C-contiguous (G, K, units) array: the
    right-hand sides of the per-gate products when recurrent dropout masks each gate's input."""
    rows, width = kernel.shape
    blocks = np.empty((width // units, rows, units), dtype=kernel.dtype)
    for g in range(width // units):
        for k in range(rows):
            for j in range(units):
                blocks[g, k, j] = kernel[k, g * units + j]
    return blocks


@_jit
def _times(left, kernel, blocks, mask, out, part, lo, hi):  # pragma: no cover - compiled
    """out[:, block g] = (left * mask[g]) @ kernel[:, block g] for the kernel's column blocks
    (``blocks``: ``_column_blocks(kernel)``; ``mask`` (G, B, U) or None; ``part`` (B, U) holds one
    block's product): ``_product`` once, or once per block.

    Not np.dot: numba's np.dot calls SciPy's OpenBLAS, whose threads then contend with NumPy's
    (each pool spins after its products); on a busy 2-core machine an LSTM forward took 0.25-1.4 s
    instead of 33 ms. ``_product`` costs ~6 ms of CPU per 500 steps at 128 x 32 x 128, where a
    one-term loop cost 16 ms and np.dot 8-17 ms (quiet machine)."""
    if mask is None:
        _product(left, None, kernel, out, lo, hi, 0)
        return
    units = part.shape[1]
    for g in range(blocks.shape[0]):
        _product(left, mask[g], blocks[g], part, lo, hi, 0)
        for b in range(lo, hi):
            for j in range(units):
                out[b, g * units + j] = part[b, j]


@_jit
def _times_transposed(dz, kernel_t, mask, out, part, lo, hi):  # pragma: no cover - compiled
    """out = sum over blocks g of (dz[:, block g] @ kernel_t[block g, :]) * mask[g] (the gradient
    of ``_times`` w.r.t. ``left``); ``kernel_t`` is the kernel transposed, C-contiguous, so the
    inner loop runs along its rows, and its row blocks are contiguous. ``part`` (B, U) holds one
    block's product before its mask."""
    if mask is None:
        _product(dz, None, kernel_t, out, lo, hi, 0)
        return
    units = out.shape[1]
    blocks = kernel_t.reshape(kernel_t.shape[0] // units, units, units)
    for g in range(blocks.shape[0]):
        _product(dz, None, blocks[g], part, lo, hi, g * units)
        for b in range(lo, hi):
            for k in range(units):
                if g == 0:
                    out[b, k] = part[b, k] * mask[g, b, k]
                else:
                    out[b, k] += part[b, k] * mask[g, b, k]


@_jit
def _masked(step_mask, t, b):  # pragma: no cover - compiled
    return step_mask is not None and not step_mask[t, b]


@_jit
def _chunk_bounds(batch, threads):  # pragma: no cover - compiled
    """Split the batch rows into one chunk per thread (even sizes, so that ``_product`` pairs
    rows within a chunk): (chunks, rows per chunk)."""
    chunks = max(1, min(threads, batch // _MIN_CHUNK_ROWS))
    size = (batch + chunks - 1) // chunks
    size += size % 2
    return (batch + size - 1) // size, size


class _ThreadChoice:
    """How many numba threads one kernel runs with, chosen by timing its calls.

    On a quiet machine splitting the batch over two threads nearly halves a kernel's time; on a
    busy one (the project's 2 cores are shared) the threads wait for each other whenever one is
    descheduled, and one thread is faster and steadier. So every ``PERIOD`` calls, the next
    ``2 * PROBES`` alternate between one thread and numba's count; their mean wall times pick
    the setting for the rest of the period. With one numba thread there is nothing to choose.
    ``forced`` (None: time and choose) fixes the count, for tests of the chunked kernels."""

    PROBES = 3
    PERIOD = 200
    forced: int | None = None

    def __init__(self) -> None:
        self.calls = 0
        self.chosen = 1
        self.times: dict[int, list[float]] = {}
        self.threads = 1
        self.started = 0.0

    def __enter__(self) -> int:
        # numba's own count (NUMBA_NUM_THREADS), capped like the split products (OMP_NUM_THREADS, the CPUs allowed)
        most = min(numba.get_num_threads(), split_products.threads())
        phase = self.calls % self.PERIOD
        if self.forced is not None:
            self.threads = self.forced
        elif most <= 1:
            self.threads = 1
        elif phase < 2 * self.PROBES:
            self.threads = most if phase % 2 else 1
        else:
            self.threads = min(self.chosen, most)
        self.started = time.perf_counter()
        return self.threads

    def __exit__(self, *exc) -> None:
        phase = self.calls % self.PERIOD
        self.calls += 1
        if phase >= 2 * self.PROBES or exc[0] is not None or self.forced is not None:
            return
        self.times.setdefault(self.threads, []).append(time.perf_counter() - self.started)
        if phase == 2 * self.PROBES - 1:
            means = {threads: sum(seconds) / len(seconds) for threads, seconds in self.times.items()}
            self.chosen = min(means, key=means.get)
            self.times = {}


def _run_rows(rows, chunks, choice, *args):
    """``rows(0, batch, *args)`` on this thread, or ``chunks(*args, threads)`` (``rows`` on each
    chunk of batch rows, in parallel), as ``choice`` decides; ``args[0]`` is (T, B, ...)."""
    with choice as threads:
        if threads == 1:
            rows(0, args[0].shape[1], *args)
        else:
            chunks(*args, threads)


_THREADS = {name: _ThreadChoice() for name in (
    "simple_rnn_forward", "simple_rnn_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
)}


@_jit
def _simple_rnn_forward_rows(lo, hi, proj, kernel, step_mask, recurrent_mask, hs):  # pragma: no cover - compiled
    steps, batch, units = proj.shape
    z = np.zeros((batch, units), dtype=proj.dtype)
    e = np.zeros((batch, units), dtype=proj.dtype)
    scratch = np.empty(batch * units, dtype=proj.dtype)
    gate_kernels = _column_blocks(kernel, units)  # the per-gate products of recurrent dropout
    part = np.empty((batch, units), dtype=proj.dtype)
    for t in range(steps):
        _times(hs[t], kernel, gate_kernels, recurrent_mask, z, part, lo, hi)
        for b in range(lo, hi):
            for u in range(units):
                z[b, u] += proj[t, b, u]
                e[b, u] = -_TWO * abs(z[b, u])
        _exp_rows(e, scratch, lo, hi)
        for b in range(lo, hi):
            if _masked(step_mask, t, b):
                hs[t + 1, b] = hs[t, b]
                continue
            for u in range(units):
                hs[t + 1, b, u] = _tanh_from(z[b, u], e[b, u])





@_jit
def _simple_rnn_backward_rows(lo, hi, dhs, kernel_t, hs, step_mask, recurrent_mask, dproj, dh0):  # pragma: no cover - compiled
    steps, batch, units = dproj.shape
    carry = np.zeros((batch, units), dtype=dproj.dtype)
    through = np.empty((batch, units), dtype=dproj.dtype)
    part = np.empty((batch, units), dtype=dproj.dtype)  # one gate block's product (dropout)
    for t in range(steps - 1, -1, -1):
        for b in range(lo, hi):
            masked = _masked(step_mask, t, b)
            for u in range(units):
                dh = carry[b, u] + dhs[t + 1, b, u]
                carry[b, u] = dh
                h = hs[t + 1, b, u]
                dproj[t, b, u] = 0 if masked else dh * (_ONE - h * h)
        _times_transposed(dproj[t], kernel_t, recurrent_mask, through, part, lo, hi)
        for b in range(lo, hi):
            if not _masked(step_mask, t, b):
                carry[b] = through[b]
    for b in range(lo, hi):
        for u in range(units):
            dh0[b, u] = carry[b, u] + dhs[0, b, u]





@_jit
def _lstm_forward_rows(lo, hi, proj, kernel, step_mask, recurrent_mask, hs, cs, gates):  # pragma: no cover - compiled
    steps, batch, width = proj.shape
    units = width // 4
    z = np.zeros((batch, width), dtype=proj.dtype)
    e = np.zeros((batch, width), dtype=proj.dtype)
    e_c = np.zeros((batch, units), dtype=proj.dtype)
    scratch = np.empty(batch * width, dtype=proj.dtype)
    gate_kernels = _column_blocks(kernel, units)  # the per-gate products of recurrent dropout
    part = np.empty((batch, units), dtype=proj.dtype)
    for t in range(steps):
        _times(hs[t], kernel, gate_kernels, recurrent_mask, z, part, lo, hi)
        for b in range(lo, hi):
            for j in range(width):
                z[b, j] += proj[t, b, j]
            for j in range(2 * units):
                e[b, j] = -z[b, j]
            for j in range(2 * units, 3 * units):
                e[b, j] = -_TWO * abs(z[b, j])
            for j in range(3 * units, width):
                e[b, j] = -z[b, j]
        _exp_rows(e, scratch, lo, hi)
        for b in range(lo, hi):
            a = gates[t, b]
            for u in range(units):
                i = _ONE / (_ONE + e[b, u])
                f = _ONE / (_ONE + e[b, units + u])
                g = _tanh_from(z[b, 2 * units + u], e[b, 2 * units + u])
                o = _ONE / (_ONE + e[b, 3 * units + u])
                a[u] = i
                a[units + u] = f
                a[2 * units + u] = g
                a[3 * units + u] = o
                c = f * cs[t, b, u] + i * g
                cs[t + 1, b, u] = c
                e_c[b, u] = -_TWO * abs(c)
        _exp_rows(e_c, scratch, lo, hi)
        for b in range(lo, hi):
            if _masked(step_mask, t, b):
                hs[t + 1, b] = hs[t, b]
                cs[t + 1, b] = cs[t, b]
                continue
            for u in range(units):
                hs[t + 1, b, u] = gates[t, b, 3 * units + u] * _tanh_from(cs[t + 1, b, u], e_c[b, u])





@_jit
def _lstm_backward_rows(lo, hi, dproj, dhs, dc_last, kernel_t, hs, cs, gates, step_mask, recurrent_mask, dh0, dc0):  # pragma: no cover - compiled
    steps, batch, width = dproj.shape
    units = width // 4
    dh_carry = np.zeros((batch, units), dtype=dproj.dtype)
    dc_carry = dc_last.copy()
    through = np.empty((batch, units), dtype=dproj.dtype)
    part = np.empty((batch, units), dtype=dproj.dtype)  # one gate block's product (dropout)
    e_c = np.zeros((batch, units), dtype=dproj.dtype)
    scratch = np.empty(batch * units, dtype=dproj.dtype)
    for t in range(steps - 1, -1, -1):
        for b in range(lo, hi):
            for u in range(units):
                e_c[b, u] = -_TWO * abs(cs[t + 1, b, u])
        _exp_rows(e_c, scratch, lo, hi)
        for b in range(lo, hi):
            dz = dproj[t, b]
            if _masked(step_mask, t, b):
                for u in range(units):
                    dh_carry[b, u] += dhs[t + 1, b, u]
                dz[:] = 0
                continue
            a = gates[t, b]
            for u in range(units):
                i = a[u]
                f = a[units + u]
                g = a[2 * units + u]
                o = a[3 * units + u]
                dh = dh_carry[b, u] + dhs[t + 1, b, u]
                tanh_c = _tanh_from(cs[t + 1, b, u], e_c[b, u])
                dc = dc_carry[b, u] + dh * o * (_ONE - tanh_c * tanh_c)
                dz[u] = dc * g * i * (_ONE - i)
                dz[units + u] = dc * cs[t, b, u] * f * (_ONE - f)
                dz[2 * units + u] = dc * i * (_ONE - g * g)
                dz[3 * units + u] = dh * tanh_c * o * (_ONE - o)
                dc_carry[b, u] = dc * f
        _times_transposed(dproj[t], kernel_t, recurrent_mask, through, part, lo, hi)
        for b in range(lo, hi):
            if not _masked(step_mask, t, b):
                dh_carry[b] = through[b]
    for b in range(lo, hi):
        for u in range(units):
            dh0[b, u] = dh_carry[b, u] + dhs[0, b, u]
            dc0[b, u] = dc_carry[b, u]





@_jit
def _gru_forward_rows(lo, hi, proj, kernel, kernel_h, recurrent_bias, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent):  # pragma: no cover - compiled
    steps, batch, width = proj.shape
    units = width // 3
    blocks = kernel.shape[1] // units
    h_mask = None if recurrent_mask is None else recurrent_mask[2:]
    inner = np.zeros((batch, blocks * units), dtype=proj.dtype)
    e = np.zeros((batch, 2 * units), dtype=proj.dtype)
    pre_h = np.zeros((batch, units), dtype=proj.dtype)
    e_h = np.zeros((batch, units), dtype=proj.dtype)
    scratch = np.empty(batch * 2 * units, dtype=proj.dtype)
    gate_kernels = _column_blocks(kernel, units)  # the per-gate products of recurrent dropout
    gate_kernels_h = kernel_h.reshape(1, units, units)
    part = np.empty((batch, units), dtype=proj.dtype)
    for t in range(steps):
        # z and r: sigmoid(proj + inner), one exp over the block.
        _times(hs[t], kernel, gate_kernels, recurrent_mask, inner, part, lo, hi)
        for b in range(lo, hi):
            if recurrent_bias is not None:
                for j in range(blocks * units):
                    inner[b, j] += recurrent_bias[j]
            for j in range(2 * units):
                e[b, j] = -(proj[t, b, j] + inner[b, j])
        _exp_rows(e, scratch, lo, hi)
        a = gates[t]
        for b in range(lo, hi):
            for j in range(2 * units):
                a[b, j] = _ONE / (_ONE + e[b, j])
        # The candidate's argument, then one exp over the block for its tanh.
        if reset_after:
            for b in range(lo, hi):
                for u in range(units):
                    candidate_recurrent[t, b, u] = inner[b, 2 * units + u]
                    pre_h[b, u] = proj[t, b, 2 * units + u] + a[b, units + u] * inner[b, 2 * units + u]
        else:
            for b in range(lo, hi):
                for u in range(units):
                    candidate_recurrent[t, b, u] = a[b, units + u] * hs[t, b, u]
            # (r * h) times the candidate's dropout mask, then its product: _times applies the mask.
            _times(candidate_recurrent[t], kernel_h, gate_kernels_h, h_mask, pre_h, part, lo, hi)
            if h_mask is not None:
                for b in range(lo, hi):
                    for u in range(units):
                        candidate_recurrent[t, b, u] *= h_mask[0, b, u]
            for b in range(lo, hi):
                for u in range(units):
                    pre_h[b, u] += proj[t, b, 2 * units + u]
        for b in range(lo, hi):
            for u in range(units):
                e_h[b, u] = -_TWO * abs(pre_h[b, u])
        _exp_rows(e_h, scratch, lo, hi)
        for b in range(lo, hi):
            if _masked(step_mask, t, b):
                hs[t + 1, b] = hs[t, b]
                continue
            for u in range(units):
                z = a[b, u]
                hh = _tanh_from(pre_h[b, u], e_h[b, u])
                a[b, 2 * units + u] = hh
                hs[t + 1, b, u] = z * hs[t, b, u] + (_ONE - z) * hh





@_jit
def _gru_backward_rows(lo, hi, dproj, dhs, kernel_t, kernel_h_t, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, d_candidate, dh0):  # pragma: no cover - compiled
    steps, batch, width = dproj.shape
    units = width // 3
    blocks = kernel_t.shape[0] // units
    carry = np.zeros((batch, units), dtype=dproj.dtype)
    rec = np.zeros((batch, blocks * units), dtype=dproj.dtype)
    dah = np.zeros((batch, units), dtype=dproj.dtype)
    d_reset_h = np.empty((batch, units), dtype=dproj.dtype)
    through = np.empty((batch, units), dtype=dproj.dtype)
    part = np.empty((batch, units), dtype=dproj.dtype)  # one gate block's product (dropout)
    for t in range(steps - 1, -1, -1):
        for b in range(lo, hi):
            masked = _masked(step_mask, t, b)
            a = gates[t, b]
            dz = dproj[t, b]
            for u in range(units):
                dh = carry[b, u] + dhs[t + 1, b, u]
                if masked:
                    carry[b, u] = dh
                    dz[u] = 0
                    dah[b, u] = 0
                    continue
                z = a[u]
                hh = a[2 * units + u]
                dz[u] = dh * (hs[t, b, u] - hh) * z * (_ONE - z)
                dah[b, u] = dh * (_ONE - z) * (_ONE - hh * hh)
                dz[2 * units + u] = dah[b, u]
                carry[b, u] = dh * z
            if masked:
                for j in range(units, width):
                    dz[j] = 0
        if reset_after:
            for b in range(lo, hi):
                for u in range(units):
                    r = gates[t, b, units + u]
                    dproj[t, b, units + u] = dah[b, u] * candidate_recurrent[t, b, u] * r * (_ONE - r)
                    d_inner_h = dah[b, u] * r
                    if d_candidate is not None:
                        d_candidate[t, b, u] = d_inner_h
                    rec[b, u] = dproj[t, b, u]
                    rec[b, units + u] = dproj[t, b, units + u]
                    rec[b, 2 * units + u] = d_inner_h
        else:
            _times_transposed(dah, kernel_h_t, None, d_reset_h, None, lo, hi)
            for b in range(lo, hi):
                for u in range(units):
                    r = gates[t, b, units + u]
                    masked_h = hs[t, b, u]
                    if recurrent_mask is not None:
                        masked_h = masked_h * recurrent_mask[2, b, u]
                    dr = d_reset_h[b, u] * masked_h * r * (_ONE - r)
                    dproj[t, b, units + u] = 0 if _masked(step_mask, t, b) else dr
                    rec[b, u] = dproj[t, b, u]
                    rec[b, units + u] = dproj[t, b, units + u]
                    through_reset = d_reset_h[b, u] * r
                    if recurrent_mask is not None:
                        through_reset = through_reset * recurrent_mask[2, b, u]
                    d_reset_h[b, u] = through_reset
        _times_transposed(rec, kernel_t, recurrent_mask, through, part, lo, hi)
        for b in range(lo, hi):
            if _masked(step_mask, t, b):
                continue
            for u in range(units):
                carry[b, u] += through[b, u]
                if not reset_after:
                    carry[b, u] += d_reset_h[b, u]
    for b in range(lo, hi):
        for u in range(units):
            dh0[b, u] = carry[b, u] + dhs[0, b, u]


def simple_rnn_forward(proj, recurrent_kernel, h0, step_mask, recurrent_mask, hs):
    hs[0] = h0
    kernel = np.ascontiguousarray(recurrent_kernel)
    _run_rows(_simple_rnn_forward_rows, _simple_rnn_forward_chunks, _THREADS["simple_rnn_forward"], proj, kernel, step_mask, recurrent_mask, hs)


@_parallel_jit
def _simple_rnn_forward_chunks(proj, kernel, step_mask, recurrent_mask, hs, threads):  # pragma: no cover - compiled
    batch = proj.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _simple_rnn_forward_rows(chunk * size, min(batch, (chunk + 1) * size), proj, kernel, step_mask, recurrent_mask, hs)


def simple_rnn_backward(dhs, recurrent_kernel, hs, step_mask, recurrent_mask, dproj, dh0):
    kernel_t = np.ascontiguousarray(recurrent_kernel.T)
    _run_rows(_simple_rnn_backward_rows, _simple_rnn_backward_chunks, _THREADS["simple_rnn_backward"], dhs, kernel_t, hs, step_mask, recurrent_mask, dproj, dh0)


@_parallel_jit
def _simple_rnn_backward_chunks(dhs, kernel_t, hs, step_mask, recurrent_mask, dproj, dh0, threads):  # pragma: no cover - compiled
    batch = dhs.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _simple_rnn_backward_rows(chunk * size, min(batch, (chunk + 1) * size), dhs, kernel_t, hs, step_mask, recurrent_mask, dproj, dh0)


def lstm_forward(proj, recurrent_kernel, h0, c0, step_mask, recurrent_mask, hs, cs, gates):
    hs[0] = h0
    cs[0] = c0
    kernel = np.ascontiguousarray(recurrent_kernel)
    _run_rows(_lstm_forward_rows, _lstm_forward_chunks, _THREADS["lstm_forward"], proj, kernel, step_mask, recurrent_mask, hs, cs, gates)


@_parallel_jit
def _lstm_forward_chunks(proj, kernel, step_mask, recurrent_mask, hs, cs, gates, threads):  # pragma: no cover - compiled
    batch = proj.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _lstm_forward_rows(chunk * size, min(batch, (chunk + 1) * size), proj, kernel, step_mask, recurrent_mask, hs, cs, gates)


def lstm_backward(dhs, dc_last, recurrent_kernel, hs, cs, gates, step_mask, recurrent_mask, dproj, dh0, dc0):
    kernel_t = np.ascontiguousarray(recurrent_kernel.T)
    _run_rows(_lstm_backward_rows, _lstm_backward_chunks, _THREADS["lstm_backward"], dproj, dhs, dc_last, kernel_t, hs, cs, gates, step_mask, recurrent_mask, dh0, dc0)


@_parallel_jit
def _lstm_backward_chunks(dproj, dhs, dc_last, kernel_t, hs, cs, gates, step_mask, recurrent_mask, dh0, dc0, threads):  # pragma: no cover - compiled
    batch = dproj.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _lstm_backward_rows(chunk * size, min(batch, (chunk + 1) * size), dproj, dhs, dc_last, kernel_t, hs, cs, gates, step_mask, recurrent_mask, dh0, dc0)


def gru_forward(proj, recurrent_kernel, recurrent_bias, h0, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent):
    units = proj.shape[2] // 3
    blocks = 3 if reset_after else 2
    kernel = np.ascontiguousarray(recurrent_kernel[:, : blocks * units])
    kernel_h = np.ascontiguousarray(recurrent_kernel[:, 2 * units :])
    hs[0] = h0
    _run_rows(_gru_forward_rows, _gru_forward_chunks, _THREADS["gru_forward"], proj, kernel, kernel_h, recurrent_bias, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent)


@_parallel_jit
def _gru_forward_chunks(proj, kernel, kernel_h, recurrent_bias, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent, threads):  # pragma: no cover - compiled
    batch = proj.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _gru_forward_rows(chunk * size, min(batch, (chunk + 1) * size), proj, kernel, kernel_h, recurrent_bias, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent)


def gru_backward(dhs, recurrent_kernel, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, dproj, d_candidate, dh0):
    units = dproj.shape[2] // 3
    blocks = 3 if reset_after else 2
    kernel_t = np.ascontiguousarray(recurrent_kernel[:, : blocks * units].T)
    kernel_h_t = np.ascontiguousarray(recurrent_kernel[:, 2 * units :].T)
    _run_rows(_gru_backward_rows, _gru_backward_chunks, _THREADS["gru_backward"], dproj, dhs, kernel_t, kernel_h_t, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, d_candidate, dh0)


@_parallel_jit
def _gru_backward_chunks(dproj, dhs, kernel_t, kernel_h_t, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, d_candidate, dh0, threads):  # pragma: no cover - compiled
    batch = dproj.shape[1]
    chunks, size = _chunk_bounds(batch, threads)
    for chunk in numba.prange(chunks):
        _gru_backward_rows(chunk * size, min(batch, (chunk + 1) * size), dproj, dhs, kernel_t, kernel_h_t, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, d_candidate, dh0)
