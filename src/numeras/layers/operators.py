"""Python operators on symbolic tensors: ``x + y``, ``2.0 * x``, ``-x``, ``x @ w``, ``x[:, :4]``.

Keras 3 lets a functional model use Python operators on its symbolic tensors. numeras records
each use as a :class:`TensorOperator` layer: it has no weights, and its config holds the
operator's name plus the number operand or the index, so a model that uses operators saves,
loads and prints in ``summary()`` like one made of layers only. Operands are symbolic tensors or
Python numbers; arrays are refused (a constant array belongs in a layer's weight).

In a saved functional model, each one is written as Keras 3 writes the operation
(``{"module": "keras.src.ops.numpy", "class_name": "Add", ...}`` with the number or the index among
the node's arguments), so ``.keras`` files with operators move between Keras and numeras.
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
KERAS_CLASSES = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "divide": "TrueDivide",
    "power": "Power",
    "matmul": "Matmul",
    "negative": "Negative",
    "absolute": "Absolute",
    "getitem": "GetItem",
}
"""numeras's operator names and the classes Keras 3 records for them (module keras.src.ops.numpy)."""
KERAS_MODULE = "keras.src.ops.numpy"


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


# -- indices, in Keras's JSON form ----------------------------------------------------------
def encode_key(key: Any) -> list:
    """``x[key]``'s index as Keras 3 saves it: a list of ints, ``None`` (a new axis),
    ``{"class_name": "__ellipsis__"}`` and ``{"class_name": "__slice__", "config": {start, stop,
    step}}``; anything else (arrays, tensors, booleans) is refused."""
    entries = key if isinstance(key, tuple) else (key,)
    encoded: list[Any] = []
    for entry in entries:
        if entry is None:
            encoded.append(None)
        elif entry is Ellipsis:
            encoded.append({"class_name": "__ellipsis__", "config": {}})
        elif isinstance(entry, slice):
            parts = {"start": entry.start, "stop": entry.stop, "step": entry.step}
            if not all(p is None or _is_int(p) for p in parts.values()):
                raise TypeError(f"Slicing a symbolic tensor: slice bounds must be ints or None, received {entry!r}.")
            encoded.append({"class_name": "__slice__", "config": {k: None if p is None else int(p) for k, p in parts.items()}})
        elif _is_int(entry):
            encoded.append(int(entry))
        else:
            raise TypeError(
                "Indexing a symbolic tensor takes ints, slices, None and ..., received "
                f"{type(entry).__name__}. For a gather by index arrays, use a layer "
                "(layers.Lambda(lambda t: numeras.ops.take(t, indices, axis))(x))."
            )
    return encoded


def decode_key(encoded: Any) -> tuple:
    """The index :func:`encode_key` encoded (a single entry, as Keras writes ``x[0]``, too)."""
    entries = encoded if isinstance(encoded, (list, tuple)) else [encoded]
    decoded: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict):
            kind = entry.get("class_name")
            if kind == "__ellipsis__":
                decoded.append(Ellipsis)
            elif kind == "__slice__":
                config = entry.get("config", {})
                decoded.append(slice(config.get("start"), config.get("stop"), config.get("step")))
            else:
                raise ValueError(f"An index entry of unknown kind {kind!r}: {entry!r}.")
        elif entry is None or entry is Ellipsis or isinstance(entry, slice) or _is_int(entry):
            decoded.append(entry)  # (a config revived by the loader already holds slices)
        else:
            raise ValueError(f"An index entry must be an int, None, a slice or ..., received {entry!r}.")
    return tuple(decoded)


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
            kwargs["name"] = naming.auto_name(KERAS_CLASSES[operator])  # add, true_divide, get_item
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


# -- saving in Keras's form --------------------------------------------------------------------
def keras_node_arguments(layer: TensorOperator, inputs: Any) -> list:
    """The positional arguments Keras 3 records for the operation: the tensors and the number
    (in operand order) or the tensor and the index."""
    if layer.operator == "getitem":
        return [inputs, list(layer.key)]
    if layer.operator in _UNARY or layer._two_inputs():
        return list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    return [layer.operand, inputs] if layer.operand_first else [inputs, layer.operand]


def from_keras_node(class_name: str, name: str, arguments: list, is_tensor: Any) -> tuple[TensorOperator, Any]:
    """The TensorOperator for a Keras operation ``class_name`` called with ``arguments`` (revived
    tensors and constants; ``is_tensor`` tells them apart), and the inputs to call it on."""
    operators = {keras_name: ours for ours, keras_name in KERAS_CLASSES.items()}
    if class_name not in operators:
        raise ValueError(
            f"Loading operation '{name}': numeras does not know the Keras operation {class_name!r} "
            f"({KERAS_MODULE}); it reads {sorted(operators)}. Replace it with a layer in Keras "
            "(e.g. layers.Lambda) before saving."
        )
    operator = operators[class_name]
    if operator == "getitem":
        return TensorOperator("getitem", key=encode_key(decode_key(arguments[1])), name=name), arguments[0]
    tensors = [a for a in arguments if is_tensor(a)]
    constants = [a for a in arguments if not is_tensor(a)]
    if operator in _UNARY:
        return TensorOperator(operator, name=name), tensors[0]
    if len(tensors) == 2:
        return TensorOperator(operator, name=name), tensors
    if len(tensors) != 1 or len(constants) != 1 or not _is_number(constants[0]):
        raise ValueError(
            f"Loading operation '{name}' ({class_name}): numeras reads it with two tensors, or one "
            f"tensor and a number; received the arguments {arguments!r}."
        )
    first = not is_tensor(arguments[0])
    return TensorOperator(operator, operand=constants[0], operand_first=first, name=name), tensors[0]
