"""``Operation``: what a symbolic graph is made of, below ``Layer``.

An operation has a name, computes output shapes from input shapes, and keeps the list of its
calls on symbolic tensors (its ``Node``s). :func:`symbolic_call` is what calling it on symbolic
tensors does: build it for the input shapes, infer the output shapes, record the node and return
new symbolic tensors. ``Layer`` adds weights, training and the real computation.
"""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.symbolic.node import Node
from numeras.symbolic.tensor import SymbolicTensor, any_symbolic
from numeras.utils import naming
from numeras.utils.tree import flatten, map_shape_structure, map_structure


class Operation:
    """The graph side of a layer: a name, output shapes, and the calls recorded on symbolic
    tensors (``_inbound``, Keras's ``_inbound_nodes``)."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name if name is not None else naming.auto_name(type(self).__name__)
        self._inbound: list[Node] = []

    @property
    def dtype(self) -> str:
        """The dtype of the symbolic tensors this operation returns (floatx unless overridden)."""
        return backend.floatx()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """On symbolic tensors, record the call (:func:`symbolic_call`); on values, compute it."""
        if any_symbolic([args, kwargs]):
            return symbolic_call(self, *args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """The computation on values (subclasses say what it is)."""
        raise NotImplementedError(f"{type(self).__name__}: an operation must implement call().")

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape(s) for inputs of ``input_shape`` (subclasses say how)."""
        raise NotImplementedError(
            f"{type(self).__name__}: an operation must implement compute_output_shape(input_shape)."
        )

    def symbolic_output_shapes(self, input_shape: Any, args: tuple, kwargs: dict) -> Any:
        """The output shape(s) of a call on symbolic tensors: ``input_shape`` is the first
        argument's, ``args``/``kwargs`` the rest of the call (they may hold symbolic tensors too).
        By default ``compute_output_shape(input_shape)``."""
        return self.compute_output_shape(input_shape)

    def _ensure_built(self, input_shape: Any) -> None:
        """Create what the operation needs for inputs of ``input_shape`` (nothing by default)."""

    # -- its calls in symbolic graphs ----------------------------------------------------
    @property
    def _inbound_nodes(self) -> list[Node]:
        """Keras's name for the list of this operation's calls on symbolic inputs (``Node``s)."""
        return self._inbound

    def _first_node_attribute(self, attribute: str, name: str) -> Any:
        if not self._inbound:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on a symbolic input and thus has no "
                f"defined {name}. `layer.{name}` exists for layers of a functional model: call "
                "the layer on the output of keras.Input(...) (or of another such layer) first."
            )
        values = getattr(self._inbound[0], attribute)
        return values[0] if len(values) == 1 else values

    @property
    def input(self) -> Any:
        """The symbolic input(s) of this operation's first call in a functional graph."""
        return self._first_node_attribute("input_tensors", "input")

    @property
    def output(self) -> Any:
        """The symbolic output(s) of this operation's first call in a functional graph."""
        return self._first_node_attribute("output_tensors", "output")


def symbolic_call(operation: Operation, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``operation`` on placeholders: build it, infer output shapes, record the node.

    The output placeholders' ``_keras_history`` is ``(operation, node_index, tensor_index)``,
    where ``tensor_index`` counts the outputs in ``flatten`` order.
    """
    if kwargs.get("training", 0) is None:
        kwargs.pop("training")  # the default: nothing to record
    input_shapes = map_structure(lambda t: t.shape if isinstance(t, SymbolicTensor) else t, inputs)
    operation._ensure_built(input_shapes)
    output_shapes = operation.symbolic_output_shapes(input_shapes, args, kwargs)
    node_index = len(operation._inbound)
    try:
        outputs = map_shape_structure(
            lambda shape: SymbolicTensor(shape, dtype=operation.dtype, name=operation.name), output_shapes
        )
    except ValueError:
        raise ValueError(
            f"Layer '{operation.name}' ({type(operation).__name__}): compute_output_shape returned "
            f"{output_shapes!r} for input shape {input_shapes!r}; expected a shape such as "
            "(None, 32) or a list/dict of shapes. Fix the layer's compute_output_shape."
        ) from None
    for tensor_index, tensor in enumerate(flatten(outputs)):
        tensor._keras_history = (operation, node_index, tensor_index)
    operation._inbound.append(Node(operation, inputs, outputs, args, kwargs))
    operation._output_shape = output_shapes
    return outputs


def record_output_masks(outputs: Any, masks: Any, make_operation: Any) -> None:
    """Give each symbolic output without a mask its mask from ``masks`` (a symbolic tensor per
    output, or None). Each mask is made the output of a node of ``make_operation(mask_shape)``,
    an operation that, given the output's value, returns its ``_keras_mask``: so the mask is a
    tensor of the graph like any other (``layer(x, mask=y._keras_mask)`` replays)."""
    if masks is None:
        return
    for tensor, mask in zip(flatten(outputs), flatten(masks)):
        if mask is None or not isinstance(tensor, SymbolicTensor) or tensor._keras_mask is not None:
            continue
        operation = make_operation(mask.shape)
        mask.name = operation.name
        mask._keras_history = (operation, 0, 0)
        operation._inbound.append(Node(operation, tensor, mask, (), {}))
        tensor._keras_mask = mask


def record_input(operation: Operation, tensor: SymbolicTensor) -> SymbolicTensor:
    """Make ``tensor`` the output of an input node of ``operation`` (a call without inputs, what
    ``InputLayer`` is): graphs start from such tensors. Returns ``tensor``."""
    tensor._keras_history = (operation, len(operation._inbound), 0)
    operation._inbound.append(Node(operation, [], tensor, (), {}))
    return tensor
