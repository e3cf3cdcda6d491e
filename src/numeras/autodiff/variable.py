"""``Variable``: a tensor that holds state (weights, optimizer slots, counters) and is updated
in place."""

from __future__ import annotations

import itertools
from typing import Any

from numeras.autodiff.tensor import Tensor, to_array
from numeras.backend import xp


class Variable(Tensor):
    """A tensor that holds state: weights, optimizer slots, counters.

    Trainable variables are differentiated through automatically (a ``GradientTape`` watches
    them). ``assign``, ``assign_add`` and ``assign_sub`` write into the same buffer, so every
    holder of ``.data`` sees the update.
    """

    __slots__ = ("name", "_trainable", "path", "constraint")
    _uids = itertools.count()

    def __init__(
        self,
        initializer: Any = None,
        shape: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        aggregation: str = "none",
        synchronization: str = "auto",
        name: str | None = None,
        *,
        initial_value: Any = None,
    ) -> None:
        """Keras 3's signature: ``initializer`` is the starting value (an array, a tensor, a
        number) or an initializer (a name such as ``"zeros"``, an ``Initializer``, a callable
        ``f(shape, dtype)``) that is called with ``shape``. ``autocast``, ``aggregation`` and
        ``synchronization`` matter only to Keras's distributed and mixed-precision backends and are
        accepted for compatibility. ``initial_value=`` is numeras's older spelling of ``initializer``."""
        if initial_value is not None:
            if initializer is not None:
                raise ValueError(
                    "Variable: pass the starting value as `initializer` (Keras 3's name) or "
                    "`initial_value`, not both."
                )
            initializer = initial_value
        if initializer is None:
            raise ValueError(
                "Variable: `initializer` is required: a starting value (e.g. np.zeros((2, 3))) or an "
                "initializer with `shape` (e.g. Variable(initializer='zeros', shape=(2, 3)))."
            )
        initializer = _starting_value(initializer, shape, dtype)
        if callable(initializer) and not isinstance(initializer, (Tensor, xp.ndarray)):
            initializer = initializer()
        array = to_array(initializer, dtype)
        if shape is not None and tuple(array.shape) != tuple(int(n) for n in shape):
            raise ValueError(
                f"Variable: the initial value has shape {tuple(array.shape)}, but `shape` is "
                f"{tuple(shape)}. Pass a value of that shape, or leave `shape` out."
            )
        # A variable owns its buffer; copying also detaches it from the caller's array.
        super().__init__(xp.array(array, copy=True), requires_grad=False)
        self.name = name if name is not None else f"variable_{next(self._uids)}"
        self.path = self.name
        self.constraint = None
        self.trainable = trainable

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable and self.data.dtype.kind == "f"

    @property
    def value(self) -> Tensor:
        """The current values as a constant tensor: a snapshot, which later ``assign`` calls and
        optimizer steps (both in place) leave unchanged, as Keras's ``Variable.value`` is."""
        return Tensor(self.data.copy())

    def assign(self, value: Any) -> Variable:
        """Overwrite the values in place; ``value`` must have this variable's shape."""
        array = _raw(value)
        if xp.shape(array) != self.data.shape:
            raise ValueError(
                f"Variable.assign: `value` must have shape {self.shape} like variable "
                f"'{self.name}', received shape {xp.shape(array)}."
            )
        xp.copyto(self.data, array, casting="unsafe")
        return self

    def assign_add(self, delta: Any) -> Variable:
        """Add ``delta`` in place; ``delta`` must have this variable's shape or broadcast to it."""
        delta = _raw(delta)
        self._check_delta_shape("assign_add", delta)
        xp.add(self.data, delta, out=self.data, casting="unsafe")
        return self

    def assign_sub(self, delta: Any) -> Variable:
        """Subtract ``delta`` in place; ``delta`` must have this variable's shape or broadcast to it."""
        delta = _raw(delta)
        self._check_delta_shape("assign_sub", delta)
        xp.subtract(self.data, delta, out=self.data, casting="unsafe")
        return self

    def _check_delta_shape(self, method: str, delta: Any) -> None:
        shape = xp.shape(delta)
        if shape == self.data.shape:
            return
        try:
            fits = xp.broadcast_shapes(shape, self.data.shape) == self.data.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"Variable.{method}: `delta` must have shape {self.shape} like variable "
                f"'{self.name}' (or broadcast to it), received shape {shape}."
            )

    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ")
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={body}>"


def _starting_value(initializer: Any, shape: Any, dtype: Any) -> Any:
    """The value a Keras-style ``initializer`` argument stands for: an initializer name or object
    (or any callable taking ``(shape, dtype)``) is called with ``shape``; a value is itself."""
    is_value = isinstance(initializer, (Tensor, xp.ndarray, list, tuple, int, float, complex, xp.generic))
    if is_value:
        return initializer
    if isinstance(initializer, str) or (callable(initializer) and shape is not None):
        if shape is None:
            raise ValueError(
                f"Variable: the initializer {initializer!r} needs `shape` to make a value; received "
                "shape=None. Pass e.g. shape=(2, 3)."
            )
        # The one upward import of the engine (declared in pyproject.toml's contract): initializer
        # names are resolved by numeras.initializers, which sits above autodiff; only on this call.
        from numeras import backend, initializers

        dtype = dtype if dtype is not None else backend.floatx()
        return initializers.get(initializer)(tuple(int(n) for n in shape), dtype=dtype)
    return initializer


def _raw(value: Any):
    return value.data if isinstance(value, Tensor) else value
