"""Focal and noise-robust cross-entropies of Keras 3: ``binary_focal_crossentropy``,
``categorical_focal_crossentropy`` and ``categorical_generalized_cross_entropy``, as functions
and as ``Loss`` classes with Keras's names, defaults and configs.

The focal losses (Lin et al., 2018) scale each entry's cross-entropy by a focal factor
``(1 - p_t) ** gamma`` that shrinks the loss of entries already predicted well, so training
concentrates on the hard ones. Probabilities are clipped to ``[epsilon, 1 - epsilon]`` inside the
logarithm exactly as Keras does; with ``from_logits=True`` Keras first applies the sigmoid (or
softmax) and then the same clipped formula, and so does this module, so the values match Keras
to float32 precision even for saturated logits.
"""

from __future__ import annotations

import warnings
from typing import Any

from numeras import backend, ops
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.losses.functions import _check_axis, _pred_and_true
from numeras.losses.loss import Loss, LossFunctionWrapper

__all__ = [
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
]


def _strip_cached_logits(y_pred: Tensor) -> Tensor:
    # ops.sigmoid/ops.softmax outputs remember their logits, and the plain cross-entropies use
    # them; Keras's focal losses do not, so the probabilities are used as they are.
    return y_pred * 1.0 if getattr(y_pred, "_logits", None) is not None else y_pred


def binary_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Binary focal cross-entropy, averaged over ``axis``.

    With p = y_pred (sigmoid(y_pred) when ``from_logits``) and t = y_true::

        bce = -(t log(clip(p)) + (1 - t) log(1 - clip(p)))      clip to [eps, 1 - eps]
        p_t = t p + (1 - t)(1 - p)
        loss = mean((1 - p_t) ** gamma * bce, axis)

    ``apply_class_balancing`` further weights each entry by ``alpha`` where t = 1 and
    ``1 - alpha`` where t = 0. ``label_smoothing`` s replaces t by t (1 - s) + s / 2.
    """
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_pred = _strip_cached_logits(y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = _strip_cached_logits(ops.sigmoid(y_pred))
    eps = backend.epsilon()
    clipped = ops.clip(y_pred, eps, 1.0 - eps)
    bce = ops.negative(y_true * ops.log(clipped) + (1.0 - y_true) * ops.log(1.0 - clipped))
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = ops.power(1.0 - p_t, float(gamma)) * bce
    if apply_class_balancing:
        weight = y_true * float(alpha) + (1.0 - y_true) * (1.0 - float(alpha))
        focal_bce = weight * focal_bce
    return ops.mean(focal_bce, axis=axis)


def categorical_focal_crossentropy(
    y_true: Any,
    y_pred: Any,
    alpha: Any = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> Tensor:
    """Categorical focal cross-entropy for one-hot (or soft) targets, summed over ``axis``.

    With p = y_pred / sum(y_pred, axis) (softmax(y_pred) first when ``from_logits``), clipped
    to [eps, 1 - eps]::

        loss = sum(alpha * (1 - p) ** gamma * (-y_true * log(p)), axis)

    ``alpha`` is a scalar or one weight per class. ``label_smoothing`` s replaces y_true by
    y_true (1 - s) + s / num_classes.
    """
    _check_axis(axis)
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    y_pred = _strip_cached_logits(y_pred)
    if y_pred.ndim >= 1 and y_pred.shape[-1] == 1:
        warnings.warn(
            "In loss categorical_focal_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider "
            "using 'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    if from_logits:
        y_pred = _strip_cached_logits(ops.softmax(y_pred, axis=axis))
    eps = backend.epsilon()
    output = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    cross_entropy = ops.negative(y_true) * ops.log(output)
    alpha_weights = xp.asarray(alpha, dtype=output.dtype)
    weighting = ops.power(1.0 - output, float(gamma)) * alpha_weights
    return ops.sum(weighting * cross_entropy, axis=axis)


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, q: float) -> Tensor:
    """Generalized cross-entropy (Zhang & Sabuncu, 2018) for integer class ids.

    loss = (1 - p ** q) / q where p is the predicted probability of the true class: close to
    the cross-entropy as q -> 0, to the mean absolute error as q -> 1.
    """
    y_pred = _pred_and_true(y_pred, y_pred)[1]
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    num_classes = y_pred.shape[-1]
    labels = labels.astype(xp.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            "categorical_generalized_cross_entropy: `y_true` must hold integer class ids in "
            f"[0, {num_classes}) because `y_pred` has {num_classes} classes; received labels from "
            f"{int(labels.min())} to {int(labels.max())}."
        )
    one_hot = xp.eye(num_classes, dtype=y_pred.dtype)[labels]
    p = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.power(p, float(q))) / float(q)


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary focal cross-entropy (see ``binary_focal_crossentropy``).

    Args:
        apply_class_balancing: weight class 1 by ``alpha`` and class 0 by ``1 - alpha``.
        alpha: the balancing weight of class 1 (default 0.25).
        gamma: the focusing exponent (default 2.0; 0 gives the binary cross-entropy).
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets move towards 0.5.
        axis: the axis averaged over (default -1).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_focal_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.apply_class_balancing = apply_class_balancing
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
            apply_class_balancing=self.apply_class_balancing,
            alpha=self.alpha,
            gamma=self.gamma,
        )
        return config


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical focal cross-entropy (see ``categorical_focal_crossentropy``).

    Args:
        alpha: a weight for every class, a scalar or a list (default 0.25).
        gamma: the focusing exponent (default 2.0).
        from_logits: whether ``y_pred`` holds logits rather than probabilities.
        label_smoothing: in [0, 1]; targets move towards 1 / num_classes.
        axis: the classes axis (default -1).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        alpha: Any = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_focal_crossentropy",
        dtype: Any = None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self.alpha = alpha
        self.gamma = gamma

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
            alpha=self.alpha,
            gamma=self.gamma,
        )
        return config


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Generalized cross-entropy, robust to noisy labels (see
    ``categorical_generalized_cross_entropy``).

    Args:
        q: the noise parameter, in (0, 1) (default 0.5).
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_generalized_cross_entropy",
        dtype: Any = None,
    ):
        if not 0 < q < 1:
            raise ValueError(
                f"CategoricalGeneralizedCrossEntropy: `q` must be in the interval (0, 1), received "
                f"q={q!r}. Values near 0 behave like the cross-entropy, near 1 like the mean "
                "absolute error; 0.5 is the default."
            )
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q)
        self.q = q

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config["q"] = self.q
        return config
