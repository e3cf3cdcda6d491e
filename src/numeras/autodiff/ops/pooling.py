"""Pooling primitives: ``max_pool`` and ``average_pool`` over N-D windows.

Both visit the ``prod(pool_size)`` window offsets, each a strided view of the (padded) input with
the shape of the output, so every step is one vectorised NumPy call over the whole batch.

Max pooling remembers, per output, which offset won, and its VJP sends the gradient to that one
entry only, the *first* maximum in the window (row-major order), as TensorFlow and PyTorch do.
(MNIST's blank background makes windows of equal values everywhere: sending the gradient to
every tied entry would multiply it.)

    max:      y[n, o, c] = max_k x_pad[n, o s + k, c];   dx[n, o s + k*(n, o, c), c] += g[n, o, c]
    average:  y[n, o, c] = sum_k x_pad[n, o s + k, c] / count(o);   dx[n, o s + k, c] += g / count(o)

``count(o)`` is the pool size, or with 'same' padding the number of real (unpadded) entries in
the window, as TensorFlow's average pooling.

2-D max pooling is two kernels of ``numeras.backend.kernels`` (with numba, one compiled pass
each; their NumPy reference is this module's N-D code written for two axes).
"""

from __future__ import annotations

import itertools
import math

from numeras import backend
from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.ops.convolution import (
    _from_channels_last,
    _to_channels_last,
    offset_slices,
    pad_or_crop,
    resolve_pads,
    standardize_data_format,
    standardize_padding,
    standardize_tuple,
)
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp


def _prepare(op: str, inputs, pool_size, strides, padding, data_format):
    x = as_tensor(inputs)
    if x.data.dtype.kind != "f":
        from numeras.autodiff.ops.elementwise import cast

        x = cast(x, backend.floatx())
    rank = x.ndim - 2
    if rank < 1:
        raise ValueError(
            f"{op}: `inputs` must have shape (batch, *spatial, channels) with at least one spatial "
            f"axis, received shape {x.shape}."
        )
    pool = standardize_tuple(pool_size, rank, "pool_size", owner=op)
    steps = pool if strides is None else standardize_tuple(strides, rank, "strides", owner=op)
    padding = standardize_padding(padding, owner=op)
    data_format = standardize_data_format(data_format, owner=op)
    x = _to_channels_last(x, data_format)
    spatial = x.shape[1:-1]
    pads = resolve_pads(spatial, pool, steps, (1,) * rank, padding)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(spatial, pads))
    if any(p < k for p, k in zip(padded, pool)):
        raise ValueError(
            f"{op}: `pool_size` {pool} is larger than the input's spatial size {tuple(spatial)}; "
            "use padding='same' or a smaller pool."
        )
    out = tuple((p - k) // s + 1 for p, k, s in zip(padded, pool, steps))
    return x, data_format, pool, steps, pads, padded, out


class _Windows:
    """The offsets of a pooling window and the output-shaped view of the input each one meets."""

    def __init__(self, pool, steps, out, padded) -> None:
        rank = len(pool)
        self.offsets = list(itertools.product(*(range(k) for k in pool)))
        self.slices = [offset_slices(o, out, steps, (1,) * rank) for o in self.offsets]
        self.disjoint = all(s >= k for s, k in zip(steps, pool))
        # Windows that tile the padded input exactly write every entry of the gradient once.
        self.tiling = all(s == k and n * s == p for s, k, n, p in zip(steps, pool, out, padded))

    def gradient_grid(self, shape, dtype):
        return xp.empty(shape, dtype=dtype) if self.tiling else xp.zeros(shape, dtype=dtype)


def max_pool(inputs, pool_size, strides=None, padding: str = "valid", data_format=None) -> Tensor:
    """Maximum over each window (Keras's ``ops.max_pool``); the gradient goes to the first maximum.

    ``strides`` defaults to ``pool_size``; 'same' padding pads with -inf, so padding never wins."""
    x, data_format, pool, steps, pads, padded, out_size = _prepare(
        "max_pool", inputs, pool_size, strides, padding, data_format
    )
    a = x.data
    a_pad = pad_or_crop(a, pads, fill=-xp.inf)
    win = _Windows(pool, steps, out_size, a_pad.shape[1:-1])
    padded_shape = a_pad.shape
    index_dtype = xp.uint8 if len(win.offsets) <= 255 else xp.int32
    if len(pool) == 2:
        out, vjp = _max_pool_2d(a_pad, pool, steps, out_size, pads, index_dtype)
        return _from_channels_last(record(out, (x,), vjp), data_format)
    views = [a_pad[s] for s in win.slices]
    out = views[0].copy()
    winner = xp.zeros(out.shape, dtype=index_dtype)
    better = xp.empty(out.shape, dtype=bool)
    marked = xp.empty(out.shape, dtype=winner.dtype)
    for k, view in enumerate(views[1:], start=1):
        # Strictly greater: on a tie the earlier offset keeps the gradient.
        xp.greater(view, out, out=better)
        xp.maximum(out, view, out=out)
        # winner = k where better: k exceeds every index recorded so far, so a maximum does it
        # (several times faster than a masked copy).
        xp.multiply(better, k, out=marked, dtype=winner.dtype)
        xp.maximum(winner, marked, out=winner)
    del views, better, marked

    def vjp(g):
        grid = win.gradient_grid(padded_shape, g.dtype)
        mask = xp.empty(winner.shape, dtype=bool)
        for k, index in enumerate(win.slices):
            target = grid[index]
            xp.equal(winner, k, out=mask)
            if win.disjoint:
                xp.multiply(g, mask, out=target)
            else:
                target += g * mask
        return (pad_or_crop(grid, [(-lo, -hi) for lo, hi in pads]),)

    return _from_channels_last(record(out, (x,), vjp), data_format)


def _max_pool_2d(a_pad, pool, steps, out_size, pads, index_dtype):
    """2-D max pooling's forward and VJP as two kernels (each one compiled pass with numba)."""
    (ph, pw), (sh, sw) = pool, steps
    out = xp.empty((a_pad.shape[0], *out_size, a_pad.shape[-1]), dtype=a_pad.dtype)
    winner = xp.empty(out.shape, dtype=index_dtype)
    kernels.max_pool_2d_forward(a_pad, out, winner, ph, pw, sh, sw)
    padded_shape = a_pad.shape

    def vjp(g):
        grid = xp.empty(padded_shape, dtype=g.dtype)
        kernels.max_pool_2d_backward(g, winner, grid, ph, pw, sh, sw)
        return (pad_or_crop(grid, [(-lo, -hi) for lo, hi in pads]),)

    return out, vjp


def average_pool(inputs, pool_size, strides=None, padding: str = "valid", data_format=None) -> Tensor:
    """Mean over each window (Keras's ``ops.average_pool``); with 'same' padding the mean is over
    the real entries only. ``strides`` defaults to ``pool_size``."""
    x, data_format, pool, steps, pads, padded, out_size = _prepare(
        "average_pool", inputs, pool_size, strides, padding, data_format
    )
    a = x.data
    a_pad = pad_or_crop(a, pads, fill=0)
    win = _Windows(pool, steps, out_size, a_pad.shape[1:-1])
    out = a_pad[win.slices[0]].copy()
    for index in win.slices[1:]:
        out += a_pad[index]
    if any(lo or hi for lo, hi in pads):
        ones = pad_or_crop(xp.ones((1, *a.shape[1:-1], 1), dtype=a.dtype), pads, fill=0)
        count = ones[win.slices[0]].copy()
        for index in win.slices[1:]:
            count += ones[index]
        scale = (1 / count).astype(a.dtype)
    else:
        scale = xp.asarray(1 / math.prod(pool), dtype=a.dtype)
    out *= scale
    padded_shape = a_pad.shape

    def vjp(g):
        grid = win.gradient_grid(padded_shape, g.dtype)
        share = g * scale
        for index in win.slices:
            target = grid[index]
            if win.disjoint:
                xp.copyto(target, share)
            else:
                target += share
        return (pad_or_crop(grid, [(-lo, -hi) for lo, hi in pads]),)

    return _from_channels_last(record(out, (x,), vjp), data_format)
