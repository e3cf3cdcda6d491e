"""Weight penalties added to the loss, with Keras 3's formulas and defaults.

A regularizer is a callable ``regularizer(weights) -> scalar Tensor``. It is built from
``numeras.ops``, so its gradient reaches the weights during training.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from numeras import ops
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def validate_float_arg(value: Any, name: str) -> float:
    """``value`` as a float if it is a finite, non-negative number; otherwise a ValueError naming it."""
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, (bool, xp.bool_))
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument `{name}`: expected a non-negative float, received "
            f"{name}={value!r}."
        )
    return float(value)


class Regularizer:
    """Base class of regularizers: callables ``regularizer(x) -> scalar Tensor`` added to the loss.

    A subclass implements ``__call__`` and ``get_config`` (its constructor arguments as a dict);
    ``from_config`` rebuilds it with ``cls(**config)``.
    """

    def __call__(self, x: Any) -> Any:
        return 0.0

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `get_config()` returning its constructor "
            "arguments as a dict."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        return cls(**config)

    def __repr__(self) -> str:
        try:
            arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{type(self).__name__}({arguments})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``; both factors default to 0 (as in Keras 3)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        x = ops.convert_to_tensor(x)
        penalty = ops.zeros((), dtype=x.dtype)
        if self.l1:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.abs(x)), self.l1))
        if self.l2:
            penalty = ops.add(penalty, ops.multiply(ops.sum(ops.square(x)), self.l2))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``, by default ``l1=0.01``."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, "l1")

    def __call__(self, x: Any) -> Tensor:
        return ops.multiply(ops.sum(ops.abs(ops.convert_to_tensor(x))), self.l1)

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x^2)``, by default ``l2=0.01``. (Keras's L2 has no factor 1/2.)"""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, "l2")

    def __call__(self, x: Any) -> Tensor:
        return ops.multiply(ops.sum(ops.square(ops.convert_to_tensor(x))), self.l2)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (``mode="rows"``) or columns (``mode="columns"``) of a 2-D weight towards
    mutual orthogonality:

        factor * 0.5 * sum_{i != j} |<u_i, u_j>| / (n (n - 1) / 2)

    where ``u_i`` are the L2-normalised rows (or columns) and ``n`` their number.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = validate_float_arg(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                f"OrthogonalRegularizer: `mode` must be 'rows' or 'columns', received mode={mode!r}."
            )
        self.mode = mode

    def __call__(self, x: Any) -> Tensor:
        from numeras.utils import normalize

        x = ops.convert_to_tensor(x)
        if x.ndim != 2:
            raise ValueError(
                f"OrthogonalRegularizer: the weight must be 2-D, received shape={x.shape} of rank "
                f"{x.ndim}. Apply it to a Dense kernel or reshape the weight first."
            )
        if self.mode == "rows":
            vectors = normalize(x, axis=1)
            products = ops.matmul(vectors, ops.transpose(vectors))
            size = x.shape[0]
        else:
            vectors = normalize(x, axis=0)
            products = ops.matmul(ops.transpose(vectors), vectors)
            size = x.shape[1]
        off_diagonal = ops.multiply(products, 1.0 - xp.eye(size, dtype=products.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        # A single row or column has no pairs, hence no penalty (instead of 0 / 0).
        scale = self.factor * 0.5 / num_pairs if num_pairs else 0.0
        return ops.multiply(ops.sum(ops.abs(off_diagonal)), scale)

    def get_config(self) -> dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


def activity_regularization_loss(regularizer: Any, output: Tensor) -> Any:
    """The loss a layer adds for its ``activity_regularizer`` on one ``output``, as Keras 3:
    ``regularizer(output)`` divided by the batch size (``output.shape[0]``; 0 for an empty
    batch), so the penalty's strength does not grow with the batch. A scalar output is not
    divided."""
    loss = regularizer(output)
    if output.ndim == 0:
        return loss
    batch_size = output.shape[0]
    return ops.divide(loss, float(batch_size)) if batch_size else ops.multiply(loss, 0.0)


# Keras 3's lowercase names are the classes themselves.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer
