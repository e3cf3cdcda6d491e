"""``Node``: one call of an operation on symbolic tensors, the edge list of a symbolic graph."""

from __future__ import annotations

from typing import Any

from numeras.symbolic.tensor import SymbolicTensor
from numeras.utils.tree import flatten, map_structure


class Node:
    """One call of ``layer`` (an :class:`~numeras.symbolic.operation.Operation`) on symbolic
    inputs giving symbolic ``outputs``.

    ``inputs`` is the first positional argument of the call (a tensor or a structure of them),
    ``args``/``kwargs`` the other arguments. An operation called twice (a shared layer) has two
    nodes; a tensor's ``_keras_history`` names the node that made it.
    """

    def __init__(self, layer: Any, inputs: Any, outputs: Any, args: tuple, kwargs: dict) -> None:
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.input_tensors: list[SymbolicTensor] = [
            t for t in flatten([inputs, list(self.args), self.kwargs]) if isinstance(t, SymbolicTensor)
        ]
        self.output_tensors: list[SymbolicTensor] = [
            t for t in flatten(outputs) if isinstance(t, SymbolicTensor)
        ]

    @property
    def operation(self) -> Any:
        """Keras 3's name for the layer this node calls."""
        return self.layer

    @property
    def is_input(self) -> bool:
        """An ``Input``'s node: it has no symbolic inputs of its own."""
        return not self.input_tensors

    @property
    def parent_nodes(self) -> list[Node]:
        """The nodes that produced this node's inputs."""
        parents = []
        for tensor in self.input_tensors:
            layer, node_index, _ = tensor._keras_history
            parents.append(layer._inbound[node_index])
        return parents

    def fill_in(self, values: dict[int, Any]) -> tuple[Any, tuple, dict]:
        """The call's ``(inputs, args, kwargs)`` with each symbolic tensor replaced by
        ``values[id(tensor)]`` (a value computed earlier in the graph)."""

        def swap(leaf: Any) -> Any:
            return values[id(leaf)] if isinstance(leaf, SymbolicTensor) else leaf

        if isinstance(self.inputs, SymbolicTensor):
            inputs = values[id(self.inputs)]
        else:
            inputs = map_structure(swap, self.inputs)
        if not self.args and not self.kwargs:
            return inputs, (), {}
        return inputs, tuple(map_structure(swap, list(self.args))), map_structure(swap, self.kwargs)

    def __repr__(self) -> str:
        return f"<Node layer={self.layer.name}, inputs={len(self.input_tensors)}, outputs={len(self.output_tensors)}>"


def node_index(node: Node) -> int:
    """The position of ``node`` among its operation's calls."""
    for index, candidate in enumerate(node.layer._inbound):
        if candidate is node:
            return index
    raise ValueError(f"Node {node!r} is not among its layer's nodes.")
