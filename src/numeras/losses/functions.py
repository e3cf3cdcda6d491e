"""Per-sample loss functions with Keras 3's names, signatures and numerics.

Each function takes ``y_true`` and ``y_pred`` (Tensors, arrays or nested lists), reduces the last
axis and returns a Tensor of the batch shape (``y_pred.shape[:-1]``). They are built from
``numeras.ops`` and the fused primitives of ``numeras.autodiff.ops``, so gradients flow through
them to ``y_pred`` (and to ``y_true`` where that makes sense).

Cross-entropies on probabilities clip them to ``[epsilon, 1 - epsilon]`` (``epsilon() == 1e-7``)
as Keras does. When ``y_pred`` is the output of ``ops.softmax`` it remembers its logits
(``y_pred._logits``); the categorical cross-entropies then use the fused, exact
``softmax_cross_entropy`` primitive on those logits, exactly as Keras's TensorFlow backend does
with ``_keras_logits``. That is the path of every ``Dense(n, activation="softmax")`` model.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from numeras import backend, ops
from numeras.autodiff import ops as primitives
from numeras.autodiff.tensor import Tensor, convert_to_tensor
from numeras.backend import xp

__all__ = [
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "elementwise_binary_crossentropy",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "squeeze_or_expand_to_same_rank",
]


# -- shared helpers ---------------------------------------------------------------------
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


def squeeze_or_expand_to_same_rank(x1: Tensor, x2: Tensor, expand_rank_1: bool = True) -> tuple[Tensor, Tensor]:
    """Make the ranks of ``x1`` and ``x2`` equal when they differ by one trailing axis of length 1.

    As Keras: a ``(n,)`` tensor paired with ``(n, 1)`` is expanded to ``(n, 1)`` (when
    ``expand_rank_1``); otherwise the length-1 last axis of the longer one is squeezed.
    """
    rank1, rank2 = x1.ndim, x2.ndim
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


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


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """x * min(1 / ||x||, 1 / epsilon), as Keras's ``normalize``; written as
    x / sqrt(max(sum(x^2), epsilon^2)) so a zero vector has a finite gradient."""
    eps = backend.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, eps * eps))


def _check_axis(axis: Any) -> None:
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be an int, received axis={axis!r} of type {type(axis).__name__}.")


# -- probabilistic losses ---------------------------------------------------------------
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


def sparse_categorical_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, ignore_class: int | None = None, axis: int = -1
) -> Tensor:
    """Categorical cross-entropy with integer class ids as targets.

    loss = -log(p[y_true]) for probabilities p = y_pred clipped to [epsilon, 1 - epsilon] and
    renormalised (Keras's TensorFlow backend takes log_softmax(log(p))); from logits z:
    loss = -log_softmax(z)[y_true]. Targets may have shape ``y_pred.shape[:-1]`` or that shape
    with a trailing 1. Entries whose label equals ``ignore_class`` get a loss of 0.

    A ``y_pred`` produced by ``ops.softmax`` is evaluated from its logits with one fused op.
    """
    _check_axis(axis)
    loss, _ = sparse_categorical_crossentropy_with_mask(y_true, y_pred, from_logits, ignore_class, axis)
    return loss


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


def binary_crossentropy(
    y_true: Any, y_pred: Any, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1
) -> Tensor:
    """Binary cross-entropy averaged over ``axis``.

    loss = mean(-(t * log(p) + (1 - t) * log(1 - p)), axis) with p clipped to
    [epsilon, 1 - epsilon]; from logits x the exact form max(x, 0) - x t + log(1 + e^-|x|).
    ``label_smoothing`` s replaces t by t * (1 - s) + s / 2.
    """
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return ops.mean(elementwise_binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """Kullback-Leibler divergence: loss = sum(t * log(t / p), axis=-1), with t and p clipped to
    [epsilon, 1]."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    eps = backend.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Poisson loss: loss = mean(p - t * log(p + epsilon), axis=-1)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + backend.epsilon()), axis=-1)


# -- regression losses ------------------------------------------------------------------
def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean((t - p)^2, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean(|t - p|, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """loss = 100 * mean(|t - p| / max(|t|, epsilon), axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    scale = ops.maximum(ops.abs(y_true), backend.epsilon())
    return ops.mean(ops.abs((y_true - y_pred) / scale), axis=-1) * 100.0


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean((log(max(p, epsilon) + 1) - log(max(t, epsilon) + 1))^2, axis=-1)."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    eps = backend.epsilon()
    first_log = ops.log1p(ops.maximum(y_pred, eps))
    second_log = ops.log1p(ops.maximum(y_true, eps))
    return ops.mean(ops.square(first_log - second_log), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Huber loss of the error e = p - t, averaged over the last axis:
    0.5 e^2 where |e| <= delta, delta |e| - 0.5 delta^2 elsewhere."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    delta = float(delta)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    quadratic = ops.square(error) * 0.5
    linear = abs_error * delta - 0.5 * delta * delta
    return ops.mean(ops.where(abs_error.data <= delta, quadratic, linear), axis=-1)


_LOG_2 = math.log(2.0)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean(log(cosh(p - t)), axis=-1), computed as x + softplus(-2x) - log 2 so it
    never overflows."""
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    error = y_pred - y_true
    return ops.mean(error + ops.softplus(error * -2.0) - _LOG_2, axis=-1)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Negative cosine similarity: loss = -sum(l2_normalize(t) * l2_normalize(p), axis).

    -1 means the vectors point the same way, 0 that they are orthogonal (or one is zero).
    """
    y_true, y_pred = squeeze_or_expand_to_same_rank(*_pred_and_true(y_true, y_pred))
    return ops.negative(ops.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), axis=axis))


# -- hinge losses -----------------------------------------------------------------------
def _hinge_labels(y_true: Tensor) -> Tensor:
    """Labels in {0, 1} become {-1, 1}; other labels are used as given (Keras's rule)."""
    t = y_true.data
    if t.size and bool(xp.all((t == 0) | (t == 1))):
        return y_true * 2.0 - 1.0
    return y_true


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean(max(1 - t * p, 0), axis=-1) for labels t in {-1, 1} (0/1 labels are converted)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """loss = mean(max(1 - t * p, 0)^2, axis=-1) for labels t in {-1, 1} (0/1 labels are converted)."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_true = _hinge_labels(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """loss = max(neg - pos + 1, 0) with pos = sum(t * p) and neg = max((1 - t) * p), over the last
    axis, for one-hot targets t."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    positive = ops.sum(y_true * y_pred, axis=-1)
    negative = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(negative - positive + 1.0, 0.0)
