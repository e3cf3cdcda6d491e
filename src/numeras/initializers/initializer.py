"""``Initializer``: the base class of everything that fills a new weight with starting values."""

from __future__ import annotations

import operator
from typing import Any

from numeras import backend


class Initializer:
    """Base class of initializers: callables ``initializer(shape, dtype=None) -> ndarray``.

    A subclass implements ``__call__`` and, if its constructor takes arguments, ``get_config``
    returning them as a dict; the default ``from_config`` then rebuilds it with ``cls(**config)``.
    ``dtype=None`` means ``numeras.backend.floatx()`` (``'float32'``).
    """

    def __call__(self, shape: Any, dtype: Any = None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__call__(self, shape, dtype=None)` returning an "
            "array of that shape and dtype."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Initializer:
        """The initializer described by ``config`` (the output of :meth:`get_config`)."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


def standardize_shape(shape: Any, who: str) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints (an int means a 1-D shape)."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(dim) for dim in shape)
    except TypeError:
        raise TypeError(
            f"{who}: `shape` must be a tuple of ints such as (784, 512), received {shape!r}."
        ) from None
    if any(dim < 0 for dim in dims):
        raise ValueError(f"{who}: `shape` must not have negative dimensions, received {dims}.")
    return dims


def standardize_float_dtype(dtype: Any, who: str) -> str:
    """``dtype`` as a float dtype name (``None`` means floatx); random values need a float type."""
    name = backend.standardize_dtype(dtype)
    if not backend.is_float_dtype(name):
        raise ValueError(
            f"{who}: `dtype` must be a float type such as 'float32' because the values are random "
            f"reals, received dtype={dtype!r}. Leave dtype=None to get floatx ({backend.floatx()!r})."
        )
    return name
