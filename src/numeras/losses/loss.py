"""``Loss``: a per-sample loss function plus the reduction that turns it into one number.

The reduction rules are Keras 3's: ``"sum_over_batch_size"`` (the default) and ``"mean"`` sum the
weighted per-sample losses and divide by their number of elements (not by the sum of the
weights); ``"mean_with_sample_weight"`` divides by the sum of the weights instead; ``"sum"``
only sums; ``"none"``/``None`` return the weighted per-sample losses.

Masks, as Keras 3: when ``y_pred`` carries a mask (its ``_keras_mask``, e.g. the padding mask of
``Embedding(mask_zero=True)`` passed on by per-step layers), the masked entries get weight 0 and
the mean reductions divide by the number of unmasked entries instead of all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras import backend, ops
from numeras.autodiff.tensor import Tensor, convert_to_tensor
from numeras.backend import xp
from numeras.losses.functions import squeeze_or_expand_to_same_rank
from numeras.saving import object_registration
from numeras.utils.naming import auto_name

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)
"""Every accepted value of a loss's ``reduction``."""


def standardize_reduction(reduction: Any) -> str | None:
    """``reduction`` unchanged if Keras accepts it, else a ValueError listing the valid values."""
    if reduction not in REDUCTIONS:
        raise ValueError(
            f"Invalid value for argument `reduction`: expected one of {list(REDUCTIONS)}, received "
            f"reduction={reduction!r}. Use 'sum_over_batch_size' (the default) for the mean over "
            "the batch, 'sum' for the total, or None for one loss per sample."
        )
    return reduction


class Loss:
    """Base class of losses: ``loss(y_true, y_pred, sample_weight=None)`` returns the reduced loss.

    Subclasses implement ``call(y_true, y_pred)`` returning one loss per sample (a Tensor of the
    batch shape), built from ``numeras.ops`` so that it can be differentiated.

    Args:
        name: name of the loss; defaults to the class name in snake_case, made unique
            (``"cubic"``, then ``"cubic_1"``) as Keras does.
        reduction: ``"sum_over_batch_size"`` (default), ``"sum"``, ``"mean"``,
            ``"mean_with_sample_weight"``, ``"none"`` or ``None``.
        dtype: dtype the inputs are converted to before ``call``; defaults to ``floatx()``.

    Example::

        class MeanSquaredError(Loss):
            def call(self, y_true, y_pred):
                return ops.mean(ops.square(y_pred - y_true), axis=-1)
    """

    def __init__(self, name: str | None = None, reduction: str | None = "sum_over_batch_size", dtype: Any = None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype = backend.standardize_dtype(dtype)

    @property
    def dtype(self) -> str:
        return self._dtype

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        """The reduced loss of a batch: ``reduction(call(y_true, y_pred) * sample_weight)``, the
        entries masked by ``y_pred``'s mask (if it carries one) left out."""
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = convert_to_tensor(y_pred, dtype=self._dtype)
        y_true = convert_to_tensor(y_true, dtype=self._dtype)
        values, mask = self._call_with_mask(y_true, y_pred)
        out_mask = getattr(values, "_keras_mask", None)
        if out_mask is not None:
            mask = out_mask if mask is None else _mask_array(mask) & _mask_array(out_mask)
        if in_mask is not None:
            mask = in_mask if mask is None else _mask_array(mask) & _mask_array(in_mask)
        return reduce_weighted_values(
            values, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=self._dtype
        )

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        """One loss per sample. Subclasses must implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def _call_with_mask(self, y_true: Tensor, y_pred: Tensor) -> tuple[Tensor, Any]:
        # A loss that ignores some entries (SparseCategoricalCrossentropy's ignore_class) returns
        # their mask too, so the mean is taken over the entries that count.
        return self.call(y_true, y_pred), None

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict) -> Loss:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, reduction={self.reduction}>"


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    ``y_true`` and ``y_pred`` are first brought to the same rank when they differ by a trailing
    axis of length 1 (``(n,)`` labels against ``(n, 1)`` outputs), as Keras does.
    """

    def __init__(
        self,
        fn: Callable,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = object_registration.serialize_function(self.fn, "numeras.losses")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> LossFunctionWrapper:
        config = dict(config)
        if "fn" in config:
            config["fn"] = object_registration.deserialize_object(
                config["fn"], object_registration.builtin_objects("losses"), "loss"
            )
        return cls(**config)

    def __repr__(self) -> str:
        fn_name = getattr(self.fn, "__name__", repr(self.fn))
        return f"<LossFunctionWrapper({fn_name}, kwargs={self._fn_kwargs})>"


# -- reduction ------------------------------------------------------------------------
def _raw(x: Any):
    return x.data if isinstance(x, Tensor) else x


def _mask_array(mask: Any):
    return xp.asarray(_raw(mask)).astype(bool, copy=False)


def apply_mask(sample_weight: Any, mask: Any, dtype: str, reduction: str | None):
    """Merge a boolean mask into the sample weights (Keras's ``apply_mask``), as an array.

    For the mean reductions the valid entries are scaled by total / valid so that dividing by
    the number of elements afterwards gives the mean over the valid entries only (0 when no
    entry is valid); for the others (``"sum"``, which metrics use) the mask is 1/0.
    """
    if mask is None:
        return sample_weight
    mask = xp.asarray(_raw(mask)).astype(dtype)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum()
        mask *= mask.size / valid if valid else 0.0
    if sample_weight is None:
        return mask
    sample_weight = xp.asarray(_raw(sample_weight), dtype=dtype)
    if sample_weight.ndim == mask.ndim + 1 and sample_weight.shape[-1] == 1:
        sample_weight = sample_weight.reshape(sample_weight.shape[:-1])
    elif mask.ndim == sample_weight.ndim + 1 and mask.shape[-1] == 1:
        mask = mask.reshape(mask.shape[:-1])
    elif 0 < sample_weight.ndim < mask.ndim and sample_weight.shape == mask.shape[: sample_weight.ndim]:
        # One weight per sample against a per-step mask, (n,) against (n, t): weight each row.
        sample_weight = sample_weight.reshape(sample_weight.shape + (1,) * (mask.ndim - sample_weight.ndim))
    return sample_weight * mask


def _weights_like(values: Tensor, sample_weight: Any, dtype: str) -> Tensor:
    """``sample_weight`` as a constant Tensor laid out to broadcast against ``values``."""
    weights = xp.asarray(_raw(sample_weight))
    if weights.dtype != values.data.dtype:
        weights = weights.astype(values.data.dtype)
    if weights.ndim and weights.ndim < values.ndim and weights.shape == values.shape[: weights.ndim]:
        # Per-sample weights of a per-timestep loss, e.g. (n,) against (n, t): weight each
        # sample's row rather than broadcasting along the last axis.
        weights = weights.reshape(weights.shape + (1,) * (values.ndim - weights.ndim))
    return Tensor(weights)


def reduce_values(values: Tensor, sample_weight: Any = None, reduction: str | None = "sum_over_batch_size") -> Tensor:
    """Reduce already weighted per-sample ``values`` according to ``reduction``."""
    if reduction is None or reduction == "none" or values.shape == () or values.shape == (0,):
        return values
    loss = ops.sum(values)
    if reduction == "sum":
        return loss
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total_weight = float(xp.broadcast_to(_raw(sample_weight), values.shape).sum())
        return loss / total_weight if total_weight else loss * 0.0
    return loss / values.size if values.size else loss


def reduce_weighted_values(
    values: Any,
    sample_weight: Any = None,
    mask: Any = None,
    reduction: str | None = "sum_over_batch_size",
    dtype: Any = None,
) -> Tensor:
    """Weight per-sample losses by ``sample_weight`` (and ``mask``), then reduce them.

    ``sample_weight`` broadcasts against the losses: a scalar, one weight per sample (``(n,)`` or
    ``(n, 1)``), or one per element.
    """
    reduction = standardize_reduction(reduction)
    values = convert_to_tensor(values)
    if dtype is not None and values.data.dtype.kind == "f" and values.dtype != backend.standardize_dtype(dtype):
        values = ops.cast(values, dtype)
    sample_weight = apply_mask(sample_weight, mask, values.dtype, reduction)
    if sample_weight is not None:
        weights = _weights_like(values, sample_weight, values.dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        values = values * weights
        sample_weight = weights.data
    return reduce_values(values, sample_weight, reduction)
