"""Per-sample metric functions with Keras 3's names: the accuracies and cosine similarity.

They are not differentiable (comparisons and argmax) and work on the raw arrays: each returns a
constant Tensor of per-sample values in ``floatx()`` (1.0 for a hit, 0.0 for a miss).
"""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.ops import constant
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.metrics.metric import as_array, squeeze_or_expand_arrays

__all__ = [
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "cosine_similarity",
    "in_top_k",
    "sparse_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "top_k_categorical_accuracy",
]


def _float_array(x: Any):
    array = as_array(x)
    return array if array.dtype.kind == "f" else array.astype(backend.floatx())


def _matches(hits) -> Tensor:
    return constant(hits.astype(backend.floatx()))


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """Fraction of entries where y_pred equals y_true exactly, averaged over the last axis."""
    y_pred = _float_array(y_pred)
    y_true = as_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_arrays(y_true, y_pred)
    return constant((y_true == y_pred).mean(axis=-1, dtype=backend.floatx()))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """1.0 where (y_pred > threshold) equals the 0/1 label, 0.0 elsewhere, element by element
    (Keras 3 does not average the last axis here; ``BinaryAccuracy`` averages per sample)."""
    y_true = as_array(y_true)
    y_pred = _float_array(y_pred)
    y_true, y_pred = squeeze_or_expand_arrays(y_true, y_pred)
    predicted = (y_pred > y_pred.dtype.type(threshold)).astype(y_true.dtype)
    return _matches(y_true == predicted)


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where argmax(y_pred) equals argmax(y_true) (one-hot targets), per sample."""
    labels = as_array(y_true).argmax(axis=-1)
    y_pred = as_array(y_pred)
    original_shape = labels.shape
    reshape = False
    if labels.ndim == y_pred.ndim:
        labels = labels[..., 0]
        reshape = True
    hits = labels == y_pred.argmax(axis=-1)
    if reshape:
        hits = hits.reshape(original_shape)
    return _matches(hits)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where argmax(y_pred) equals the integer label, per sample (labels of shape (n,) or (n, 1))."""
    labels = as_array(y_true)
    y_pred = as_array(y_pred)
    original_shape = labels.shape
    reshape = False
    if labels.ndim == y_pred.ndim and labels.ndim and labels.shape[-1] == 1:
        labels = labels[..., 0]
        reshape = True
    predicted = y_pred.argmax(axis=-1)
    if predicted.dtype != labels.dtype:
        predicted = predicted.astype(labels.dtype)
    hits = labels == predicted
    if reshape:
        hits = hits.reshape(original_shape)
    if hits.ndim > 1 and hits.shape[-1] == 1:
        hits = hits[..., 0]
    return _matches(hits)


def in_top_k(targets: Any, predictions: Any, k: int):
    """Boolean per row: is the prediction for ``targets[i]`` among the ``k`` largest of
    ``predictions[i]``? Ties at the k-th place count as in (TensorFlow's rule): the target is in
    when fewer than k classes score strictly higher."""
    targets = as_array(targets).astype(xp.intp, copy=False)
    predictions = as_array(predictions)
    target_scores = xp.take_along_axis(predictions, targets[:, None], axis=-1)
    higher = (predictions > target_scores).sum(axis=-1)
    return (higher < k) & xp.isfinite(target_scores[:, 0])


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the true class (argmax of the one-hot y_true) is among the k highest predictions."""
    labels = as_array(y_true).argmax(axis=-1)
    y_pred = as_array(y_pred)
    original_shape = labels.shape
    hits = in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return _matches(hits.reshape(original_shape))


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the integer label is among the k highest predictions."""
    labels = as_array(y_true)
    y_pred = as_array(y_pred)
    original_shape = labels.shape
    hits = in_top_k(labels.reshape(-1), y_pred.reshape(-1, y_pred.shape[-1]), k)
    return _matches(hits.reshape(original_shape))


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """sum(l2_normalize(y_true) * l2_normalize(y_pred), axis): 1 for the same direction,
    0 for orthogonal vectors (the loss of the same name is its negative)."""
    y_pred = _float_array(y_pred)
    y_true = as_array(y_true, y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_arrays(y_true, y_pred)
    eps2 = backend.epsilon() ** 2

    def normalize(x):
        return x / xp.sqrt(xp.maximum((x * x).sum(axis=axis, keepdims=True), eps2))

    return constant((normalize(y_true) * normalize(y_pred)).sum(axis=axis))
