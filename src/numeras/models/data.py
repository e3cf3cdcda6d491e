"""Array data for fit/evaluate/predict: checking it, splitting it, and gathering batches into
reused buffers so no epoch copies the dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.backend import xp


def to_array(value: Any, argument: str) -> Any:
    """``value`` (an ndarray, a Tensor, a list) as an ndarray; anything else is refused clearly."""
    if value is None:
        return None
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, xp.ndarray):
        return value
    if isinstance(value, (list, tuple)):
        try:
            return xp.asarray(value)
        except (ValueError, TypeError) as error:
            raise TypeError(
                f"`{argument}` must be an array (or a list convertible to one): {error}"
            ) from None
    if hasattr(value, "__array__"):
        return xp.asarray(value)
    raise TypeError(
        f"`{argument}` must be a NumPy array, a numeras Tensor or a list; received "
        f"{type(value).__name__}. Generators and datasets are not supported yet: convert the data "
        "to arrays first (e.g. numpy.asarray)."
    )


def input_dtype(array: Any) -> Any:
    """Floating inputs are fed as floatx (Keras's data adapters do the same); others keep theirs."""
    return xp.dtype(backend.floatx()) if array.dtype.kind == "f" else array.dtype


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


def split_validation(arrays: list, validation_split: float) -> tuple[list, list]:
    """The last ``validation_split`` fraction of the samples (before any shuffling), as Keras."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"fit: `validation_split` must be a fraction in (0, 1), received {validation_split!r}."
        )
    n = len(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"fit: validation_split={validation_split} leaves no sample for "
            f"{'training' if split_at == 0 else 'validation'} out of {n}."
        )
    train = [None if a is None else a[:split_at] for a in arrays]
    valid = [None if a is None else a[split_at:] for a in arrays]
    return train, valid


def check_same_length(x: Any, y: Any, sample_weight: Any = None) -> None:
    if y is not None and len(x) != len(y):
        raise ValueError(
            f"`x` and `y` must hold the same number of samples: x has {len(x)} (shape {x.shape}), "
            f"y has {len(y)} (shape {y.shape}). Check that the labels belong to these inputs."
        )
    if sample_weight is not None and len(sample_weight) != len(x):
        raise ValueError(
            f"`sample_weight` must hold one weight per sample: x has {len(x)} samples, "
            f"sample_weight has {len(sample_weight)}."
        )


def class_weights_for(y: Any, class_weight: dict) -> Any:
    """One weight per sample from ``class_weight`` ({class id: weight}) and the labels ``y``."""
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    else:
        classes = y.reshape(len(y)).astype(xp.int64)
    table = xp.ones(int(max(max(class_weight), classes.max())) + 1, dtype=backend.floatx())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[classes]
