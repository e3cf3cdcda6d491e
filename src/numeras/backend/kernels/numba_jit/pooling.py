"""Compiled 2-D max pooling, forward and backward, each one pass (2x2 windows of stride 2, the
common case, unrolled: ~3x faster)."""

from __future__ import annotations

from numeras.backend import xp
from numeras.backend.kernels.numba_jit import compiled_float, jit
from numeras.backend.kernels.numpy_ref import pooling as reference


@jit
def _forward(x_pad, out, winner, ph, pw, sh, sw):  # pragma: no cover - compiled
    # Strictly greater wins: the first maximum in row-major window order keeps the index.
    n, oh, ow, channels = out.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    out[b, i, j, c] = x_pad[b, i * sh, j * sw, c]
                    winner[b, i, j, c] = 0
                k = 0
                for p in range(ph):
                    for q in range(pw):
                        if k > 0:
                            y, x = i * sh + p, j * sw + q
                            for c in range(channels):
                                v = x_pad[b, y, x, c]
                                if v > out[b, i, j, c]:
                                    out[b, i, j, c] = v
                                    winner[b, i, j, c] = k
                                elif v != v:  # NaN propagates (without the index), as numpy.maximum
                                    out[b, i, j, c] = v
                        k += 1


@jit
def _forward_2x2(x_pad, out, winner):  # pragma: no cover - compiled
    n, oh, ow, channels = out.shape
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    best = x_pad[b, 2 * i, 2 * j, c]
                    k = 0
                    v = x_pad[b, 2 * i, 2 * j + 1, c]
                    if v > best:
                        best, k = v, 1
                    elif v != v:
                        best = v
                    v = x_pad[b, 2 * i + 1, 2 * j, c]
                    if v > best:
                        best, k = v, 2
                    elif v != v:
                        best = v
                    v = x_pad[b, 2 * i + 1, 2 * j + 1, c]
                    if v > best:
                        best, k = v, 3
                    elif v != v:
                        best = v
                    out[b, i, j, c] = best
                    winner[b, i, j, c] = k


@jit
def _backward(g, winner, grid, ph, pw, sh, sw):  # pragma: no cover - compiled
    n, height, width, channels = grid.shape
    oh, ow = g.shape[1], g.shape[2]
    for b in range(n):
        for y in range(height):
            for x in range(width):
                for c in range(channels):
                    grid[b, y, x, c] = 0
        for i in range(oh):
            for j in range(ow):
                for c in range(channels):
                    k = winner[b, i, j, c]
                    grid[b, i * sh + k // pw, j * sw + k % pw, c] += g[b, i, j, c]


@jit
def _backward_2x2(g, winner, grid):  # pragma: no cover - compiled
    # Walks the gradient grid in memory order: entry (y, x) belongs to window (y // 2, x // 2)
    # as offset k, and receives that window's gradient if k won. Rows or columns left over by an
    # odd height or width belong to no window.
    n, height, width, channels = grid.shape
    oh, ow = g.shape[1], g.shape[2]
    for b in range(n):
        for y in range(height):
            i = y // 2
            for x in range(width):
                j = x // 2
                if i < oh and j < ow:
                    k = (y - 2 * i) * 2 + (x - 2 * j)
                    for c in range(channels):
                        grid[b, y, x, c] = g[b, i, j, c] if winner[b, i, j, c] == k else 0
                else:
                    for c in range(channels):
                        grid[b, y, x, c] = 0


def max_pool_2d_forward(x_pad, out, winner, ph, pw, sh, sw) -> None:
    if not compiled_float(x_pad.dtype):
        reference.max_pool_2d_forward(x_pad, out, winner, ph, pw, sh, sw)
    elif (ph, pw, sh, sw) == (2, 2, 2, 2):
        _forward_2x2(x_pad, out, winner)
    else:
        _forward(x_pad, out, winner, ph, pw, sh, sw)


def max_pool_2d_backward(g, winner, grid, ph, pw, sh, sw) -> None:
    if not compiled_float(grid.dtype) or g.dtype != grid.dtype:
        reference.max_pool_2d_backward(g, winner, grid, ph, pw, sh, sw)
    elif (ph, pw, sh, sw) == (2, 2, 2, 2):
        _backward_2x2(xp.ascontiguousarray(g), winner, grid)
    else:
        _backward(xp.ascontiguousarray(g), winner, grid, ph, pw, sh, sw)
