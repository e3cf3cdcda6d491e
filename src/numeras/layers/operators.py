"""Python operators on symbolic tensors: ``x + y``, ``2.0 * x``, ``-x``, ``x @ w``, ``x[:, :4]``.

Keras 3 lets a functional model use Python operators on its symbolic tensors. numeras records
each use as a :class:`TensorOperator` layer: it has no weights, and its config holds the
operator's name plus the number operand or the index, so a model that uses operators saves,
loads and prints in ``summary()`` like one made of layers only. Operands are symbolic tensors or
Python numbers; arrays are refused (a constant array belongs in a layer's weight).

Keras saves such a model with its own operation classes, which numeras does not read, and Keras
does not know ``TensorOperator``: a ``.keras`` file with operators moves between the two only
after the operators are replaced by layers (``layers.Add``, ``layers.Rescaling``, ...).
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.backend import xp
from numeras.layers.layer import Layer
from numeras.utils import naming

_BINARY = {
    "add": ops.add,
    "subtract": ops.subtract,
    "multiply": ops.multiply,
    "divide": ops.divide,
    "power": ops.power,
    "matmul": ops.matmul,
}
_UNARY = {"negative": ops.negative, "absolute": ops.absolute}
_SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**", "matmul": "@"}


def broadcast_shapes(first: tuple, second: tuple, owner: str = "") -> tuple:
    """NumPy's broadcasting of two shapes in which ``None`` is an unknown size: an axis of size 1
    takes the other's size, and an unknown one takes the other's known size (it must equal it, or
    be 1, when the model runs)."""
    rank = max(len(first), len(second))
    a = (1,) * (rank - len(first)) + tuple(first)
    b = (1,) * (rank - len(second)) + tuple(second)
    out = []
    for m, n in zip(a, b):
        if m == 1:
            out.append(n)
        elif n == 1 or m == n:
            out.append(m)
        elif m is None or n is None:
            out.append(n if m is None else m)
        else:
            raise ValueError(
                f"{owner}: the shapes {tuple(first)} and {tuple(second)} do not broadcast together "
                f"(sizes {m} and {n} on one axis). Reshape one operand, e.g. with layers.Reshape."
            )
    return tuple(out)


def _matmul_shape(first: tuple, second: tuple) -> tuple:
    a, b = tuple(first), tuple(second)
    if not a or not b:
        raise ValueError("`@`: both operands need at least one axis, received scalar shapes.")
    left = a if len(a) > 1 else (1, *a)
    right = b if len(b) > 1 else (*b, 1)
    if left[-1] is not None and right[-2] is not None and left[-1] != right[-2]:
        raise ValueError(
            f"`@`: the last axis of the left operand ({left[-1]}) must equal the second-to-last of "
            f"the right one ({right[-2]}); received shapes {a} and {b}."
        )
    batch = broadcast_shapes(left[:-2], right[:-2], "`@`")
    out = (*batch, left[-2], right[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


# -- indices, as JSON-friendly values ---------------------------------------------------------
def encode_key(key: Any) -> list:
    """``x[key]``'s index as a list of ints, ``None`` (a new axis), ``"..."`` and
    ``{"slice": [start, stop, step]}``; anything else (arrays, tensors, booleans) is refused."""
    entries = key if isinstance(key, tuple) else (key,)
    encoded: list[Any] = []
    for entry in entries:
        if entry is None or entry is Ellipsis:
            encoded.append(None if entry is None else "...")
        elif isinstance(entry, slice):
            parts = [entry.start, entry.stop, entry.step]
            if not all(p is None or _is_int(p) for p in parts):
                raise TypeError(f"Slicing a symbolic tensor: slice bounds must be ints or None, received {entry!r}.")
            encoded.append({"slice": [None if p is None else int(p) for p in parts]})
        elif _is_int(entry):
            encoded.append(int(entry))
        else:
            raise TypeError(
                "Indexing a symbolic tensor takes ints, slices, None and ..., received "
                f"{type(entry).__name__}. For a gather by index arrays, use a layer "
                "(layers.Lambda(lambda t: numeras.ops.take(t, indices, axis))(x))."
            )
    return encoded


def decode_key(encoded: list) -> tuple:
    entries: list[Any] = []
    for entry in encoded:
        if entry == "...":
            entries.append(Ellipsis)
        elif isinstance(entry, dict):
            entries.append(slice(*entry["slice"]))
        else:
            entries.append(entry)
    return tuple(entries)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, xp.integer)) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, xp.integer, xp.floating)) and not isinstance(value, bool)


class TensorOperator(Layer):
    """One Python operator applied to symbolic tensors (created by the operators themselves).

    ``operator``: one of add, subtract, multiply, divide, power, matmul (binary), negative,
    absolute (unary) or getitem. A binary operator takes two inputs ``[a, b]``, or one input and
    the number ``operand``, on the left of the input when ``operand_first`` (``2 - x``). ``key``:
    getitem's index in :func:`encode_key`'s form.
    """

    def __init__(
        self,
        operator: str,
        operand: float | None = None,
        operand_first: bool = False,
        key: list | None = None,
        **kwargs: Any,
    ) -> None:
        if operator not in _BINARY and operator not in _UNARY and operator != "getitem":
            known = sorted([*_BINARY, *_UNARY, "getitem"])
            raise ValueError(f"TensorOperator: unknown `operator` {operator!r}; expected one of {known}.")
        if operand is not None and not _is_number(operand):
            raise TypeError(f"TensorOperator: `operand` must be a number, received {type(operand).__name__}.")
        if kwargs.get("name") is None:
            kwargs["name"] = naming.uniquify(operator)
        super().__init__(**kwargs)
        self.operator = operator
        self.operand = None if operand is None else (int(operand) if _is_int(operand) else float(operand))
        self.operand_first = bool(operand_first)
        self.key = None if key is None else list(key)
        if operator == "getitem" and self.key is None:
            raise ValueError("TensorOperator: 'getitem' needs `key`.")

    def _two_inputs(self) -> bool:
        return self.operator in _BINARY and self.operand is None

    def call(self, inputs: Any) -> Any:
        if self.operator == "getitem":
            return inputs[decode_key(self.key)]
        if self.operator in _UNARY:
            return _UNARY[self.operator](inputs)
        function = _BINARY[self.operator]
        if self._two_inputs():
            first, second = inputs
            return function(first, second)
        if self.operand_first:
            return function(self.operand, inputs)
        return function(inputs, self.operand)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        owner = f"{self.name} ({_SYMBOLS.get(self.operator, self.operator)})"
        if self.operator == "getitem":
            return self._getitem_shape(tuple(input_shape))
        if self.operator in _UNARY:
            return tuple(input_shape)
        if self._two_inputs():
            first, second = (tuple(s) for s in input_shape)
        else:
            first, second = tuple(input_shape), ()
            if self.operand_first:
                first, second = second, first
        if self.operator == "matmul":
            if not self._two_inputs():
                raise ValueError(f"{owner}: `@` needs two tensors, received a number.")
            return _matmul_shape(first, second)
        return broadcast_shapes(first, second, owner)

    def _getitem_shape(self, shape: tuple) -> tuple:
        # Index an array of zeros of that shape; the batch axis (unknown) stands in as size 1 and
        # must be kept whole by the index.
        key = decode_key(self.key)
        first = key[0] if key else slice(None)
        if shape and shape[0] is None and not (first is Ellipsis or first == slice(None)):
            raise ValueError(
                f"{self.name}: indexing a symbolic tensor must keep the batch axis whole (start "
                f"with `:` or `...`), received the index {key!r}."
            )
        if any(n is None for n in shape[1:]):
            raise ValueError(
                f"{self.name}: cannot index a symbolic tensor with unknown sizes after the batch "
                f"axis (shape {shape}). Give Input a full shape, or slice inside a layer."
            )
        sample = xp.zeros(tuple(1 if n is None else n for n in shape), dtype=xp.int8)
        try:
            result = sample[key]
        except IndexError as error:
            raise ValueError(f"{self.name}: the index {key!r} does not fit the shape {shape}: {error}") from None
        out = list(result.shape)
        if shape and shape[0] is None and out:
            out[0] = None
        return tuple(out)

    def get_config(self) -> dict:
        config = {**super().get_config(), "operator": self.operator}
        if self.operand is not None:
            config["operand"] = self.operand
            config["operand_first"] = self.operand_first
        if self.key is not None:
            config["key"] = self.key
        return config


def apply_binary(operator: str, tensor: Any, other: Any, reflected: bool = False) -> Any:
    """``tensor <operator> other`` (``other <operator> tensor`` when ``reflected``), recorded as a
    :class:`TensorOperator` call. ``other`` is a symbolic tensor or a number."""
    from numeras.layers.input_layer import SymbolicTensor

    if isinstance(other, SymbolicTensor):
        pair = [other, tensor] if reflected else [tensor, other]
        return TensorOperator(operator)(pair)
    if _is_number(other):
        return TensorOperator(operator, operand=other, operand_first=reflected)(tensor)
    symbol = _SYMBOLS[operator]
    raise TypeError(
        f"Symbolic tensors combine with `{symbol}` only with other symbolic tensors or Python "
        f"numbers, received {type(other).__name__}. Keep a constant array in a layer (e.g. a "
        "custom layer's weight, or layers.Lambda) instead."
    )


def apply_unary(operator: str, tensor: Any) -> Any:
    return TensorOperator(operator)(tensor)


def apply_getitem(tensor: Any, key: Any) -> Any:
    return TensorOperator("getitem", key=encode_key(key))(tensor)
