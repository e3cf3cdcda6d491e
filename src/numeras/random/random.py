"""Keras 3's ``keras.random`` ops: draws from distributions as numeras Tensors.

Floats default to ``numeras.config.floatx()`` and integers to int32; see
:mod:`numeras.random.seed_generator` for what ``seed`` means. Samples are drawn directly in the
output dtype where NumPy can (normal, uniform), so a float32 draw makes no float64 temporary.
"""

from __future__ import annotations

from typing import Any

import numpy

from numeras import backend
from numeras.autodiff.tensor import Tensor, convert_to_tensor
from numeras.random.seed_generator import generator_for

_NATIVE_FLOATS = ("float32", "float64")

def _shape(shape: Any, function: str) -> tuple[int, ...]:
    if isinstance(shape, (int, numpy.integer)):
        return (int(shape),)
    try:
        result = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"numeras.random.{function}: `shape` must be a tuple of non-negative ints, received shape={shape!r}."
        ) from None
    if any(n < 0 for n in result):
        raise ValueError(f"numeras.random.{function}: `shape` must not have negative sizes, received shape={shape!r}.")
    return result

def _float_dtype(dtype: Any, function: str) -> str:
    name = backend.standardize_dtype(dtype)
    if not backend.is_float_dtype(name):
        raise ValueError(
            f"`numeras.random.{function}` requires a floating point `dtype`. Received: dtype={dtype} "
        )
    return name

def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples of the normal distribution ``N(mean, stddev**2)``."""
    dtype = _float_dtype(dtype, "normal")
    rng = generator_for(seed)
    draw_dtype = dtype if dtype in _NATIVE_FLOATS else "float32"
    values = rng.standard_normal(_shape(shape, "normal"), dtype=draw_dtype)
    if stddev != 1:
        values *= values.dtype.type(stddev)
    if mean != 0:
        values += values.dtype.type(mean)
    return Tensor(values.astype(dtype, copy=False))

def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples of the uniform distribution on ``[minval, maxval)``; ``dtype`` must be a float type."""
    if dtype is not None and not backend.is_float_dtype(dtype):
        raise ValueError(
            "`numeras.random.uniform` requires a floating point `dtype`. Received: "
            f"dtype={dtype}. For integers use `numeras.random.randint`."
        )
    dtype = _float_dtype(dtype, "uniform")
    rng = generator_for(seed)
    draw_dtype = dtype if dtype in _NATIVE_FLOATS else "float32"
    values = rng.random(_shape(shape, "uniform"), dtype=draw_dtype)
    width = maxval - minval
    if width != 1:
        values *= values.dtype.type(width)
    if minval != 0:
        values += values.dtype.type(minval)
    return Tensor(values.astype(dtype, copy=False))

def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples of ``N(mean, stddev**2)`` kept within two standard deviations of the mean: a
    value further out is drawn again (only those values are redrawn)."""
    dtype = _float_dtype(dtype, "truncated_normal")
    rng = generator_for(seed)
    draw_dtype = dtype if dtype in _NATIVE_FLOATS else "float32"
    values = rng.standard_normal(_shape(shape, "truncated_normal"), dtype=draw_dtype)
    outside = numpy.flatnonzero(numpy.abs(values) > 2)
    flat = values.reshape(-1)
    while outside.size:
        redrawn = rng.standard_normal(outside.size, dtype=draw_dtype)
        flat[outside] = redrawn
        outside = outside[numpy.abs(redrawn) > 2]
    values = values * values.dtype.type(stddev) + values.dtype.type(mean)
    return Tensor(values.astype(dtype, copy=False))

def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[minval, maxval)``; ``dtype`` must be an integer type."""
    name = numpy.dtype(dtype).name if dtype is not None else "int32"
    if numpy.dtype(name).kind not in "iu":
        raise ValueError(
            f"`numeras.random.randint` requires an integer `dtype`. Received: dtype={dtype}. "
            "For floats use `numeras.random.uniform`."
        )
    rng = generator_for(seed)
    return Tensor(rng.integers(minval, maxval, size=_shape(shape, "randint"), dtype=name))

def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """``num_samples`` class indices per row of ``logits`` (shape ``(batch, classes)``, unnormalised
    log-probabilities); returns shape ``(batch, num_samples)``."""
    array = convert_to_tensor(logits).data
    if array.ndim != 2:
        raise ValueError(
            "`logits` should be a 2-D tensor with shape [batch_size, num_classes]. "
            f"Received: logits with shape {array.shape}"
        )
    logits64 = array.astype("float64")
    batch, classes = array.shape
    # Inverse-CDF sampling of every row in one searchsorted: row r's cumulative probabilities and
    # draws are shifted by r, so each draw in [r, r + 1) can only land among row r's entries.
    probabilities = numpy.exp(logits64 - logits64.max(axis=1, keepdims=True))
    cumulative = numpy.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    row_offsets = numpy.arange(batch, dtype="float64")[:, None]
    draws = generator_for(seed).random((batch, int(num_samples))) + row_offsets
    positions = numpy.searchsorted((cumulative + row_offsets).reshape(-1), draws.reshape(-1), side="right")
    samples = positions.reshape(batch, int(num_samples)) - numpy.arange(batch)[:, None] * classes
    numpy.minimum(samples, classes - 1, out=samples)
    return Tensor(samples.astype(numpy.dtype(dtype), copy=False))

def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """``inputs`` with each entry zeroed with probability ``rate`` and the rest scaled by
    ``1 / (1 - rate)``; differentiable in ``inputs``. ``noise_shape`` (``None`` entries taken
    from ``inputs``) shares one mask draw along its size-1 axes."""
    from numeras import ops

    x = convert_to_tensor(inputs)
    rate = float(rate)
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"numeras.random.dropout: `rate` must be in [0, 1], received rate={rate!r}.")
    if rate == 0.0:
        return x
    if rate == 1.0:
        return ops.multiply(x, 0)
    shape = x.shape
    if noise_shape is not None:
        shape = tuple(int(s) if n is None else int(n) for n, s in zip(noise_shape, x.shape))
    keep = backend.bernoulli_keep(generator_for(seed), shape, rate)
    mask = numpy.multiply(keep, numpy.asarray(1.0 / (1.0 - rate), dtype=x.data.dtype), dtype=x.data.dtype)
    return ops.multiply(x, Tensor(mask))

def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """``x`` with its slices along ``axis`` in a random order (whole slices move, as in Keras's
    TensorFlow and JAX backends); differentiable in ``x``."""
    from numeras import ops

    tensor = convert_to_tensor(x)
    if tensor.ndim == 0:
        raise ValueError("numeras.random.shuffle: `x` must have at least one axis, received a scalar.")
    permutation = generator_for(seed).permutation(tensor.shape[axis])
    return ops.take(tensor, Tensor(permutation), axis=axis)

def gamma(shape: Any, alpha: float, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples of the gamma distribution with shape ``alpha`` and scale 1."""
    dtype = _float_dtype(dtype, "gamma")
    values = generator_for(seed).standard_gamma(alpha, size=_shape(shape, "gamma"))
    return Tensor(values.astype(dtype, copy=False))

def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Numbers of successes in ``counts`` trials of probability ``probabilities`` (both broadcast
    to ``shape``), as floats of ``dtype``."""
    dtype = _float_dtype(dtype, "binomial")
    counts = convert_to_tensor(counts).data if isinstance(counts, Tensor) else counts
    probabilities = convert_to_tensor(probabilities).data if isinstance(probabilities, Tensor) else probabilities
    values = generator_for(seed).binomial(n=counts, p=probabilities, size=_shape(shape, "binomial"))
    return Tensor(values.astype(dtype, copy=False))

def beta(shape: Any, alpha: Any, beta: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Samples of the beta distribution with parameters ``alpha`` and ``beta``."""
    dtype = _float_dtype(dtype, "beta")
    alpha = alpha.data if isinstance(alpha, Tensor) else alpha
    beta_parameter = beta.data if isinstance(beta, Tensor) else beta
    values = generator_for(seed).beta(a=alpha, b=beta_parameter, size=_shape(shape, "beta"))
    return Tensor(values.astype(dtype, copy=False))

__all__ = [
    "normal",
    "uniform",
    "truncated_normal",
    "randint",
    "categorical",
    "dropout",
    "shuffle",
    "gamma",
    "binomial",
    "beta",
]

