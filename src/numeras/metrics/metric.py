"""``Metric``: state accumulated over batches (in non-trainable Variables) and a result.

Metrics never need gradients: they read the raw arrays of Tensors and update their Variables in
place with vectorised NumPy, so a metric costs microseconds per batch. ``result()`` returns a
Python float for scalar metrics (a NumPy array for metrics with several thresholds).

Masks, as Keras 3: ``MeanMetricWrapper`` (accuracy, the loss metrics, ...) weights each entry by
``y_pred``'s mask (``_keras_mask``), so padded steps count for nothing; ``Mean`` and ``Sum`` do the
same with a mask on ``values`` when sample weights are given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras import backend
from numeras.autodiff.grad_mode import no_grad
from numeras.autodiff.tensor import Tensor
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.saving import object_registration
from numeras.utils.naming import auto_name


def as_array(x: Any, dtype: Any = None):
    """The raw ndarray behind a Tensor, array, number or nested list (no graph, no copy if possible)."""
    array = x.data if isinstance(x, Tensor) else xp.asarray(x)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return array


def squeeze_or_expand_arrays(x1, x2, expand_rank_1: bool = True):
    """``squeeze_or_expand_to_same_rank`` for raw arrays (see ``numeras.losses.functions``)."""
    rank1, rank2 = x1.ndim, x2.ndim
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2[..., None]
        else:
            x1 = x1[..., 0]
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1[..., None]
        else:
            x2 = x2[..., 0]
    return x1, x2


class Metric:
    """Base class of metrics: accumulate with ``update_state``, read with ``result``, clear with
    ``reset_state``. ``metric(y_true, y_pred)`` updates and returns the result.

    Subclasses create their state in ``__init__`` with ``add_variable`` and implement
    ``update_state(...)`` and ``result()``.

    Args:
        dtype: dtype of the state and the result; defaults to ``floatx()``.
        name: name of the metric (the key under which ``fit`` reports it).
    """

    def __init__(self, dtype: Any = None, name: str | None = None):
        self.name = name or auto_name(type(self).__name__)
        self._dtype = backend.standardize_dtype(dtype)
        self._variables: list[Variable] = []
        self._metrics: list[Metric] = []

    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None, name: str | None = None) -> Variable:
        """A non-trainable Variable of ``shape`` holding part of the metric's state."""
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}: call `super().__init__()` in `__init__` before `add_variable`."
            )
        dtype = backend.standardize_dtype(dtype or self._dtype)
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if initializer in (None, "zeros"):
            value = xp.zeros(shape, dtype=dtype)
        elif initializer == "ones":
            value = xp.ones(shape, dtype=dtype)
        elif callable(initializer):
            value = xp.asarray(as_array(initializer(shape, dtype)), dtype=dtype)
        else:
            value = xp.full(shape, initializer, dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name or f"variable_{len(self._variables)}")
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None, name: str | None = None) -> Variable:
        """Alias of ``add_variable`` (Keras 2's name)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """The state Variables of this metric and of the metrics it contains."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def reset_state(self) -> None:
        """Set every state Variable back to zero (``fit`` does this at the start of each epoch)."""
        for variable in self.variables:
            variable.data.fill(0)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


def reduce_to_samplewise_values(values, sample_weight: Any, reduce_fn: Callable, dtype: str):
    """Per-sample values (shape ``(n,)``) and matching weights, as Keras's ``reduce_to_samplewise_values``.

    Values are first reduced to the rank of the weights (with ``reduce_fn``: mean for ``Mean``,
    sum for ``Sum``), weighted, then reduced over every axis after the first.
    """
    mask = getattr(values, "_keras_mask", None)
    values = as_array(values, dtype)
    if sample_weight is not None:
        sample_weight = as_array(sample_weight, dtype)
        if mask is not None:
            from numeras.losses.loss import apply_mask

            sample_weight = apply_mask(sample_weight, mask, dtype=dtype, reduction="sum")
        values, sample_weight = squeeze_or_expand_arrays(values, sample_weight)
        weight_ndim, values_ndim = sample_weight.ndim, values.ndim
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        sample_weight = xp.broadcast_to(sample_weight, values.shape)
        values = values * sample_weight
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    if values.ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values.ndim)))
    return values, sample_weight


def _divide_no_nan(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (float32 like the state)."""
    numerator = xp.asarray(numerator)
    denominator = xp.asarray(denominator)
    safe = xp.where(denominator == 0, 1, denominator)
    return xp.where(denominator == 0, 0, numerator / safe).astype(numerator.dtype, copy=False)


def to_result(value) -> Any:
    """A scalar result as a Python float, anything larger as an ndarray."""
    value = xp.asarray(value)
    return float(value) if value.ndim == 0 else value


class Sum(Metric):
    """The (weighted) sum of the values seen: ``total += sum(values * sample_weight)``."""

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = reduce_to_samplewise_values(values, sample_weight, xp.sum, self._dtype)
        self.total.assign_add(values.sum())

    def result(self) -> float:
        return float(self.total.data)


class Mean(Metric):
    """The (weighted) mean of the values seen: sum(values * sample_weight) / sum(sample_weight).

    Values of shape ``(n, ...)`` are first averaged to one value per sample, so each sample
    counts once (a batch of 32 counts 32 times as much as a single value).
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), name="total")
        self.count = self.add_variable(shape=(), name="count")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if sample_weight is None and self.total.data.ndim == 0:
            # The per-batch path of fit (one value per sample, or one value): add in place.
            array = as_array(values, self._dtype)
            if array.ndim <= 1:
                total, count = self.total.data, self.count.data
                xp.add(total, array.sum(), out=total)
                xp.add(count, array.shape[0] if array.ndim else 1, out=count)
                return
        if isinstance(sample_weight, (int, float)) and not isinstance(sample_weight, bool):
            array = as_array(values, self._dtype)
            if array.ndim == 0 and self.total.data.ndim == 0:
                total, count = self.total.data, self.count.data
                xp.add(total, array * sample_weight, out=total, casting="unsafe")
                xp.add(count, sample_weight, out=count, casting="unsafe")
                return
        values, sample_weight = reduce_to_samplewise_values(values, sample_weight, xp.mean, self._dtype)
        self.total.assign_add(values.sum())
        if sample_weight is not None:
            count = sample_weight.sum()
        else:
            count = values.shape[0] if values.ndim >= 1 else 1
        self.count.assign_add(count)

    def result(self) -> float:
        total, count = self.total.data, self.count.data
        if total.ndim == 0 and count.ndim == 0:
            return float(total / count) if count else 0.0
        return to_result(_divide_no_nan(total, count))


class MeanMetricWrapper(Mean):
    """The running (weighted) mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    This is what a loss function or an accuracy function becomes when it is used as a metric.
    ``fn`` runs without recording a graph.
    """

    def __init__(self, fn: Callable, name: str | None = None, dtype: Any = None, **kwargs: Any):
        super().__init__(name=name or auto_name(type(self).__name__), dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if getattr(fn, "__module__", "").startswith("numeras.losses"):
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        mask = getattr(y_pred, "_keras_mask", None)
        with no_grad():
            values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:
            from numeras.losses.loss import apply_mask

            sample_weight = apply_mask(sample_weight, mask, dtype=self._dtype, reduction="sum")
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict:
        config = super().get_config()
        config["fn"] = object_registration.serialize_function(self._fn, "numeras.metrics")
        config.update(self._fn_kwargs)
        return config

    @classmethod
    def from_config(cls, config: dict) -> MeanMetricWrapper:
        config = dict(config)
        if "fn" in config:
            config["fn"] = object_registration.deserialize_object(
                config["fn"], object_registration.builtin_objects("metrics"), "metric"
            )
        return cls(**config)
