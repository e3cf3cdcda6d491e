"""Checks of the targets ``y`` against the loss and the model's output, run once before training.

The classic mistake (the MNIST program of chapter 2 of *Deep Learning with Python* without its
``to_categorical`` line) is integer labels with ``categorical_crossentropy``. Keras then fails
deep inside the backend with a shape error; ``validate_targets`` says what is wrong and how to
fix it before the first step. Every check is a vectorised pass over the labels (min, max,
integrality), so it costs milliseconds on 60,000 labels.
"""

from __future__ import annotations

import inspect
from typing import Any

from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.losses import functions
from numeras.losses.loss import LossFunctionWrapper
from numeras.saving import object_registration

_CATEGORICAL, _SPARSE, _BINARY, _ELEMENTWISE = "categorical", "sparse", "binary", "elementwise"


def _shape_of(x: Any) -> tuple | None:
    """The shape of an array, Tensor or shape tuple (a tuple of ints and Nones)."""
    if x is None:
        return None
    if isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x):
        return x
    shape = getattr(x, "shape", None)
    if shape is not None:
        return tuple(shape)
    return tuple(xp.shape(x))


def is_binary_or_sparse_categorical(y_true: Any, y_pred: Any) -> tuple[bool, bool]:
    """Keras's rule (``compile_utils``) for what ``"accuracy"`` and ``"crossentropy"`` mean.

    Binary when the output's last axis has length 1; sparse categorical when the targets have
    fewer axes than the output, or a last axis of 1 against several outputs; categorical
    otherwise. ``y_true`` and ``y_pred`` may be arrays, Tensors or shape tuples.
    """
    true_shape, pred_shape = _shape_of(y_true), _shape_of(y_pred)
    if pred_shape is None or len(pred_shape) == 0:
        raise ValueError(
            "Cannot tell binary from categorical targets: the model output must have at least one "
            f"axis, received shape {pred_shape}."
        )
    pred_last = pred_shape[-1]
    is_binary = pred_last == 1
    if true_shape is None or len(true_shape) == 0:
        return is_binary, False
    is_sparse = len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_last != 1)
    return is_binary, is_sparse


def loss_kind(loss: Any) -> str | None:
    """``"categorical"``, ``"sparse"``, ``"binary"`` or ``"elementwise"`` for a built-in loss
    (name, function, class or instance); ``None`` for anything else (custom losses)."""
    builtins = object_registration.builtin_objects("losses")
    if isinstance(loss, str):
        loss = builtins.get(loss)
    if inspect.isclass(loss):
        try:
            loss = loss()
        except TypeError:
            return None
    if isinstance(loss, LossFunctionWrapper):
        loss = loss.fn
    if loss is functions.categorical_crossentropy:
        return _CATEGORICAL
    if loss is functions.sparse_categorical_crossentropy:
        return _SPARSE
    if loss is functions.binary_crossentropy:
        return _BINARY
    elementwise = (
        functions.mean_squared_error,
        functions.mean_absolute_error,
        functions.mean_absolute_percentage_error,
        functions.mean_squared_logarithmic_error,
        functions.huber,
        functions.log_cosh,
        functions.hinge,
        functions.squared_hinge,
        functions.categorical_hinge,
        functions.kl_divergence,
        functions.poisson,
        functions.cosine_similarity,
    )
    if any(loss is fn for fn in elementwise):
        return _ELEMENTWISE
    return None


def _loss_name(loss: Any) -> str:
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", None)
    return name if isinstance(name, str) else type(loss).__name__


def _fmt_shape(shape: tuple) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _dims_match(a: tuple, b: tuple) -> bool:
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _integer_valued(y) -> bool:
    if y.dtype.kind in "biu":
        return True
    return bool(xp.all(y == xp.floor(y)))


def _value_range(y) -> tuple:
    if y.size == 0:
        return 0, 0
    low, high = y.min(), y.max()
    if y.dtype.kind == "f" and _integer_valued(y):
        return int(low), int(high)
    return low.item(), high.item()


def validate_targets(loss: Any, y_true: Any, output_shape: Any) -> None:
    """Raise a ValueError that explains the fix when ``y_true`` cannot be the target of ``loss``
    for a model whose output has shape ``output_shape`` (e.g. ``(None, 10)``).

    Checks, each vectorised over the labels:

    - ``categorical_crossentropy``: targets must be one-hot rows as wide as the output; integer
      class labels get the advice to use ``numeras.utils.to_categorical(y, num_classes)`` or
      ``loss="sparse_categorical_crossentropy"``.
    - ``sparse_categorical_crossentropy``: targets must be integer class ids in
      ``[0, num_classes)``; one-hot rows get the advice to use ``y.argmax(axis=-1)`` or
      ``loss="categorical_crossentropy"``.
    - ``binary_crossentropy``: targets must lie in [0, 1] and match the output's shape.
    - the element-wise losses (``mse``, ``mae``, ...): targets must match the output's shape.

    Custom losses and multi-output targets (lists or dicts) are not checked.
    """
    if y_true is None or output_shape is None or isinstance(y_true, dict):
        return
    if isinstance(y_true, (list, tuple)) and any(hasattr(item, "shape") for item in y_true):
        return  # one target per output of a multi-output model: the caller checks each one
    y = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    output_shape = tuple(output_shape)
    name = _loss_name(loss)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"Invalid `y` for loss={name!r}: the targets must be numbers, received an array of dtype "
            f"{y.dtype}. Fix: convert them with y.astype('float32'), or encode text labels as integers."
        )
    if y.dtype.kind == "f" and y.size and not bool(xp.isfinite(y).all()):
        raise ValueError(
            f"Invalid `y` for loss={name!r}: the targets contain NaN or infinite values "
            f"({int((~xp.isfinite(y)).sum())} of {y.size}). Fix: remove or impute them before training."
        )
    if y.ndim == 0 or len(output_shape) == 0:
        return

    if isinstance(loss, str) and loss.lower() in ("crossentropy", "ce"):
        is_binary, is_sparse = is_binary_or_sparse_categorical(y.shape, output_shape)
        kind = _BINARY if is_binary else _SPARSE if is_sparse else _CATEGORICAL
    else:
        kind = loss_kind(loss)
    if kind == _CATEGORICAL:
        _check_categorical(name, y, output_shape)
    elif kind == _SPARSE:
        ignore_class = getattr(loss, "ignore_class", None)
        if ignore_class is None:
            ignore_class = getattr(loss, "_fn_kwargs", {}).get("ignore_class")
        _check_sparse(name, y, output_shape, ignore_class)
    elif kind == _BINARY:
        _check_same_shape(name, y, output_shape)
        _check_binary_range(name, y)
    elif kind == _ELEMENTWISE:
        _check_same_shape(name, y, output_shape)


def _prefix(name: str, y, output_shape: tuple) -> str:
    return (
        f"Invalid `y` for loss={name!r} with a model output of shape {_fmt_shape(output_shape)}: "
        f"`y` has shape {_fmt_shape(y.shape)}"
    )


def _check_categorical(name: str, y, output_shape: tuple) -> None:
    classes = output_shape[-1]
    expected = _fmt_shape((y.shape[0],) + tuple(output_shape[1:]))
    looks_like_labels = y.ndim == len(output_shape) - 1 or (
        y.ndim == len(output_shape) and y.shape[-1] == 1 and classes != 1
    )
    if looks_like_labels and _integer_valued(y):
        low, high = _value_range(y)
        num_classes = classes if classes is not None else high + 1
        message = (
            f"{_prefix(name, y, output_shape)} and holds integer class labels ({low} to {high}), but "
            f"{name} expects one-hot targets of shape {expected}. Fix: one-hot encode the labels with "
            f"`y = numeras.utils.to_categorical(y, {num_classes})`, or keep the integer labels and "
            "compile with loss='sparse_categorical_crossentropy'."
        )
        if classes is not None and high >= classes:
            message += (
                f" Note that the labels go up to {high} while the model has only {classes} outputs: "
                f"the last layer needs {high + 1} units."
            )
        raise ValueError(message)
    if y.ndim != len(output_shape):
        raise ValueError(
            f"{_prefix(name, y, output_shape)}, but {name} expects one-hot targets of shape {expected}, "
            "one row per sample. Fix: give `y` one column per class."
        )
    if classes is not None and y.shape[-1] != classes:
        raise ValueError(
            f"{_prefix(name, y, output_shape)}: its {y.shape[-1]} columns (classes) do not match the "
            f"{classes} outputs of the model, but {name} expects targets of shape {expected}. Fix: make "
            f"the last layer output {y.shape[-1]} units (e.g. Dense({y.shape[-1]}, activation='softmax')), "
            f"or one-hot encode the labels with num_classes={classes}."
        )
    if not _dims_match(tuple(y.shape[1:-1]), tuple(output_shape[1:-1])):
        raise ValueError(
            f"{_prefix(name, y, output_shape)}, but {name} expects targets of shape {expected}. Fix: "
            "reshape `y` (or the model output) so that they match."
        )


def _check_sparse(name: str, y, output_shape: tuple, ignore_class: Any) -> None:
    classes = output_shape[-1]
    expected = _fmt_shape((y.shape[0],) + tuple(output_shape[1:-1]))
    if y.ndim == len(output_shape) and y.shape[-1] == 1 and classes != 1:
        labels_shape = tuple(y.shape[:-1])
    elif y.ndim == len(output_shape) - 1:
        labels_shape = tuple(y.shape)
    elif y.ndim == len(output_shape) and y.shape[-1] == classes:
        one_hot = bool(xp.all((y == 0) | (y == 1)))
        looks = "looks one-hot encoded" if one_hot else "has the shape of the model output"
        raise ValueError(
            f"{_prefix(name, y, output_shape)} and {looks}, but {name} expects one integer class id per "
            f"sample, of shape {expected}. Fix: pass `y.argmax(axis=-1)`, or keep the one-hot targets "
            "and compile with loss='categorical_crossentropy'."
        )
    else:
        raise ValueError(
            f"{_prefix(name, y, output_shape)}, but {name} expects one integer class id per sample, of "
            f"shape {expected}. Fix: reshape `y` to {expected}."
        )
    if not _dims_match(labels_shape[1:], tuple(output_shape[1:-1])):
        raise ValueError(
            f"{_prefix(name, y, output_shape)}, but {name} expects class ids of shape {expected}. Fix: "
            "reshape `y` (or the model output) so that they match."
        )
    if not _integer_valued(y):
        example = y[y != xp.floor(y)].flat[0].item()
        raise ValueError(
            f"{_prefix(name, y, output_shape)} and holds non-integer values (such as {example}), but {name} "
            "expects integer class ids 0, 1, 2, ... Fix: convert the labels to integers, or use "
            "loss='categorical_crossentropy' for one-hot or soft targets."
        )
    labels = y if ignore_class is None else y[y != ignore_class]
    if labels.size == 0 or classes is None:
        return
    low, high = _value_range(labels)
    if low < 0:
        raise ValueError(
            f"{_prefix(name, y, output_shape)} and holds the negative class id {low}, but {name} expects "
            f"class ids in [0, {classes}). Fix: shift the labels to start at 0, or pass ignore_class={low} "
            "to SparseCategoricalCrossentropy to skip them."
        )
    if high >= classes:
        raise ValueError(
            f"{_prefix(name, y, output_shape)} and holds the class id {high}, but the model has only "
            f"{classes} outputs, so {name} expects class ids in [0, {classes}). Fix: give the last layer "
            f"{high + 1} units (e.g. Dense({high + 1}, activation='softmax'))."
        )


def _check_same_shape(name: str, y, output_shape: tuple) -> None:
    """Element-wise losses compare ``y`` with the output entry by entry (after Keras's rule that
    ``(n,)`` targets go with ``(n, 1)`` outputs)."""
    target_shape = tuple(y.shape)
    if len(target_shape) == len(output_shape) - 1 and output_shape[-1] == 1:
        target_shape = target_shape + (1,)
    elif len(target_shape) == len(output_shape) + 1 and target_shape[-1] == 1:
        target_shape = target_shape[:-1]
    if _dims_match(target_shape[1:], tuple(output_shape[1:])):
        return
    expected = _fmt_shape((y.shape[0],) + tuple(output_shape[1:]))
    message = (
        f"{_prefix(name, y, output_shape)}, but {name} compares targets with outputs element by element "
        f"and expects `y` of shape {expected}."
    )
    classes = output_shape[-1]
    looks_like_labels = y.ndim == len(output_shape) - 1 or (y.ndim == len(output_shape) and y.shape[-1] == 1)
    if looks_like_labels and classes not in (None, 1) and _integer_valued(y):
        message += (
            f" `y` looks like integer class labels. Fix: one-hot encode them with "
            f"`numeras.utils.to_categorical(y, {classes})`, or, for classification, compile with "
            "loss='sparse_categorical_crossentropy'."
        )
    else:
        message += " Fix: reshape `y`, or change the last layer so that its output matches `y`."
    raise ValueError(message)


def _check_binary_range(name: str, y) -> None:
    if y.size == 0:
        return
    low, high = _value_range(y)
    if low >= 0 and high <= 1:
        return
    message = (
        f"Invalid `y` for loss={name!r}: binary cross-entropy expects targets between 0 and 1 (0/1 labels "
        f"or probabilities), but `y` holds values from {low} to {high}."
    )
    if low >= 0 and _integer_valued(y):
        message += (
            f" They look like class labels of {high + 1} classes. Fix: use a Dense({high + 1}, "
            "activation='softmax') output with loss='sparse_categorical_crossentropy'."
        )
    else:
        message += " Fix: rescale the targets to [0, 1], or use a regression loss such as 'mse'."
    raise ValueError(message)
