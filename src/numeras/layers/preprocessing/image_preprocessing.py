"""Image preprocessing and augmentation layers (chapter 8 of "Deep Learning with Python"):
``Resizing``, ``CenterCrop`` and the random augmentations ``RandomFlip``, ``RandomRotation``,
``RandomZoom``, ``RandomTranslation``, ``RandomCrop``, ``RandomContrast``, ``RandomBrightness``.

They follow Keras 3: images are a batch (rank 4) or a single image (rank 3), channels last unless
``data_format="channels_first"``; outputs are in the layer's dtype (float32), except that
``Resizing`` keeps integer images integer (rounded and saturated), as Keras does. The random layers
act only in training: ``fit`` calls them with ``training=True``, ``predict`` and ``evaluate`` with
``training=False`` (identity), and a direct call without ``training`` augments, as Keras's own
``training=True`` default does. A ``seed`` makes a layer's sequence of draws reproducible.

Geometric augmentations share one batched resampler, :func:`affine_transform`: every image gets its
own 8-parameter transform (Keras's ``[a0, a1, a2, b0, b1, b2, c0, c1]``, mapping an output pixel
``(x, y)`` to the input point ``(a0 x + a1 y + a2, b0 x + b1 y + b2)``) and the whole batch is
read in four gathers, with the edge modes of ``jax.scipy.ndimage.map_coordinates`` that Keras
uses ('reflect', 'wrap', 'constant', 'nearest').

``Resizing`` and ``CenterCrop`` are differentiable (as in Keras): resizing is linear, one weight
matrix per axis, applied by the primitive of :mod:`numeras.autodiff.ops.resize` with
``tf.image.resize``'s weights, and its gradient is the transposed matrices applied to the
incoming gradient.

Length: over the house's ~700 lines because its eleven layers share one batched affine resampler,
one fill-mode rule and one seed/training protocol; split by layer, each file would re-import most
of the others.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff import Tensor
from numeras.autodiff.ops import cast as _cast
from numeras.autodiff.ops import constant, getitem, transpose
from numeras.autodiff.ops.convolution import standardize_data_format
from numeras.autodiff.ops.resize import INTERPOLATIONS
from numeras.layers.layer import Layer
from numeras.ops.image import resize_batch
from numeras.utils.image_utils import centred_crop_box

__all__ = [
    "CenterCrop",
    "RandomBrightness",
    "RandomContrast",
    "RandomCrop",
    "RandomFlip",
    "RandomRotation",
    "RandomTranslation",
    "RandomZoom",
    "Resizing",
    "affine_transform",
    "resize_images",
]

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
AFFINE_INTERPOLATIONS = ("nearest", "bilinear")


# --- differentiable resize ---------------------------------------------------------------------

_RESIZING_FLAVOUR = "tensorflow"
"""Whose interpolation weights the resizing layers use where JAX's and TensorFlow's differ
(bicubic without antialias): TensorFlow's, what Keras's Resizing computes in a tf.data pipeline
and what image_dataset_from_directory loads with."""


def resize_images(images: Tensor, size: tuple[int, int], interpolation: str = "bilinear", antialias: bool = False) -> Tensor:
    """A (batch, height, width, channels) tensor resized to ``size`` = (height, width) as
    ``tf.image.resize`` (``antialias`` stretches the kernel when shrinking); images already of
    that size pass unchanged. Differentiable."""
    return resize_batch(images, size, interpolation, antialias, flavour=_RESIZING_FLAVOUR)


# --- batched affine resampling -----------------------------------------------------------------


def _fix_indices(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Integer positions moved inside [0, size) as each mode extends the image."""
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a: the edge pixel repeats, period 2 size
        period = 2 * size
        index = index % period
        return np.where(index >= size, period - 1 - index, index)
    if fill_mode == "wrap":
        return index % size
    return np.clip(index, 0, size - 1)


def _near_image(coordinates: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Coordinates beyond a few image sizes moved to an equivalent one nearby: clipped where
    everything outside looks alike ('constant', 'nearest'), shifted by whole periods otherwise."""
    limit = 4 * size + 4
    far = np.abs(coordinates) > limit
    if not far.any():
        return coordinates
    if fill_mode in ("constant", "nearest"):
        return np.clip(coordinates, -limit, limit)
    period = 2 * size if fill_mode == "reflect" else size
    return np.where(far, np.mod(coordinates, period), coordinates)


def _round_half_away_from_zero(values: np.ndarray) -> np.ndarray:
    return np.sign(values) * np.floor(np.abs(values) + 0.5)


def affine_transform(
    images: np.ndarray,
    transforms: np.ndarray,
    interpolation: str = "bilinear",
    fill_mode: str = "constant",
    fill_value: float = 0.0,
) -> np.ndarray:
    """(batch, height, width, channels) float ``images``, each resampled through its own row of
    ``transforms`` (batch, 8): output pixel (x=column, y=row) reads the input at
    (a0 x + a1 y + a2, b0 x + b1 y + b2), bilinearly or at the nearest pixel.

    Neighbours outside the image follow ``fill_mode``; in 'constant' mode an outside neighbour
    contributes ``fill_value`` with its interpolation weight (so edges blend into the fill).
    """
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(f"`interpolation` must be one of {AFFINE_INTERPOLATIONS}, received {interpolation!r}.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"`fill_mode` must be one of {FILL_MODES}, received {fill_mode!r}.")
    batch, height, width, channels = images.shape
    dtype = images.dtype
    transforms = np.asarray(transforms, dtype=np.float32).reshape(batch, 8)
    # Source coordinates in float32, as Keras computes them (the floor of a position decides the
    # neighbours, so a float64 position could pick a different pixel at exact boundaries).
    row = np.arange(height, dtype=np.float32)[None, :, None]
    col = np.arange(width, dtype=np.float32)[None, None, :]
    a0, a1, a2, b0, b1, b2 = (transforms[:, i, None, None] for i in range(6))
    source_rows = row * b1 + col * b0 + b2
    source_cols = row * a1 + col * a0 + a2
    flat = images.reshape(batch * height * width, channels)
    # int32 arithmetic is faster while flat indices fit. Coordinates far outside the image (an
    # extreme transform) are first brought near it, so the integer cast cannot overflow.
    index_dtype = np.int32 if batch * height * width < 2**30 else np.int64
    source_rows = _near_image(source_rows, height, fill_mode)
    source_cols = _near_image(source_cols, width, fill_mode)
    base = (np.arange(batch, dtype=index_dtype) * (height * width))[:, None, None]
    fill = np.asarray(fill_value, dtype=dtype)
    constant_fill = fill_mode == "constant"

    def axis_indices(positions: np.ndarray, size: int, scale: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Flat-index contributions of integer positions along one axis, and where they fall outside."""
        fixed = _fix_indices(positions, size, fill_mode) * scale
        outside = ((positions < 0) | (positions >= size)) if constant_fill else None
        return fixed, outside

    def gather(rows: tuple, cols: tuple) -> np.ndarray:
        """Pixels at the (row, column) index pairs, (batch, height, width, channels), filled outside."""
        values = np.take(flat, base + rows[0] + cols[0], axis=0)
        if constant_fill:
            values[rows[1] | cols[1]] = fill
        return values

    if interpolation == "nearest":
        rows = axis_indices(_round_half_away_from_zero(source_rows).astype(index_dtype), height, width)
        cols = axis_indices(_round_half_away_from_zero(source_cols).astype(index_dtype), width, 1)
        return gather(rows, cols)
    top = np.floor(source_rows)
    left = np.floor(source_cols)
    down = (source_rows - top).astype(dtype)[..., None]
    right = (source_cols - left).astype(dtype)[..., None]
    top = top.astype(index_dtype)
    left = left.astype(index_dtype)
    # Each neighbour's fixed index is computed once and shared by the two gathers that use it.
    upper, lower = axis_indices(top, height, width), axis_indices(top + 1, height, width)
    first, second = axis_indices(left, width, 1), axis_indices(left + 1, width, 1)
    up, left_weight = 1 - down, 1 - right
    out = gather(upper, first) * (up * left_weight)
    out += gather(upper, second) * (up * right)
    out += gather(lower, first) * (down * left_weight)
    out += gather(lower, second) * (down * right)
    return out


def _rotation_transforms(angles_degrees: np.ndarray, height: int, width: int) -> np.ndarray:
    """(batch, 8) transforms rotating each image by its angle about the image centre."""
    angle = np.asarray(angles_degrees, dtype=np.float32) * np.float32(math.pi / 180.0)
    cos, sin = np.cos(angle), np.sin(angle)
    centre_x = np.float32(0.5 * (width - 1))
    centre_y = np.float32(0.5 * (height - 1))
    zeros = np.zeros_like(angle)
    return np.stack(
        [
            cos, -sin, centre_x - centre_x * cos + centre_y * sin,
            sin, cos, centre_y - centre_x * sin - centre_y * cos,
            zeros, zeros,
        ],
        axis=1,
    )


def _zoom_transforms(width_zoom: np.ndarray, height_zoom: np.ndarray, height: int, width: int) -> np.ndarray:
    """(batch, 8) transforms scaling output coordinates by the zooms about the image centre."""
    width_zoom = np.asarray(width_zoom, dtype=np.float32).reshape(-1)
    height_zoom = np.asarray(height_zoom, dtype=np.float32).reshape(-1)
    zeros = np.zeros_like(width_zoom)
    x_offset = np.float32((width - 1.0) / 2.0) * (1.0 - width_zoom)
    y_offset = np.float32((height - 1.0) / 2.0) * (1.0 - height_zoom)
    return np.stack([width_zoom, zeros, x_offset, zeros, height_zoom, y_offset, zeros, zeros], axis=1)


def _translation_transforms(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """(batch, 8) transforms moving each image right by ``dx`` and down by ``dy`` pixels."""
    dx = np.asarray(dx, dtype=np.float32).reshape(-1)
    dy = np.asarray(dy, dtype=np.float32).reshape(-1)
    zeros, ones = np.zeros_like(dx), np.ones_like(dx)
    return np.stack([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)


# --- shared layer plumbing ---------------------------------------------------------------------


class _ImageLayer(Layer):
    """Rank-3 or rank-4 image inputs, in either data format, handled as a channels-last batch."""

    def __init__(self, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format, owner=type(self).__name__)

    def _as_float(self, inputs: Tensor) -> Tensor:
        if inputs.data.dtype != np.dtype(self.dtype):
            inputs = _cast(inputs, self.dtype)
        return inputs

    def _to_batch(self, inputs: Tensor) -> tuple[Tensor, bool]:
        """``inputs`` as a channels-last float batch, and whether a batch axis was added."""
        if inputs.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': expected images of rank 3 (height, width, channels) or "
                f"rank 4 (batch, height, width, channels), received shape {tuple(inputs.shape)}."
            )
        inputs = self._as_float(inputs)
        unbatched = inputs.ndim == 3
        if unbatched:
            inputs = inputs.reshape((1, *inputs.shape))
        if self.data_format == "channels_first":
            inputs = transpose(inputs, (0, 2, 3, 1))
        return inputs, unbatched

    def _from_batch(self, outputs: Tensor, unbatched: bool) -> Tensor:
        if self.data_format == "channels_first":
            outputs = transpose(outputs, (0, 3, 1, 2))
        if unbatched:
            outputs = outputs.reshape(outputs.shape[1:])
        return outputs

    def _spatial_axes(self, rank: int) -> tuple[int, int]:
        return (rank - 2, rank - 1) if self.data_format == "channels_first" else (rank - 3, rank - 2)

    def _resized_shape(self, input_shape: Any, height: int, width: int) -> tuple:
        shape = list(input_shape)
        if len(shape) not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected an input shape of rank 3 or 4, received {tuple(input_shape)}."
            )
        height_axis, width_axis = self._spatial_axes(len(shape))
        shape[height_axis], shape[width_axis] = height, width
        return tuple(shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": self.data_format}


class _RandomImageLayer(_ImageLayer):
    """An augmentation: random in training, identity (cast to the layer's dtype) otherwise."""

    def __init__(self, seed: int | None = None, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self._generator = backend.make_generator(seed) if seed is not None else None

    def _rng(self) -> np.random.Generator:
        return self._generator or backend.random_generator()

    def call(self, inputs: Tensor, training: bool | None = True) -> Tensor:
        # None means nobody said: Keras then uses this signature's default, training=True.
        if training is None:
            training = True
        if not training:
            return self._as_float(inputs)
        batch, unbatched = self._to_batch(inputs)
        return self._from_batch(self._augment(batch), unbatched)

    def _augment(self, images: Tensor) -> Tensor:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {**super().get_config(), "seed": self.seed}


def _check_choice(owner: str, name: str, value: Any, choices: tuple) -> Any:
    if value not in choices:
        raise ValueError(f"{owner}: `{name}` must be one of {choices}, received {name}={value!r}.")
    return value


def _symmetric_range(owner: str, name: str, factor: Any, lower_bound: float, upper_bound: float, open_lower: bool = False) -> tuple[float, float]:
    """(lower, upper) from a number f (giving (-|f|, |f|)) or a pair, each inside the bounds."""
    bounds = f"({lower_bound}, {upper_bound}]" if open_lower else f"[{lower_bound}, {upper_bound}]"

    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"{owner}: `{name}` must be a number or a pair of numbers, received {name}={factor!r}.")
        value = float(value)
        too_low = value <= lower_bound if open_lower else value < lower_bound
        if too_low or value > upper_bound:
            raise ValueError(
                f"{owner}: `{name}` must be a number or a pair of numbers in the range {bounds}, received {name}={factor!r}."
            )
        return value

    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"{owner}: `{name}` must be a number or a pair of two numbers, received {name}={factor!r}.")
        lower, upper = sorted(check(v) for v in factor)
        return lower, upper
    value = abs(check(factor))
    return -value, value


# --- deterministic layers ----------------------------------------------------------------------


class Resizing(_ImageLayer):
    """Resize images to (``height``, ``width``) with ``interpolation`` ('bilinear', 'nearest',
    'bicubic', 'area', 'lanczos3', 'lanczos5', 'gaussian', 'mitchellcubic').

    ``crop_to_aspect_ratio`` first crops the largest centred window with the target's aspect
    ratio; ``pad_to_aspect_ratio`` first pads both sides with ``fill_value`` to that ratio.
    ``antialias`` widens the kernel when shrinking, so every input pixel counts. Differentiable.
    """

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("Resizing", "height", height)
        self.width = _positive_int("Resizing", "width", width)
        self.interpolation = _check_choice("Resizing", "interpolation", interpolation, INTERPOLATIONS)
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError(
                "Resizing: only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` can be True, received both."
            )
        if fill_mode != "constant":
            raise ValueError(f"Resizing: `fill_mode` must be 'constant' (the only mode Keras pads with), received {fill_mode!r}.")
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.antialias = bool(antialias)

    def call(self, inputs: Tensor) -> Tensor:
        source_dtype = inputs.data.dtype
        batch, unbatched = self._to_batch(inputs)
        resized = resize_batch(
            batch,
            (self.height, self.width),
            self.interpolation,
            self.antialias,
            self.crop_to_aspect_ratio,
            self.pad_to_aspect_ratio,
            self.fill_value,
            flavour=_RESIZING_FLAVOUR,
        )
        resized = self._from_batch(resized, unbatched)
        if source_dtype.kind in "iu":
            # As Keras: integer images (uint8 pixels) stay integers, rounded and saturated.
            limits = np.iinfo(source_dtype)
            values = np.clip(np.round(resized.data), limits.min, limits.max)
            return constant(values.astype(source_dtype))
        return resized

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "height": self.height,
            "width": self.width,
            "interpolation": self.interpolation,
            "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
            "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "antialias": self.antialias,
        }


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{owner}: `{name}` must be a positive integer, received {name}={value!r}.")
    return int(value)


class CenterCrop(_ImageLayer):
    """The central (``height``, ``width``) window of each image. An image smaller than the window
    along an axis is instead resized to it, after cropping to the target's aspect ratio (Keras's
    ``smart_resize``). Differentiable."""

    def __init__(self, height: int, width: int, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = _positive_int("CenterCrop", "height", height)
        self.width = _positive_int("CenterCrop", "width", width)

    def call(self, inputs: Tensor) -> Tensor:
        batch, unbatched = self._to_batch(inputs)
        height, width = batch.shape[1], batch.shape[2]
        if height >= self.height and width >= self.width:
            top, left = (height - self.height) // 2, (width - self.width) // 2
            out = getitem(batch, (slice(None), slice(top, top + self.height), slice(left, left + self.width)))
        else:
            out = resize_batch(batch, (self.height, self.width), "bilinear", crop_to_aspect_ratio=True, flavour=_RESIZING_FLAVOUR)
        return self._from_batch(out, unbatched)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


# --- random augmentations ----------------------------------------------------------------------

HORIZONTAL = "horizontal"
VERTICAL = "vertical"
HORIZONTAL_AND_VERTICAL = "horizontal_and_vertical"


class RandomFlip(_RandomImageLayer):
    """Flips each image with probability 1/2: left-right ('horizontal'), upside down
    ('vertical'), or both at once ('horizontal_and_vertical', one draw per image for both, as
    Keras)."""

    def __init__(self, mode: str = HORIZONTAL_AND_VERTICAL, seed: int | None = None, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = _check_choice("RandomFlip", "mode", mode, (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL))

    def _augment(self, images: Tensor) -> Tensor:
        x = images.data
        flips = self._rng().uniform(size=(x.shape[0], 1, 1, 1)) <= 0.5
        out = x
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            out = np.where(flips, out[:, :, ::-1], out)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            out = np.where(flips, out[:, ::-1], out)
        return constant(out)

    def get_config(self) -> dict:
        return {**super().get_config(), "mode": self.mode}


class _AffineAugmentation(_RandomImageLayer):
    """A random geometric transform per image, resampled with ``fill_mode`` and ``interpolation``."""

    def __init__(
        self,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        owner = type(self).__name__
        self.fill_mode = _check_choice(owner, "fill_mode", fill_mode, FILL_MODES)
        self.interpolation = _check_choice(owner, "interpolation", interpolation, AFFINE_INTERPOLATIONS)
        self.fill_value = float(fill_value)

    def _augment(self, images: Tensor) -> Tensor:
        batch, height, width, _ = images.shape
        transforms = self._transforms(batch, height, width)
        return constant(affine_transform(images.data, transforms, self.interpolation, self.fill_mode, self.fill_value))

    def _transforms(self, batch: int, height: int, width: int) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "fill_mode": self.fill_mode,
            "fill_value": self.fill_value,
            "interpolation": self.interpolation,
        }


class RandomRotation(_AffineAugmentation):
    """Rotates each image by a random angle drawn uniformly from ``factor`` (fractions of a full
    turn: ``0.1`` means [-36, 36] degrees; a pair gives (lower, upper)) about its centre."""

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = _symmetric_range("RandomRotation", "factor", factor, -1.0, 1.0)

    def _transforms(self, batch: int, height: int, width: int) -> np.ndarray:
        angles = self._rng().uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, size=batch)
        return _rotation_transforms(angles, height, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_AffineAugmentation):
    """Zooms each image by a random amount: ``height_factor`` f (or a pair) draws the vertical
    scale of the sampling grid from 1 + [-f, f], so a positive value zooms out and a negative one
    zooms in; ``width_factor`` does the same horizontally (None: keep the aspect ratio)."""

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _symmetric_range("RandomZoom", "height_factor", height_factor, -1.0, 1.0, open_lower=True)
        self._width_range = (
            None if width_factor is None
            else _symmetric_range("RandomZoom", "width_factor", width_factor, -1.0, 1.0, open_lower=True)
        )

    def _transforms(self, batch: int, height: int, width: int) -> np.ndarray:
        rng = self._rng()
        height_zoom = rng.uniform(1.0 + self._height_range[0], 1.0 + self._height_range[1], size=batch)
        width_zoom = height_zoom
        if self._width_range is not None:
            width_zoom = rng.uniform(1.0 + self._width_range[0], 1.0 + self._width_range[1], size=batch)
        return _zoom_transforms(width_zoom, height_zoom, height, width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomTranslation(_AffineAugmentation):
    """Shifts each image by a random fraction of its size: down by ``height_factor`` (a number f
    means [-f, f], a pair (lower, upper)) times the height, right by ``width_factor`` times the width."""

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor = height_factor
        self.width_factor = width_factor
        self._height_range = _symmetric_range("RandomTranslation", "height_factor", height_factor, -1.0, 1.0)
        self._width_range = _symmetric_range("RandomTranslation", "width_factor", width_factor, -1.0, 1.0)

    def _transforms(self, batch: int, height: int, width: int) -> np.ndarray:
        rng = self._rng()
        dy = rng.uniform(*self._height_range, size=batch).astype(np.float32) * np.float32(height)
        dx = rng.uniform(*self._width_range, size=batch).astype(np.float32) * np.float32(width)
        return _translation_transforms(dx, dy)

    def get_config(self) -> dict:
        return {**super().get_config(), "height_factor": self.height_factor, "width_factor": self.width_factor}


class RandomCrop(_RandomImageLayer):
    """A random (``height``, ``width``) window, at one random offset for the whole batch (as
    Keras). When an image is not larger than the window along both axes, the window starts where
    the largest centred window with the target's aspect ratio would, and whatever it holds is
    resized (bilinear) to the target. At inference the images pass unchanged, as in Keras 3.15."""

    def __init__(self, height: int, width: int, seed: int | None = None, data_format: Any = None, **kwargs: Any) -> None:
        # As Keras, a missing seed is drawn now, so the saved config reproduces the layer.
        if seed is None:
            seed = int(backend.random_generator().integers(0, 2**31 - 1))
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height = _positive_int("RandomCrop", "height", height)
        self.width = _positive_int("RandomCrop", "width", width)

    def _augment(self, images: Tensor) -> Tensor:
        height, width = images.shape[1], images.shape[2]
        if height > self.height and width > self.width:
            rng = self._rng()
            top = int(rng.uniform(0, height - self.height + 1))
            left = int(rng.uniform(0, width - self.width + 1))
            return constant(images.data[:, top : top + self.height, left : left + self.width])
        top, left, _, _ = centred_crop_box(height, width, self.height, self.width)
        window = getitem(images, (slice(None), slice(top, top + self.height), slice(left, left + self.width)))
        if window.shape[1:3] != (self.height, self.width):
            window = resize_images(window, (self.height, self.width), "bilinear")
        return window

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._resized_shape(input_shape, self.height, self.width)

    def get_config(self) -> dict:
        return {**super().get_config(), "height": self.height, "width": self.width}


def _value_range(owner: str, value_range: Any) -> list[float]:
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"{owner}: `value_range` must be a list of two numbers (low, high), received value_range={value_range!r}.")
    return sorted(float(v) for v in value_range)


class RandomContrast(_RandomImageLayer):
    """Scales each image's deviation from its per-channel mean by a random contrast factor, then
    clips to ``value_range``. As Keras 3.15, a number ``factor`` f draws the contrast from
    [1, 1 + f] (the lower bound is clamped at 0 before use); a pair (lower, upper) from
    [1 - lower, 1 + upper]."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _clamped_range("RandomContrast", factor, 0.0, 1.0)
        _value_range("RandomContrast", value_range)
        self.value_range = value_range

    def _augment(self, images: Tensor) -> Tensor:
        x = images.data
        contrast = self._rng().uniform(1.0 - self.factor[0], 1.0 + self.factor[1], size=(x.shape[0], 1, 1, 1))
        contrast = contrast.astype(x.dtype)
        mean = x.mean(axis=(1, 2), keepdims=True)
        out = (x - mean) * contrast + mean
        return constant(np.clip(out, self.value_range[0], self.value_range[1], out=out))

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


class RandomBrightness(_RandomImageLayer):
    """Adds one random offset per image, drawn from ``factor`` (a number f: [-f, f]; a pair:
    (lower, upper); each within [-1, 1]) times the width of ``value_range``, then clips to it."""

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(seed=seed, **kwargs)
        self.factor = _clamped_range("RandomBrightness", factor, -1.0, 1.0)
        self.value_range = _value_range("RandomBrightness", value_range)

    def _augment(self, images: Tensor) -> Tensor:
        x = images.data
        low, high = self.value_range
        delta = self._rng().uniform(self.factor[0], self.factor[1], size=(x.shape[0], 1, 1, 1)) * (high - low)
        out = x + delta.astype(x.dtype)
        return constant(np.clip(out, low, high, out=out))

    def get_config(self) -> dict:
        return {**super().get_config(), "factor": self.factor, "value_range": self.value_range}


def _clamped_range(owner: str, factor: Any, lower_bound: float, upper_bound: float) -> tuple[float, float]:
    """Keras's base ``factor`` rule: a number f gives (max(-|f|, lower_bound), |f|); a pair is
    sorted; values must lie in [lower_bound, upper_bound]."""
    message = (
        f"{owner}: `factor` must be a number (or a list of two numbers) in the range "
        f"[{lower_bound}, {upper_bound}], received factor={factor!r}."
    )
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(message)
        lower, upper = sorted(float(v) for v in factor)
        if lower > upper_bound or upper < lower_bound:
            raise ValueError(message)
        return lower, upper
    if isinstance(factor, bool) or not isinstance(factor, (int, float, np.number)):
        raise ValueError(message)
    if factor < lower_bound or factor > upper_bound:
        raise ValueError(message)
    value = abs(float(factor))
    return max(-value, lower_bound), value
