"""Array data for fit/evaluate/predict: checking it, splitting it, and gathering batches into
reused buffers so no epoch copies the dataset."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.utils.tree import flatten, map_structure, pack_sequence_as


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


def _is_list_of_arrays(value: Any) -> bool:
    """A list or tuple whose items are arrays, Tensors, dicts or such lists: one entry per input
    (or output) of the model, as Keras reads it. Lists of Python numbers stay one array."""
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(item, (xp.ndarray, Tensor, Mapping)) or _is_list_of_arrays(item) for item in value
    )


def to_data(value: Any, argument: str) -> Any:
    """``value`` as an ndarray, or, for a model with several inputs or outputs, as a list or dict
    of ndarrays (a dict keyed by input/output name, a list in their order)."""
    if isinstance(value, Mapping):
        return {key: to_data(item, f"{argument}[{key!r}]") for key, item in value.items()}
    if _is_list_of_arrays(value):
        return [to_data(item, f"{argument}[{i}]") for i, item in enumerate(value)]
    return to_array(value, argument)


def is_structure(value: Any) -> bool:
    """Whether data is a list/dict of arrays rather than one array."""
    return isinstance(value, (list, tuple, Mapping))


def num_samples(value: Any) -> int:
    """The number of samples: the length of the first array of ``value``."""
    for leaf in flatten(value):
        if leaf is not None:
            return len(leaf)
    raise ValueError("The data holds no arrays.")


def as_batch(value: Any) -> Any:
    """``value`` with floating arrays in floatx, ready for one step (``train_on_batch``...)."""
    if value is None:
        return None
    if not is_structure(value):
        return value.astype(input_dtype(value), copy=False)
    return map_structure(lambda a: None if a is None else a.astype(input_dtype(a), copy=False), value)


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


def split_validation(arrays: list, validation_split: float) -> tuple[list, list]:
    """The last ``validation_split`` fraction of the samples (before any shuffling), as Keras."""
    if not 0 < validation_split < 1:
        raise ValueError(
            f"fit: `validation_split` must be a fraction in (0, 1), received {validation_split!r}."
        )
    n = num_samples(arrays[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"fit: validation_split={validation_split} leaves no sample for "
            f"{'training' if split_at == 0 else 'validation'} out of {n}."
        )
    def part(data: Any, where: slice) -> Any:
        if data is None:
            return None
        if is_structure(data):
            return map_structure(lambda a: None if a is None else a[where], data)
        return data[where]

    train = [part(a, slice(None, split_at)) for a in arrays]
    valid = [part(a, slice(split_at, None)) for a in arrays]
    return train, valid


def check_same_length(x: Any, y: Any, sample_weight: Any = None) -> None:
    if is_structure(x) or is_structure(y) or is_structure(sample_weight):
        _check_same_length_nested({"x": x, "y": y, "sample_weight": sample_weight})
        return
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


def _check_same_length_nested(named: dict) -> None:
    lengths = []
    for argument, value in named.items():
        if value is None:
            continue
        if is_structure(value):
            paths = _leaf_paths(value, argument)
            lengths.extend((path, len(leaf)) for path, leaf in paths if leaf is not None)
        else:
            lengths.append((argument, len(value)))
    if len({n for _, n in lengths}) > 1:
        listed = ", ".join(f"{path}: {n}" for path, n in lengths)
        raise ValueError(
            "All arrays of `x`, `y` and `sample_weight` must hold the same number of samples; "
            f"received {listed}. Check that every input and target covers the same samples."
        )


def _leaf_paths(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in _leaf_paths(item, f"{prefix}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in _leaf_paths(item, f"{prefix}[{i}]")]
    return [(prefix, value)]


def class_weights_for(y: Any, class_weight: dict) -> Any:
    """One weight per sample from ``class_weight`` ({class id: weight}) and the labels ``y``."""
    if is_structure(y):
        raise ValueError(
            "`class_weight` is only supported for models with a single output. For several "
            "outputs, pass `sample_weight` as a dict (or list) with one weight array per output."
        )
    if y.ndim > 1 and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    else:
        classes = y.reshape(len(y)).astype(xp.int64)
    table = xp.ones(int(max(max(class_weight), classes.max())) + 1, dtype=backend.floatx())
    for cls, weight in class_weight.items():
        table[int(cls)] = weight
    return table[classes]
