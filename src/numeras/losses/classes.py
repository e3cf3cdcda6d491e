"""The loss classes of Keras 3, each a ``LossFunctionWrapper`` around a function of
``numeras.losses.functions`` with Keras's default name and configuration."""

from __future__ import annotations

from typing import Any

from numeras.autodiff.tensor import Tensor
from numeras.losses import functions as F
from numeras.losses.functions import squeeze_or_expand_to_same_rank
from numeras.losses.loss import Loss, LossFunctionWrapper

_REDUCTION_DOC = """
    Args:
        reduction: ``"sum_over_batch_size"`` (default: the mean over all per-sample losses),
            ``"sum"``, ``"mean"``, ``"mean_with_sample_weight"`` (divide by the sum of the
            weights), ``"none"`` or ``None`` (one loss per sample).
        name: name of the loss instance.
        dtype: dtype of the computation; defaults to ``floatx()``.
"""


class _PlainLoss(LossFunctionWrapper):
    """A wrapper whose only configuration is the one every ``Loss`` has."""

    def get_config(self) -> dict:
        return Loss.get_config(self)


class MeanSquaredError(_PlainLoss):
    __doc__ = "Mean of squares of errors: loss = mean((y_true - y_pred)^2)." + _REDUCTION_DOC

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(F.mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(_PlainLoss):
    __doc__ = "Mean of absolute errors: loss = mean(|y_true - y_pred|)." + _REDUCTION_DOC

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(F.mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(_PlainLoss):
    __doc__ = (
        "Mean absolute percentage error: loss = 100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))."
        + _REDUCTION_DOC
    )

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: Any = None,
    ):
        super().__init__(F.mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(_PlainLoss):
    __doc__ = (
        "Mean squared logarithmic error: loss = mean((log(y_true + 1) - log(y_pred + 1))^2), with both "
        "clipped below at epsilon." + _REDUCTION_DOC
    )

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ):
        super().__init__(F.mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(_PlainLoss):
    __doc__ = (
        "Negative cosine similarity: loss = -sum(l2_normalize(y_true) * l2_normalize(y_pred), axis); "
        "``axis`` (default -1) is the features axis." + _REDUCTION_DOC
    )

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ):
        super().__init__(F.cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(_PlainLoss):
    __doc__ = (
        "Huber loss of the error e = y_pred - y_true: 0.5 e^2 where |e| <= delta, "
        "delta |e| - 0.5 delta^2 elsewhere, averaged over the last axis." + _REDUCTION_DOC
    )

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ):
        super().__init__(F.huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(_PlainLoss):
    __doc__ = "Logarithm of the hyperbolic cosine of the error: loss = mean(log(cosh(y_pred - y_true)))." + _REDUCTION_DOC

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "log_cosh", dtype: Any = None):
        super().__init__(F.log_cosh, name=name, reduction=reduction, dtype=dtype)


class Hinge(_PlainLoss):
    __doc__ = "Hinge loss: loss = mean(max(1 - y_true * y_pred, 0)), labels in {-1, 1} (0/1 converted)." + _REDUCTION_DOC

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype: Any = None):
        super().__init__(F.hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(_PlainLoss):
    __doc__ = (
        "Squared hinge loss: loss = mean(max(1 - y_true * y_pred, 0)^2), labels in {-1, 1} (0/1 converted)."
        + _REDUCTION_DOC
    )

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "squared_hinge", dtype: Any = None):
        super().__init__(F.squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(_PlainLoss):
    __doc__ = (
        "Categorical hinge loss: loss = max(neg - pos + 1, 0), pos = sum(y_true * y_pred), "
        "neg = max((1 - y_true) * y_pred)." + _REDUCTION_DOC
    )

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(F.categorical_hinge, name=name, reduction=reduction, dtype=dtype)


class KLDivergence(_PlainLoss):
    __doc__ = (
        "Kullback-Leibler divergence: loss = sum(y_true * log(y_true / y_pred)), both clipped to "
        "[epsilon, 1]." + _REDUCTION_DOC
    )

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "kl_divergence", dtype: Any = None):
        super().__init__(F.kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(_PlainLoss):
    __doc__ = "Poisson loss: loss = mean(y_pred - y_true * log(y_pred + epsilon))." + _REDUCTION_DOC

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "poisson", dtype: Any = None):
        super().__init__(F.poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy for 0/1 targets (or probabilities), averaged over the last axis.

    loss = -mean(t log p + (1 - t) log(1 - p)) with p clipped to [epsilon, 1 - epsilon].

    Args:
        from_logits: whether ``y_pred`` holds logits (any real number) rather than probabilities.
        label_smoothing: in [0, 1]; targets become t * (1 - s) + s / 2.
        axis: the axis averaged over (default -1).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            F.binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis)
        return config


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot targets and predicted class probabilities.

    loss = -sum(t * log(p / sum(p))) with the probabilities clipped to [epsilon, 1 - epsilon];
    from logits z: -sum(t * log_softmax(z)). Targets must have the shape of the predictions,
    ``(batch_size, num_classes)``; for integer labels use ``SparseCategoricalCrossentropy``.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets become t * (1 - s) + s / num_classes.
        axis: the classes axis (default -1).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            F.categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(from_logits=self.from_logits, label_smoothing=self.label_smoothing, axis=self.axis)
        return config


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer class ids and predicted class probabilities.

    loss = -log(p[y_true]); targets have shape ``(batch_size,)`` or ``(batch_size, 1)`` for
    predictions of shape ``(batch_size, num_classes)``.

    Args:
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        ignore_class: a label whose entries get no loss and do not count in the mean
            (e.g. a "void" class in segmentation, often -1 or 255).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            F.sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
        )
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _call_with_mask(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Any]:
        if self.ignore_class is None:
            return self.call(y_true, y_pred), None
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return F.sparse_categorical_crossentropy_with_mask(
            y_true, y_pred, from_logits=self.from_logits, ignore_class=self.ignore_class
        )

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(from_logits=self.from_logits, ignore_class=self.ignore_class)
        return config
