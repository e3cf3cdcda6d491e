"""``R2Score``: the coefficient of determination of Keras 3, from per-output running sums."""

from __future__ import annotations

import warnings
from typing import Any

from numeras.backend import xp
from numeras.metrics.metric import Metric, as_array, squeeze_or_expand_arrays, to_result

_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


class R2Score(Metric):
    """R^2 = 1 - sum((y_true - y_pred)^2) / sum((y_true - mean(y_true))^2), per output column,
    weighted by ``sample_weight`` and accumulated over batches (a column with no variance
    scores 0).

    Args:
        class_aggregation: None (one score per output), ``"uniform_average"`` (their mean,
            the default) or ``"variance_weighted_average"`` (weighted by each output's variance).
        num_regressors: the number of independent variables; > 0 gives the adjusted R^2,
            1 - (1 - R^2) (n - 1) / (n - p - 1) with n the number of values seen.
        name, dtype: as for every metric.

    State variables, as Keras names them: ``num_samples``, then at the first update
    ``squared_sum``, ``sum``, ``residual`` and ``count`` (one entry per output).
    """

    def __init__(self, class_aggregation: str | None = "uniform_average", num_regressors: int = 0, name: str = "r2_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if class_aggregation not in _AGGREGATIONS:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {_AGGREGATIONS}. "
                f"Received: class_aggregation={class_aggregation!r}"
            )
        if num_regressors < 0:
            raise ValueError(
                f"Invalid value for argument `num_regressors`. Expected a value >= 0. Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), name="num_samples")
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}. Reshape 1D targets "
                "with y.reshape(-1, 1)."
            )
        num_outputs = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(num_outputs,), name="squared_sum")
        self.sum = self.add_variable(shape=(num_outputs,), name="sum")
        self.total_mse = self.add_variable(shape=(num_outputs,), name="residual")
        self.count = self.add_variable(shape=(num_outputs,), name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_arrays(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        weights = xp.ones((), dtype=self.dtype) if sample_weight is None else as_array(sample_weight, self.dtype)
        if weights.ndim == 1:
            weights = weights[:, None]
        weights = xp.broadcast_to(weights, y_true.shape)
        weighted_true = y_true * weights
        self.sum.assign_add(weighted_true.sum(axis=0))
        self.squared_sum.assign_add((y_true * weighted_true).sum(axis=0))
        self.total_mse.assign_add(((y_true - y_pred) ** 2 * weights).sum(axis=0))
        self.count.assign_add(weights.sum(axis=0))
        self.num_samples.assign_add(y_true.size)

    def result(self) -> Any:
        if not self._built:
            return 0.0
        with xp.errstate(divide="ignore", invalid="ignore"):
            mean = self.sum.data / self.count.data
            total = self.squared_sum.data - self.sum.data * mean
            raw_scores = 1 - self.total_mse.data / total
        raw_scores = xp.where(xp.isinf(raw_scores), 0.0, raw_scores).astype(self.dtype)
        if self.class_aggregation == "uniform_average":
            score = raw_scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * raw_scores).sum() / total.sum()
        else:
            score = raw_scores
        if self.num_regressors != 0:
            n = float(self.num_samples.data)
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.", stacklevel=2)
            else:
                score = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return to_result(xp.asarray(score, dtype=self.dtype))

    def reset_state(self) -> None:
        self.num_samples.data.fill(0)
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "class_aggregation": self.class_aggregation, "num_regressors": self.num_regressors}
