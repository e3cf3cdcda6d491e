"""Keras 3's activation functions, built from ``numeras.ops`` so they are differentiable.

Each takes a Tensor (or array, or Python numbers) and returns a Tensor of the same shape and
float dtype; ``linear`` returns its input unchanged.
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff.ops import activation_ops
from numeras.autodiff.tensor import Tensor


def relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0) -> Tensor:
    """Rectified linear unit, Keras 3's generalised form:

    - ``x`` for ``x > threshold`` (capped at ``max_value`` when given),
    - ``negative_slope * (x - threshold)`` otherwise.

    With the defaults it is ``max(x, 0)``.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0.0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    if negative_slope != 0.0:
        # relu(threshold - x) is (threshold - x) below the threshold and 0 above it.
        below_threshold = ops.relu(ops.subtract(threshold, x) if threshold != 0.0 else ops.negative(x))
    if threshold != 0.0:
        # The mask is a constant, so the gradient flows only where x > threshold.
        out = ops.multiply(x, (x.data > threshold).astype(x.data.dtype))
    else:
        out = ops.relu(x)
    if max_value is not None:
        out = ops.clip(out, 0.0, float(max_value))
    if negative_slope != 0.0:
        out = ops.subtract(out, ops.multiply(below_threshold, negative_slope))
    return out


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return ops.relu6(x)


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``: each slice becomes a probability distribution.

    The result remembers ``x`` as its logits, so categorical cross-entropy can use the exact,
    stable gradient from logits (as Keras caches ``_keras_logits``).
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - log(sum(exp(x)))`` along ``axis``."""
    return ops.log_softmax(x, axis=axis)


def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + exp(-x))``.

    Like Keras, the result remembers ``x`` as its logits (``_logits``, with ``_logits_kind``
    ``"sigmoid"``) so binary cross-entropy can use the exact, fused gradient.
    """
    return ops.sigmoid(x)


def tanh(x: Any) -> Tensor:
    """``(exp(x) - exp(-x)) / (exp(x) + exp(-x))``."""
    return ops.tanh(x)


def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return activation_ops.elu(x, alpha=alpha)


def selu(x: Any) -> Tensor:
    """Scaled ELU: ``scale * elu(x, alpha)`` with ``alpha = 1.67326324``, ``scale = 1.05070098``
    (use with the ``lecun_normal`` initializer)."""
    return ops.selu(x)


def softplus(x: Any) -> Tensor:
    """``log(exp(x) + 1)``."""
    return ops.softplus(x)


def softsign(x: Any) -> Tensor:
    """``x / (|x| + 1)``."""
    return ops.softsign(x)


def silu(x: Any) -> Tensor:
    """Swish / SiLU: ``x * sigmoid(x)``."""
    return ops.silu(x)


swish = silu


def gelu(x: Any, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit: ``0.5 * x * (1 + erf(x / sqrt(2)))``; with ``approximate``,
    ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))``."""
    return ops.gelu(x, approximate=approximate)


def exponential(x: Any) -> Tensor:
    """``exp(x)``."""
    return ops.exp(x)


def hard_sigmoid(x: Any) -> Tensor:
    """``clip(x / 6 + 0.5, 0, 1)``: 0 for ``x <= -3``, 1 for ``x >= 3``, linear between."""
    return ops.hard_sigmoid(x)


def hard_silu(x: Any) -> Tensor:
    """Hard swish: ``x * hard_sigmoid(x)``."""
    return ops.hard_silu(x)


hard_swish = hard_silu


def mish(x: Any) -> Tensor:
    """``x * tanh(softplus(x))``."""
    x = ops.convert_to_tensor(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def crelu(x: Any, axis: int = -1) -> Tensor:
    """Concatenated ReLU: ``concatenate([relu(x), relu(-x)], axis)``, so ``axis`` doubles in size."""
    x = ops.convert_to_tensor(x)
    return ops.concatenate([ops.relu(x), ops.relu(ops.negative(x))], axis=axis)


def linear(x: Any) -> Any:
    """The identity: returns ``x`` unchanged."""
    return x


def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """Continuously differentiable ELU (Barron, 2017): ``x`` for ``x > 0``,
    ``alpha * (exp(x / alpha) - 1)`` otherwise."""
    return activation_ops.celu(x, alpha=alpha)


def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit (Dauphin et al., 2017): ``a * sigmoid(b)``, where ``a`` and ``b`` are the
    two halves of ``x`` along ``axis`` (which must have an even size; the result has half of it)."""
    x = ops.convert_to_tensor(x)
    size = x.shape[axis]
    if size % 2:
        raise ValueError(
            f"glu: the size of `axis` {axis} must be even (it is split into two halves), received "
            f"an input of shape {tuple(x.shape)}."
        )
    gated, gate = ops.split(x, 2, axis=axis)
    return ops.multiply(gated, ops.sigmoid(gate))


def hard_tanh(x: Any) -> Tensor:
    """``clip(x, -1, 1)``."""
    return ops.clip(ops.convert_to_tensor(x), -1.0, 1.0)


def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, 0 elsewhere."""
    x = ops.convert_to_tensor(x)
    return ops.where(abs(x.data) > threshold, x, 0.0)


def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, 0 between:
    ``x - clip(x, -threshold, threshold)``."""
    x = ops.convert_to_tensor(x)
    return ops.subtract(x, ops.clip(x, -threshold, threshold))


def tanh_shrink(x: Any) -> Tensor:
    """``x - tanh(x)``."""
    x = ops.convert_to_tensor(x)
    return ops.subtract(x, ops.tanh(x))


def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, ``default_value`` elsewhere."""
    x = ops.convert_to_tensor(x)
    return ops.where(x.data > threshold, x, default_value)


def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, computed without overflow for any ``x``."""
    x = ops.convert_to_tensor(x)
    return ops.negative(ops.softplus(ops.negative(x)))


def sparse_plus(x: Any) -> Tensor:
    """0 for ``x <= -1``, ``x`` for ``x >= 1``, ``(x + 1)^2 / 4`` between: a softplus with a
    compact transition."""
    x = ops.convert_to_tensor(x)
    a = x.data
    between = ops.multiply(ops.square(ops.add(x, 1.0)), 0.25)
    return ops.where(a >= 1.0, x, ops.where(a <= -1.0, 0.0, between))


def sparse_sigmoid(x: Any) -> Tensor:
    """``clip((x + 1) / 2, 0, 1)``: 0 for ``x <= -1``, 1 for ``x >= 1``, linear between
    (Blondel et al., 2019)."""
    x = ops.convert_to_tensor(x)
    return ops.multiply(ops.clip(ops.add(x, 1.0), 0.0, 2.0), 0.5)


def squareplus(x: Any, b: float = 4) -> Tensor:
    """``(x + sqrt(x^2 + b)) / 2`` (So, 2021): a smooth ReLU whose smoothness grows with ``b``."""
    x = ops.convert_to_tensor(x)
    return ops.multiply(ops.add(x, ops.sqrt(ops.add(ops.square(x), float(b)))), 0.5)


def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """The projection of each slice along ``axis`` onto the probability simplex (Martins and
    Astudillo, 2016): like softmax a distribution, but one in which small logits get exactly 0."""
    return activation_ops.sparsemax(x, axis=axis)
