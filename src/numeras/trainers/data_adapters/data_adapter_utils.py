"""What every data path of fit/evaluate/predict/train_on_batch shares: converting ``x``/``y``/
``sample_weight`` to arrays (or lists/dicts of arrays, one per model input or output), checking
that they hold the same number of samples, turning ``class_weight`` into sample weights,
splitting off a validation fraction, and packing a batch the way a step receives it (Keras 3's
``trainers/data_adapters/data_adapter_utils.py``)."""

from __future__ import annotations

import math
import warnings
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
        f"`{argument}` must be a NumPy array (or a Tensor, or a list/dict of them), a generator or "
        "iterable of batches, or a numeras.utils.PyDataset; received "
        f"{type(value).__name__}. Convert the data to arrays first (e.g. numpy.asarray)."
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
            paths = leaf_paths(value, argument)
            lengths.extend((path, len(leaf)) for path, leaf in paths if leaf is not None)
        else:
            lengths.append((argument, len(value)))
    if len({n for _, n in lengths}) > 1:
        listed = ", ".join(f"{path}: {n}" for path, n in lengths)
        raise ValueError(
            "All arrays of `x`, `y` and `sample_weight` must hold the same number of samples; "
            f"received {listed}. Check that every input and target covers the same samples."
        )


def leaf_paths(value: Any, prefix: str) -> list[tuple[str, Any]]:
    if isinstance(value, Mapping):
        return [p for key, item in value.items() for p in leaf_paths(item, f"{prefix}[{key!r}]")]
    if isinstance(value, (list, tuple)):
        return [p for i, item in enumerate(value) for p in leaf_paths(item, f"{prefix}[{i}]")]
    return [(prefix, value)]


def class_weights_for(y: Any, class_weight: dict) -> Any:
    """One weight per sample from ``class_weight`` ({class id: weight}) and the labels ``y``."""
    return ClassWeights(class_weight).weights_for(y)


class ClassWeights:
    """``class_weight`` ({class id: weight}) as a lookup table, checked once; ``weights_for(y)``
    gives one weight per sample, vectorised. Classes missing from the dict weigh 1.0 (Keras 3).
    Labels are read as Keras does: the argmax of one-hot rows, else the rounded value."""

    def __init__(self, class_weight: Any) -> None:
        if not isinstance(class_weight, Mapping):
            raise ValueError(
                "`class_weight` must be a dict mapping class indices to weights, e.g. {0: 1.0, 1: 5.0}; "
                f"received {type(class_weight).__name__}."
            )
        cleaned = {}
        for key, weight in class_weight.items():
            if isinstance(key, bool) or not _is_integral(key) or int(key) < 0:
                raise ValueError(
                    f"`class_weight` keys must be class indices (integers >= 0), received the key {key!r}. "
                    "Map each class index of `y` to its weight, e.g. {0: 1.0, 1: 5.0}."
                )
            cleaned[int(key)] = float(weight)
        if not cleaned:
            raise ValueError("`class_weight` is empty: give a weight per class, e.g. {0: 1.0, 1: 5.0}.")
        self.class_weight = cleaned
        self.table = xp.ones(max(cleaned) + 1, dtype=backend.floatx())
        for cls, weight in cleaned.items():
            self.table[cls] = weight

    @staticmethod
    def classes_of(y: Any) -> Any:
        if is_structure(y):
            raise ValueError(
                "`class_weight` is only supported for models with a single output. For several "
                "outputs, pass `sample_weight` as a dict (or list) with one weight array per output."
            )
        if y.ndim > 1 and y.shape[-1] > 1:
            return y.argmax(axis=-1)
        if y.dtype.kind in "iub":
            return y.reshape(len(y)).astype(xp.int64, copy=False)
        return xp.rint(y.reshape(len(y))).astype(xp.int64)

    def weights_for(self, y: Any) -> Any:
        classes = self.classes_of(y)
        # Labels past the table (absent from class_weight) weigh 1.0, as in Keras.
        inside = (classes >= 0) & (classes < len(self.table))
        if inside.all():
            return self.table[classes]
        weights = xp.ones(classes.shape, dtype=self.table.dtype)
        weights[inside] = self.table[classes[inside]]
        return weights

    def check_against(self, y: Any) -> None:
        """Refuse keys that are not classes of ``y``; warn about classes of ``y`` without a weight
        (they weigh 1.0 in Keras 3, which is rarely what was meant)."""
        classes = self.classes_of(y).reshape(-1)
        if classes.size and int(classes.min()) < 0:
            raise ValueError(
                f"`class_weight` needs class indices >= 0 in `y`, but `y` holds the label {int(classes.min())}."
            )
        one_hot = y.ndim > 1 and y.shape[-1] > 1
        if one_hot:
            present = set(range(y.shape[-1]))
            described = f"`y` is one-hot with {y.shape[-1]} classes (0 to {y.shape[-1] - 1})"
        else:
            present = set(xp.flatnonzero(xp.bincount(classes)).tolist()) if classes.size else set()
            described = f"`y` holds the classes {_list_of(sorted(present))}"
        unknown = sorted(set(self.class_weight) - present)
        if unknown:
            raise ValueError(
                f"`class_weight` has keys {_list_of(unknown)} that are not classes of `y`: {described}. "
                "Key class_weight by the class indices of `y` (for one-hot labels, the column index)."
            )
        missing = sorted(present - set(self.class_weight))
        if missing:
            warnings.warn(
                f"`class_weight` gives no weight to the classes {_list_of(missing)} of `y`; their samples "
                "get weight 1.0 (as in Keras 3). Add them to `class_weight` to choose their weight.",
                stacklevel=5,
            )


def _is_integral(value: Any) -> bool:
    try:
        return float(value) == int(value)
    except (TypeError, ValueError):
        return False


def _list_of(values: list, limit: int = 10) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return f"[{shown}{', ...' if len(values) > limit else ''}]"


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


def check_array_values(x: Any, y: Any, method: str) -> tuple:
    """The checks done once per ``fit``/``evaluate``/``predict`` on in-memory data, before the
    first step: samples present, numbers (object arrays of numbers are converted, strings in
    ``y`` refused) and no NaN or infinity in floating ``x``/``y``. Returns ``(x, y)``."""
    if num_samples(x) == 0:
        shape = next((leaf.shape for leaf in flatten(x) if leaf is not None), ())
        raise ValueError(
            f"{method}: `x` holds no samples (shape {tuple(shape)}), so there is nothing to "
            f"{'train on' if method == 'fit' else 'run'}. Check the loading or filtering that produced it."
        )
    x = map_structure(lambda a: None if a is None else _numeric(a, "x", method, strings_allowed=True), x)
    if y is not None:
        y = map_structure(lambda a: None if a is None else _numeric(a, "y", method), y)
    for argument, value in (("x", x), ("y", y)):
        for path, leaf in leaf_paths(value, argument):
            if leaf is not None:
                check_finite(leaf, path, method)
    return x, y


def _numeric(array: Any, argument: str, method: str, strings_allowed: bool = False) -> Any:
    """``array`` itself; an object array of numbers converted to floatx; strings refused (in
    ``x`` they are left for the model to judge, which knows whether its input takes them)."""
    if array.dtype.kind in "US" and not strings_allowed:
        example = array.reshape(-1)[0] if array.size else ""
        raise TypeError(
            f"{method}: `{argument}` holds strings (dtype {array.dtype}, e.g. {str(example)!r}), but losses "
            "and metrics need numbers. Encode the labels as integers first, e.g. "
            "classes, y = numpy.unique(y, return_inverse=True)."
        )
    if array.dtype.kind != "O":
        return array
    try:
        return array.astype(backend.floatx())
    except (TypeError, ValueError):
        flat = array.reshape(-1)
        position = next(i for i, v in enumerate(flat) if not _is_number_like(v))
        index = tuple(int(i) for i in xp.unravel_index(position, array.shape))
        raise TypeError(
            f"{method}: `{argument}` is an object array that does not hold only numbers: "
            f"{argument}[{', '.join(map(str, index))}] is {flat[position]!r} ({type(flat[position]).__name__}). "
            "The model needs numeric arrays: convert or encode that column first "
            "(e.g. numpy.asarray(x, dtype='float32') once it holds only numbers)."
        ) from None


def _is_number_like(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (str, bytes))


def check_finite(array: Any, argument: str, method: str) -> None:
    """Refuse NaN or infinite values in a floating array. The common case costs one pass and no
    temporary: the sum of a finite array is finite (unless it overflows, which the exact pass,
    run only then, tells apart)."""
    if array.dtype.kind not in "fc" or array.size == 0:
        return
    with xp.errstate(over="ignore", invalid="ignore"):
        if xp.isfinite(xp.add.reduce(array, axis=None)):
            return
    bad = ~xp.isfinite(array)
    count = int(bad.sum())
    if count == 0:
        return  # the sum overflowed; every value is finite
    nans = int(xp.isnan(array).sum())
    position = int(bad.reshape(-1).argmax())
    index = ", ".join(str(int(i)) for i in xp.unravel_index(position, array.shape))
    raise ValueError(
        f"{method}: `{argument}` holds {count} non-finite value{'s' if count > 1 else ''} "
        f"({nans} NaN, {count - nans} infinite) out of {array.size}; the first is "
        f"{argument}[{index}] = {array.reshape(-1)[position]}. One NaN makes the loss and then every "
        "weight NaN. Drop or fill those entries first, e.g. keep = numpy.isfinite(x).all(axis=1) "
        "or x = numpy.nan_to_num(x)."
    )


def check_string_inputs(x: Any, method: str, model_takes_strings: Any = None) -> None:
    """Refuse string arrays in ``x`` for a model whose inputs are numeric, before any step.
    ``model_takes_strings()`` is asked only when ``x`` holds strings."""
    for path, leaf in leaf_paths(x, "x"):
        if leaf is not None and getattr(leaf, "dtype", None) is not None and leaf.dtype.kind in "USO":
            if model_takes_strings is not None and model_takes_strings():
                return
            example = leaf.reshape(-1)[0].item() if leaf.size else ""
            raise TypeError(
                f"{method}: `{path}` holds {'strings' if leaf.dtype.kind != 'O' else 'Python objects'} "
                f"(dtype {leaf.dtype}, e.g. {example!r}), but the model's inputs are numeric. Turn the text "
                "into numbers first (e.g. a vocabulary index per token, then "
                "numeras.utils.pad_sequences or numeras.utils.vectorize_sequences)."
            )


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
