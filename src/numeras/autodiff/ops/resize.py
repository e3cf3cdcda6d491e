"""Image resizing: the interpolation weights of every method numeras offers, and the one
differentiable primitive that applies them.

Every interpolation is linear in the image and separable: along each spatial axis, output sample
i is a weighted sum of input samples, so ``out = R @ x @ C^T`` with one (out, in) weight matrix
per axis. :func:`interpolation_weights` is the only place numeras computes those matrices;
:func:`resize` applies them with a gradient (``dx = R^T @ g @ C``), and :func:`resample_axis`
applies one to a plain array (numeras.utils.image_utils resizes decoded images with it).

``jax.image.resize`` (Keras's JAX backend) and ``tf.image.resize`` compute the same weights:
half-pixel centres ``(i + 0.5) * in / out - 0.5``; the kernel evaluated at the distance to each
input sample (divided by ``in / out`` when ``antialias`` shrinks, so that every input sample
counts); each row divided by its sum (edge rows, whose kernel reaches past the border, still sum
to 1); rows whose centre falls outside the image zero. 'nearest' takes the sample under each
half-pixel centre, rounded down; 'area' (TensorFlow only) averages the input span each output
covers by overlap. Both ignore ``antialias``, as TensorFlow and JAX do. 'gaussian' and
'mitchellcubic' exist only in ``tf.image.resize`` (Keras's backends refuse them).

They differ in one place, chosen by ``flavour``: 'bicubic' without antialiasing, which JAX
computes exactly while TensorFlow reads Keys's cubic from a 1024-entry table, i.e. rounds each
fractional position to a multiple of 1/1024 (weights move by up to 6e-4). With antialiasing
TensorFlow computes bicubic exactly too, growing as well as shrinking. (Both libraries compute the
sample positions in float32, so weights of large resizes differ from these float64 ones by ~3e-5.)

Who uses which: ``keras.ops.image.resize`` and ``UpSampling2D`` go through the backend's resize
(``flavour="jax"``); ``image_dataset_from_directory`` calls ``tf.image.resize`` (``"tensorflow"``),
and numeras's ``Resizing`` follows TensorFlow too, as Keras's does inside a tf.data pipeline.
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
INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")
"""The interpolations :func:`resize` accepts (``tf.image.resize``'s methods)."""

FLAVOURS = ("jax", "tensorflow")
"""Whose weights to reproduce where JAX and TensorFlow differ (bicubic without antialiasing)."""

_TENSORFLOW_BICUBIC_TABLE_SIZE = 1024


def _check(interpolation: str, flavour: str) -> None:
    if interpolation not in INTERPOLATIONS:
        raise ValueError(
            f"resize: `interpolation` must be one of {INTERPOLATIONS}, received interpolation={interpolation!r}."
        )
    if flavour not in FLAVOURS:
        raise ValueError(f"resize: `flavour` must be one of {FLAVOURS}, received flavour={flavour!r}.")


def _key(in_size: int, out_size: int, interpolation: str, flavour: str, antialias: bool) -> tuple:
    """The arguments that really select a weight matrix: (in, out, interpolation, stretch,
    bicubic_table). Antialiasing stretches the kernel only when a kernel method shrinks, and
    TensorFlow's table is read only by bicubic without antialiasing."""
    in_size, out_size = int(in_size), int(out_size)
    stretch = bool(antialias) and out_size < in_size and interpolation in _KERNELS
    bicubic_table = interpolation == "bicubic" and flavour == "tensorflow" and not antialias
    return in_size, out_size, interpolation, stretch, bicubic_table


def interpolation_weights(
    in_size: int, out_size: int, interpolation: str, flavour: str = "jax", antialias: bool = False
) -> np.ndarray:
    """The (out_size, in_size) float64 matrix W of one axis: output sample i is ``W[i] @ input``.
    Cached and read-only."""
    _check(interpolation, flavour)
    return _weights(*_key(in_size, out_size, interpolation, flavour, antialias))


@functools.lru_cache(maxsize=128)
def _weights(in_size: int, out_size: int, interpolation: str, stretch: bool, bicubic_table: bool) -> np.ndarray:
    scale = in_size / out_size
    if interpolation == "nearest":
        # Half-pixel centres rounded down, clamped to the last sample.
        index = np.minimum(np.floor((np.arange(out_size) + 0.5) * scale).astype(np.int64), in_size - 1)
        weights = np.zeros((out_size, in_size))
        weights[np.arange(out_size), index] = 1.0
    elif interpolation == "area":
        starts = np.arange(out_size)[:, None] * scale
        pixels = np.arange(in_size)[None, :]
        weights = np.clip(np.minimum(starts + scale, pixels + 1) - np.maximum(starts, pixels), 0.0, None) / scale
    else:
        centres = (np.arange(out_size) + 0.5) * scale - 0.5
        if bicubic_table:
            whole = np.floor(centres)
            centres = whole + np.round((centres - whole) * _TENSORFLOW_BICUBIC_TABLE_SIZE) / _TENSORFLOW_BICUBIC_TABLE_SIZE
        distances = np.abs(centres[:, None] - np.arange(in_size)[None, :])
        weights = _KERNELS[interpolation](distances / scale if stretch else distances)
        totals = weights.sum(axis=1, keepdims=True)
        usable = np.abs(totals) > 1000 * np.finfo(np.float32).eps
        weights = np.where(usable, weights / np.where(totals != 0, totals, 1), 0.0)
        inside = (centres >= -0.5) & (centres <= in_size - 0.5)
        weights = np.where(inside[:, None], weights, 0.0)
    weights.setflags(write=False)
    return weights


@functools.lru_cache(maxsize=256)
def _band(key: tuple, transposed: bool, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray] | None:
    """The nonzero weights of ``_weights(*key)`` (or of its transpose) in ``dtype`` as a band
    ``(index, weight)``, each (rows, taps): row i is ``sum_k weight[i, k] * input[index[i, k]]``
    (rows with fewer taps padded with weight 0). None where the matrix is the identity."""
    weights = _weights(*key)
    if transposed:
        weights = weights.T
    if weights.shape[0] == weights.shape[1] and np.array_equal(weights, np.eye(len(weights))):
        return None
    nonzero = weights != 0
    taps = max(int(nonzero.sum(axis=1).max()), 1)
    index = np.argsort(~nonzero, axis=1, kind="stable")[:, :taps]
    weight = np.take_along_axis(weights, index, axis=1).astype(dtype)
    index.setflags(write=False)
    weight.setflags(write=False)
    return index, weight


@functools.lru_cache(maxsize=64)
def _dense(key: tuple, transposed: bool, dtype: np.dtype) -> np.ndarray:
    weights = _weights(*key)
    matrix = np.ascontiguousarray((weights.T if transposed else weights).astype(dtype))
    matrix.setflags(write=False)
    return matrix


def _apply(a, axis: int, key: tuple, transposed: bool, dtype):
    """``_weights(*key)`` (or its transpose) applied along ``axis`` of ``a``, in ``dtype``.

    A band of a few taps per output (2 for bilinear, 4 for bicubic) is gathered and summed when it
    is much narrower than the input: O(taps * out) per line instead of the dense product's
    O(in * out). The gathers read ``a`` in its own dtype (uint8 photos need no float copy)."""
    dtype = np.dtype(dtype)
    band = _band(key, transposed, dtype)
    if band is None:
        return a if a.dtype == dtype else a.astype(dtype)
    index, weight = band
    if 4 * index.shape[1] > a.shape[axis]:
        moved = xp.moveaxis(a if a.dtype == dtype else a.astype(dtype), axis, -2)  # (..., n_in, trailing)
        return xp.moveaxis(xp.matmul(_dense(key, transposed, dtype), moved), -2, axis)
    shape = [1] * a.ndim
    shape[axis] = index.shape[0]
    out = xp.multiply(xp.take(a, index[:, 0], axis=axis), weight[:, 0].reshape(shape), dtype=dtype)
    if index.shape[1] > 1:
        term = xp.empty_like(out)
        for tap in range(1, index.shape[1]):
            xp.multiply(xp.take(a, index[:, tap], axis=axis), weight[:, tap].reshape(shape), out=term, dtype=dtype)
            out += term
    return out


def resample_axis(
    a, axis: int, out_size: int, interpolation: str, flavour: str = "jax", antialias: bool = False, dtype=None
):
    """The array ``a`` resized along ``axis`` to ``out_size`` samples (no gradient): the
    :func:`interpolation_weights` of that axis applied, result in ``dtype`` (default: ``a``'s)."""
    _check(interpolation, flavour)
    key = _key(a.shape[axis], out_size, interpolation, flavour, antialias)
    return _apply(a, axis, key, False, a.dtype if dtype is None else dtype)


def resize(images, size, interpolation: str = "bilinear", flavour: str = "jax", antialias: bool = False) -> Tensor:
    """Resize a (batch, height, width, channels) float tensor to ``size`` = (height, width).

    z = R @ x @ C^T per image and channel (R: rows, C: columns, from :func:`interpolation_weights`
    with ``interpolation``, ``flavour`` and ``antialias``);  dx = R^T @ g @ C.
    Integer images are cast to floatx first (no gradient reaches them).
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
    _check(interpolation, flavour)
    if len(size) != 2 or any(int(side) < 1 for side in size):
        raise ValueError(f"resize: `size` must be two positive integers (height, width), received size={size!r}.")
    rows = _key(a.shape[1], size[0], interpolation, flavour, antialias)
    cols = _key(a.shape[2], size[1], interpolation, flavour, antialias)
    out = _apply(_apply(a, 1, rows, False, a.dtype), 2, cols, False, a.dtype)
    if out is a:  # both axes the identity: the output must not share the input's buffer
        out = a.copy()

    def vjp(g):
        return (_apply(_apply(g, 2, cols, True, g.dtype), 1, rows, True, g.dtype),)

    return record(out, (x,), vjp)
