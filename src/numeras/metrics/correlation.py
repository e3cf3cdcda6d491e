"""Correlation metrics of Keras 3: ``pearson_correlation`` and ``concordance_correlation`` per
sample (along ``axis``) and their running means ``PearsonCorrelation`` and
``ConcordanceCorrelation``. They read raw arrays, as every metric does."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.ops import constant
from numeras.autodiff.tensor import Tensor
from numeras.metrics.metric import MeanMetricWrapper, as_array, squeeze_or_expand_arrays


def _arrays(y_true: Any, y_pred: Any):
    y_pred = as_array(y_pred)
    if y_pred.dtype.kind != "f":
        y_pred = y_pred.astype(backend.floatx())
    y_true = as_array(y_true, y_pred.dtype)
    return squeeze_or_expand_arrays(y_true, y_pred)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Pearson's r along ``axis``: mean(z(y_true) * z(y_pred)) with z(x) = (x - mean) / std
    (population std). A constant row gives NaN, as in Keras."""
    y_true, y_pred = _arrays(y_true, y_pred)
    true_centered = y_true - y_true.mean(axis=axis, keepdims=True)
    pred_centered = y_pred - y_pred.mean(axis=axis, keepdims=True)
    true_centered = true_centered / true_centered.std(axis=axis, keepdims=True)
    pred_centered = pred_centered / pred_centered.std(axis=axis, keepdims=True)
    return constant((true_centered * pred_centered).mean(axis=axis))


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Lin's concordance correlation along ``axis``, as Keras 3 computes it:
    mean(2 (y_true - mean_pred) (y_pred - mean_pred) / (var_true + var_pred +
    (mean_true - mean_pred)^2 + epsilon)) (the covariance term centres y_true on the mean of
    the predictions, like Keras)."""
    y_true, y_pred = _arrays(y_true, y_pred)
    true_mean = y_true.mean(axis=axis, keepdims=True)
    pred_mean = y_pred.mean(axis=axis, keepdims=True)
    true_var = (y_true - true_mean).var(axis=axis, keepdims=True)
    pred_var = (y_pred - pred_mean).var(axis=axis, keepdims=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean) ** 2
    return constant((2 * covariance / (norm + backend.epsilon())).mean(axis=axis))


class PearsonCorrelation(MeanMetricWrapper):
    """Running mean of ``pearson_correlation`` over the samples seen.

    Args:
        name, dtype: as for every metric.
        axis: the axis along which the correlation is taken (default -1).
    """

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """Running mean of ``concordance_correlation`` over the samples seen.

    Args:
        name, dtype: as for every metric.
        axis: the axis along which the correlation is taken (default -1).
    """

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
