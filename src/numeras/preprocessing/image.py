"""The first edition's image pipeline: Keras's legacy ``ImageDataGenerator`` (random rotations,
shifts, shears, zooms, flips, rescaling) with ``flow`` over arrays and ``flow_from_directory``
over a class-per-folder tree, plus ``apply_affine_transform``. Deprecated in Keras 3, as here:
new code uses ``numeras.utils.image_dataset_from_directory`` with augmentation layers.

The affine warp is NumPy, not SciPy: every output pixel's source position is computed in one
matrix product and sampled bilinearly (``interpolation_order=1``, the default) or at the nearest
pixel (order 0), with SciPy's ``ndimage`` edge modes ('nearest', 'reflect', 'wrap',
'constant'), so results equal Keras's ``scipy.ndimage.affine_transform`` call.

Length: over the house's ~700 lines because the legacy ``ImageDataGenerator`` is one unit (its
random transform, ``flow`` and ``flow_from_directory`` share the generator's settings and draw
order, which must stay Keras's for seeded results to match); it is frozen, Keras 2 API.
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from typing import Any

import numpy as np

from numeras import backend
from numeras.utils.image_utils import (
    array_to_img,
    img_to_array,
    load_img,
    save_img,
    smart_resize,
)

__all__ = [
    "ImageDataGenerator",
    "Iterator",
    "NumpyArrayIterator",
    "DirectoryIterator",
    "apply_affine_transform",
    "load_img",
    "img_to_array",
    "array_to_img",
    "save_img",
    "smart_resize",
]

FILL_MODES = ("constant", "nearest", "reflect", "wrap")


def _edge_indices(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Integer positions mapped into ``[0, size)`` as SciPy's modes extend the image."""
    if fill_mode == "reflect":  # d c b a | a b c d | d c b a
        period = 2 * size
        index = np.mod(index, period)
        return np.where(index >= size, period - 1 - index, index)
    return np.clip(index, 0, size - 1)


def _wrap_coordinates(coordinate: np.ndarray, size: int) -> np.ndarray:
    # SciPy's 'wrap' repeats with period size - 1 (the last and first samples coincide).
    if size <= 1:
        return np.zeros_like(coordinate)
    period = size - 1
    below = coordinate < 0
    above = coordinate > size - 1
    coordinate = np.where(below, coordinate + period * (np.floor(-coordinate / period) + 1), coordinate)
    return np.where(above, coordinate - period * np.floor(coordinate / period), coordinate)


def _sample(channels: np.ndarray, rows: np.ndarray, cols: np.ndarray, fill_mode: str, cval: float, order: int) -> np.ndarray:
    """``channels`` (C, H, W) read at float positions (rows, cols), each (H_out, W_out)."""
    height, width = channels.shape[1:]
    outside = None
    if fill_mode == "constant":
        # SciPy's 'constant': cval beyond the outermost sample centres, no blending with cval.
        outside = (rows < 0) | (rows > height - 1) | (cols < 0) | (cols > width - 1)
    elif fill_mode == "wrap":
        rows, cols = _wrap_coordinates(rows, height), _wrap_coordinates(cols, width)
    mode = "nearest" if fill_mode in ("constant", "wrap") else fill_mode
    if order == 0:
        # The order-0 spline reads the sample at floor(position + 0.5), as SciPy does.
        r = _edge_indices(np.floor(rows + 0.5).astype(np.int64), height, mode)
        c = _edge_indices(np.floor(cols + 0.5).astype(np.int64), width, mode)
        result = channels[:, r, c]
    else:
        top = np.floor(rows)
        left = np.floor(cols)
        fr = (rows - top).astype(channels.dtype)
        fc = (cols - left).astype(channels.dtype)
        top = top.astype(np.int64)
        left = left.astype(np.int64)
        r0, r1 = _edge_indices(top, height, mode), _edge_indices(top + 1, height, mode)
        c0, c1 = _edge_indices(left, width, mode), _edge_indices(left + 1, width, mode)
        upper = channels[:, r0, c0] * (1 - fc) + channels[:, r0, c1] * fc
        lower = channels[:, r1, c0] * (1 - fc) + channels[:, r1, c1] * fc
        result = upper * (1 - fr) + lower * fr
    if outside is not None:
        result = np.where(outside[None], np.asarray(cval, channels.dtype), result)
    return result


def apply_affine_transform(
    x: Any,
    theta: float = 0,
    tx: float = 0,
    ty: float = 0,
    shear: float = 0,
    zx: float = 1,
    zy: float = 1,
    row_axis: int = 1,
    col_axis: int = 2,
    channel_axis: int = 0,
    fill_mode: str = "nearest",
    cval: float = 0.0,
    order: int = 1,
) -> np.ndarray:
    """One image (3-D) rotated by ``theta`` degrees, shifted by (``tx`` rows, ``ty`` columns),
    sheared by ``shear`` degrees and zoomed by (``zx``, ``zy``) about its centre, as Keras's
    legacy function of that name (an inverse map: output pixel p reads input ``M @ p``)."""
    x = np.asarray(x)
    if len({row_axis, col_axis, channel_axis}) != 3 or {row_axis, col_axis, channel_axis} != {0, 1, 2}:
        raise ValueError(
            "apply_affine_transform: `row_axis`, `col_axis` and `channel_axis` must be 0, 1 and 2 in some "
            f"order, received {row_axis}, {col_axis}, {channel_axis}."
        )
    if x.ndim != 3:
        raise ValueError(f"apply_affine_transform: expected one image of rank 3, received shape {x.shape}.")
    if channel_axis not in (0, 2):
        raise ValueError("apply_affine_transform: channels must be the first or the last axis.")
    if fill_mode not in FILL_MODES:
        raise ValueError(f"apply_affine_transform: `fill_mode` must be one of {FILL_MODES}, received {fill_mode!r}.")
    if order not in (0, 1):
        raise ValueError(
            f"apply_affine_transform: numeras supports interpolation order 0 or 1, received order={order}."
        )
    matrix = np.eye(3)
    changed = False
    if theta != 0:
        angle = np.deg2rad(theta)
        matrix = matrix @ np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
        changed = True
    if tx != 0 or ty != 0:
        matrix = matrix @ np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        changed = True
    if shear != 0:
        angle = np.deg2rad(shear)
        matrix = matrix @ np.array([[1, -np.sin(angle), 0], [0, np.cos(angle), 0], [0, 0, 1]])
        changed = True
    if zx != 1 or zy != 1:
        matrix = matrix @ np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        changed = True
    if not changed:
        return x
    height, width = x.shape[row_axis], x.shape[col_axis]
    # Keras centres the matrix with (height, width) on its (first, second) coordinate and then,
    # when rows come before columns, swaps the two coordinates (matrix built for x/y, applied to
    # row/column indices). Both steps are kept as they are so the output equals Keras's, even
    # for non-square images where that moves the centre.
    first_centre, second_centre = height / 2 - 0.5, width / 2 - 0.5
    to_centre = np.array([[1, 0, first_centre], [0, 1, second_centre], [0, 0, 1]])
    from_centre = np.array([[1, 0, -first_centre], [0, 1, -second_centre], [0, 0, 1]])
    matrix = to_centre @ matrix @ from_centre
    if col_axis > row_axis:
        matrix[:, [0, 1]] = matrix[:, [1, 0]]
        matrix[[0, 1]] = matrix[[1, 0]]
    channels = np.moveaxis(x, channel_axis, 0)
    # Every output pixel's source position at once: (2, 3) matrix @ homogeneous output grid.
    out_first, out_second = np.meshgrid(np.arange(channels.shape[1]), np.arange(channels.shape[2]), indexing="ij")
    grid = np.stack([out_first.ravel(), out_second.ravel(), np.ones(out_first.size)])
    source = matrix[:2] @ grid
    first = source[0].reshape(out_first.shape)
    second = source[1].reshape(out_first.shape)
    work = channels if channels.dtype.kind == "f" else channels.astype(np.float64)
    result = _sample(work, first, second, fill_mode, cval, order)
    return np.moveaxis(result.astype(x.dtype, copy=False), 0, channel_axis)


def _flip(x: np.ndarray, axis: int) -> np.ndarray:
    return np.flip(x, axis=axis)


class ImageDataGenerator:
    """Random augmentation and normalisation of image batches (Keras's legacy class, deprecated:
    prefer ``image_dataset_from_directory`` plus ``layers.RandomFlip`` / ``RandomRotation`` /
    ``RandomZoom`` / ``RandomTranslation`` in the model).

    Ranges are as Keras's: ``rotation_range`` degrees; shift ranges a fraction of the image (< 1),
    pixels (>= 1), or a list of allowed pixel shifts; ``shear_range`` degrees; ``zoom_range`` a
    float z for [1 - z, 1 + z] or a pair; ``fill_mode`` 'nearest' / 'constant' (``cval``) /
    'reflect' / 'wrap'. ``rescale`` multiplies after the transformation. Random draws use
    NumPy's global generator, seeded per batch from ``seed`` as Keras does.
    """

    def __init__(
        self,
        featurewise_center: bool = False,
        samplewise_center: bool = False,
        featurewise_std_normalization: bool = False,
        samplewise_std_normalization: bool = False,
        zca_whitening: bool = False,
        zca_epsilon: float = 1e-6,
        rotation_range: float = 0,
        width_shift_range: Any = 0.0,
        height_shift_range: Any = 0.0,
        brightness_range: Any = None,
        shear_range: float = 0.0,
        zoom_range: Any = 0.0,
        channel_shift_range: float = 0.0,
        fill_mode: str = "nearest",
        cval: float = 0.0,
        horizontal_flip: bool = False,
        vertical_flip: bool = False,
        rescale: float | None = None,
        preprocessing_function: Any = None,
        data_format: str | None = None,
        validation_split: float = 0.0,
        interpolation_order: int = 1,
        dtype: str | None = None,
    ):
        warnings.warn(
            "ImageDataGenerator is deprecated (as in Keras 3): load images with "
            "numeras.utils.image_dataset_from_directory and augment them with layers such as "
            "RandomFlip, RandomRotation, RandomZoom and RandomTranslation.",
            DeprecationWarning,
            stacklevel=2,
        )
        if data_format is None:
            getter = getattr(backend, "image_data_format", None)
            data_format = getter() if getter is not None else "channels_last"
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(
                f"ImageDataGenerator: `data_format` must be 'channels_last' or 'channels_first', received {data_format!r}."
            )
        if fill_mode not in FILL_MODES:
            raise ValueError(f"ImageDataGenerator: `fill_mode` must be one of {FILL_MODES}, received {fill_mode!r}.")
        if interpolation_order not in (0, 1):
            raise ValueError(
                f"ImageDataGenerator: numeras supports interpolation_order 0 or 1, received {interpolation_order}."
            )
        if isinstance(zoom_range, (float, int)):
            zoom_range = [1 - zoom_range, 1 + zoom_range]
        elif len(zoom_range) == 2 and all(isinstance(v, (float, int)) for v in zoom_range):
            zoom_range = [zoom_range[0], zoom_range[1]]
        else:
            raise ValueError(f"ImageDataGenerator: `zoom_range` must be a float or a pair of floats, received {zoom_range!r}.")
        if brightness_range is not None and (not isinstance(brightness_range, (tuple, list)) or len(brightness_range) != 2):
            raise ValueError(
                f"ImageDataGenerator: `brightness_range` must be a pair of floats, received {brightness_range!r}."
            )
        if validation_split and not 0 < validation_split < 1:
            raise ValueError(
                f"ImageDataGenerator: `validation_split` must be strictly between 0 and 1, received {validation_split}."
            )
        if zca_whitening and not featurewise_center:
            warnings.warn("zca_whitening overrides featurewise_center: centring is switched on.", stacklevel=2)
            featurewise_center = True
        if zca_whitening and featurewise_std_normalization:
            warnings.warn("zca_whitening overrides featurewise_std_normalization: it is switched off.", stacklevel=2)
            featurewise_std_normalization = False
        if featurewise_std_normalization and not featurewise_center:
            warnings.warn("featurewise_std_normalization switches featurewise_center on.", stacklevel=2)
            featurewise_center = True
        if samplewise_std_normalization and not samplewise_center:
            warnings.warn("samplewise_std_normalization switches samplewise_center on.", stacklevel=2)
            samplewise_center = True
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.zca_epsilon = zca_epsilon
        self.rotation_range = rotation_range
        self.width_shift_range = width_shift_range
        self.height_shift_range = height_shift_range
        self.brightness_range = brightness_range
        self.shear_range = shear_range
        self.zoom_range = zoom_range
        self.channel_shift_range = channel_shift_range
        self.fill_mode = fill_mode
        self.cval = cval
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        self.rescale = rescale
        self.preprocessing_function = preprocessing_function
        self.data_format = data_format
        self.dtype = dtype or backend.floatx()
        self.interpolation_order = interpolation_order
        self._validation_split = validation_split
        if data_format == "channels_first":
            self.channel_axis, self.row_axis, self.col_axis = 1, 2, 3
        else:
            self.channel_axis, self.row_axis, self.col_axis = 3, 1, 2
        self.mean = None
        self.std = None
        self.zca_whitening_matrix = None

    # --- iterators ------------------------------------------------------------------------------

    def flow(
        self,
        x: Any,
        y: Any = None,
        batch_size: int = 32,
        shuffle: bool = True,
        sample_weight: Any = None,
        seed: int | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        ignore_class_split: bool = False,
        subset: str | None = None,
    ) -> NumpyArrayIterator:
        """Endless augmented batches ``(x, y)`` (or ``x``) from arrays; ``len()`` batches per epoch."""
        return NumpyArrayIterator(
            x, y, self, batch_size=batch_size, shuffle=shuffle, sample_weight=sample_weight, seed=seed,
            save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format, subset=subset,
        )  # fmt: skip

    def flow_from_directory(
        self,
        directory: Any,
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
    ) -> DirectoryIterator:
        """Endless augmented batches of the images under ``directory`` (one subfolder per class),
        resized with Pillow to ``target_size``; labels per ``class_mode``: 'categorical' (one-hot),
        'binary' / 'sparse' (class index as float), 'input' (the images), None (images only)."""
        return DirectoryIterator(
            directory, self, target_size=target_size, color_mode=color_mode, classes=classes,
            class_mode=class_mode, batch_size=batch_size, shuffle=shuffle, seed=seed,
            save_to_dir=save_to_dir, save_prefix=save_prefix, save_format=save_format,
            follow_links=follow_links, subset=subset, interpolation=interpolation,
            keep_aspect_ratio=keep_aspect_ratio,
        )  # fmt: skip

    # --- per-image work ---------------------------------------------------------------------------

    def standardize(self, x: np.ndarray) -> np.ndarray:
        """``preprocessing_function``, ``rescale`` and the normalisations, in place where possible."""
        if self.preprocessing_function:
            x = self.preprocessing_function(x)
        if self.rescale:
            x *= self.rescale
        if self.samplewise_center:
            x -= np.mean(x, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, keepdims=True) + 1e-6
        if self.featurewise_center:
            if self.mean is None:
                warnings.warn("featurewise_center is set but the generator was not fit: call .fit(x) first.", stacklevel=2)
            else:
                x -= self.mean
        if self.featurewise_std_normalization:
            if self.std is None:
                warnings.warn(
                    "featurewise_std_normalization is set but the generator was not fit: call .fit(x) first.", stacklevel=2
                )
            else:
                x /= self.std + 1e-6
        if self.zca_whitening:
            if self.zca_whitening_matrix is None:
                warnings.warn("zca_whitening is set but the generator was not fit: call .fit(x) first.", stacklevel=2)
            else:
                flat = x.reshape(-1, math.prod(x.shape[-3:]))
                x = (flat @ self.zca_whitening_matrix).reshape(x.shape)
        return x

    def get_random_transform(self, img_shape: tuple, seed: int | None = None) -> dict:
        """Random parameters for one image (Keras's draws, in Keras's order)."""
        row_axis, col_axis = self.row_axis - 1, self.col_axis - 1
        if seed is not None:
            np.random.seed(seed)
        theta = np.random.uniform(-self.rotation_range, self.rotation_range) if self.rotation_range else 0
        tx = self._shift(self.height_shift_range, img_shape[row_axis])
        ty = self._shift(self.width_shift_range, img_shape[col_axis])
        shear = np.random.uniform(-self.shear_range, self.shear_range) if self.shear_range else 0
        if self.zoom_range[0] == 1 and self.zoom_range[1] == 1:
            zx, zy = 1, 1
        else:
            zx, zy = np.random.uniform(self.zoom_range[0], self.zoom_range[1], 2)
        flip_horizontal = (np.random.random() < 0.5) * self.horizontal_flip
        flip_vertical = (np.random.random() < 0.5) * self.vertical_flip
        channel_shift_intensity = None
        if self.channel_shift_range != 0:
            channel_shift_intensity = np.random.uniform(-self.channel_shift_range, self.channel_shift_range)
        brightness = None
        if self.brightness_range is not None:
            brightness = np.random.uniform(self.brightness_range[0], self.brightness_range[1])
        return {
            "theta": theta, "tx": tx, "ty": ty, "shear": shear, "zx": zx, "zy": zy,
            "flip_horizontal": flip_horizontal, "flip_vertical": flip_vertical,
            "channel_shift_intensity": channel_shift_intensity, "brightness": brightness,
        }  # fmt: skip

    @staticmethod
    def _shift(shift_range: Any, size: int) -> float:
        if not np.any(shift_range):
            return 0
        if isinstance(shift_range, float):
            shift = np.random.uniform(-shift_range, shift_range)
        else:  # an int or a list: allowed pixel shifts, either sign
            shift = np.random.choice(shift_range) * np.random.choice([-1, 1])
        if np.max(shift_range) < 1:
            shift *= size
        return shift

    def apply_transform(self, x: np.ndarray, transform_parameters: dict) -> np.ndarray:
        """One image transformed with the given parameters (see ``get_random_transform``)."""
        row_axis, col_axis, channel_axis = self.row_axis - 1, self.col_axis - 1, self.channel_axis - 1
        p = transform_parameters
        x = apply_affine_transform(
            x, p.get("theta", 0), p.get("tx", 0), p.get("ty", 0), p.get("shear", 0), p.get("zx", 1), p.get("zy", 1),
            row_axis=row_axis, col_axis=col_axis, channel_axis=channel_axis,
            fill_mode=self.fill_mode, cval=self.cval, order=self.interpolation_order,
        )  # fmt: skip
        if p.get("channel_shift_intensity") is not None:
            low, high = np.min(x), np.max(x)
            x = np.clip(x + p["channel_shift_intensity"], low, high)
        if p.get("flip_horizontal", False):
            x = _flip(x, col_axis)
        if p.get("flip_vertical", False):
            x = _flip(x, row_axis)
        if p.get("brightness") is not None:
            image = array_to_img(x, data_format=self.data_format, scale=False)
            from PIL import ImageEnhance

            x = img_to_array(ImageEnhance.Brightness(image).enhance(p["brightness"]), data_format=self.data_format)
        return x

    def random_transform(self, x: np.ndarray, seed: int | None = None) -> np.ndarray:
        """One image with a random transformation applied."""
        return self.apply_transform(x, self.get_random_transform(x.shape, seed))

    def fit(self, x: Any, augment: bool = False, rounds: int = 1, seed: int | None = None) -> None:
        """Statistics for featurewise normalisation and ZCA from sample images ``x`` (rank 4)."""
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(f"ImageDataGenerator.fit: expected a batch of images of rank 4, received shape {x.shape}.")
        if seed is not None:
            np.random.seed(seed)
        x = np.copy(x)
        if self.rescale:
            x *= self.rescale
        if augment:
            x = np.concatenate([np.stack([self.random_transform(image) for image in x]) for _ in range(rounds)])
        axes = (0, self.row_axis, self.col_axis)
        shape = [1, 1, 1]
        shape[self.channel_axis - 1] = x.shape[self.channel_axis]
        if self.featurewise_center:
            self.mean = np.mean(x, axis=axes).reshape(shape)
            x -= self.mean
        if self.featurewise_std_normalization:
            self.std = np.std(x, axis=axes).reshape(shape)
            x /= self.std + 1e-6
        if self.zca_whitening:
            flat = x.reshape(x.shape[0], -1)
            sigma = flat.T @ flat / flat.shape[0]
            u, s, _ = np.linalg.svd(sigma)
            self.zca_whitening_matrix = (u * (1.0 / np.sqrt(s + self.zca_epsilon))) @ u.T


class Iterator:
    """Endless batches over ``n`` samples (Keras's legacy iterator): ``len()`` batches per epoch,
    ``it[i]`` the i-th batch, ``next(it)`` the next batch (a new shuffled order each epoch)."""

    white_list_formats = ("png", "jpg", "jpeg", "bmp", "ppm", "tif", "tiff")

    def __init__(self, n: int, batch_size: int, shuffle: bool, seed: int | None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"`batch_size` must be a positive int, received batch_size={batch_size!r}.")
        self.n = n
        self.batch_size = int(batch_size)
        self.seed = seed
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_array = None
        self.index_generator = self._flow_index()

    def _set_index_array(self) -> None:
        self.index_array = np.random.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, idx: int) -> Any:
        if idx >= len(self):
            raise ValueError(f"Asked to retrieve batch {idx}, but the iterator has {len(self)} batches.")
        if self.seed is not None:
            np.random.seed(self.seed + self.total_batches_seen)
        self.total_batches_seen += 1
        if self.index_array is None:
            self._set_index_array()
        return self._get_batches_of_transformed_samples(self.index_array[self.batch_size * idx : self.batch_size * (idx + 1)])

    def __len__(self) -> int:
        return (self.n + self.batch_size - 1) // self.batch_size

    def on_epoch_end(self) -> None:
        self._set_index_array()

    def reset(self) -> None:
        self.batch_index = 0

    def _flow_index(self) -> Any:
        self.reset()
        while True:
            if self.seed is not None:
                np.random.seed(self.seed + self.total_batches_seen)
            if self.batch_index == 0:
                self._set_index_array()
            current = (self.batch_index * self.batch_size) % self.n if self.n else 0
            if self.n > current + self.batch_size:
                self.batch_index += 1
            else:
                self.batch_index = 0
            self.total_batches_seen += 1
            yield self.index_array[current : current + self.batch_size]

    def __iter__(self) -> Iterator:
        return self

    def __next__(self) -> Any:
        with self.lock:
            index_array = next(self.index_generator)
        return self._get_batches_of_transformed_samples(index_array)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        raise NotImplementedError

    def _save_batch(self, batch_x: np.ndarray, index_array: np.ndarray) -> None:
        for i, j in enumerate(index_array):
            image = array_to_img(batch_x[i], self.data_format, scale=True)
            name = f"{self.save_prefix}_{j}_{np.random.randint(1e7)}.{self.save_format}"
            image.save(os.path.join(self.save_to_dir, name))


class NumpyArrayIterator(Iterator):
    """Augmented batches from an image array ``x`` (rank 4) and optional labels ``y``."""

    def __init__(
        self,
        x: Any,
        y: Any,
        image_data_generator: ImageDataGenerator,
        batch_size: int = 32,
        shuffle: bool = False,
        sample_weight: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        subset: str | None = None,
        dtype: str | None = None,
    ):
        self.dtype = dtype or image_data_generator.dtype
        self.data_format = data_format or image_data_generator.data_format
        x = np.asarray(x, dtype=self.dtype)
        if x.ndim != 4:
            raise ValueError(
                f"ImageDataGenerator.flow: `x` must be a batch of images of rank 4, received shape {x.shape}."
            )
        if y is not None and len(x) != len(y):
            raise ValueError(
                f"ImageDataGenerator.flow: `x` and `y` must have the same length, received {len(x)} and {len(y)}."
            )
        if sample_weight is not None and len(x) != len(sample_weight):
            raise ValueError(
                "ImageDataGenerator.flow: `x` and `sample_weight` must have the same length, received "
                f"{len(x)} and {len(sample_weight)}."
            )
        if subset is not None:
            if subset not in ("training", "validation"):
                raise ValueError(f"`subset` must be 'training' or 'validation', received {subset!r}.")
            split_index = int(len(x) * image_data_generator._validation_split)
            part = slice(None, split_index) if subset == "validation" else slice(split_index, None)
            x = x[part]
            y = None if y is None else np.asarray(y)[part]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[part]
        channel_axis = 3 if self.data_format == "channels_last" else 1
        if x.shape[channel_axis] not in (1, 3, 4):
            warnings.warn(
                f"ImageDataGenerator.flow: `x` has {x.shape[channel_axis]} channels on axis {channel_axis} "
                f"({self.data_format}); images normally have 1, 3 or 4.",
                stacklevel=3,
            )
        self.x = x
        self.y = None if y is None else np.asarray(y)
        self.sample_weight = None if sample_weight is None else np.asarray(sample_weight)
        self.image_data_generator = image_data_generator
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        super().__init__(len(x), batch_size, shuffle, seed)

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        generator = self.image_data_generator
        batch_x = np.zeros((len(index_array),) + self.x.shape[1:], dtype=self.dtype)
        for i, j in enumerate(index_array):
            image = generator.random_transform(self.x[j].copy())
            batch_x[i] = generator.standardize(image)
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        if self.y is None:
            return batch_x
        if self.sample_weight is None:
            return batch_x, self.y[index_array]
        return batch_x, self.y[index_array], self.sample_weight[index_array]


class DirectoryIterator(Iterator):
    """Augmented batches of the images under ``directory`` (Keras's legacy flow_from_directory)."""

    allowed_class_modes = ("categorical", "binary", "sparse", "input", None)

    def __init__(
        self,
        directory: Any,
        image_data_generator: ImageDataGenerator | None,
        target_size: tuple[int, int] = (256, 256),
        color_mode: str = "rgb",
        classes: list[str] | None = None,
        class_mode: str | None = "categorical",
        batch_size: int = 32,
        shuffle: bool = True,
        seed: int | None = None,
        data_format: str | None = None,
        save_to_dir: str | None = None,
        save_prefix: str = "",
        save_format: str = "png",
        follow_links: bool = False,
        subset: str | None = None,
        interpolation: str = "nearest",
        keep_aspect_ratio: bool = False,
        dtype: str | None = None,
    ):
        caller = "flow_from_directory"
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{caller}: {directory!r} is not an existing directory.")
        if color_mode not in ("rgb", "rgba", "grayscale"):
            raise ValueError(f"{caller}: `color_mode` must be 'rgb', 'rgba' or 'grayscale', received {color_mode!r}.")
        if class_mode not in self.allowed_class_modes:
            raise ValueError(f"{caller}: `class_mode` must be one of {self.allowed_class_modes}, received {class_mode!r}.")
        if (
            not isinstance(target_size, (tuple, list))
            or len(target_size) != 2
            or not all(isinstance(v, (int, np.integer)) and v > 0 for v in target_size)
        ):
            raise ValueError(f"{caller}: `target_size` must be (height, width), two positive ints, received {target_size!r}.")
        generator_format = image_data_generator.data_format if image_data_generator else "channels_last"
        self.data_format = data_format or generator_format
        self.dtype = dtype or (image_data_generator.dtype if image_data_generator else backend.floatx())
        self.image_data_generator = image_data_generator
        self.target_size = tuple(int(v) for v in target_size)
        self.color_mode = color_mode
        self.keep_aspect_ratio = keep_aspect_ratio
        self.interpolation = interpolation
        channels = {"rgb": 3, "rgba": 4, "grayscale": 1}[color_mode]
        self.image_shape = (
            self.target_size + (channels,) if self.data_format == "channels_last" else (channels,) + self.target_size
        )
        self.save_to_dir, self.save_prefix, self.save_format = save_to_dir, save_prefix, save_format
        split = None
        if subset is not None:
            fraction = image_data_generator._validation_split if image_data_generator else 0.0
            if subset == "validation":
                split = (0.0, fraction)
            elif subset == "training":
                split = (fraction, 1.0)
            else:
                raise ValueError(f"{caller}: `subset` must be 'training' or 'validation', received {subset!r}.")
        self.subset = subset
        self.directory = directory
        self.class_mode = class_mode
        if not classes:
            classes = [name for name in sorted(os.listdir(directory)) if os.path.isdir(os.path.join(directory, name))]
        self.num_classes = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames: list[str] = []
        labels: list[int] = []
        formats = tuple("." + ext for ext in self.white_list_formats)
        for class_name in classes:
            class_dir = os.path.join(directory, class_name)
            if not os.path.isdir(class_dir):
                raise ValueError(f"{caller}: class {class_name!r} has no folder {class_dir!r}.")
            found = []
            for root, _, files in sorted(os.walk(class_dir, followlinks=follow_links), key=lambda entry: entry[0]):
                for name in sorted(files):
                    if name.lower().endswith(formats):
                        found.append(os.path.join(class_name, os.path.relpath(os.path.join(root, name), class_dir)))
            if split is not None:
                found = found[int(split[0] * len(found)) : int(split[1] * len(found))]
            self.filenames += found
            labels += [self.class_indices[class_name]] * len(found)
        self.samples = len(self.filenames)
        self.classes = np.asarray(labels, dtype="int32")
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        self._filepaths = [os.path.join(directory, name) for name in self.filenames]
        super().__init__(self.samples, batch_size, shuffle, seed)

    @property
    def filepaths(self) -> list[str]:
        return self._filepaths

    @property
    def labels(self) -> np.ndarray:
        return self.classes

    @property
    def sample_weight(self) -> None:
        return None

    def _get_batches_of_transformed_samples(self, index_array: np.ndarray) -> Any:
        batch_x = np.zeros((len(index_array),) + self.image_shape, dtype=self.dtype)
        generator = self.image_data_generator
        for i, j in enumerate(index_array):
            try:
                image = load_img(
                    self._filepaths[j], color_mode=self.color_mode, target_size=self.target_size,
                    interpolation=self.interpolation, keep_aspect_ratio=self.keep_aspect_ratio,
                )  # fmt: skip
            except Exception as error:
                raise ValueError(
                    f"flow_from_directory: cannot read the image file {self._filepaths[j]!r}: {error}"
                ) from error
            x = img_to_array(image, data_format=self.data_format, dtype=self.dtype)
            image.close()
            if generator is not None:
                x = generator.apply_transform(x, generator.get_random_transform(x.shape))
                x = generator.standardize(x)
            batch_x[i] = x
        if self.save_to_dir:
            self._save_batch(batch_x, index_array)
        if self.class_mode == "input":
            return batch_x, batch_x.copy()
        if self.class_mode in ("binary", "sparse"):
            return batch_x, self.classes[index_array].astype(self.dtype)
        if self.class_mode == "categorical":
            batch_y = np.zeros((len(batch_x), self.num_classes), dtype=self.dtype)
            batch_y[np.arange(len(batch_x)), self.classes[index_array]] = 1.0
            return batch_x, batch_y
        return batch_x
