"""Convolution kernels: ``col2im``, adding each window's column gradients back onto the input grid."""

from __future__ import annotations


def col2im(d_cols, grid, kh, kw, sh, sw, dh, dw, oh, ow) -> None:
    """grid[b, i*sh + p*dh, j*sw + q*dw, :] = sum of d_cols[(b, i, j), (p*kw + q) * C : ... + C].

    ``d_cols`` is (batch * oh * ow, kh * kw * C), laid out like the im2col matrix; ``grid`` is the
    padded channels-last input gradient (batch, H, W, C), overwritten."""
    batch, channels = grid.shape[0], grid.shape[-1]
    windows = d_cols.reshape(batch, oh, ow, kh, kw, channels)
    grid[...] = 0
    for p in range(kh):
        for q in range(kw):
            y, x = p * dh, q * dw
            grid[:, y : y + (oh - 1) * sh + 1 : sh, x : x + (ow - 1) * sw + 1 : sw] += windows[:, :, :, p, q]
