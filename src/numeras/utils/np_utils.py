"""``numeras.utils.np_utils``: Keras 2's home of ``to_categorical`` (now ``numeras.utils``)."""

from __future__ import annotations

import warnings
from typing import Any


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> Any:
    """``numeras.utils.to_categorical`` under its Keras 2 name (one-hot rows of ``dtype``)."""
    warnings.warn(
        "numeras.utils.np_utils.to_categorical is Keras 2's spelling; use numeras.utils.to_categorical "
        "(keras.utils.to_categorical in Keras 3).",
        DeprecationWarning,
        stacklevel=2,
    )
    from numeras.utils import to_categorical as modern

    result = modern(y, num_classes)
    if dtype is not None and str(dtype) != "float32":
        result = result.astype(dtype)
    return result


__all__ = ["to_categorical"]
