"""Compiled ``col2im``: one pass over the column gradients instead of one strided add per offset."""

from __future__ import annotations

from numeras.backend.kernels.numba_jit import compiled_float, jit
from numeras.backend.kernels.numpy_ref import convolution as reference


@jit
def _col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow):  # pragma: no cover - compiled
    n, height, width, channels = grid.shape
    for b in range(n):
        for y in range(height):
            for x in range(width):
                for c in range(channels):
                    grid[b, y, x, c] = 0
        for i in range(oh):
            for j in range(ow):
                row = (b * oh + i) * ow + j
                for p in range(kh):
                    y = i * sh + p * dh
                    for q in range(kw):
                        x = j * sw + q * dw
                        base = (p * kw + q) * channels
                        for c in range(channels):
                            grid[b, y, x, c] += d_cols[row, base + c]


def col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow) -> None:
    if compiled_float(grid.dtype) and d_cols.dtype == grid.dtype:
        _col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow)
    else:
        reference.col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow)
