"""Random initializers, with Keras 3's formulas and defaults.

Randomness: with ``seed=None`` values come from ``numeras.backend.random_generator()``, so
``numeras.utils.set_random_seed(s)`` makes whole runs bit-identical while two layers still get
different weights. With an integer ``seed`` every call builds a fresh generator from that seed, so
the initializer returns the same values on every call (as Keras's seeded initializers do).

Values are drawn directly in float32 (or float64), never through a float64 temporary, so
initialising a large kernel costs one array of its own size.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.initializers.initializer import (
    Initializer,
    standardize_float_dtype,
    standardize_shape,
)

# Standard deviation of a standard normal truncated to [-2, 2]; VarianceScaling divides by it so the
# truncated draws have the requested standard deviation, as Keras does.
TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _generator_dtype(dtype: str) -> str:
    # NumPy's Generator draws float32 and float64 natively; float16 is drawn as float32 and cast.
    return dtype if dtype in ("float32", "float64") else "float32"


def _finish(values, dtype: str):
    return values if values.dtype.name == dtype else values.astype(dtype)


def random_uniform(shape: tuple[int, ...], minval: float, maxval: float, dtype: str, generator):
    """Uniform values in [minval, maxval)."""
    values = generator.random(size=shape, dtype=_generator_dtype(dtype))
    values *= maxval - minval
    values += minval
    return _finish(values, dtype)


def random_normal(shape: tuple[int, ...], mean: float, stddev: float, dtype: str, generator):
    """Normal values with the given mean and standard deviation."""
    values = generator.standard_normal(size=shape, dtype=_generator_dtype(dtype))
    values *= stddev
    values += mean
    return _finish(values, dtype)


def truncated_normal(shape: tuple[int, ...], mean: float, stddev: float, dtype: str, generator):
    """Normal values with any draw more than two standard deviations from the mean drawn again.

    The resampling runs in rounds over all rejected positions at once (about 4.6% of them in the
    first round, 0.2% in the second, ...), never one value at a time.
    """
    values = generator.standard_normal(size=shape, dtype=_generator_dtype(dtype))
    flat = values.reshape(-1)
    rejected = xp.flatnonzero(_outside_two(flat))
    while rejected.size:
        redrawn = generator.standard_normal(size=rejected.size, dtype=flat.dtype)
        flat[rejected] = redrawn
        rejected = rejected[_outside_two(redrawn)]
    values *= stddev
    values += mean
    return _finish(values, dtype)


def _outside_two(values):
    # Two boolean masks instead of abs(values): no float temporary the size of the kernel.
    return (values > 2.0) | (values < -2.0)


def compute_fans(shape: tuple[int, ...], input_axes: Any = None, output_axes: Any = None) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape, as Keras computes them.

    - with both ``input_axes`` and ``output_axes`` given: the products of the sizes along them
      (for kernels laid out otherwise than Dense's and Conv's, e.g. EinsumDense's);
    - scalar: (1, 1); 1-D ``(n,)``: (n, n); 2-D Dense kernel ``(in, out)``: (in, out);
    - convolution kernel ``(*spatial, in, out)``: (in * prod(spatial), out * prod(spatial)).
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field_size = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field_size), int(shape[-1] * receptive_field_size)


class RandomInitializer(Initializer):
    """Base of initializers that draw random values; holds the ``seed``."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is not None and (not isinstance(seed, numbers.Integral) or isinstance(seed, bool)):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an int or None, received seed={seed!r}. "
                "Use None to draw from the global generator seeded by numeras.utils.set_random_seed."
            )
        self.seed = None if seed is None else int(seed)

    def generator(self):
        """The generator for one call: a fresh one from ``seed``, or the global one when None."""
        return backend.make_generator(self.seed)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    """Normal values: ``N(mean, stddev^2)``, by default ``mean=0.0, stddev=0.05``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "RandomNormal")
        dtype = standardize_float_dtype(dtype, "RandomNormal")
        return random_normal(shape, self.mean, self.stddev, dtype, self.generator())

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Normal values ``N(mean, stddev^2)`` with values beyond ``mean ± 2 stddev`` drawn again;
    by default ``mean=0.0, stddev=0.05``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None) -> None:
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "TruncatedNormal")
        dtype = standardize_float_dtype(dtype, "TruncatedNormal")
        return truncated_normal(shape, self.mean, self.stddev, dtype, self.generator())

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Uniform values in ``[minval, maxval)``, by default ``[-0.05, 0.05)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None) -> None:
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "RandomUniform")
        dtype = standardize_float_dtype(dtype, "RandomUniform")
        return random_uniform(shape, self.minval, self.maxval, dtype, self.generator())

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(RandomInitializer):
    """Values whose variance is ``scale / n``, where ``n`` is chosen by ``mode``:
    fan_in, fan_out or (fan_in + fan_out) / 2 (each at least 1; see :func:`compute_fans`).

    - ``"truncated_normal"``: truncated normal with ``stddev = sqrt(scale / n) / 0.8796...`` so the
      values, after truncation at two standard deviations, have standard deviation ``sqrt(scale / n)``;
    - ``"untruncated_normal"``: normal with ``stddev = sqrt(scale / n)``;
    - ``"uniform"``: uniform in ``[-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.

    ``distribution="normal"`` is accepted as ``"truncated_normal"``, as in Keras.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Any = None,
        output_axes: Any = None,
    ) -> None:
        if not isinstance(scale, numbers.Real) or isinstance(scale, bool) or not scale > 0.0:
            raise ValueError(
                f"{type(self).__name__}: `scale` must be a positive float, received scale={scale!r}."
            )
        if mode not in _MODES:
            raise ValueError(
                f"{type(self).__name__}: `mode` must be one of {_MODES}, received mode={mode!r}."
            )
        normalized = str(distribution).lower()
        if normalized == "normal":
            normalized = "truncated_normal"
        if normalized not in _DISTRIBUTIONS:
            raise ValueError(
                f"{type(self).__name__}: `distribution` must be one of {_DISTRIBUTIONS}, received "
                f"distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = normalized
        # Which axes of the weight count as its inputs and outputs; None: Keras's usual layouts.
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None):
        who = type(self).__name__
        shape = standardize_shape(shape, who)
        dtype = standardize_float_dtype(dtype, who)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            n = max(1.0, fan_in)
        elif self.mode == "fan_out":
            n = max(1.0, fan_out)
        else:
            n = max(1.0, (fan_in + fan_out) / 2.0)
        variance = self.scale / n
        generator = self.generator()
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV
            return truncated_normal(shape, 0.0, stddev, dtype, generator)
        if self.distribution == "untruncated_normal":
            return random_normal(shape, 0.0, math.sqrt(variance), dtype, generator)
        limit = math.sqrt(3.0 * variance)
        return random_uniform(shape, -limit, limit, dtype, generator)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _FixedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by its class; only the
    seed is configurable."""

    _SCALE = 1.0
    _MODE = "fan_in"
    _DISTRIBUTION = "truncated_normal"

    def __init__(self, seed: int | None = None, input_axes: Any = None, output_axes: Any = None) -> None:
        super().__init__(
            scale=self._SCALE,
            mode=self._MODE,
            distribution=self._DISTRIBUTION,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: uniform in ``[-limit, limit)``, ``limit = sqrt(6 / (fan_in + fan_out))``.
    The default kernel initializer of Dense and Conv layers."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_FixedVarianceScaling):
    """He uniform: uniform in ``[-limit, limit)``, ``limit = sqrt(6 / fan_in)``."""

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``."""

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: uniform in ``[-limit, limit)``, ``limit = sqrt(3 / fan_in)``."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with ``stddev = sqrt(1 / fan_in)`` (pairs with selu)."""

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "truncated_normal"


class Orthogonal(RandomInitializer):
    """An orthogonal matrix times ``gain`` (Saxe et al., 2014).

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; a normal matrix of that size
    (taller side first) is QR-factorised and ``Q``'s columns are sign-corrected by ``sign(diag(R))``
    so the result is uniformly distributed over orthogonal matrices. With fewer rows than columns
    the rows are orthonormal, otherwise the columns are.
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None) -> None:
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None):
        shape = standardize_shape(shape, "Orthogonal")
        dtype = standardize_float_dtype(dtype, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal: the tensor to initialise must be at least 2-D, received shape={shape} "
                f"of rank {len(shape)}."
            )
        num_rows = math.prod(shape[:-1])
        num_cols = shape[-1]
        flat_shape = (max(num_rows, num_cols), min(num_rows, num_cols))
        # QR in float32 at least: LAPACK has no float16 routines.
        work_dtype = "float64" if dtype == "float64" else "float32"
        matrix = random_normal(flat_shape, 0.0, 1.0, work_dtype, self.generator())
        q, r = xp.linalg.qr(matrix)
        q *= xp.sign(xp.diagonal(r))
        if num_rows < num_cols:
            q = q.T
        q = xp.ascontiguousarray(q).reshape(shape)
        if self.gain != 1.0:
            q *= self.gain
        return _finish(q, dtype)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


OrthogonalInitializer = Orthogonal
