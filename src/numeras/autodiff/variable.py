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
        initial_value: Any,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        if callable(initial_value) and not isinstance(initial_value, (Tensor, xp.ndarray)):
            initial_value = initial_value()
        array = to_array(initial_value, dtype)
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


def _raw(value: Any):
    return value.data if isinstance(value, Tensor) else value
