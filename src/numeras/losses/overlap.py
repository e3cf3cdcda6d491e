"""Overlap losses for segmentation (Dice, Tversky) and the Circle metric-learning loss, with
Keras 3's functions, classes, defaults and configs.

Dice and Tversky sum over ``axis`` (every axis when ``axis`` is None, which gives one number for
the whole batch, as in Keras) and add ``epsilon`` to the denominator so empty masks give a loss
of 1 rather than NaN. Circle (Sun et al., 2020) compares every embedding with every reference
embedding; its per-sample losses that are exactly 0 do not count in the mean, as Keras marks
them with a mask.
"""

from __future__ import annotations

from typing import Any

from numeras import backend, ops
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.losses.functions import _pred_and_true, squeeze_or_expand_to_same_rank
from numeras.losses.loss import Loss, LossFunctionWrapper

__all__ = ["Circle", "Dice", "Tversky", "circle", "dice", "tversky"]

# Stands in for -inf in the masked log-sum-exp: exp(_MASKED - anything finite) is exactly 0,
# and unlike -inf it keeps the gradient of an all-masked row at 0 instead of NaN.
_MASKED = -1e30


def _axis(axis: Any) -> Any:
    return tuple(axis) if isinstance(axis, list) else axis


def dice(y_true: Any, y_pred: Any, axis: Any = None) -> Tensor:
    """loss = 1 - 2 sum(t p) / (sum(t) + sum(p) + epsilon), the sums over ``axis``."""
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    axis = _axis(axis)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    union = ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + backend.epsilon()
    return 1.0 - (intersection * 2.0) / union


def tversky(y_true: Any, y_pred: Any, alpha: float = 0.5, beta: float = 0.5, axis: Any = None) -> Tensor:
    """loss = 1 - tp / (tp + alpha fp + beta fn + epsilon) with tp = sum(t p),
    fp = sum((1 - p) t) and fn = sum(p (1 - t)) over ``axis`` (Keras's naming of the terms).

    alpha = beta = 0.5 gives the Dice loss.
    """
    y_true, y_pred = _pred_and_true(y_true, y_pred)
    axis = _axis(axis)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    false_positives = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    false_negatives = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    denominator = intersection + false_positives * float(alpha) + false_negatives * float(beta) + backend.epsilon()
    return 1.0 - intersection / denominator


def _circle_and_mask(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
) -> tuple[Tensor, Any]:
    y_pred = _pred_and_true(y_pred, y_pred)[1]
    labels = (y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)).astype(xp.int32)
    if ref_embeddings is None:
        references = y_pred
    else:
        references = _pred_and_true(ref_embeddings, ref_embeddings)[1]
    if ref_labels is None:
        reference_labels = labels
    else:
        reference_labels = (ref_labels.data if isinstance(ref_labels, Tensor) else xp.asarray(ref_labels)).astype(xp.int32)
    query = labels.reshape(-1, 1) if labels.ndim == 1 else labels
    keys = reference_labels.reshape(-1, 1) if reference_labels.ndim == 1 else reference_labels
    positive_mask = query == keys.T
    negative_mask = ~positive_mask
    if remove_diagonal:
        positive_mask &= ~xp.eye(query.size, keys.size, dtype=bool)

    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(references)), 0.0)
    positive_weights = ops.maximum((distances + margin) * positive_mask.astype(y_pred.dtype), 0.0)
    negative_weights = ops.maximum(((1.0 + margin) - distances) * negative_mask.astype(y_pred.dtype), 0.0)
    positive_terms = positive_weights * (margin - distances) * -float(gamma)
    negative_terms = negative_weights * ((1.0 - margin) - distances) * float(gamma)
    positive_loss = ops.logsumexp(ops.where(positive_mask, positive_terms, _MASKED), axis=1)
    negative_loss = ops.logsumexp(ops.where(negative_mask, negative_terms, _MASKED), axis=1)
    loss = ops.softplus(positive_loss + negative_loss)
    return loss, loss.data > 0


def circle(
    y_true: Any,
    y_pred: Any,
    ref_labels: Any = None,
    ref_embeddings: Any = None,
    remove_diagonal: bool = True,
    gamma: float = 80.0,
    margin: float = 0.4,
) -> Tensor:
    """Circle loss of L2-normalised embeddings ``y_pred`` with integer labels ``y_true``.

    With cosine distances d = max(1 - y_pred @ ref_embeddings.T, 0), positives P (same label,
    the diagonal removed when ``remove_diagonal``) and negatives N::

        lp = logsumexp_P(-gamma * max(d + m, 0) * (m - d))
        ln = logsumexp_N(gamma * max(1 + m - d, 0) * (1 - m - d))
        loss = softplus(lp + ln)

    ``ref_labels``/``ref_embeddings`` default to ``y_true``/``y_pred``.
    """
    loss, _ = _circle_and_mask(y_true, y_pred, ref_labels, ref_embeddings, remove_diagonal, gamma, margin)
    return loss


class Dice(LossFunctionWrapper):
    """Dice loss (see ``dice``).

    Args:
        reduction, name, dtype: as for every ``Loss``.
        axis: the axes summed over; None (the default) sums over every axis.
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "dice", axis: Any = None, dtype: Any = None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config["axis"] = self.axis
        return config


class Tversky(LossFunctionWrapper):
    """Tversky loss (see ``tversky``).

    Args:
        alpha: weight of the false positives (default 0.5).
        beta: weight of the false negatives (default 0.5).
        reduction, name, dtype: as for every ``Loss``.
        axis: the axes summed over; None (the default) sums over every axis.
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str = "tversky",
        axis: Any = None,
        dtype: Any = None,
    ):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)
        self.alpha = alpha
        self.beta = beta
        self.axis = axis

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(alpha=self.alpha, beta=self.beta, axis=self.axis)
        return config


class Circle(LossFunctionWrapper):
    """Circle loss between integer labels and L2-normalised embeddings (see ``circle``); the mean
    is taken over the samples whose loss is not 0, as Keras does.

    Args:
        gamma: the scale of the similarity scores (default 80).
        margin: the relaxation factor (default 0.4).
        remove_diagonal: leave each sample's similarity to itself out of its positives.
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(
        self,
        gamma: float = 80.0,
        margin: float = 0.4,
        remove_diagonal: bool = True,
        reduction: str | None = "sum_over_batch_size",
        name: str = "circle",
        dtype: Any = None,
    ):
        super().__init__(
            circle, name=name, reduction=reduction, dtype=dtype, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal
        )
        self.gamma = gamma
        self.margin = margin
        self.remove_diagonal = remove_diagonal

    def _call_with_mask(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Any]:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return _circle_and_mask(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = Loss.get_config(self)
        config.update(gamma=self.gamma, margin=self.margin, remove_diagonal=self.remove_diagonal)
        return config
