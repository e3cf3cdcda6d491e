"""The cross-entropies of ``keras.ops`` (``ops.binary_crossentropy``, ``ops.categorical_crossentropy``,
``ops.sparse_categorical_crossentropy``, in ``ops.nn`` and at the top of ``numeras.ops``), which
the losses of ``numeras.losses`` build on.

Cross-entropies on probabilities clip them to ``[epsilon, 1 - epsilon]`` as Keras does. When
``output`` is the output of ``ops.softmax`` (or ``ops.sigmoid``) it remembers its logits; the
cross-entropies then use the fused, exact primitives on those logits, as Keras's TensorFlow backend
does with ``_keras_logits``.
"""

from __future__ import annotations

import warnings
from typing import Any

from numeras import backend
from numeras.autodiff import composites as ops
from numeras.autodiff import ops as primitives
from numeras.autodiff.tensor import Tensor, convert_to_tensor
from numeras.backend import xp


def _float_tensor(x: Any) -> Tensor:
    """``x`` as a Tensor of a float type (integer and boolean inputs become floatx)."""
    x = convert_to_tensor(x)
    if x.data.dtype.kind != "f":
        return ops.cast(x, backend.floatx())
    return x


def _pred_and_true(y_true: Any, y_pred: Any) -> tuple[Tensor, Tensor]:
    """``y_pred`` as a float Tensor and ``y_true`` as a Tensor of the same dtype."""
    y_pred = _float_tensor(y_pred)
    y_true = convert_to_tensor(y_true)
    if y_true.data.dtype != y_pred.data.dtype:
        y_true = ops.cast(y_true, y_pred.dtype)
    return y_true, y_pred


def _cached_logits(y_pred: Tensor, activation: str) -> Tensor | None:
    """The logits ``y_pred`` was computed from by ``activation``, if it remembers them.

    ``ops.softmax`` and ``ops.sigmoid`` store their input in ``_logits`` and their name in
    ``_logits_kind``, so a sigmoid output is never mistaken for a softmax's.
    """
    logits = getattr(y_pred, "_logits", None)
    if logits is None:
        return None
    return logits if y_pred._logits_kind == activation else None


def _warn_logits_ignored(fn_name: str, activation: str) -> None:
    warnings.warn(
        f"`{fn_name}` received `from_logits=True`, but the `y_pred` argument was produced by a "
        f"{activation} activation and thus does not represent logits. Its logits are used instead. "
        "Was this intended? Remove the activation from the last layer, or pass from_logits=False.",
        stacklevel=3,
    )


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an int, received axis={axis!r} of type {type(axis).__name__}.")


def categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """Categorical cross-entropy between one-hot (or soft) targets and predicted distributions.

    loss = -sum(y_true * log(y_pred / sum(y_pred)), axis), with the normalised probabilities
    clipped to [epsilon, 1 - epsilon]; from logits z: loss = -sum(y_true * log_softmax(z), axis).
    ``label_smoothing`` s replaces y_true by y_true * (1 - s) + s / num_classes.

    A ``y_pred`` produced by ``ops.softmax`` is evaluated from its logits with one fused op
    (exact value and gradient, no clipping), as Keras's TensorFlow backend does.
    """
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(_categorical_shape_message("categorical_crossentropy", y_true, y_pred))
    if y_pred.ndim < 1:
        raise ValueError(
            "categorical_crossentropy: `y_true` and `y_pred` must have at least one axis (the "
            f"classes); received scalars of shape {y_pred.shape}."
        )
    num_classes = y_pred.shape[axis]
    if num_classes == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, num_classes) "
            f"with num_classes > 1. Received: y_pred.shape={y_pred.shape}. The loss is then always 0. "
            "Consider using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes

    logits = _cached_logits(y_pred, "softmax")
    if logits is not None:
        if from_logits:
            _warn_logits_ignored("categorical_crossentropy", "softmax")
        return primitives.softmax_cross_entropy(y_true, logits, axis=axis)
    if from_logits:
        return primitives.softmax_cross_entropy(y_true, y_pred, axis=axis)

    eps = backend.epsilon()
    probabilities = y_pred / ops.sum(y_pred, axis=axis, keepdims=True)
    probabilities = ops.clip(probabilities, eps, 1.0 - eps)
    return ops.negative(ops.sum(y_true * ops.log(probabilities), axis=axis))


def _categorical_shape_message(fn_name: str, y_true: Tensor, y_pred: Tensor) -> str:
    message = (
        f"{fn_name}: `y_true` must have the shape of `y_pred` (one probability per class), but "
        f"received y_true.shape={y_true.shape} and y_pred.shape={y_pred.shape}."
    )
    if y_pred.ndim >= 1 and (
        y_true.ndim == y_pred.ndim - 1 or (y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1)
    ):
        classes = y_pred.shape[-1]
        message += (
            " `y_true` looks like integer class labels. Fix: one-hot encode them with "
            f"`numeras.utils.to_categorical(y, {classes})`, or keep the integer labels and use "
            "loss='sparse_categorical_crossentropy'."
        )
    return message


def sparse_categorical_crossentropy_with_mask(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> tuple[Tensor, Any]:
    """``sparse_categorical_crossentropy`` and the boolean mask of the entries not ignored (or
    ``None`` without ``ignore_class``); ``SparseCategoricalCrossentropy`` reduces over that mask."""
    y_pred = _float_tensor(y_pred)
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    if y_pred.ndim < 1:
        raise ValueError(
            "sparse_categorical_crossentropy: `y_pred` must have a class axis; received a scalar."
        )
    if labels.ndim == y_pred.ndim and labels.ndim > 0 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    class_axis = axis % y_pred.ndim
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1 :]
    if labels.shape != expected:
        message = (
            "sparse_categorical_crossentropy: `y_true` must hold one integer class id per sample, "
            f"of shape {expected} (or {expected + (1,)}), but received y_true.shape={labels.shape} "
            f"for y_pred.shape={y_pred.shape}."
        )
        if labels.shape == y_pred.shape:
            message += (
                " `y_true` looks one-hot encoded. Fix: pass `y.argmax(axis=-1)`, or use "
                "loss='categorical_crossentropy'."
            )
        raise ValueError(message)
    num_classes = y_pred.shape[class_axis]
    if labels.dtype.kind not in "iu":
        labels = labels.astype(xp.intp)

    mask = None
    if ignore_class is not None:
        mask = labels != ignore_class
        labels = xp.where(mask, labels, 0)
    if labels.size:
        low, high = labels.min(), labels.max()
        if low < 0 or high >= num_classes:
            bad = int(low) if low < 0 else int(high)
            raise ValueError(
                f"sparse_categorical_crossentropy: class ids in `y_true` must lie in [0, {num_classes}) "
                f"because `y_pred` has {num_classes} classes, but received the label {bad}. Fix: give "
                "the last layer as many units as there are classes, or pass ignore_class= for a "
                "label to skip."
            )

    logits = _cached_logits(y_pred, "softmax")
    if logits is not None:
        if from_logits:
            _warn_logits_ignored("sparse_categorical_crossentropy", "softmax")
    elif from_logits:
        logits = y_pred
    else:
        eps = backend.epsilon()
        logits = ops.log(ops.clip(y_pred, eps, 1.0 - eps))
    loss = primitives.sparse_softmax_cross_entropy(labels, logits, axis=class_axis)
    if mask is not None:
        loss = ops.where(mask, loss, 0.0)
    return loss, mask


def elementwise_binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Binary cross-entropy per element, not reduced (Keras's ``keras.ops.binary_crossentropy``).

    loss = -(t * log(p) + (1 - t) * log(1 - p)) with p clipped to [epsilon, 1 - epsilon];
    from logits x: max(x, 0) - x * t + log(1 + e^-|x|).
    """
    target, output = _pred_and_true(target, output)
    if target.shape != output.shape:
        raise ValueError(
            "binary_crossentropy: `target` and `output` must have the same shape, received "
            f"target.shape={target.shape} and output.shape={output.shape}."
        )
    logits = _cached_logits(output, "sigmoid")
    if logits is not None:
        if from_logits:
            _warn_logits_ignored("binary_crossentropy", "sigmoid")
        return primitives.sigmoid_cross_entropy(target, logits)
    if from_logits:
        return primitives.sigmoid_cross_entropy(target, output)
    eps = backend.epsilon()
    p = ops.clip(output, eps, 1.0 - eps)
    return ops.negative(target * ops.log(p) + (1.0 - target) * ops.log(1.0 - p))


def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Keras's ``ops.binary_crossentropy``: the cross-entropy of each element, not reduced."""
    return elementwise_binary_crossentropy(target, output, from_logits=from_logits)


def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """Keras's ``ops.sparse_categorical_crossentropy``: one loss per sample for integer targets."""
    _check_axis(axis)
    return sparse_categorical_crossentropy_with_mask(target, output, from_logits, None, axis)[0]


__all__ = ["binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy"]
