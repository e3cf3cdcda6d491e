"""``Function``: a symbolic graph from inputs to outputs, built once and replayed on values.

Building walks the nodes back from the outputs to the inputs and orders them (see
:mod:`numeras.symbolic.graph`); replaying runs the nodes in that order, each on the values its
parents produced: real tensors when the graph runs, shapes when it infers output shapes. The
functional ``Model`` is a ``Function`` that is also a layer and trains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from numeras.symbolic.graph import (
    check_symbolic,
    is_input_tensor,
    map_graph,
    replay_on_new_inputs,
    warn_on_misnamed_inputs,
)
from numeras.symbolic.node import Node
from numeras.symbolic.operation import Operation
from numeras.symbolic.tensor import SymbolicTensor
from numeras.utils.tree import (
    flatten,
    flatten_shapes,
    is_shape,
    map_structure,
    pack_sequence_as,
    unpack_singleton,
)


def graph_ends(
    inputs: Any, outputs: Any, make_input: Callable[[SymbolicTensor], SymbolicTensor] | None = None
) -> tuple[Any, Any]:
    """``inputs`` and ``outputs`` checked for a graph; inputs that are not ``Input`` tensors are
    replaced by ``make_input(tensor)`` and the calls after them replayed (without ``make_input``,
    they are refused)."""
    check_symbolic(inputs, "inputs")
    check_symbolic(outputs, "outputs")
    warn_on_misnamed_inputs(inputs, stacklevel=3)
    if all(is_input_tensor(t) for t in flatten(inputs)):
        return inputs, outputs
    if make_input is None:
        raise ValueError(
            "Function: every input must be the output of an Input (keras.Input(...)); received "
            f"{[t for t in flatten(inputs) if not is_input_tensor(t)]}."
        )
    return replay_on_new_inputs(inputs, outputs, make_input)


class Function(Operation):
    """The graph of operation calls between ``inputs`` and ``outputs`` (an ``Input`` tensor, or a
    list or dict of them; symbolic tensors computed from them), runnable with :meth:`run`."""

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        inputs, outputs = graph_ends(inputs, outputs)
        super().__init__(name)
        self._init_graph(inputs, outputs)

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        self._inputs_struct = map_structure(lambda t: t, inputs)
        self._outputs_struct = map_structure(lambda t: t, outputs)
        self._inputs: list[SymbolicTensor] = flatten(inputs)
        self._outputs: list[SymbolicTensor] = flatten(outputs)
        node_keys, nodes_by_depth, operations = map_graph(self._inputs, self._outputs)
        self._node_keys = node_keys
        self._nodes_by_depth = nodes_by_depth
        self._operations = operations
        # The nodes to run, deepest (closest to the inputs) first; Input nodes have nothing to run.
        self._execution_order: list[Node] = [
            node
            for depth in sorted(nodes_by_depth, reverse=True)
            for node in nodes_by_depth[depth]
            if not node.is_input
        ]

    # -- structure ----------------------------------------------------------------------
    @property
    def operations(self) -> list:
        """Every operation of the graph, ``InputLayer``s included, from the inputs to the outputs."""
        return list(self._operations)

    @property
    def inputs(self) -> list[SymbolicTensor]:
        """The ``Input`` tensors, flattened (a dict's in sorted key order)."""
        return list(self._inputs)

    @property
    def outputs(self) -> list[SymbolicTensor]:
        """The output tensors, flattened."""
        return list(self._outputs)

    @property
    def input(self) -> Any:
        """The inputs in the structure given to the constructor."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The outputs in the structure given to the constructor."""
        return self._outputs_struct

    @property
    def input_shape(self) -> Any:
        shapes = map_structure(lambda t: t.shape, self._inputs_struct)
        return unpack_singleton(shapes) if isinstance(shapes, list) else shapes

    @property
    def output_shape(self) -> Any:
        shapes = map_structure(lambda t: t.shape, self._outputs_struct)
        return unpack_singleton(shapes) if isinstance(shapes, list) else shapes

    # -- replay -------------------------------------------------------------------------
    def _run_through_graph(
        self,
        flat_inputs: list,
        run_node: Callable[[Node, Any, tuple, dict], Any],
        split_outputs: Callable[[list, Any], list],
    ) -> Any:
        """Run every node in order: ``run_node(node, inputs, args, kwargs)`` on the values its
        parents produced (starting from ``flat_inputs`` for ``self.inputs``); ``split_outputs
        (produced, result)`` gives one value per output tensor of the node. Returns the outputs'
        values in the outputs' structure (one value unwrapped)."""
        values: dict[int, Any] = {id(ref): value for ref, value in zip(self._inputs, flat_inputs)}
        for node in self._execution_order:
            produced = node.output_tensors
            result = run_node(node, *node.fill_in(values))
            for ref, value in zip(produced, split_outputs(produced, result)):
                values[id(ref)] = value
        packed = pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self._outputs])
        return unpack_singleton(packed)

    def _replay(self, flat_inputs: list, **call_kwargs: Any) -> Any:
        """The outputs for ``flat_inputs`` (values in the order of ``inputs``): each operation
        called on its inputs' values, with ``call_kwargs`` (e.g. ``training``) wherever the
        recorded call did not set them."""

        def run_node(node: Node, inputs: Any, args: tuple, kwargs: dict) -> Any:
            for key, value in call_kwargs.items():
                kwargs.setdefault(key, value)
            return node.layer(inputs, *args, **kwargs)

        return self._run_through_graph(flat_inputs, run_node, _split_values)

    def run(self, inputs: Any, **call_kwargs: Any) -> Any:
        """The outputs for ``inputs`` (one value, a list in the order of ``inputs`` or a dict
        keyed by input name), in the structure the outputs were given."""
        return self._replay(self._match_to_inputs(inputs, "the input"), **call_kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shapes for inputs of ``input_shape``, found by asking each operation of the
        graph in turn (no computation)."""

        def run_node(node: Node, shapes_in: Any, args: tuple, kwargs: dict) -> Any:
            return node.layer.compute_output_shape(shapes_in)

        return self._run_through_graph(self._match_shapes(input_shape), run_node, _split_shapes)

    def _match_shapes(self, input_shape: Any) -> list[tuple]:
        if _is_shape(input_shape):
            if len(self._inputs) != 1:
                raise ValueError(
                    f"Model '{self.name}' has {len(self._inputs)} inputs; pass one shape per input."
                )
            return [tuple(input_shape)]
        if isinstance(input_shape, Mapping):
            matched = self._match_to_inputs(dict(input_shape), "input_shape", leaves=flatten_shapes)
            return [tuple(s) for s in matched]
        if isinstance(input_shape, (list, tuple)):
            shapes = [tuple(s) for s in input_shape]
            if len(shapes) != len(self._inputs):
                raise ValueError(
                    f"Model '{self.name}' expects {len(self._inputs)} input shapes, received {len(shapes)}."
                )
            return shapes
        raise ValueError(f"Model '{self.name}': cannot read input_shape={input_shape!r}.")

    def _match_to_inputs(self, structure: Any, what: str, leaves: Callable[[Any], list] = flatten) -> list:
        """``structure`` (one value, a list, or a dict keyed by input names) as a flat list in
        the order of ``self.inputs``; ``leaves`` flattens a dict's values (``flatten_shapes`` for
        shapes, whose tuples are leaves)."""
        expected_names = [t.name for t in self._inputs]
        struct = self._inputs_struct
        if isinstance(structure, Mapping):
            if isinstance(struct, Mapping):
                missing = [key for key in struct if key not in structure]
                if missing:
                    raise ValueError(
                        f"Model '{self.name}': {what} is a dict without the key(s) {missing}. The "
                        f"model's inputs are {sorted(struct)}; received keys {sorted(structure)}."
                    )
                return leaves({key: structure[key] for key in struct})
            missing = [name for name in expected_names if name not in structure]
            if missing:
                raise ValueError(
                    f"Model '{self.name}': {what} is a dict, so its keys must be the names of the "
                    f"model's inputs {expected_names}; missing {missing} (received keys "
                    f"{sorted(structure)}). Name the inputs with keras.Input(..., name=...) or "
                    "pass a list in the order of model.inputs."
                )
            return [structure[name] for name in expected_names]
        if isinstance(struct, Mapping) and list(struct) != sorted(struct):
            raise ValueError(
                f"Model '{self.name}' takes a dict of inputs {list(struct)}: pass {what} as a dict "
                "with these keys (a list would be ambiguous, as the keys are not in sorted order)."
            )
        flat = [structure] if not isinstance(structure, (list, tuple)) else flatten(structure)
        if len(flat) != len(self._inputs):
            raise ValueError(
                f"Model '{self.name}' expects {len(self._inputs)} input(s) {expected_names}, but "
                f"{what} holds {len(flat)}. Pass one array per input, as a list in the order of "
                "model.inputs or as a dict keyed by input name."
            )
        return flat


def _split_values(produced: list, outputs: Any) -> list:
    if len(produced) == 1 and not isinstance(outputs, (list, tuple, Mapping)):
        return [outputs]
    return flatten(outputs)


def _split_shapes(produced: list, shapes: Any) -> list:
    if len(produced) == 1:
        return [tuple(shapes) if _is_shape(shapes) else shapes]
    return flatten_shapes(shapes)


def _is_shape(value: Any) -> bool:
    # Unlike utils.tree.is_shape, an empty list counts (as a scalar's shape), as it always has here.
    return isinstance(value, (tuple, list)) and (is_shape(value) or value == [])
