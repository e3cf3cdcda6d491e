"""Differentiable image resizing by separable interpolation (UpSampling2D's non-nearest modes).

Every interpolation Keras offers is linear in the image: along each spatial axis, output sample
i is a weighted sum of input samples, ``out = R @ x @ C^T`` for one (out, in) weight matrix per
axis. The primitive applies the two matrices; its VJP applies their transposes:

    dx = R^T @ g @ C

The weights are those of ``jax.image.resize`` (Keras's JAX backend) without antialiasing:
half-pixel centres ``(i + 0.5) * in / out - 0.5``, a kernel evaluated at the distance to each
input sample, each row divided by its sum (so edge rows, whose kernel reaches past the border,
still sum to 1), and rows whose centre falls outside the image set to zero. ``area`` averages the
input span each output sample covers, as TensorFlow.
"""

from __future__ import annotations

import functools

import numpy as np

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def _linear(d):
    return np.maximum(0.0, 1.0 - d)


def _keys_cubic(d):
    """Keys's cubic convolution kernel with a = -0.5 (JAX's and TensorFlow's bicubic)."""
    near = (1.5 * d - 2.5) * d * d + 1.0
    far = ((-0.5 * d + 2.5) * d - 4.0) * d + 2.0
    return np.where(d < 1.0, near, np.where(d < 2.0, far, 0.0))


def _lanczos(radius: float):
    def kernel(d):
        return np.where(d < radius, np.sinc(d) * np.sinc(d / radius), 0.0)

    return kernel


def _gaussian(d):
    """TensorFlow's gaussian kernel: sigma 0.5, cut at radius 1.5."""
    return np.where(d < 1.5, np.exp(-2.0 * d * d), 0.0)


def _mitchell_cubic(d):
    """Mitchell-Netravali cubic with B = C = 1/3 (TensorFlow's ``mitchellcubic``)."""
    near = (7.0 * d - 12.0) * d * d / 6.0 + 16.0 / 18.0
    far = ((-7.0 / 18.0 * d + 2.0) * d - 10.0 / 3.0) * d + 16.0 / 9.0
    return np.where(d < 1.0, near, np.where(d < 2.0, far, 0.0))


_KERNELS = {
    "bilinear": _linear,
    "bicubic": _keys_cubic,
    "lanczos3": _lanczos(3.0),
    "lanczos5": _lanczos(5.0),
    "gaussian": _gaussian,
    "mitchellcubic": _mitchell_cubic,
}
INTERPOLATIONS = ("nearest", "area", *_KERNELS)
"""The interpolations :func:`resize` accepts."""


@functools.lru_cache(maxsize=64)
def interpolation_weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """The (out_size, in_size) float64 matrix W of one axis: output sample i is ``W[i] @ input``."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"resize: `interpolation` must be one of {INTERPOLATIONS}, received interpolation={interpolation!r}."
        )
    scale = in_size / out_size
    if interpolation == "nearest":
        # Half-pixel centres rounded down, clamped to the last sample.
        index = np.minimum(np.floor((np.arange(out_size) + 0.5) * scale).astype(np.int64), in_size - 1)
        weights = np.zeros((out_size, in_size))
        weights[np.arange(out_size), index] = 1.0
        return weights
    if interpolation == "area":
        starts = np.arange(out_size)[:, None] * scale
        pixels = np.arange(in_size)[None, :]
        overlap = np.clip(np.minimum(starts + scale, pixels + 1) - np.maximum(starts, pixels), 0.0, None)
        return overlap / scale
    centres = (np.arange(out_size) + 0.5) * scale - 0.5
    weights = _KERNELS[interpolation](np.abs(centres[:, None] - np.arange(in_size)[None, :]))
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.where(np.abs(totals) > 1000 * np.finfo(np.float32).eps, weights / np.where(totals != 0, totals, 1), 0.0)
    inside = (centres >= -0.5) & (centres <= in_size - 0.5)
    return np.where(inside[:, None], weights, 0.0)


@functools.lru_cache(maxsize=128)
def _band(in_size: int, out_size: int, interpolation: str, transposed: bool) -> tuple[np.ndarray, np.ndarray]:
    """The nonzero weights of :func:`interpolation_weights` (or of its transpose) as a band:
    ``(index, weight)``, each (rows, taps), row i being ``sum_k weight[i, k] * input[index[i, k]]``
    (rows with fewer taps are padded with weight 0)."""
    weights = interpolation_weights(in_size, out_size, interpolation)
    if transposed:
        weights = weights.T
    nonzero = weights != 0
    taps = max(int(nonzero.sum(axis=1).max()), 1)
    index = np.argsort(~nonzero, axis=1, kind="stable")[:, :taps]
    return index, np.take_along_axis(weights, index, axis=1)


def _along_axis(a, axis: int, in_size: int, out_size: int, interpolation: str, transposed: bool = False):
    """The interpolation matrix of one spatial axis (or its transpose) applied along ``axis`` of ``a``.

    A band of a few taps per output (2 for bilinear, 4 for bicubic) is gathered and summed when it is
    much narrower than the input: O(taps * out) per line instead of the dense product's O(in * out).
    """
    index, weight = _band(in_size, out_size, interpolation, transposed)
    n_in = out_size if transposed else in_size
    n_out = in_size if transposed else out_size
    if 4 * index.shape[1] > n_in:
        matrix = interpolation_weights(in_size, out_size, interpolation)
        matrix = (matrix.T if transposed else matrix).astype(a.dtype)
        moved = xp.moveaxis(a, axis, -2)  # (..., n_in, trailing) so matmul contracts n_in
        return xp.moveaxis(xp.matmul(matrix, moved), -2, axis)
    weight = weight.astype(a.dtype)
    shape = [1] * a.ndim
    shape[axis] = n_out
    out = xp.take(a, index[:, 0], axis=axis)
    out *= weight[:, 0].reshape(shape)
    for tap in range(1, index.shape[1]):
        out += xp.take(a, index[:, tap], axis=axis) * weight[:, tap].reshape(shape)
    return out


def resize(images, size, interpolation: str = "bilinear") -> Tensor:
    """Resize a (batch, height, width, channels) float tensor to ``size`` = (height, width).

    z = R @ x @ C^T per image and channel (R: rows, C: columns, from :func:`interpolation_weights`);
    dx = R^T @ g @ C.
    """
    x = as_tensor(images)
    a = x.data
    if a.dtype.kind != "f":
        from numeras import backend

        a = a.astype(backend.floatx())
        x = constant(a)
    if a.ndim != 4:
        raise ValueError(
            f"resize: `images` must be a 4D (batch, height, width, channels) tensor, received shape {a.shape}."
        )
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"resize: `interpolation` must be one of {INTERPOLATIONS}, received interpolation={interpolation!r}."
        )
    height, width = a.shape[1], a.shape[2]
    out_height, out_width = int(size[0]), int(size[1])
    out = _along_axis(_along_axis(a, 1, height, out_height, interpolation), 2, width, out_width, interpolation)

    def vjp(g):
        by_cols = _along_axis(g, 2, width, out_width, interpolation, transposed=True)
        return (_along_axis(by_cols, 1, height, out_height, interpolation, transposed=True),)

    return record(out, (x,), vjp)
