"""Keras 3's ``keras.ops.image``: ``resize``, ``affine_transform`` and ``extract_patches``, on
one image (height, width, channels) or a batch, channels last or first.

All three are linear in the image and built from differentiable ops: ``resize`` applies an
(out, in) interpolation matrix along each spatial axis (the resize primitive of
numeras.autodiff.ops.resize, with the weights of ``jax.image.resize`` that Keras's JAX backend
uses), ``affine_transform`` gathers the
neighbours of each sampled point and weights them, and ``extract_patches`` gathers windows.
Gradients reach the images (not the transform).
"""

from __future__ import annotations

import builtins
import math

from numeras import backend
from numeras.autodiff.composites import (
    as_tensor,
    cast,
    concatenate,
    constant,
    full,
    getitem,
    multiply,
    pad,
    reshape,
    transpose,
)
from numeras.autodiff.ops import resize as resize_ops
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.utils import image_utils


def _channels_last_batch(images, data_format, where: str) -> tuple[Tensor, bool, bool]:
    """images as (batch, height, width, channels), with whether a batch axis was added and
    whether the input was channels first."""
    images = as_tensor(images)
    if images.data.ndim not in (3, 4):
        raise ValueError(
            f"{where}: `images` must be one image (rank 3) or a batch (rank 4), received shape {images.data.shape}."
        )
    data_format = backend.image_data_format() if data_format is None else data_format
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{where}: `data_format` must be 'channels_last' or 'channels_first', received {data_format!r}.")
    single = images.data.ndim == 3
    if single:
        images = reshape(images, (1,) + images.data.shape)
    first = data_format == "channels_first"
    if first:
        images = transpose(images, (0, 2, 3, 1))
    if images.data.dtype.kind != "f":
        images = cast(images, backend.floatx())
    return images, single, first


def _restore(out: Tensor, single: bool, first: bool) -> Tensor:
    if first:
        out = transpose(out, (0, 3, 1, 2))
    if single:
        out = reshape(out, out.data.shape[1:])
    return out


def resize(
    images,
    size,
    interpolation: str = "bilinear",
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_mode: str = "constant",
    fill_value: float = 0.0,
    data_format=None,
) -> Tensor:
    """images resized to ``size`` = (height, width) with ``interpolation`` (bilinear, nearest,
    bicubic, lanczos3, lanczos5 as ``jax.image.resize``; TensorFlow's area, gaussian,
    mitchellcubic), half-pixel centres; ``antialias`` stretches the kernel when shrinking.
    ``crop_to_aspect_ratio`` first crops the largest centred window with the target's aspect
    ratio; ``pad_to_aspect_ratio`` first pads with ``fill_value`` to it. Differentiable with
    respect to the images."""
    if fill_mode != "constant":
        raise ValueError(f"resize: only fill_mode='constant' is supported (as in Keras), received {fill_mode!r}.")
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError("resize: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True.")
    if interpolation not in resize_ops.INTERPOLATIONS:
        raise ValueError(f"resize: `interpolation` must be one of {resize_ops.INTERPOLATIONS}, received {interpolation!r}.")
    if len(size) != 2:
        raise ValueError(f"resize: `size` must be (height, width), received {size!r}.")
    images, single, first = _channels_last_batch(images, data_format, "resize")
    resized = resize_batch(images, size, interpolation, antialias, crop_to_aspect_ratio, pad_to_aspect_ratio, fill_value)
    return _restore(resized, single, first)


def resize_batch(
    images: Tensor,
    size,
    interpolation: str,
    antialias: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    fill_value: float = 0.0,
    flavour: str = "jax",
) -> Tensor:
    """:func:`resize` of a (batch, height, width, channels) float tensor, with the weights of
    ``flavour`` (see numeras.autodiff.ops.resize; the Resizing layer asks for TensorFlow's). An
    image already of the target size (after cropping or padding) passes unchanged."""
    target_height, target_width = int(size[0]), int(size[1])
    height, width = images.data.shape[1:3]
    if crop_to_aspect_ratio:
        top, left, crop_height, crop_width = image_utils.centred_crop_box(height, width, target_height, target_width)
        images = getitem(images, (builtins.slice(None), builtins.slice(top, top + crop_height), builtins.slice(left, left + crop_width)))
    elif pad_to_aspect_ratio:
        images = _pad_to_aspect_ratio(images, target_height, target_width, fill_value)
    if tuple(images.data.shape[1:3]) == (target_height, target_width):
        return images
    return resize_ops.resize(images, (target_height, target_width), interpolation, flavour=flavour, antialias=antialias)


def _pad_to_aspect_ratio(images: Tensor, target_height: int, target_width: int, fill_value) -> Tensor:
    """images centred on ``fill_value`` bands (the same width above and below, or left and
    right) to reach the target's aspect ratio, as Keras pads."""
    batch, height, width, channels = images.data.shape
    pad_height = builtins.max(height, int(float(width * target_height) / target_width))
    pad_width = builtins.max(width, int(float(height * target_width) / target_height))
    top = int(float(pad_height - height) / 2)
    left = int(float(pad_width - width) / 2)
    dtype = images.data.dtype
    if top > 0:
        band = full((batch, top, width, channels), fill_value, dtype=dtype)
        images = concatenate([band, images, band], axis=1)
    if left > 0:
        band = full((batch, images.data.shape[1], left, channels), fill_value, dtype=dtype)
        images = concatenate([band, images, band], axis=2)
    return images


_FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _fix_index(index, size: int, mode: str):
    """Integer positions mapped into [0, size) by ``mode`` (jax.scipy.ndimage.map_coordinates's
    rules); 'constant' leaves them (the caller masks the outside ones)."""
    if mode == "nearest":
        return xp.clip(index, 0, size - 1)
    if mode == "wrap":
        return index % size
    if mode == "mirror":
        span = builtins.max(size - 1, 1)
        return xp.abs((index + span) % (2 * span) - span) if size > 1 else xp.zeros_like(index)
    if mode == "reflect":
        mirrored = xp.abs((2 * index + 1 + 2 * size) % (2 * (2 * size)) - 2 * size)
        return (mirrored - 1) // 2
    return index


def affine_transform(images, transform, interpolation: str = "bilinear", fill_mode: str = "constant", fill_value=0, data_format=None) -> Tensor:
    """Each output pixel (x, y) sampled from the input at ((a0 x + a1 y + a2) / k,
    (b0 x + b1 y + b2) / k), k = c0 x + c1 y + 1, for ``transform`` = [a0, a1, a2, b0, b1, b2,
    c0, c1] (one row per image, or one for all). ``interpolation`` 'nearest' or 'bilinear';
    points outside the image per ``fill_mode``: 'constant' (``fill_value``), 'nearest', 'wrap',
    'mirror', 'reflect'. Differentiable with respect to the images."""
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"affine_transform: `interpolation` must be 'nearest' or 'bilinear', received {interpolation!r}.")
    if fill_mode not in _FILL_MODES:
        raise ValueError(f"affine_transform: `fill_mode` must be one of {_FILL_MODES}, received {fill_mode!r}.")
    images, single, first = _channels_last_batch(images, data_format, "affine_transform")
    batch, height, width, channels = images.data.shape
    matrix = xp.asarray(transform.data if isinstance(transform, Tensor) else transform, dtype=xp.float64)
    if matrix.ndim == 1:
        matrix = xp.broadcast_to(matrix, (batch, 8))
    if matrix.shape != (batch, 8):
        raise ValueError(
            f"affine_transform: `transform` must have shape (8,) or (batch, 8) = ({batch}, 8), received {matrix.shape}."
        )
    y, x = xp.meshgrid(xp.arange(height, dtype=xp.float64), xp.arange(width, dtype=xp.float64), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (matrix[:, i, None, None] for i in range(8))
    k = c0 * x + c1 * y + 1.0
    source_x = (a0 * x + a1 * y + a2) / k
    source_y = (b0 * x + b1 * y + b2) / k
    if interpolation == "nearest":
        corners = [(xp.round(source_y).astype(xp.intp), xp.round(source_x).astype(xp.intp), xp.ones_like(source_x))]
    else:
        top, left = xp.floor(source_y), xp.floor(source_x)
        dy, dx = source_y - top, source_x - left
        top, left = top.astype(xp.intp), left.astype(xp.intp)
        corners = [
            (top, left, (1 - dy) * (1 - dx)),
            (top, left + 1, (1 - dy) * dx),
            (top + 1, left, dy * (1 - dx)),
            (top + 1, left + 1, dy * dx),
        ]
    batch_index = xp.arange(batch)[:, None, None]
    dtype = images.data.dtype
    out = None
    outside_weight = xp.zeros((batch, height, width), dtype=xp.float64)
    for rows, cols, weight in corners:
        if fill_mode == "constant":
            inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
            outside_weight += xp.where(inside, 0.0, weight)
            weight = xp.where(inside, weight, 0.0)
            rows, cols = xp.clip(rows, 0, height - 1), xp.clip(cols, 0, width - 1)
        else:
            rows, cols = _fix_index(rows, height, fill_mode), _fix_index(cols, width, fill_mode)
        term = multiply(getitem(images, (batch_index, rows, cols)), constant(weight[..., None].astype(dtype)))
        out = term if out is None else out + term
    if fill_mode == "constant" and float(fill_value) != 0.0:
        out = out + constant((outside_weight * float(fill_value))[..., None].astype(dtype))
    return _restore(out, single, first)


def _pair(value, name: str) -> tuple[int, int]:
    if isinstance(value, int):
        return value, value
    if len(value) != 2:
        raise ValueError(f"extract_patches: `{name}` must be an int or (height, width), received {value!r}.")
    return int(value[0]), int(value[1])


def extract_patches(images, size, strides=None, dilation_rate=1, padding: str = "valid", data_format=None) -> Tensor:
    """Windows of ``size`` = (height, width) every ``strides`` (default: ``size``, no overlap),
    ``dilation_rate`` apart inside a window, each flattened (row, column, channel) into the
    last axis: (batch, rows, cols, height * width * channels). ``padding`` 'valid' or 'same'
    (zeros, split as convolution splits it). Differentiable with respect to the images."""
    if padding not in ("valid", "same"):
        raise ValueError(f"extract_patches: `padding` must be 'valid' or 'same', received {padding!r}.")
    images, single, first = _channels_last_batch(images, data_format, "extract_patches")
    patch_height, patch_width = _pair(size, "size")
    stride_y, stride_x = _pair(strides if strides is not None else (patch_height, patch_width), "strides")
    dilation_y, dilation_x = _pair(dilation_rate, "dilation_rate")
    batch, height, width, channels = images.data.shape
    span_y = (patch_height - 1) * dilation_y + 1
    span_x = (patch_width - 1) * dilation_x + 1
    if padding == "same":
        out_height, out_width = math.ceil(height / stride_y), math.ceil(width / stride_x)
        total_y = builtins.max((out_height - 1) * stride_y + span_y - height, 0)
        total_x = builtins.max((out_width - 1) * stride_x + span_x - width, 0)
        images = pad(images, ((0, 0), (total_y // 2, total_y - total_y // 2), (total_x // 2, total_x - total_x // 2), (0, 0)))
    else:
        out_height = (height - span_y) // stride_y + 1
        out_width = (width - span_x) // stride_x + 1
    rows = (xp.arange(out_height) * stride_y)[:, None, None, None] + (xp.arange(patch_height) * dilation_y)[None, None, :, None]
    cols = (xp.arange(out_width) * stride_x)[None, :, None, None] + (xp.arange(patch_width) * dilation_x)[None, None, None, :]
    windows = getitem(images, (builtins.slice(None), rows, cols))  # (batch, oh, ow, ph, pw, channels)
    out = reshape(windows, (batch, out_height, out_width, patch_height * patch_width * channels))
    return _restore(out, single, first)


__all__ = ["affine_transform", "extract_patches", "resize"]
