"""Images on disk and as arrays: Keras's ``load_img``, ``img_to_array``, ``array_to_img``,
``save_img`` and ``smart_resize`` (Pillow, an optional extra: ``pip install "numeras[image]"``),
and the NumPy resize that ``image_dataset_from_directory`` uses.

The resize reproduces TensorFlow's ``tf.image.resize`` (which Keras's dataset maker calls) without
antialiasing, with the weights of :mod:`numeras.autodiff.ops.resize` (the one place numeras
computes interpolation weights) applied to plain arrays: each output sample reads only the few
input samples under its kernel (2 for bilinear, 4 for bicubic...), so the cost grows with the
output size, not with input × output as a dense weight-matrix product would (which took ~27 ms,
15x the JPEG decode, for a 500x375 photo resized to 180x180). ``smart_resize`` follows the Keras
backend's resize instead (JAX's bicubic weights), as Keras's own does.
"""

from __future__ import annotations

import io
import pathlib
import warnings
from typing import Any

import numpy as np

from numeras import backend
from numeras.autodiff.ops import resize as resize_ops

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "smart_resize", "resize_image"]

PIL_INSTALL_HINT = 'Install Pillow with `pip install "numeras[image]"` (or `pip install Pillow`).'


def require_pil(caller: str) -> Any:
    """``PIL.Image``, or an ImportError saying how to install it."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ImportError(f"{caller} reads and writes images with Pillow, which is not installed. {PIL_INSTALL_HINT}") from error
    return Image


def _pil_resampling(interpolation: str) -> Any:
    image_module = require_pil("load_img")
    methods = {
        "nearest": image_module.Resampling.NEAREST,
        "bilinear": image_module.Resampling.BILINEAR,
        "bicubic": image_module.Resampling.BICUBIC,
        "hamming": image_module.Resampling.HAMMING,
        "box": image_module.Resampling.BOX,
        "lanczos": image_module.Resampling.LANCZOS,
    }
    if interpolation not in methods:
        raise ValueError(
            f"load_img: `interpolation` must be one of {sorted(methods)}, received interpolation={interpolation!r}."
        )
    return methods[interpolation]


def _data_format(data_format: str | None) -> str:
    if data_format is None:
        getter = getattr(backend, "image_data_format", None)
        data_format = getter() if getter is not None else "channels_last"
    data_format = str(data_format).lower()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"`data_format` must be 'channels_last' or 'channels_first', received data_format={data_format!r}."
        )
    return data_format


def load_img(
    path: Any,
    color_mode: str = "rgb",
    target_size: tuple[int, int] | None = None,
    interpolation: str = "nearest",
    keep_aspect_ratio: bool = False,
) -> Any:
    """The image at ``path`` (or a BytesIO) as a PIL image in ``color_mode`` ('grayscale', 'rgb',
    'rgba'), resized with Pillow to ``target_size`` = (height, width) when given;
    ``keep_aspect_ratio`` crops the centre to the target's aspect ratio first."""
    image_module = require_pil("load_img")
    if isinstance(path, io.BytesIO):
        image = image_module.open(path)
    elif isinstance(path, (pathlib.Path, bytes, str)):
        with open(path, "rb") as handle:
            image = image_module.open(io.BytesIO(handle.read()))
    else:
        raise TypeError(f"load_img: `path` must be a path (str, bytes, pathlib.Path) or io.BytesIO, received {type(path).__name__}.")
    if color_mode == "grayscale":
        # 16- and 32-bit grayscale stay as they are; everything else becomes 8-bit "L".
        if image.mode not in ("L", "I;16", "I"):
            image = image.convert("L")
    elif color_mode in ("rgb", "rgba"):
        mode = color_mode.upper()
        if image.mode != mode:
            image = image.convert(mode)
    else:
        raise ValueError(f"load_img: `color_mode` must be 'grayscale', 'rgb' or 'rgba', received {color_mode!r}.")
    if target_size is not None:
        width_height = (int(target_size[1]), int(target_size[0]))
        if image.size != width_height:
            resample = _pil_resampling(interpolation)
            if keep_aspect_ratio:
                width, height = image.size
                target_width, target_height = width_height
                crop_height = min(height, (width * target_height) // target_width)
                crop_width = min(width, (height * target_width) // target_height)
                top = (height - crop_height) // 2
                left = (width - crop_width) // 2
                box = (left, top, left + crop_width, top + crop_height)
                image = image.resize(width_height, resample, box=box)
            else:
                image = image.resize(width_height, resample)
    return image


def img_to_array(img: Any, data_format: str | None = None, dtype: str | None = None) -> np.ndarray:
    """A PIL image as a 3-D array, (height, width, channels) or channels first; grayscale gets a
    channel axis of 1. ``dtype`` defaults to ``floatx()``."""
    data_format = _data_format(data_format)
    array = np.asarray(img, dtype=dtype or backend.floatx())
    if array.ndim == 2:
        array = array[None] if data_format == "channels_first" else array[..., None]
    elif array.ndim == 3:
        if data_format == "channels_first":
            array = array.transpose(2, 0, 1)
    else:
        raise ValueError(f"img_to_array: expected a 2-D or 3-D image, received shape {array.shape}.")
    return array


def array_to_img(x: Any, data_format: str | None = None, scale: bool = True, dtype: str | None = None) -> Any:
    """A 3-D array as a PIL image (1 channel: 'L', or 'I' when values exceed 255; 3: 'RGB'; 4:
    'RGBA'). ``scale`` first maps the array's min..max to 0..255."""
    data_format = _data_format(data_format)
    image_module = require_pil("array_to_img")
    array = np.array(x, dtype=dtype or backend.floatx())
    if array.ndim != 3:
        raise ValueError(f"array_to_img: expected a single image of rank 3, received shape {array.shape}.")
    if data_format == "channels_first":
        array = array.transpose(1, 2, 0)
    if scale:
        array -= array.min()
        peak = array.max()
        if peak != 0:
            array /= peak
        array *= 255
    channels = array.shape[2]
    if channels == 4:
        return image_module.fromarray(array.astype("uint8"), "RGBA")
    if channels == 3:
        return image_module.fromarray(array.astype("uint8"), "RGB")
    if channels == 1:
        if array.max() > 255:
            return image_module.fromarray(array[:, :, 0].astype("int32"), "I")
        return image_module.fromarray(array[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: expected 1, 3 or 4 channels, received {channels}.")


def save_img(
    path: Any, x: Any, data_format: str | None = None, file_format: str | None = None, scale: bool = True, **kwargs: Any
) -> None:
    """``x`` (a 3-D array) written as an image file; the format comes from the extension unless
    ``file_format`` says otherwise. RGBA saved as JPEG is converted to RGB with a warning."""
    if file_format is None and isinstance(path, (str, pathlib.Path)):
        file_format = pathlib.Path(path).suffix[1:].lower() or None
    if file_format and file_format.lower() == "jpg":
        file_format = "jpeg"
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and file_format == "jpeg":
        warnings.warn("The JPEG format does not support RGBA images, converting to RGB.", stacklevel=2)
        image = image.convert("RGB")
    image.save(path, format=file_format, **kwargs)


# --- resizing ----------------------------------------------------------------------------------

INTERPOLATIONS = resize_ops.INTERPOLATIONS


def _weights(in_size: int, out_size: int, interpolation: str) -> np.ndarray:
    """The (out_size, in_size) weights of one axis that :func:`resize_image` applies
    (``tf.image.resize``'s)."""
    return resize_ops.interpolation_weights(in_size, out_size, interpolation, flavour="tensorflow")


def resize_image(
    image: np.ndarray, size: tuple[int, int], interpolation: str = "bilinear", flavour: str = "tensorflow"
) -> np.ndarray:
    """A (height, width, channels) image (or a batch of them) resized to ``size`` = (height,
    width), float32, as ``tf.image.resize(image, size, method=interpolation)`` (no antialiasing),
    or as ``jax.image.resize`` with ``flavour="jax"``; an image already of that size is returned
    as is."""
    if interpolation not in INTERPOLATIONS:
        raise ValueError(f"`interpolation` must be one of {INTERPOLATIONS}, received interpolation={interpolation!r}.")
    image = np.asarray(image)
    out_height, out_width = int(size[0]), int(size[1])
    if image.shape[-3:-1] == (out_height, out_width):
        return image if image.dtype == np.float32 else image.astype(np.float32)
    # Rows first, then columns (the order fixes float32 rounding); gathers read uint8 pixels as
    # they are, so no float copy of the full image is made.
    rows_axis = image.ndim - 3
    by_rows = resize_ops.resample_axis(image, rows_axis, out_height, interpolation, flavour, dtype=np.float32)
    return resize_ops.resample_axis(by_rows, rows_axis + 1, out_width, interpolation, flavour, dtype=np.float32)


def centred_crop_box(height: int, width: int, target_height: int, target_width: int) -> tuple[int, int, int, int]:
    """(top, left, crop_height, crop_width): the largest centred window with the target's aspect
    ratio (Keras's smart_resize and crop_to_aspect_ratio arithmetic)."""
    crop_height = max(min(height, int(float(width * target_height) / target_width)), 1)
    crop_width = max(min(width, int(float(height * target_width) / target_height)), 1)
    top = int(float(height - crop_height) / 2)
    left = int(float(width - crop_width) / 2)
    return top, left, crop_height, crop_width


def resize_with_crop(
    image: np.ndarray, size: tuple[int, int], interpolation: str, flavour: str = "tensorflow"
) -> np.ndarray:
    """The largest centred window with the target's aspect ratio, resized (Keras's smart_resize);
    ``image`` is (height, width, channels) or a batch of them."""
    top, left, crop_height, crop_width = centred_crop_box(image.shape[-3], image.shape[-2], *size)
    window = image[..., top : top + crop_height, left : left + crop_width, :]
    return resize_image(window, size, interpolation, flavour)


def resize_with_pad(image: np.ndarray, size: tuple[int, int], interpolation: str) -> np.ndarray:
    """The image resized to fit inside ``size`` keeping its aspect ratio, centred on zeros
    (tf.image.resize_with_pad's arithmetic)."""
    height, width, channels = image.shape
    target_height, target_width = size
    ratio = max(width / target_width, height / target_height)
    resized_height_float, resized_width_float = height / ratio, width / ratio
    resized_height, resized_width = int(np.floor(resized_height_float)), int(np.floor(resized_width_float))
    pad_top = max(0, int(np.floor((target_height - resized_height_float) / 2)))
    pad_left = max(0, int(np.floor((target_width - resized_width_float) / 2)))
    resized = resize_image(image, (resized_height, resized_width), interpolation)
    padded = np.zeros((target_height, target_width, channels), np.float32)
    padded[pad_top : pad_top + resized_height, pad_left : pad_left + resized_width] = resized
    return padded


def smart_resize(x: Any, size: tuple[int, int], interpolation: str = "bilinear", data_format: str = "channels_last") -> np.ndarray:
    """Resize an image (or batch) to ``size`` without distorting its aspect ratio, by cropping
    the largest centred window with the target's ratio first (Keras's ``smart_resize``)."""
    if len(size) != 2:
        raise ValueError(f"smart_resize: expected `size` to be a tuple of 2 integers, received {size}.")
    images = np.asarray(x)
    if images.ndim not in (3, 4):
        raise ValueError(
            "smart_resize: expected an image of shape (height, width, channels) or a batch (batch, "
            f"height, width, channels), received shape {images.shape}."
        )
    data_format = _data_format(data_format)
    if data_format == "channels_first":
        images = np.moveaxis(images, -3, -1)
    # Keras's smart_resize calls the backend's resize (JAX), not TensorFlow's.
    result = resize_with_crop(images, tuple(size), interpolation, "jax")
    if data_format == "channels_first":
        result = np.moveaxis(result, -1, -3)
    return result
