"""Data adapters: one class per kind of training data, chosen by ``get_data_adapter``.

Today numeras reads in-memory data (``ArrayDataAdapter``). A new kind (a generator, a
``PyDataset``, any iterable of batches) is a ``DataAdapter`` subclass in its own module plus one
branch below, placed before the final error.
"""

from __future__ import annotations

from typing import Any

from numeras.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from numeras.trainers.data_adapters.data_adapter import DataAdapter
from numeras.trainers.data_adapters.data_adapter_utils import is_array_data, unsupported_data_error


def get_data_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int = 32,
    steps_per_epoch: int | None = None,
    shuffle: bool = False,
    class_weight: dict | None = None,
) -> DataAdapter:
    """The adapter that reads ``x`` (with its targets ``y`` and ``sample_weight``) in batches of
    ``batch_size``, at most ``steps_per_epoch`` per epoch, shuffled or not."""
    if is_array_data(x):
        return ArrayDataAdapter(
            x, y, sample_weight, batch_size=batch_size, steps=steps_per_epoch, shuffle=shuffle,
            class_weight=class_weight,
        )
    raise unsupported_data_error(x, "x")


__all__ = ["ArrayDataAdapter", "DataAdapter", "get_data_adapter"]
