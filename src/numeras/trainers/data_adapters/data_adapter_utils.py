"""What every data path of fit/evaluate/predict/train_on_batch shares: converting ``x``/``y``/
``sample_weight`` to arrays (or lists/dicts of arrays, one per model input or output), checking
that they hold the same number of samples, turning ``class_weight`` into sample weights,
splitting off a validation fraction, and packing a batch the way a step receives it (Keras 3's
``trainers/data_adapters/data_adapter_utils.py``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.utils.tree import flatten, map_structure


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
    raise unsupported_data_error(value, argument)


def unsupported_data_error(value: Any, argument: str) -> TypeError:
    """The error for data no adapter reads (a generator, a dataset, an arbitrary object)."""
    return TypeError(
        f"`{argument}` must be a NumPy array, a numeras Tensor or a list; received "
        f"{type(value).__name__}. Generators and datasets are not supported yet: convert the data "
        "to arrays first (e.g. numpy.asarray)."
    )


def is_array_data(value: Any) -> bool:
    """Whether ``value`` is in-memory data: an array, a Tensor, a list/tuple (of numbers or of
    arrays) or a dict of them; what ``ArrayDataAdapter`` reads."""
    return isinstance(value, (xp.ndarray, Tensor, list, tuple, Mapping)) or hasattr(value, "__array__")


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


def scale_weights(sample_weight: Any, weights: Any) -> Any:
    """``sample_weight`` (an array, or one per output) times the per-sample ``weights``."""
    if is_structure(sample_weight):
        return map_structure(lambda w: None if w is None else w * weights, sample_weight)
    return sample_weight * weights


def standardize_data(x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict | None = None) -> tuple:
    """``(x, y, sample_weight)`` as arrays (or structures of arrays) of the same length, with
    ``class_weight`` folded into ``sample_weight``: what every data path starts with."""
    x, y = to_data(x, "x"), to_data(y, "y")
    sample_weight = to_data(sample_weight, "sample_weight")
    check_same_length(x, y, sample_weight)
    if class_weight is not None and y is not None:
        weights = class_weights_for(y, class_weight)
        sample_weight = weights if sample_weight is None else scale_weights(sample_weight, weights)
    return x, y, sample_weight


def check_positive_int(value: Any, argument: str, method: str, allow_zero: bool = False) -> None:
    valid = isinstance(value, (int, xp.integer)) and not isinstance(value, bool)
    if not valid or value < (0 if allow_zero else 1):
        raise ValueError(
            f"{method}: `{argument}` must be a {'non-negative' if allow_zero else 'positive'} "
            f"integer, received {value!r}."
        )


def check_batch_size(batch_size: Any, method: str, argument: str = "batch_size") -> int:
    """``batch_size`` as an int; 32 (Keras's default) when None."""
    if batch_size is None:
        return 32
    check_positive_int(batch_size, argument, method)
    return int(batch_size)


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """What a step receives, as Keras's data adapters give it: ``x`` alone (``(x,)`` when ``x``
    is a list or tuple), ``(x, y)``, or ``(x, y, sample_weight)``; so ``inputs, targets = data``
    works in a custom ``train_step``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` as a triple."""
    if isinstance(data, tuple):
        if len(data) == 1:
            return data[0], None, None
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 3:
            return data
    return data, None, None
