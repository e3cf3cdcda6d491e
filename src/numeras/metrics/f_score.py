"""F-scores of Keras 3: ``FBetaScore`` and ``F1Score``, accumulated per class (or over all
classes with ``average="micro"``) as weighted true-positive, false-positive and false-negative
counts."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.metrics.metric import Metric, as_array, to_result

_AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """F-beta score: (1 + beta^2) * precision * recall / (beta^2 * precision + recall).

    Predictions count as positive where ``y_pred > threshold``; without a threshold, the
    largest prediction of each row (if not 0) is the positive one. ``epsilon`` guards each
    division exactly as in Keras.

    Args:
        average: None (one score per class), ``"micro"`` (counts pooled over classes),
            ``"macro"`` (mean of the class scores) or ``"weighted"`` (mean weighted by the
            number of true instances of each class).
        beta: a positive float; recall counts beta times as much as precision (default 1.0).
        threshold: a float in (0, 1], or None for "the row maximum".
        name, dtype: as for every metric.

    State variables: ``true_positives``, ``false_positives``, ``false_negatives`` and
    ``intermediate_weights``, created at the first update (shape ``(num_classes,)``, or ``()``
    for ``"micro"``).
    """

    def __init__(self, average: str | None = None, beta: float = 1.0, threshold: float | None = None, name: str = "fbeta_score", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in _AVERAGES:
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                f"'weighted'}}. Received: average={average!r}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                f"Invalid `beta` argument value. It should be a Python float. Received: beta={beta!r} "
                f"of type {type(beta).__name__}. Write e.g. beta=2.0."
            )
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. Received: "
                    f"threshold={threshold!r} of type {type(threshold).__name__}."
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    f"Invalid `threshold` argument value. It should verify 0 < threshold <= 1. Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: tuple, y_pred_shape: tuple) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{type(self).__name__} expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={y_pred_shape} and y_true.shape={y_true_shape}."
            )
        shape = () if self.average == "micro" else (y_pred_shape[-1],)
        self.true_positives = self.add_variable(shape=shape, name="true_positives")
        self.false_positives = self.add_variable(shape=shape, name="false_positives")
        self.false_negatives = self.add_variable(shape=shape, name="false_negatives")
        self.intermediate_weights = self.add_variable(shape=shape, name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if self.threshold is None:
            row_max = y_pred.max(axis=-1, keepdims=True)
            positive = (y_pred >= row_max) & (xp.abs(y_pred) > 1e-9)
        else:
            positive = y_pred > self.threshold
        predicted = positive.astype(self.dtype)
        weights = None if sample_weight is None else as_array(sample_weight, self.dtype)[:, None]

        def weighted_sum(values):
            if weights is not None:
                values = values * weights
            return values.sum(axis=self.axis)

        self.true_positives.assign_add(weighted_sum(predicted * y_true))
        self.false_positives.assign_add(weighted_sum(predicted * (1 - y_true)))
        self.false_negatives.assign_add(weighted_sum((1 - predicted) * y_true))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self) -> Any:
        if not self._built:
            return 0.0
        eps = backend.epsilon()
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta_squared = self.beta**2
        score = precision * recall / (beta_squared * precision + recall + eps) * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights.data
            score = (score * (weights / (weights.sum() + eps))).sum()
        elif self.average is not None:
            score = score.mean()
        return to_result(score.astype(self.dtype))

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        return {**super().get_config(), "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 score, the harmonic mean of precision and recall: ``FBetaScore`` with beta = 1.

    Args:
        average, threshold, name, dtype: as for ``FBetaScore``.
    """

    def __init__(self, average: str | None = None, threshold: float | None = None, name: str = "f1_score", dtype: Any = None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config
