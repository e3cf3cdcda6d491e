"""The one place numeras chooses its array module, default float type and random generator.

Everything that computes takes ``xp`` from here, so a CuPy backend can replace NumPy by
changing this module alone.
"""

from __future__ import annotations

import math

import numpy

xp = numpy
"""The array module every op computes with (NumPy now; CuPy has the same API)."""

from numeras.backend.config import (  # noqa: E402  (the settings' one home)
    clear_session,
    epsilon,
    floatx,
    image_data_format,
    set_epsilon,
    set_floatx,
    set_image_data_format,
)


def is_float_dtype(dtype) -> bool:
    return xp.dtype(dtype).kind == "f"


_DTYPE_NAMES: dict = {}


def standardize_dtype(dtype) -> str:
    """The dtype name (``'float32'``...) of ``dtype``: a string, NumPy type or dtype, an object
    with a ``name`` (a dtype policy), a policy's config dict, or None, meaning floatx.

    The one dtype-name function of numeras. Remembered per argument: NumPy computes
    ``dtype.name`` in Python (~1.5 us), and a training step asks many times."""
    if dtype is None:
        return floatx()
    try:
        return _DTYPE_NAMES[dtype]
    except KeyError:
        name = _DTYPE_NAMES[dtype] = _dtype_name(dtype)
        return name
    except TypeError:  # unhashable: a policy's config dict, a list
        return _dtype_name(dtype)


def _dtype_name(dtype) -> str:
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
        if dtype is None:
            return floatx()
    if dtype == "string" or dtype is str:  # Input(dtype="string"): raw text for TextVectorization
        return "string"
    if isinstance(dtype, numpy.dtype) and dtype.kind in "USO":  # NumPy text (or object) arrays
        return "string"
    if hasattr(dtype, "name") and not isinstance(dtype, (str, type)):
        dtype = dtype.name
    return xp.dtype(dtype).name


_generator = numpy.random.default_rng()


def set_random_seed(seed: int) -> None:
    """Seed the single generator behind initializers, shuffling and dropout.

    Two runs that call this with the same seed before building their models produce
    bit-identical weights and batches.
    """
    global _generator
    if not isinstance(seed, (int, numpy.integer)) or isinstance(seed, bool):
        raise TypeError(f"set_random_seed: `seed` must be an int, received {seed!r}.")
    _generator = numpy.random.default_rng(int(seed))
    # Keras also seeds Python's and NumPy's global generators; users' own code relies on it.
    import random

    random.seed(int(seed))
    numpy.random.seed(int(seed) % (2**32))


def random_generator() -> numpy.random.Generator:
    """The generator seeded by :func:`set_random_seed`."""
    return _generator


def make_generator(seed: int | None) -> numpy.random.Generator:
    """A generator for an explicit ``seed``, or the global one when ``seed`` is None."""
    if seed is None:
        return _generator
    return numpy.random.default_rng(int(seed))


def bernoulli_keep(generator: numpy.random.Generator, shape: tuple, drop_rate: float) -> numpy.ndarray:
    """A boolean array of ``shape``, each entry True with probability ``1 - drop_rate``.

    Compares raw 32-bit draws of the generator's bit stream with ``drop_rate * 2**32`` (exact to
    2**-32, finer than a float32 uniform's 2**-24), with no conversion of each draw to a float:
    1.6-1.8x faster than ``generator.random(shape, float32) >= drop_rate`` for a 256x1024 mask.
    Deterministic for a seeded generator.
    """
    count = math.prod(shape)
    threshold = numpy.uint32(min(round(drop_rate * 2.0**32), 2**32 - 1))
    bits = generator.bit_generator.random_raw((count + 1) // 2).view(numpy.uint32)[:count]
    return (bits >= threshold).reshape(shape)


__all__ = [
    "xp",
    "bernoulli_keep",
    "floatx",
    "set_floatx",
    "epsilon",
    "set_epsilon",
    "image_data_format",
    "set_image_data_format",
    "clear_session",
    "standardize_dtype",
    "is_float_dtype",
    "set_random_seed",
    "random_generator",
    "make_generator",
]
