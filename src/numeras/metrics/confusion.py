"""Confusion-matrix metrics: true/false positive/negative counts, Precision, Recall and AUC.

A prediction counts as positive at threshold t when ``y_pred > t``. For evenly spaced
thresholds (AUC's default) the counts at every threshold come from one histogram of the
predictions and a reversed cumulative sum, O(N + T) instead of O(N * T), as Keras does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.metrics.metric import Metric, _divide_no_nan, as_array, squeeze_or_expand_arrays, to_result

NEG_INF = -1e10
TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES = "tp", "fp", "tn", "fn"
_CONDITIONS = (TRUE_POSITIVES, FALSE_POSITIVES, TRUE_NEGATIVES, FALSE_NEGATIVES)


def parse_thresholds(thresholds: Any, default: float = 0.5) -> list[float]:
    """``thresholds`` (a number or a sequence, each in [0, 1]) as a list; ``default`` when None."""
    if thresholds is None:
        return [default]
    values = [thresholds] if xp.ndim(thresholds) == 0 else list(xp.asarray(thresholds).reshape(-1).tolist())
    invalid = [t for t in values if t is None or t < 0 or t > 1]
    if invalid:
        raise ValueError(
            f"Threshold values must be in [0, 1], received {invalid}. For a model that outputs logits "
            "use thresholds=0 (which means a logit above 0, a probability above 0.5)."
        )
    return [float(t) for t in values]


def is_evenly_distributed(thresholds: Sequence[float]) -> bool:
    """Whether ``thresholds`` are i / (n - 1) for i = 0..n-1 (n >= 3), up to epsilon."""
    count = len(thresholds)
    if count < 3:
        return False
    even = xp.arange(count, dtype=xp.float32) / (count - 1)
    return bool(xp.allclose(xp.asarray(thresholds, dtype=xp.float64), even, atol=backend.epsilon()))


def _filter_top_k(x, k: int):
    """x with everything but the k largest entries of each row set to NEG_INF."""
    order = xp.argsort(-x, axis=-1, kind="stable")[..., :k]
    keep = xp.zeros(x.shape, dtype=bool)
    xp.put_along_axis(keep, order, True, axis=-1)
    return xp.where(keep, x, x.dtype.type(NEG_INF))


def update_confusion_matrix_variables(
    variables: dict,
    y_true: Any,
    y_pred: Any,
    thresholds: Sequence[float],
    top_k: int | None = None,
    class_id: int | None = None,
    sample_weight: Any = None,
    multi_label: bool = False,
    label_weights: Any = None,
    thresholds_distributed_evenly: bool = False,
) -> None:
    """Add the weighted counts of ``variables``' conditions ("tp", "fp", "tn", "fn") at each threshold.

    tp: label true and y_pred > t;  fp: label false and y_pred > t;
    fn: label true and y_pred <= t; tn: label false and y_pred <= t.
    Without ``multi_label`` every entry is one (prediction, label) pair; with it, the counts are
    kept per label (the variables then have shape ``(num_thresholds, num_labels)``).
    """
    invalid = [key for key in variables if key not in _CONDITIONS]
    if invalid or not variables:
        raise ValueError(f"Invalid confusion-matrix keys {invalid}; valid keys are {list(_CONDITIONS)}.")
    if multi_label and label_weights is not None:
        raise ValueError("`label_weights` for multi-label data are applied by AUC.result, not here.")
    dtype = next(iter(variables.values())).data.dtype
    y_true = as_array(y_true, dtype)
    y_pred = as_array(y_pred, dtype)
    y_pred, y_true = squeeze_or_expand_arrays(y_pred, y_true)
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"`y_true` and `y_pred` must have the same shape, received y_true.shape={y_true.shape} and "
            f"y_pred.shape={y_pred.shape}."
        )
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)[..., None]
        _, sample_weight = squeeze_or_expand_arrays(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if y_pred.ndim == 1:
            raise ValueError(
                "When class_id is given, y_pred must have shape (num_samples, num_classes), received "
                f"shape {y_pred.shape}."
            )
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    weights = None
    if sample_weight is not None:
        weights = xp.broadcast_to(sample_weight, y_pred.shape)
    if label_weights is not None:
        label_weights = xp.broadcast_to(as_array(label_weights, dtype), y_pred.shape)
        weights = label_weights if weights is None else weights * label_weights
    if weights is None:
        weights = xp.ones(y_pred.shape, dtype=dtype)
    if not multi_label:
        y_true, y_pred, weights = y_true.reshape(-1), y_pred.reshape(-1), weights.reshape(-1)
    elif y_pred.ndim != 2:
        raise ValueError(f"`y_pred` must have rank 2 when multi_label=True, received shape {y_pred.shape}.")

    is_true = y_true != 0
    true_weights = xp.where(is_true, weights, 0).astype(dtype, copy=False)
    false_weights = xp.where(is_true, 0, weights).astype(dtype, copy=False)
    thresholds = xp.asarray(thresholds, dtype=dtype)

    if thresholds_distributed_evenly:
        tp, fp = _counts_from_buckets(y_pred, true_weights, false_weights, thresholds)
    else:
        # Every (threshold, entry) comparison: (T, N) or (T, N, L); fine for a few thresholds.
        positive = (y_pred[None] > thresholds.reshape((-1,) + (1,) * y_pred.ndim)).astype(dtype)
        tp = (positive * true_weights).sum(axis=1)
        fp = (positive * false_weights).sum(axis=1)
    if TRUE_POSITIVES in variables:
        variables[TRUE_POSITIVES].assign_add(tp)
    if FALSE_POSITIVES in variables:
        variables[FALSE_POSITIVES].assign_add(fp)
    if FALSE_NEGATIVES in variables:
        variables[FALSE_NEGATIVES].assign_add(true_weights.sum(axis=0) - tp)
    if TRUE_NEGATIVES in variables:
        variables[TRUE_NEGATIVES].assign_add(false_weights.sum(axis=0) - fp)


def _counts_from_buckets(y_pred, true_weights, false_weights, thresholds):
    """tp and fp at evenly spaced thresholds from one histogram per label.

    With thresholds i / (T - 1), p > t_i exactly when bucket(p) = ceil(p (T - 1)) - 1 >= i, so
    the count at t_i is the sum of the buckets from i on: a reversed cumulative sum. Endpoint
    thresholds shifted by epsilon (AUC's -epsilon and 1 + epsilon) put p = 0 in bucket 0.
    """
    num_thresholds = thresholds.shape[0]
    with_epsilon = bool(thresholds[0] < 0 or thresholds[-1] > 1)
    p = xp.clip(y_pred, 0.0, 1.0)
    buckets = xp.ceil(p * p.dtype.type(num_thresholds - 1)) - 1
    if with_epsilon:
        buckets = xp.maximum(buckets, 0)
    buckets = buckets.astype(xp.intp)
    if y_pred.ndim == 2:
        # One histogram per label: offset each label's buckets into its own range.
        num_labels = y_pred.shape[1]
        buckets = buckets + xp.arange(num_labels) * num_thresholds
        size = num_labels * num_thresholds
    else:
        num_labels, size = 1, num_thresholds
    # Predictions at exactly 0 without the epsilon endpoint fall in bucket -1: positive nowhere.
    valid = buckets.reshape(-1) >= 0 if not with_epsilon else slice(None)
    flat = buckets.reshape(-1)[valid]

    def reversed_cumsum(weights):
        hist = xp.bincount(flat, weights=weights.reshape(-1)[valid], minlength=size)
        hist = hist.reshape(num_labels, num_thresholds)
        counts = xp.flip(xp.cumsum(xp.flip(hist, axis=1), axis=1), axis=1).astype(y_pred.dtype)
        return counts.T if y_pred.ndim == 2 else counts[0]

    return reversed_cumsum(true_weights), reversed_cumsum(false_weights)


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix condition at each threshold."""

    _condition = ""

    def __init__(self, thresholds: Any = None, name: str | None = None, dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_thresholds(thresholds, default=0.5)
        self._thresholds_distributed_evenly = is_evenly_distributed(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {self._condition: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
        )

    def result(self) -> Any:
        values = self.accumulator.data
        return to_result(values[0] if len(self.thresholds) == 1 else values.copy())

    def get_config(self) -> dict:
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted number of true positives (label 1, y_pred > threshold; threshold 0.5 by default)."""

    _condition = TRUE_POSITIVES


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted number of false positives (label 0, y_pred > threshold; threshold 0.5 by default)."""

    _condition = FALSE_POSITIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted number of true negatives (label 0, y_pred <= threshold; threshold 0.5 by default)."""

    _condition = TRUE_NEGATIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted number of false negatives (label 1, y_pred <= threshold; threshold 0.5 by default)."""

    _condition = FALSE_NEGATIVES


class Precision(Metric):
    """precision = tp / (tp + fp): of the predicted positives, the fraction truly positive.

    Args:
        thresholds: a number or list in [0, 1] (default 0.5, or none with ``top_k``); predictions
            above it are positive. One result per threshold.
        top_k: only the k highest predictions of each sample count as positive.
        class_id: compute the binary metric for this class (column) only.
        name, dtype: as for every metric.
    """

    _second = FALSE_POSITIVES

    def __init__(
        self,
        thresholds: Any = None,
        top_k: int | None = None,
        class_id: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_thresholds(thresholds, default=default)
        self._thresholds_distributed_evenly = is_evenly_distributed(self.thresholds)
        self.true_positives = self.add_variable(shape=(len(self.thresholds),), name="true_positives")
        # Precision keeps false positives, Recall false negatives, under Keras's attribute names.
        second_name = "false_positives" if self._second == FALSE_POSITIVES else "false_negatives"
        self._second_variable = self.add_variable(shape=(len(self.thresholds),), name=second_name)
        setattr(self, second_name, self._second_variable)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables(
            {TRUE_POSITIVES: self.true_positives, self._second: self._second_variable},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self) -> Any:
        tp = self.true_positives.data
        values = _divide_no_nan(tp, tp + self._second_variable.data)
        return to_result(values[0] if len(self.thresholds) == 1 else values)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "thresholds": self.init_thresholds,
            "top_k": self.top_k,
            "class_id": self.class_id,
        }


class Recall(Precision):
    """recall = tp / (tp + fn): of the true positives, the fraction predicted positive.

    Same arguments as ``Precision``.
    """

    _second = FALSE_NEGATIVES


class AUC(Metric):
    """Area under the ROC curve (default) or the precision-recall curve, approximated with
    ``num_thresholds`` evenly spaced thresholds and Keras's Riemann sums.

    ROC with ``summation_method="interpolation"`` uses the trapezoidal rule:
    auc = sum_i (fpr_i - fpr_{i+1}) * (tpr_i + tpr_{i+1}) / 2 over thresholds
    [-epsilon, 1/(T-1), ..., (T-2)/(T-1), 1 + epsilon]. PR interpolation follows Davis &
    Goadrich (2006); "minoring"/"majoring" take the lower/upper rectangle heights.

    Args:
        num_thresholds: number of thresholds (> 1), default 200.
        curve: ``"ROC"`` or ``"PR"``.
        summation_method: ``"interpolation"``, ``"minoring"`` or ``"majoring"``.
        name, dtype: as for every metric.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is ignored).
        multi_label: compute one AUC per label (column) and average them.
        num_labels: number of labels with ``multi_label`` (otherwise found on the first batch).
        label_weights: weights of the labels (averaging weights with ``multi_label``).
        from_logits: apply a sigmoid to ``y_pred`` first.
    """

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name: str | None = None,
        dtype: Any = None,
        thresholds: Sequence[float] | None = None,
        multi_label: bool = False,
        num_labels: int | None = None,
        label_weights: Any = None,
        from_logits: bool = False,
    ):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(parse_thresholds(list(thresholds)))
            self.num_thresholds = len(thresholds) + 2
            self._thresholds_distributed_evenly = is_evenly_distributed([0.0] + thresholds + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(
                    f"Argument `num_thresholds` must be an integer > 1, received num_thresholds={num_thresholds}."
                )
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._thresholds_distributed_evenly = True
        eps = backend.epsilon()
        # Endpoints just outside [0, 1] so that predictions of exactly 0 or 1 are counted.
        self._thresholds = xp.array([0.0 - eps] + list(thresholds) + [1.0 + eps])
        curve_key = str(curve).upper()
        if curve_key not in ("ROC", "PR"):
            raise ValueError(f'Invalid AUC curve value: {curve!r}. Expected "ROC" or "PR".')
        self.curve = curve_key
        method = str(summation_method).lower()
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"Invalid AUC summation method value: {summation_method!r}. Expected 'interpolation', "
                "'majoring' or 'minoring'."
            )
        self.summation_method = method
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else xp.asarray(as_array(label_weights), dtype=self.dtype)
        self._from_logits = from_logits
        self._built = False
        if multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> list[float]:
        """The thresholds used, endpoints included."""
        return [float(t) for t in self._thresholds]

    def _build(self, shape: tuple | None) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    f"`y_pred` must have rank 2 when multi_label=True, received shape {tuple(shape)}."
                )
            self._num_labels = shape[1]
            variable_shape: tuple = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape=variable_shape, name="true_positives")
        self.false_positives = self.add_variable(shape=variable_shape, name="false_positives")
        self.true_negatives = self.add_variable(shape=variable_shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape=variable_shape, name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_pred = as_array(y_pred)
        if not self._built:
            self._build(y_pred.shape)
        if self._from_logits:
            y_pred = 0.5 * (1.0 + xp.tanh(0.5 * y_pred.astype(self.dtype)))
        update_confusion_matrix_variables(
            {
                TRUE_POSITIVES: self.true_positives,
                TRUE_NEGATIVES: self.true_negatives,
                FALSE_POSITIVES: self.false_positives,
                FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            thresholds_distributed_evenly=self._thresholds_distributed_evenly,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights,
        )

    def _average_over_labels(self, by_label):
        if self.label_weights is None:
            return by_label.mean()
        return _divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def _interpolate_pr_auc(self):
        """Area under the PR curve with precision interpolated as Davis & Goadrich (2006)."""
        tp, fp, fn = self.true_positives.data, self.false_positives.data, self.false_negatives.data
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, xp.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both_positive = (p[:-1] > 0) & (p[1:] > 0)
        ratio = xp.where(both_positive, _divide_no_nan(p[:-1], xp.maximum(p[1:], 0)), 1)
        with xp.errstate(divide="ignore"):
            log_ratio = xp.log(xp.where(ratio > 0, ratio, 1))
        increments = _divide_no_nan(slope * (dtp + intercept * log_ratio), xp.maximum(tp[1:] + fn[1:], 0))
        if self.multi_label:
            return self._average_over_labels(increments.sum(axis=0))
        return increments.sum()

    def result(self) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return to_result(self._interpolate_pr_auc())
        tp, fp = self.true_positives.data, self.false_positives.data
        tn, fn = self.true_negatives.data, self.false_negatives.data
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = xp.minimum(y[:-1], y[1:])
        else:
            heights = xp.maximum(y[:-1], y[1:])
        areas = (x[:-1] - x[1:]) * heights
        if self.multi_label:
            return to_result(self._average_over_labels(areas.sum(axis=0)))
        return to_result(areas.sum())

    def reset_state(self) -> None:
        if self._built:
            super().reset_state()

    def get_config(self) -> dict:
        config = {
            **super().get_config(),
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": None if self.label_weights is None else self.label_weights.tolist(),
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config
