"""Building a symbolic graph: the nodes between some inputs and outputs, ordered so that every
node comes after the nodes feeding it (Keras's ``map_graph``), and the checks that the outputs
can be computed from the inputs."""

from __future__ import annotations

import warnings
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

from numeras.symbolic.node import Node, node_index
from numeras.symbolic.tensor import SymbolicTensor
from numeras.utils.tree import flatten, map_structure


def check_symbolic(structure: Any, argument: str) -> None:
    """Raise unless ``structure`` is a non-empty tensor or structure of symbolic tensors."""
    flat = flatten(structure)
    if not flat:
        raise ValueError(f"`{argument}` argument cannot be empty. Received: {argument}={structure!r}")
    for value in flat:
        if not isinstance(value, SymbolicTensor):
            raise ValueError(
                f"All `{argument}` values must be KerasTensors (the symbolic tensors returned by "
                f"keras.Input and by layers called on them). Received: {argument} including "
                f"{value!r} of type {type(value).__name__}. If you meant to run the model on data, "
                "build it first and then call model(data)."
            )


def warn_on_misnamed_inputs(inputs: Any, stacklevel: int) -> None:
    """Keras's warning for a dict of inputs whose keys are not the names of their tensors."""
    if not isinstance(inputs, Mapping):
        return
    for key, tensor in inputs.items():
        if isinstance(tensor, SymbolicTensor) and key != tensor.name:
            warnings.warn(
                "When providing `inputs` as a dict, all keys in the dict must match the "
                f"names of the corresponding tensors. Received key '{key}' mapping to a "
                f"tensor named '{tensor.name}'. Change the tensor name to '{key}' (via "
                f"Input(..., name='{key}')).",
                stacklevel=stacklevel + 1,
            )


def is_input_tensor(tensor: SymbolicTensor) -> bool:
    """Whether ``tensor`` comes straight from an ``Input`` (a node without inputs of its own)."""
    if tensor._keras_history is None:
        return False
    operation, index, _ = tensor._keras_history
    return operation._inbound[index].is_input


def replay_on_new_inputs(
    inputs: Any, outputs: Any, make_input: Callable[[SymbolicTensor], SymbolicTensor]
) -> tuple[Any, Any]:
    """Keras 3's way with graph inputs that are not ``Input`` tensors (``Model(hidden, outputs)``):
    each gets a new input tensor ``make_input(tensor)``, and the calls between the inputs and the
    outputs are made again on the new tensors. The operations are the same objects, so they keep
    their weights. Returns the new ``(inputs, outputs)``."""
    replaced: dict[int, SymbolicTensor] = {}
    for tensor in flatten(inputs):
        if not is_input_tensor(tensor):
            replaced[id(tensor)] = make_input(tensor)

    order: list[Node] = []
    seen: set[int] = set()
    stack = [(t, False) for t in reversed(flatten(outputs))]
    while stack:  # iterative depth-first walk from the outputs back to the inputs
        tensor, expanded = stack.pop()
        layer, index, _ = tensor._keras_history
        node = layer._inbound[index]
        if id(tensor) in replaced or node.is_input:
            continue
        if expanded:
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
            continue
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in reversed(node.input_tensors))

    def swap(value: Any) -> Any:
        return map_structure(lambda t: replaced.get(id(t), t) if isinstance(t, SymbolicTensor) else t, value)

    for node in order:
        new_outputs = node.layer(swap(node.inputs), *swap(list(node.args)), **swap(node.kwargs))
        for old, new in zip(node.output_tensors, flatten(new_outputs)):
            replaced[id(old)] = new
    return swap(inputs), swap(outputs)


def map_graph(inputs: list, outputs: list) -> tuple[set, dict[int, list[Node]], list]:
    """The graph between the flat lists ``inputs`` and ``outputs``: the keys ``(id(operation),
    node_index)`` of its nodes; the nodes grouped by depth (0 for the nodes that make the
    outputs, larger towards the inputs); and the operations ordered by decreasing depth, then in
    the order a depth-first walk from the outputs meets them (Keras's ``map_graph``)."""
    ordered_nodes, operation_order = _walk_from_outputs(inputs, outputs)
    node_keys = {(id(node.layer), node_index(node)) for node in ordered_nodes}

    node_depth: dict[int, int] = {}
    nodes_by_id: dict[int, Node] = {}
    layer_depth: dict[int, int] = {}
    layers_by_id: dict[int, Any] = {}
    for node in reversed(ordered_nodes):
        depth = node_depth.setdefault(id(node), 0)
        nodes_by_id[id(node)] = node
        # A shared layer takes the largest depth among its nodes.
        depth = max(depth, layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth
        layers_by_id[id(node.layer)] = node.layer
        node_depth[id(node)] = depth
        for parent in node.parent_nodes:
            node_depth[id(parent)] = max(depth + 1, node_depth.get(id(parent), 0))
            nodes_by_id[id(parent)] = parent

    # Inputs that no output depends on still belong to the graph (losses may use them).
    for tensor in inputs:
        layer = tensor._keras_history[0]
        if id(layer) not in layer_depth:
            layer_depth[id(layer)] = 0
            layers_by_id[id(layer)] = layer
            operation_order[id(layer)] = -1
            node = layer._inbound[0]
            node_depth[id(node)] = 0
            nodes_by_id[id(node)] = node
            node_keys.add((id(layer), 0))

    nodes_by_depth: dict[int, list[Node]] = defaultdict(list)
    for node_id, depth in node_depth.items():
        nodes_by_depth[depth].append(nodes_by_id[node_id])
    layers_by_depth: dict[int, list] = defaultdict(list)
    for layer_id, depth in layer_depth.items():
        layers_by_depth[depth].append(layers_by_id[layer_id])
    operations = []
    for depth in sorted(layers_by_depth, reverse=True):
        operations.extend(sorted(layers_by_depth[depth], key=lambda layer: operation_order[id(layer)]))

    _check_computable(inputs, nodes_by_depth)
    names = [layer.name for layer in operations]
    for name in names:
        if names.count(name) != 1:
            raise ValueError(
                f'The name "{name}" is used {names.count(name)} times in the model. All layer '
                "names should be unique: pass a different name= to one of the layers."
            )
    return node_keys, dict(nodes_by_depth), operations


def _check_computable(inputs: list, nodes_by_depth: dict[int, list[Node]]) -> None:
    """Raise unless every tensor a node needs can be computed from ``inputs``."""
    computable = {id(t) for t in inputs}
    reached: list[str] = []
    for depth in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[depth]:
            if node.is_input and not any(id(t) in computable for t in node.output_tensors):
                raise ValueError(
                    f"Graph disconnected: the outputs depend on the Input '{node.layer.name}', "
                    f"which is not among the model's inputs {[t.name for t in inputs]}. The "
                    f"following previous layers were accessed without issue: {reached}. Add it "
                    "to `inputs`."
                )
            for tensor in node.input_tensors:
                if id(tensor) not in computable:
                    raise ValueError(
                        f"Graph disconnected: cannot find parent for tensor {tensor!r} at layer "
                        f"'{node.layer.name}'. The following previous layers were accessed "
                        f"without issue: {reached}. Every Input the outputs depend on must be "
                        f"in `inputs` (received {[t.name for t in inputs]})."
                    )
            reached.append(node.layer.name)
            computable.update(id(t) for t in node.output_tensors)


def _walk_from_outputs(inputs: list, outputs: list) -> tuple[list[Node], dict[int, int]]:
    """Nodes in topological order (inputs first) by a depth-first walk from ``outputs``, and
    each operation's position in the walk."""
    finished: set[int] = set()
    in_progress: set[int] = set()
    ordered: list[Node] = []
    operation_order: dict[int, int] = {}
    input_ids = {id(t) for t in inputs}

    def visit(tensor: SymbolicTensor) -> None:
        history = tensor._keras_history
        if history is None:
            raise ValueError(f"Tensor {tensor!r} was not produced by a layer: it cannot be part of a model.")
        layer, index, _ = history
        node = layer._inbound[index]
        if id(node) in finished:
            return
        if id(node) in in_progress:
            raise ValueError(f"Tensor {tensor!r} from layer '{layer.name}' is part of a cycle.")
        operation_order.setdefault(id(layer), len(operation_order))
        in_progress.add(id(node))
        if not node.is_input and id(tensor) not in input_ids:
            for parent_tensor in node.input_tensors:
                visit(parent_tensor)
        finished.add(id(node))
        in_progress.discard(id(node))
        ordered.append(node)

    for output in outputs:
        visit(output)
    return ordered, operation_order
