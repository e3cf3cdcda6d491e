"""``ArrayDataAdapter``: batches of in-memory data (NumPy arrays, Tensors, lists, or lists/dicts
of them, one per model input or output), gathered into reused buffers so that no epoch copies
the dataset (Keras 3's ``trainers/data_adapters/array_data_adapter.py``)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.trainers.data_adapters.data_adapter import DataAdapter
from numeras.trainers.data_adapters.data_adapter_utils import (
    ClassWeights,
    check_array_values,
    input_dtype,
    is_structure,
    num_samples,
    pack_x_y_sample_weight,
    split_validation,
    standardize_data,
    to_data,
)
from numeras.utils.tree import flatten, pack_sequence_as


class ArrayDataAdapter(DataAdapter):
    """One epoch is ``num_batches`` batches of ``batch_size`` samples (the last one partial when
    the samples do not divide evenly), in order or, with ``shuffle``, in a fresh permutation
    drawn from numeras's seeded generator each epoch. Floating ``x``/``y`` arrive as floatx and
    sample weights always do; other dtypes are kept. A batch is a view of a buffer that the next
    batch overwrites, as a step consumes it before asking for the next."""

    def __init__(
        self,
        x: Any,
        y: Any = None,
        sample_weight: Any = None,
        batch_size: int = 32,
        steps: int | None = None,
        shuffle: bool = False,
        class_weight: dict | None = None,
        method: str | None = "fit",
    ) -> None:
        """``method`` names the call in error messages and asks for the checks done once, before
        the first step (no samples, strings in ``y``, NaN/inf, class_weight keys); ``None``
        skips them, for data already checked (the parts of a validation split)."""
        if method is not None:
            x, y = to_data(x, "x"), to_data(y, "y")
            x, y = check_array_values(x, y, method)
            if class_weight is not None and y is not None:
                ClassWeights(class_weight).check_against(y)
        self.x, self.y, self.sample_weight = standardize_data(x, y, sample_weight, class_weight)
        self._num_samples = num_samples(self.x)
        self._batch_size = batch_size
        self._steps = steps
        self._shuffle = shuffle
        self._gatherers: tuple | None = None

    @property
    def num_samples(self) -> int:
        return self._num_samples

    @property
    def num_batches(self) -> int:
        count = math.ceil(self._num_samples / self._batch_size)
        return min(count, int(self._steps)) if self._steps else count

    @property
    def batch_size(self) -> int:
        return self._batch_size

    @property
    def has_partial_batch(self) -> bool:
        return self._num_samples % self._batch_size != 0

    @property
    def partial_batch_size(self) -> int | None:
        return self._num_samples % self._batch_size or None

    def in_memory_data(self) -> tuple[Any, Any]:
        return self.x, self.y

    def split_validation(
        self, validation_split: float, validation_batch_size: int, validation_steps: int | None
    ) -> tuple[ArrayDataAdapter, ArrayDataAdapter]:
        """The last ``validation_split`` of the samples, taken before any shuffling (Keras);
        class weights already folded into the sample weights stay with both parts."""
        train, valid = split_validation([self.x, self.y, self.sample_weight], validation_split)
        return (
            ArrayDataAdapter(
                *train, batch_size=self._batch_size, steps=self._steps, shuffle=self._shuffle, method=None
            ),
            ArrayDataAdapter(*valid, batch_size=validation_batch_size, steps=validation_steps, method=None),
        )

    def get_numpy_iterator(self) -> Iterator[Any]:
        if self._gatherers is None:
            self._gatherers = (
                make_gatherer(self.x, self._batch_size),
                make_gatherer(self.y, self._batch_size),
                make_gatherer(self.sample_weight, self._batch_size, backend.floatx()),
            )
        gather_x, gather_y, gather_w = self._gatherers
        for index in batch_indices(self._num_samples, self._batch_size, self._shuffle, self._steps):
            yield pack_x_y_sample_weight(
                gather_x.gather(index),
                None if gather_y is None else gather_y.gather(index),
                None if gather_w is None else gather_w.gather(index),
            )


class BatchGatherer:
    """Gathers rows of ``array`` into one reused buffer per batch size.

    Every batch returned is a view of that buffer, valid until the next call.
    """

    def __init__(self, array: Any, batch_size: int, dtype: Any = None) -> None:
        self.array = array
        self.dtype = xp.dtype(dtype) if dtype is not None else array.dtype
        self.buffer = xp.empty((min(batch_size, max(len(array), 1)), *array.shape[1:]), dtype=self.dtype)

    def gather(self, index: Any) -> Any:
        if isinstance(index, slice):
            view = self.array[index]
            if view.dtype == self.dtype:
                return view
            out = self.buffer[: len(view)]
            out[...] = view
            return out
        out = self.buffer[: len(index)]
        if self.array.dtype == self.dtype:
            xp.take(self.array, index, axis=0, out=out)
        else:
            out[...] = self.array[index]
        return out


class StructureGatherer:
    """A ``BatchGatherer`` per array of a list/dict of arrays; ``gather`` returns the batch in
    the same structure."""

    def __init__(self, structure: Any, batch_size: int, dtype: Any = None) -> None:
        self.structure = structure
        self.gatherers = [
            None if leaf is None else BatchGatherer(leaf, batch_size, dtype if dtype is not None else input_dtype(leaf))
            for leaf in flatten(structure)
        ]

    def gather(self, index: Any) -> Any:
        return pack_sequence_as(
            self.structure, [None if g is None else g.gather(index) for g in self.gatherers]
        )


def make_gatherer(value: Any, batch_size: int, dtype: Any = None) -> Any:
    """A gatherer for one array (the fast path) or a structure of arrays; ``None`` for no data.
    ``dtype=None`` feeds floating data as floatx and keeps other dtypes."""
    if value is None:
        return None
    if is_structure(value):
        return StructureGatherer(value, batch_size, dtype)
    return BatchGatherer(value, batch_size, dtype if dtype is not None else input_dtype(value))


def batch_indices(n: int, batch_size: int, shuffle: bool, steps: int | None = None) -> Iterator[Any]:
    """Slices (in order) or index arrays (shuffled with the seeded generator), one per step."""
    count = math.ceil(n / batch_size) if n else 0
    if steps is not None:
        count = min(count, steps) if steps else count
    if shuffle:
        order = backend.random_generator().permutation(n)
        for step in range(count):
            yield order[step * batch_size : (step + 1) * batch_size]
    else:
        for step in range(count):
            yield slice(step * batch_size, min((step + 1) * batch_size, n))
