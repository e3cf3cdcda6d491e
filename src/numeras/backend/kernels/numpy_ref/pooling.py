"""2-D max pooling kernels: each window's maximum with the offset of its first maximum, and the
gradient routed back to that one entry."""

from __future__ import annotations

from numeras.backend import xp


def _window(a, p, q, oh, ow, sh, sw):
    """The view of ``a`` (batch, H, W, C) holding offset (p, q) of every window."""
    return a[:, p : p + (oh - 1) * sh + 1 : sh, q : q + (ow - 1) * sw + 1 : sw]


def max_pool_2d_forward(x_pad, out, winner, ph, pw, sh, sw) -> None:
    """out[b, i, j, c] = max over the (ph, pw) window at (i*sh, j*sw); winner = the row-major offset
    k = p*pw + q of its first maximum (strictly greater wins; NaN propagates, as numpy.maximum)."""
    oh, ow = out.shape[1], out.shape[2]
    out[...] = _window(x_pad, 0, 0, oh, ow, sh, sw)
    winner[...] = 0
    better = xp.empty(out.shape, dtype=bool)
    marked = xp.empty(out.shape, dtype=winner.dtype)
    for k in range(1, ph * pw):
        view = _window(x_pad, k // pw, k % pw, oh, ow, sh, sw)
        xp.greater(view, out, out=better)
        xp.maximum(out, view, out=out)
        # winner = k where better: k exceeds every index recorded so far, so a maximum does it
        # (several times faster than a masked copy).
        xp.multiply(better, k, out=marked, dtype=winner.dtype)
        xp.maximum(winner, marked, out=winner)


def max_pool_2d_backward(g, winner, grid, ph, pw, sh, sw) -> None:
    """grid (the padded input gradient, overwritten) = g routed to each window's winning entry."""
    oh, ow = g.shape[1], g.shape[2]
    grid[...] = 0
    disjoint = sh >= ph and sw >= pw
    mask = xp.empty(winner.shape, dtype=bool)
    for k in range(ph * pw):
        target = _window(grid, k // pw, k % pw, oh, ow, sh, sw)
        xp.equal(winner, k, out=mask)
        if disjoint:
            xp.multiply(g, mask, out=target)
        else:
            target += g * mask
