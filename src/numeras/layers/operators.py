"""Python operators on symbolic tensors: ``x + y``, ``2.0 * x``, ``-x``, ``x @ w``, ``x[:, :4]``.

Keras 3 lets a functional model use Python operators on its symbolic tensors. numeras records
each use as a :class:`TensorOperator` layer: it has no weights, and its config holds the
operator's name plus the number operand or the index, so a model that uses operators saves,
loads and prints in ``summary()`` like one made of layers only. Operands are symbolic tensors or
Python numbers; arrays are refused (a constant array belongs in a layer's weight).

What an operator means apart from computing it (its shape rule, its Keras class name, the index
in Keras's JSON form) is in :mod:`numeras.symbolic.operators`, below the layers; this module
registers the layer that computes it there.

In a saved functional model, each one is written as Keras 3 writes the operation
(``{"module": "keras.src.ops.numpy", "class_name": "Add", ...}`` with the number or the index among
the node's arguments), so ``.keras`` files with operators move between Keras and numeras.
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.layers.layer import Layer
from numeras.symbolic import operators as symbolic_operators
from numeras.symbolic.operators import (
    KERAS_CLASSES,
    KERAS_MODULE,
    SYMBOLS,
    broadcast_shapes,
    decode_key,
    encode_key,
    getitem_shape,
    is_int,
    is_number,
    matmul_shape,
)
from numeras.utils import naming


def _not_equal(a: Any, b: Any) -> Any:
    """A boolean comparison (a mask): not differentiable, so a constant."""
    from numeras.autodiff import Tensor
    from numeras.autodiff.ops import constant

    values = [v.data if isinstance(v, Tensor) else v for v in (a, b)]
    return constant(values[0] != values[1])


_BINARY = {
    "not_equal": _not_equal,
    "add": ops.add,
    "subtract": ops.subtract,
    "multiply": ops.multiply,
    "divide": ops.divide,
    "power": ops.power,
    "matmul": ops.matmul,
}
_UNARY = {"negative": ops.negative, "absolute": ops.absolute}


class TensorOperator(Layer):
    """One Python operator applied to symbolic tensors (created by the operators themselves).

    ``operator``: one of add, subtract, multiply, divide, power, matmul (binary), negative,
    absolute (unary) or getitem. A binary operator takes two inputs ``[a, b]``, or one input and
    the number ``operand``, on the left of the input when ``operand_first`` (``2 - x``). ``key``:
    getitem's index in :func:`encode_key`'s form.
    """

    _drops_masks_silently = True  # an op in Keras: masks do not pass, and no warning says so

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
        if operand is not None and not is_number(operand):
            raise TypeError(f"TensorOperator: `operand` must be a number, received {type(operand).__name__}.")
        if kwargs.get("name") is None:
            kwargs["name"] = naming.auto_name(KERAS_CLASSES[operator])  # add, true_divide, get_item
        super().__init__(**kwargs)
        self.operator = operator
        self.operand = None if operand is None else (int(operand) if is_int(operand) else float(operand))
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
        owner = f"{self.name} ({SYMBOLS.get(self.operator, self.operator)})"
        if self.operator == "getitem":
            return getitem_shape(tuple(input_shape), decode_key(self.key), self.name)
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
            return matmul_shape(first, second)
        return broadcast_shapes(first, second, owner)

    def get_config(self) -> dict:
        config = {**super().get_config(), "operator": self.operator}
        if self.operand is not None:
            config["operand"] = self.operand
            config["operand_first"] = self.operand_first
        if self.key is not None:
            config["key"] = self.key
        return config


# Symbolic tensors' Python operators record this layer.
symbolic_operators.set_operation_factory(TensorOperator)


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
    if len(tensors) != 1 or len(constants) != 1 or not is_number(constants[0]):
        raise ValueError(
            f"Loading operation '{name}' ({class_name}): numeras reads it with two tensors, or one "
            f"tensor and a number; received the arguments {arguments!r}."
        )
    first = not is_tensor(arguments[0])
    return TensorOperator(operator, operand=constants[0], operand_first=first, name=name), tensors[0]
