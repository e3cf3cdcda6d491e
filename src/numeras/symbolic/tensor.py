"""``SymbolicTensor`` (Keras's ``KerasTensor``): a shape and a dtype without values.

``keras.Input`` returns one; an operation called on symbolic tensors records a :class:`Node` and
returns new ones, so a model's graph is written by calling layers on them. Python operators
(``x + y``, ``x @ w``, ``x[:, :4]``) record an operation too (see :mod:`numeras.symbolic.operators`).
"""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.symbolic import operators
from numeras.utils.tree import flatten, is_nested


class SymbolicTensor:
    """A placeholder with a shape (``None`` for the batch axis) and a dtype, but no values.

    ``_keras_history`` is (operation, node_index, tensor_index): which call produced it.
    ``_keras_mask`` is the symbolic mask a layer attached (Keras's attribute), or None.
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name
        self._keras_history: tuple | None = None
        self._keras_mask: SymbolicTensor | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # Python operators record an operation, as Keras 3's KerasTensor calls keras.ops: the result
    # is another symbolic tensor of the model's graph.
    __array_ufunc__ = None  # NumPy scalars on the left (np.float32(2) * x) defer to __rmul__

    def __add__(self, other: Any) -> Any:
        return _binary("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _binary("add", self, other, reflected=True)

    def __sub__(self, other: Any) -> Any:
        return _binary("subtract", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _binary("subtract", self, other, reflected=True)

    def __mul__(self, other: Any) -> Any:
        return _binary("multiply", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _binary("multiply", self, other, reflected=True)

    def __truediv__(self, other: Any) -> Any:
        return _binary("divide", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _binary("divide", self, other, reflected=True)

    def __pow__(self, other: Any) -> Any:
        return _binary("power", self, other)

    def __rpow__(self, other: Any) -> Any:
        return _binary("power", self, other, reflected=True)

    def __matmul__(self, other: Any) -> Any:
        return _binary("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _binary("matmul", self, other, reflected=True)

    def __neg__(self) -> Any:
        return operators.operation_for("negative")(self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return operators.operation_for("absolute")(self)

    def __getitem__(self, key: Any) -> Any:
        return operators.operation_for("getitem", key=operators.encode_key(key))(self)

    def __array__(self, *_: Any, **__: Any) -> Any:
        raise TypeError(
            "A symbolic tensor (from keras.Input and layers called on it) has no values yet, so it "
            "cannot become a NumPy array. Build the model, then call it (or model.predict) on data."
        )


KerasTensor = SymbolicTensor


def _binary(operator: str, tensor: SymbolicTensor, other: Any, reflected: bool = False) -> Any:
    """``tensor <operator> other`` (``other <operator> tensor`` when ``reflected``), recorded as
    an operation call. ``other`` is a symbolic tensor or a number."""
    if isinstance(other, SymbolicTensor):
        pair = [other, tensor] if reflected else [tensor, other]
        return operators.operation_for(operator)(pair)
    if operators.is_number(other):
        return operators.operation_for(operator, operand=other, operand_first=reflected)(tensor)
    raise TypeError(
        f"Symbolic tensors combine with `{operators.SYMBOLS[operator]}` only with other symbolic "
        f"tensors or Python numbers, received {type(other).__name__}. Keep a constant array in a "
        "layer (e.g. a custom layer's weight, or layers.Lambda) instead."
    )


def any_symbolic(structure: Any) -> bool:
    """Whether ``structure`` (a value, or a list/tuple/dict of them) holds a symbolic tensor."""
    if isinstance(structure, SymbolicTensor):
        return True
    return is_nested(structure) and any(isinstance(leaf, SymbolicTensor) for leaf in flatten(structure))
