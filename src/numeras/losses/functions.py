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
from typing import Any

from numeras import backend, ops
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.ops.crossentropy import (
    _check_axis,
    _pred_and_true,
    categorical_crossentropy,
    elementwise_binary_crossentropy,
    sparse_categorical_crossentropy_with_mask,
)

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


def _l2_normalize(x: Tensor, axis: int) -> Tensor:
    """x * min(1 / ||x||, 1 / epsilon), as Keras's ``normalize``; written as
    x / sqrt(max(sum(x^2), epsilon^2)) so a zero vector has a finite gradient."""
    eps = backend.epsilon()
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return x / ops.sqrt(ops.maximum(square_sum, eps * eps))


# -- probabilistic losses ---------------------------------------------------------------
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
