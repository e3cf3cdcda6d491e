"""Keras's ``image_dataset_from_directory``: a folder of image files (one subfolder per class) as a
numeras ``Dataset`` of ``(images, labels)`` batches, decoded with Pillow in worker threads.

Files are indexed, shuffled and split exactly as Keras does (``dataset_utils.index_directory``),
so a seed selects the same training and validation files. Images are resized like
``tf.image.resize`` (``image_utils.resize_image``). Every file is opened once up front so that a
corrupt or non-image file is reported, with its path, before any training starts.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from numeras.utils import dataset_utils, image_utils
from numeras.utils.dataset import Dataset

__all__ = ["image_dataset_from_directory", "ALLOWLIST_FORMATS"]

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
_CALLER = "image_dataset_from_directory"


def _default_workers() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def _check_image_size(image_size: Any) -> tuple[int, int]:
    if isinstance(image_size, (int, np.integer)) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (
        not isinstance(image_size, (list, tuple))
        or len(image_size) != 2
        or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v > 0 for v in image_size)
    ):
        raise ValueError(
            f"{_CALLER}: `image_size` must be (height, width), two positive ints, received "
            f"image_size={image_size!r}."
        )
    return int(image_size[0]), int(image_size[1])


def _problem_with(path: str, image_module: Any) -> str | None:
    """Why Pillow cannot read ``path`` as an image, or None if it can (header and structure)."""
    try:
        with image_module.open(path) as image:
            image.verify()
    except Exception as error:  # Pillow raises many types (UnidentifiedImageError, OSError, SyntaxError...)
        return f"{type(error).__name__}: {error}"
    return None


def _drop_invalid_images(paths: list, labels: Any, on_invalid_image: str, workers: int) -> tuple[list, Any]:
    image_module = image_utils.require_pil(_CALLER)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        problems = list(pool.map(lambda path: _problem_with(path, image_module), paths))
    bad = [index for index, problem in enumerate(problems) if problem is not None]
    if not bad:
        return paths, labels
    listing = "\n".join(f"  {paths[i]} ({problems[i]})" for i in bad[:10])
    more = f"\n  ... and {len(bad) - 10} more" if len(bad) > 10 else ""
    if on_invalid_image == "raise":
        raise ValueError(
            f"{_CALLER}: {len(bad)} file(s) cannot be read as images:\n{listing}{more}\nDelete or "
            "replace them, or pass on_invalid_image='skip' to leave them out with a warning."
        )
    warnings.warn(f"{_CALLER}: skipping {len(bad)} file(s) that cannot be read as images:\n{listing}{more}", stacklevel=3)
    keep = np.ones(len(paths), dtype=bool)
    keep[bad] = False
    paths = [path for path, kept in zip(paths, keep) if kept]
    return paths, None if labels is None else labels[keep]


def load_image(
    path: str,
    image_size: tuple[int, int],
    num_channels: int,
    interpolation: str,
    data_format: str,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
) -> np.ndarray:
    """One image file decoded, converted to ``num_channels`` and resized: float32 array."""
    image_module = image_utils.require_pil(_CALLER)
    try:
        with image_module.open(path) as image:
            if num_channels == 1:
                if image.mode not in ("L", "I;16", "I"):
                    image = image.convert("L")
            else:
                mode = "RGB" if num_channels == 3 else "RGBA"
                if image.mode != mode:
                    image = image.convert(mode)
            pixels = np.asarray(image)
    except Exception as error:
        raise ValueError(f"{_CALLER}: cannot decode the image file {path!r}: {type(error).__name__}: {error}") from error
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if crop_to_aspect_ratio:
        resized = image_utils.resize_with_crop(pixels, image_size, interpolation)
    elif pad_to_aspect_ratio:
        resized = image_utils.resize_with_pad(pixels, image_size, interpolation)
    else:
        resized = image_utils.resize_image(pixels, image_size, interpolation)
    if data_format == "channels_first":
        resized = np.ascontiguousarray(resized.transpose(2, 0, 1))
    return resized


def image_dataset_from_directory(
    directory: Any,
    labels: Any = "inferred",
    label_mode: str | None = "int",
    class_names: list[str] | None = None,
    color_mode: str = "rgb",
    batch_size: int | None = 32,
    image_size: Any = (256, 256),
    shuffle: bool = True,
    seed: int | None = None,
    validation_split: float | None = None,
    subset: str | None = None,
    interpolation: str = "bilinear",
    follow_links: bool = False,
    crop_to_aspect_ratio: bool = False,
    pad_to_aspect_ratio: bool = False,
    data_format: str | None = None,
    verbose: bool = True,
    on_invalid_image: str = "raise",
    workers: int | None = None,
) -> Any:
    """A ``Dataset`` of images from ``directory`` (Keras 3's arguments and defaults).

    ``labels='inferred'`` makes one class per subfolder (sorted; or ``class_names``' order);
    a list gives one integer label per file in sorted-path order; ``None`` gives images only.
    ``label_mode``: 'int' (int32 ``(batch,)``), 'categorical' (float32 one-hot), 'binary'
    (float32 ``(batch, 1)``, exactly two classes) or None. Images are float32
    ``(batch, height, width, channels)`` (channels first with that ``data_format``), 1/3/4
    channels for ``color_mode`` 'grayscale'/'rgb'/'rgba'; ``batch_size=None`` yields single
    images. ``validation_split`` with ``subset`` 'training' / 'validation' (or 'both': a list of
    the two datasets) splits the seeded file order; ``shuffle`` also reshuffles each epoch.
    Supported: .jpeg .jpg .png .bmp .gif (first frame).

    numeras additions: ``on_invalid_image`` — Keras fails while iterating when a file is not a
    readable image; numeras checks every file up front and by default ('raise') stops with the
    list of bad files, or with 'skip' leaves them out with a warning. ``workers`` — threads that
    decode images (default: up to 8, one per CPU). The result has ``class_names`` and
    ``file_paths`` attributes.
    """
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                f"{_CALLER}: `labels` must be 'inferred' (labels from the subfolder names), None (no "
                "labels), or a list/tuple of integer labels, one per image file in sorted-path order. "
                f"Received labels={labels!r}."
            )
        if class_names:
            raise ValueError(
                f"{_CALLER}: `class_names` is only valid with labels='inferred'; received labels={labels!r} "
                f"and class_names={class_names!r}."
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            f"{_CALLER}: `label_mode` must be 'int', 'categorical', 'binary' or None, received "
            f"label_mode={label_mode!r}."
        )
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    channels_for_mode = {"grayscale": 1, "rgb": 3, "rgba": 4}
    if color_mode not in channels_for_mode:
        raise ValueError(
            f"{_CALLER}: `color_mode` must be 'grayscale', 'rgb' or 'rgba', received color_mode={color_mode!r}."
        )
    num_channels = channels_for_mode[color_mode]
    image_size = _check_image_size(image_size)
    if not isinstance(interpolation, str) or interpolation.lower() not in image_utils.INTERPOLATIONS:
        raise ValueError(
            f"{_CALLER}: `interpolation` must be one of {image_utils.INTERPOLATIONS}, received "
            f"interpolation={interpolation!r}."
        )
    interpolation = interpolation.lower()
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise ValueError(f"{_CALLER}: set at most one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio`.")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1):
        raise ValueError(f"{_CALLER}: `batch_size` must be a positive int or None, received batch_size={batch_size!r}.")
    if on_invalid_image not in ("raise", "skip"):
        raise ValueError(
            f"{_CALLER}: `on_invalid_image` must be 'raise' or 'skip', received on_invalid_image={on_invalid_image!r}."
        )
    data_format = image_utils._data_format(data_format)
    workers = _default_workers() if workers is None else int(workers)
    if workers < 1:
        raise ValueError(f"{_CALLER}: `workers` must be at least 1, received workers={workers}.")
    image_utils.require_pil(_CALLER)
    dataset_utils.check_validation_split_arg(validation_split, subset, shuffle, seed, _CALLER)

    if seed is None:
        seed = np.random.randint(1e6)
    image_paths, labels, class_names = dataset_utils.index_directory(
        directory,
        labels,
        formats=ALLOWLIST_FORMATS,
        class_names=class_names,
        shuffle=shuffle,
        seed=seed,
        follow_links=follow_links,
        verbose=verbose,
        caller=_CALLER,
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            f"{_CALLER}: label_mode='binary' needs exactly 2 classes, received class_names={class_names}. "
            "Use label_mode='int' or 'categorical' for more classes."
        )
    image_paths, labels = _drop_invalid_images(image_paths, labels, on_invalid_image, workers)
    shuffle_buffer_size = batch_size * 8 if batch_size is not None else 1024
    num_classes = len(class_names) if class_names else 0

    def make(paths: list, part_labels: Any, shuffled: bool) -> Dataset:
        load_args = (image_size, num_channels, interpolation, data_format, crop_to_aspect_ratio, pad_to_aspect_ratio)
        path_array = np.asarray(paths, dtype=object)
        if label_mode:
            encoded = dataset_utils.encode_labels(part_labels, label_mode, num_classes)
            dataset = Dataset.from_tensor_slices((path_array, encoded))
        else:
            dataset = Dataset.from_tensor_slices(path_array)
        if shuffled:
            dataset = dataset.shuffle(shuffle_buffer_size, seed=seed)
        if label_mode:
            dataset = dataset.map(lambda path, label: (load_image(path, *load_args), label), num_parallel_calls=workers)
        else:
            dataset = dataset.map(lambda path: load_image(path, *load_args), num_parallel_calls=workers)
        if batch_size is not None:
            dataset = dataset.batch(batch_size)
        dataset = dataset.prefetch(2)
        dataset.class_names = class_names
        dataset.file_paths = list(paths)
        return dataset

    return dataset_utils.datasets_for_subset(
        make, image_paths, labels, validation_split=validation_split, subset=subset, shuffle=shuffle,
        verbose=verbose, caller=_CALLER, directory=directory, kind="images",
    )
