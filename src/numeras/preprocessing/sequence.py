"""``numeras.preprocessing.sequence``: Keras 2's home of ``pad_sequences`` (now
``numeras.utils.pad_sequences``, as ``keras.utils.pad_sequences`` in Keras 3)."""

from __future__ import annotations

import warnings
from typing import Any

from numeras.utils import sequence as _sequence


def pad_sequences(
    sequences: Any,
    maxlen: int | None = None,
    dtype: Any = "int32",
    padding: str = "pre",
    truncating: str = "pre",
    value: Any = 0.0,
) -> Any:
    """``numeras.utils.pad_sequences`` under its Keras 2 name (warns once per call site)."""
    warnings.warn(
        "numeras.preprocessing.sequence.pad_sequences is Keras 2's spelling; use "
        "numeras.utils.pad_sequences (keras.utils.pad_sequences in Keras 3).",
        DeprecationWarning,
        stacklevel=2,
    )
    return _sequence.pad_sequences(
        sequences, maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating, value=value
    )


__all__ = ["pad_sequences"]
