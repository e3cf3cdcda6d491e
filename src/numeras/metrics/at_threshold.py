"""Keras 3's metrics that read one rate at the threshold where another reaches a target:
``SensitivityAtSpecificity``, ``SpecificityAtSensitivity``, ``PrecisionAtRecall`` and
``RecallAtPrecision``. They keep tp/fp/tn/fn counts at ``num_thresholds`` evenly spaced
thresholds in [0, 1] (one histogram per batch, as ``AUC`` does) and return the best value of
the dependent rate among the thresholds whose constrained rate is >= the target."""

from __future__ import annotations

from typing import Any

from numeras.backend import xp
from numeras.metrics.confusion import (
    FALSE_NEGATIVES,
    FALSE_POSITIVES,
    TRUE_NEGATIVES,
    TRUE_POSITIVES,
    update_confusion_matrix_variables,
)
from numeras.metrics.metric import Metric, _divide_no_nan, to_result


class SensitivitySpecificityBase(Metric):
    """The shared state: ``true_positives``, ``false_positives``, ``true_negatives`` and
    ``false_negatives`` at each threshold (0, 1/(n-1), ..., 1; just 0.5 when n = 1)."""

    _target_name = "value"

    def __init__(self, value: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None, dtype: Any = None):
        if value < 0 or value > 1:
            raise ValueError(
                f"Argument `{self._target_name}` must be in the range [0, 1]. Received: {self._target_name}={value}"
            )
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        self.num_thresholds = num_thresholds
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        size = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=size, name="true_positives")
        self.false_positives = self.add_variable(shape=size, name="false_positives")
        self.true_negatives = self.add_variable(shape=size, name="true_negatives")
        self.false_negatives = self.add_variable(shape=size, name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {
                TRUE_POSITIVES: self.true_positives,
                TRUE_NEGATIVES: self.true_negatives,
                FALSE_POSITIVES: self.false_positives,
                FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def _rates(self):
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        return {
            "sensitivity": _divide_no_nan(tp, tp + fn),
            "specificity": _divide_no_nan(tn, tn + fp),
            "precision": _divide_no_nan(tp, tp + fp),
        }

    def _max_under_constraint(self, constrained, dependent) -> float:
        feasible = constrained >= self.value
        return to_result(xp.max(xp.where(feasible, dependent, 0), initial=0).astype(self.dtype))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "class_id": self.class_id,
            "num_thresholds": self.num_thresholds,
            self._target_name: self.value,
        }


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) tp / (tp + fn) at a threshold whose specificity
    tn / (tn + fp) is at least ``specificity``.

    Args:
        specificity: the target, in [0, 1].
        num_thresholds: thresholds evaluated (default 200).
        class_id: evaluate this class (column) only.
        name, dtype: as for every metric.
    """

    _target_name = "specificity"

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None, dtype: Any = None):
        self.specificity = specificity
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["specificity"], rates["sensitivity"])


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity at a threshold whose sensitivity is at least ``sensitivity``.

    Args: as ``SensitivityAtSpecificity``, with ``sensitivity`` the target.
    """

    _target_name = "sensitivity"

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None, dtype: Any = None):
        self.sensitivity = sensitivity
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["specificity"])


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision at a threshold whose recall is at least ``recall``.

    Args: as ``SensitivityAtSpecificity``, with ``recall`` the target.
    """

    _target_name = "recall"

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None, dtype: Any = None):
        self.recall = recall
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["sensitivity"], rates["precision"])


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall at a threshold whose precision is at least ``precision``.

    Args: as ``SensitivityAtSpecificity``, with ``precision`` the target.
    """

    _target_name = "precision"

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: int | None = None, name: str | None = None, dtype: Any = None):
        self.precision = precision
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> float:
        rates = self._rates()
        return self._max_under_constraint(rates["precision"], rates["sensitivity"])
