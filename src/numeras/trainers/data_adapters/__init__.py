"""Data adapters: one class per kind of training data, chosen by ``get_data_adapter``.

In-memory arrays (``ArrayDataAdapter``), Python generators and iterators
(``GeneratorDataAdapter``), ``numeras.utils.PyDataset`` (``PyDatasetAdapter``) and any other
iterable of batches, such as a torch ``DataLoader``, a ``tf.data.Dataset`` or
``numeras.utils.Dataset`` (``IterableDataAdapter``; those libraries are not dependencies: their
batches are read as NumPy). A new kind is a ``DataAdapter`` subclass in its own module plus one
branch below, placed before the final error.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from numeras.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from numeras.trainers.data_adapters.data_adapter import DataAdapter
from numeras.trainers.data_adapters.data_adapter_utils import is_array_data, unsupported_data_error
from numeras.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from numeras.trainers.data_adapters.iterable_data_adapter import IterableDataAdapter
from numeras.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from numeras.trainers.data_adapters.stream_data_adapter import StreamDataAdapter
from numeras.utils.py_dataset import PyDataset


def get_data_adapter(
    x: Any,
    y: Any = None,
    sample_weight: Any = None,
    batch_size: int = 32,
    steps_per_epoch: int | None = None,
    shuffle: bool = False,
    class_weight: dict | None = None,
    method: str = "fit",
) -> DataAdapter:
    """The adapter that reads ``x`` (with its targets ``y`` and ``sample_weight``) in batches of
    ``batch_size``, at most ``steps_per_epoch`` per epoch, shuffled or not. ``method`` names the
    call in error messages."""
    if isinstance(x, DataAdapter):
        return x
    if is_array_data(x):
        return ArrayDataAdapter(
            x, y, sample_weight, batch_size=batch_size, steps=steps_per_epoch, shuffle=shuffle,
            class_weight=class_weight, method=method,
        )
    if isinstance(x, PyDataset):
        _refuse_separate_targets(y, sample_weight, "PyDataset")
        return PyDatasetAdapter(x, steps=steps_per_epoch, shuffle=shuffle, class_weight=class_weight, method=method)
    if isinstance(x, Iterator):
        _refuse_separate_targets(y, sample_weight, "generator")
        _warn_shuffle_ignored(shuffle, "generator")
        return GeneratorDataAdapter(x, steps=steps_per_epoch, class_weight=class_weight, method=method)
    if not isinstance(x, (str, bytes)) and isinstance(x, Iterable):
        _refuse_separate_targets(y, sample_weight, type(x).__name__)
        _warn_shuffle_ignored(shuffle, type(x).__name__)
        return IterableDataAdapter(x, steps=steps_per_epoch, class_weight=class_weight, method=method)
    raise unsupported_data_error(x, "x")


def _refuse_separate_targets(y: Any, sample_weight: Any, kind: str) -> None:
    for argument, value, what in (("y", y, "targets"), ("sample_weight", sample_weight, "sample weights")):
        if value is not None:
            raise ValueError(
                f"When `x` is a {kind}, `{argument}` must not be passed: the {what} come from the {kind} "
                f"itself, in each batch (x, y) or (x, y, sample_weight)."
            )


def _warn_shuffle_ignored(shuffle: bool, kind: str) -> None:
    if shuffle:
        import warnings

        warnings.warn(
            f"`shuffle=True` is ignored because `x` is a {kind}: it is expected to yield shuffled batches "
            "already. Pass shuffle=False to silence this warning.",
            stacklevel=4,
        )


__all__ = [
    "ArrayDataAdapter",
    "DataAdapter",
    "GeneratorDataAdapter",
    "IterableDataAdapter",
    "PyDatasetAdapter",
    "StreamDataAdapter",
    "get_data_adapter",
]
