"""Dtype names for ``numeras.backend``: ``standardize_dtype``, the one function that turns any
dtype spelling (a string, a NumPy type, a dtype policy, None for floatx) into its name.

Dtypes are NumPy's whichever array module computes (CuPy uses NumPy's dtype objects), so this
module asks NumPy directly.
"""

from __future__ import annotations

import numpy

from numeras.backend.config import floatx


def is_float_dtype(dtype) -> bool:
    return numpy.dtype(dtype).kind == "f"


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
    return numpy.dtype(dtype).name
