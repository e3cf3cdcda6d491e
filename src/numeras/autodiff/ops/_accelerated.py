"""Optional compiled kernels for the memory-bound steps of 2-D convolution and max pooling.

NumPy does these steps in several passes over large arrays (temporaries included); compiled with
numba (when it is installed, ``pip install numba``) each is one pass:

- ``col2im``: adding each window's column gradients back onto the input grid;
- ``relu_inplace`` / ``relu_grad``: the activation fused into the convolution and its VJP;
- ``max_pool_forward`` / ``max_pool_backward``: the maximum of each window with the offset of its
  first maximum, and the gradient routed to that one entry.

Every kernel computes exactly what the NumPy code beside its call site computes (the tests run
both). Nothing here is required: without numba, or with the environment variable
``NUMERAS_NUMBA=0``, :func:`available` is False and callers use NumPy. Kernels are compiled on
first use (about a second, cached on disk afterwards), never at import.
"""

from __future__ import annotations

import importlib.util
import os

_enabled = os.environ.get("NUMERAS_NUMBA", "1") != "0" and importlib.util.find_spec("numba") is not None
_kernels = None


def available() -> bool:
    """True when the compiled kernels will be used (numba installed and not switched off)."""
    return _enabled


def supports(dtype) -> bool:
    """True when the compiled kernels are on and handle arrays of ``dtype`` (float32, float64)."""
    return _enabled and str(dtype) in ("float32", "float64")


def set_enabled(enabled: bool) -> bool:
    """Switch the compiled kernels on or off (on only if numba is installed); returns the old state."""
    global _enabled
    previous = _enabled
    _enabled = bool(enabled) and importlib.util.find_spec("numba") is not None
    return previous


def kernels():
    """The compiled kernels (compiled on the first call)."""
    global _kernels
    if _kernels is None:
        _kernels = _compile()
    return _kernels


def _compile():
    from numba import njit

    # Serial on purpose: these kernels run between OpenBLAS calls, whose threads keep spinning for
    # a while after each product; parallel kernels then fight them for the cores and lose (a step
    # of the MNIST convnet took 1.5x longer with numba's thread pool than with plain NumPy).
    options = {"cache": True, "nogil": True}

    @njit(**options)
    def col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow):
        # grid[b, i*sh + p*dh, j*sw + q*dw, :] += d_cols[(b, i, j), (p*kw + q) * C : ... + C]
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

    @njit(**options)
    def relu_inplace(flat):
        for i in range(flat.size):
            if flat[i] < 0:  # NaN stays NaN, as with numpy.maximum
                flat[i] = 0

    @njit(**options)
    def relu_grad(g, out, result):
        for i in range(g.size):
            result[i] = g[i] if out[i] > 0 else 0

    @njit(**options)
    def max_pool_forward(x_pad, out, winner, ph, pw, sh, sw):
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

    @njit(**options)
    def max_pool_forward_2x2(x_pad, out, winner):
        # The same for 2x2 windows with stride 2, unrolled (the common case, ~3x faster).
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

    @njit(**options)
    def max_pool_backward(g, winner, grid, ph, pw, sh, sw):
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

    @njit(**options)
    def max_pool_backward_2x2(g, winner, grid):
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

    return {
        "col2im": col2im,
        "relu_inplace": relu_inplace,
        "relu_grad": relu_grad,
        "max_pool_forward": max_pool_forward,
        "max_pool_forward_2x2": max_pool_forward_2x2,
        "max_pool_backward": max_pool_backward,
        "max_pool_backward_2x2": max_pool_backward_2x2,
    }
