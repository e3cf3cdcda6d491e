"""The functional API: ``Model(inputs, outputs)``, a model defined as a graph of layer calls.

Calling a layer on the placeholder returned by ``Input`` records a ``Node`` (which layer, on
which tensors); ``Model(inputs, outputs)`` is a :class:`numeras.symbolic.Function` over those
nodes (ordered from ``inputs`` to ``outputs`` and replayed on real tensors) that is also a
``Model``: it trains, saves its graph in Keras 3's config format and loads it back. A layer
called twice (a shared layer) is one layer with two nodes, and a model can be called like a
layer inside another model.

Example (the ticket classifier of *Deep Learning with Python*, chapter 7)::

    title = keras.Input(shape=(10000,), name="title")
    text_body = keras.Input(shape=(10000,), name="text_body")
    tags = keras.Input(shape=(100,), name="tags")
    features = layers.Concatenate()([title, text_body, tags])
    features = layers.Dense(64, activation="relu")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(4, activation="softmax", name="department")(features)
    model = keras.Model(inputs=[title, text_body, tags], outputs=[priority, department])
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Any

from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.layers.input_layer import Input
from numeras.layers.layer import Layer
from numeras.layers.operators import (
    KERAS_CLASSES,
    KERAS_MODULE,
    TensorOperator,
    from_keras_node,
    keras_node_arguments,
)
from numeras.models.model import Model
from numeras.ops import cast, expand_dims, squeeze
from numeras.symbolic import Function, Node, SymbolicTensor
from numeras.symbolic.function import graph_ends
from numeras.utils.tree import map_structure, unpack_singleton


class Functional(Function, Model):
    """A ``Model`` defined by the graph of layer calls between ``inputs`` and ``outputs``.

    Args:
        inputs: an ``Input`` tensor, or a list or dict of them.
        outputs: a tensor computed from ``inputs`` by layer calls, or a list or dict of them.
        name: the model's name (``"functional"``, ``"functional_1"``, ... by default).
        trainable: whether the model's weights are trained.

    Calling the model runs the graph: ``model(x)`` for one input, ``model([x1, x2])`` or
    ``model({"title": x1, ...})`` for several (a dict is matched to the inputs by name). It returns
    the outputs in the structure they were given (one tensor, a list or a dict).
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None, **kwargs: Any) -> None:
        trainable = kwargs.pop("trainable", None)
        inputs, outputs = graph_ends(inputs, outputs, make_input=_input_like)
        Model.__init__(self, name=name, **kwargs)
        self._init_graph(inputs, outputs)
        for operation in self._operations:
            self._track_layer(operation)
        if trainable is not None:
            self.trainable = trainable
        self.built = True
        self._build_input_shape = self.input_shape
        self._output_shape = self.output_shape
        self.output_names = [t._keras_history[0].name for t in self._outputs]

    # -- structure ----------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """Every layer of the graph, ``InputLayer``s included, from the inputs to the outputs."""
        return list(self._operations)

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError(
            "`Model.layers` attribute is reserved and should not be used. Please use another name."
        )

    def build(self, input_shape: Any = None) -> None:
        self.built = True

    # -- running the graph --------------------------------------------------------------
    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        flat = self._standardize_inputs(inputs)
        if mask is not None:
            # As Keras: the masks of the inputs (given, or carried by them) start the graph.
            masks = [mask] if len(self._inputs) == 1 else self._match_to_inputs(mask, "`mask`")
            for value, value_mask in zip(flat, masks):
                if value_mask is not None and isinstance(value, Tensor) and value._keras_mask is None:
                    value._keras_mask = value_mask
        return self._replay(flat, training=training)

    def _standardize_inputs(self, inputs: Any) -> list:
        flat = self._match_to_inputs(inputs, "the input")
        adjusted = []
        for value, ref in zip(flat, self._inputs):
            if value is None:
                adjusted.append(None)
                continue
            if not isinstance(value, Tensor):
                value = Tensor(xp.asarray(value))
            if value.dtype != ref.dtype and ref.dtype != "string":  # strings stay text
                value = cast(value, ref.dtype)
            rank, ref_rank = value.ndim, len(ref.shape)
            if rank == ref_rank + 1 and value.shape[-1] == 1:
                value = squeeze(value, -1)
            elif rank == ref_rank - 1 and ref.shape[-1] == 1:
                value = expand_dims(value, -1)
            _check_input_shape(self.name, ref, tuple(value.shape))
            adjusted.append(value)
        return adjusted

    # -- trainer hooks ------------------------------------------------------------------
    def _expected_input_shape(self) -> tuple | None:
        return tuple(self._inputs[0].shape) if len(self._inputs) == 1 else None

    def _symbolic_outputs(self) -> Any:
        return unpack_singleton(self._outputs_struct)

    def _check_input_data(self, x: Any, method: str) -> None:
        """Check input data (an array, or a list or dict of arrays) against the model's inputs;
        a single array for a single input is checked by the trainer itself."""
        if not isinstance(x, (list, tuple, Mapping)) and len(self._inputs) == 1:
            return
        flat = self._match_to_inputs(x, "`x`")
        for value, ref in zip(flat, self._inputs):
            if value is None or not hasattr(value, "shape"):
                continue
            shape = tuple(value.shape)
            if len(shape) == len(ref.shape) + 1 and shape[-1] == 1:
                shape = shape[:-1]
            elif len(shape) == len(ref.shape) - 1 and ref.shape[-1] == 1:
                shape = (*shape, 1)
            _check_input_shape(self.name, ref, shape, method=method)

    # -- configuration ------------------------------------------------------------------
    def get_config(self) -> dict:
        """Keras 3's functional config: every layer's config with its ``inbound_nodes`` (the
        calls that belong to this model), plus ``input_layers`` and ``output_layers`` naming
        ``[layer_name, node_index, tensor_index]``.

        A subclass whose constructor takes other arguments than ``(inputs, outputs, name)``
        is not rebuilt from a graph: it gets ``Model``'s config (override ``get_config``)."""
        if not _functional_like_constructor(type(self)):
            return Model.get_config(self)
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        # Nodes of a layer that belong to other models are left out, so node indices are
        # renumbered. A nested functional model's own calls are counted from 1 in the
        # input/output references (Keras's convention for the "pre-existing" node).
        reindex: dict[tuple[int, int], int] = {}
        for operation in self._operations:
            kept = 1 if isinstance(operation, Functional) else 0
            for index, _ in enumerate(operation._inbound):
                if (id(operation), index) in self._node_keys:
                    reindex[(id(operation), index)] = kept
                    kept += 1
        layer_configs = []
        for operation in self._operations:
            inbound_nodes = []
            for index, node in enumerate(operation._inbound):
                if (id(operation), index) in self._node_keys and not node.is_input:
                    inbound_nodes.append(self._serialize_node(node))
            layer_config = _serialize_layer(operation)
            layer_config["name"] = operation.name
            layer_config["inbound_nodes"] = inbound_nodes
            layer_configs.append(layer_config)
        config["layers"] = layer_configs

        def tensor_reference(tensor: SymbolicTensor) -> list:
            layer, node_index, tensor_index = tensor._keras_history
            return [layer.name, reindex[(id(layer), node_index)], tensor_index]

        def references(structure: Any) -> Any:
            if isinstance(structure, SymbolicTensor):
                return [tensor_reference(structure)]
            return map_structure(tensor_reference, structure)

        config["input_layers"] = references(self._inputs_struct)
        config["output_layers"] = references(self._outputs_struct)
        return copy.deepcopy(config)

    def _serialize_node(self, node: Node) -> dict:
        def serialize_tensor(tensor: SymbolicTensor) -> dict:
            layer, node_index, tensor_index = tensor._keras_history
            # Renumber past the nodes of `layer` that are not part of this model.
            skipped = sum(
                1 for i in range(node_index) if (id(layer), i) not in self._node_keys
            )
            return {
                "class_name": "__keras_tensor__",
                "config": {
                    "shape": list(tensor.shape),
                    "dtype": tensor.dtype,
                    "keras_history": [layer.name, node_index - skipped, tensor_index],
                },
            }

        def convert(value: Any) -> Any:
            if isinstance(value, SymbolicTensor):
                return serialize_tensor(value)
            if isinstance(value, Mapping):
                return {key: convert(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [convert(item) for item in value]
            return value

        if isinstance(node.layer, TensorOperator):
            return {"args": convert(keras_node_arguments(node.layer, node.inputs)), "kwargs": {}}
        return {"args": convert([node.inputs, *node.args]), "kwargs": convert(node.kwargs)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Functional:
        """Rebuild a functional model from ``get_config()``'s output (Keras 3's format, or the
        Keras 2 ``inbound_nodes`` lists): create every layer, then replay the recorded calls,
        postponing a call until the calls it depends on have been replayed."""
        return functional_from_config(cls, config, custom_objects)


def _functional_like_constructor(cls: type) -> bool:
    parameters = list(inspect.signature(cls.__init__).parameters)[1:4]
    return parameters == ["inputs", "outputs", "name"]


def _input_like(tensor: SymbolicTensor) -> SymbolicTensor:
    """A new ``Input`` standing for ``tensor`` (named after it plus ``CLONE``, as Keras names it)."""
    return Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=f"{tensor.name}CLONE")


def _check_input_shape(model_name: str, ref: SymbolicTensor, shape: tuple, method: str | None = None) -> None:
    expected = tuple(ref.shape)
    compatible = len(shape) == len(expected) and all(
        e is None or s is None or e == s for e, s in zip(expected, shape)
    )
    if not compatible:
        where = f"{method}: " if method else ""
        raise ValueError(
            f"{where}input '{ref.name}' of model '{model_name}' expects data of shape "
            f"{expected} (None: any size), but received an array of shape {shape}. Check that "
            "each array goes to the right input (a dict keyed by input name avoids mix-ups)."
        )


# -- serialization ------------------------------------------------------------------------------
def _serialize_layer(layer: Layer) -> dict:
    from numeras import layers as layers_module

    if isinstance(layer, TensorOperator):
        # Saved as Keras 3 saves the operation, so that Keras reads the file (and numeras, Keras's).
        return {
            "module": KERAS_MODULE,
            "class_name": KERAS_CLASSES[layer.operator],
            "config": {"name": layer.name},
            "registered_name": None,
        }
    layer_config = layers_module.serialize(layer)
    # Keras files name nested models by their own modules.
    if isinstance(layer, Functional) and type(layer).__name__ == "Functional":
        layer_config["module"] = "keras.src.models.functional"
        layer_config["registered_name"] = "Functional"
    elif type(layer).__name__ == "Sequential":
        layer_config["module"] = "keras"
    return layer_config


class _PendingOperation:
    """Stands for a Keras operation in a config until its node is replayed (then a TensorOperator)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._inbound: list = []


class _NodeNotReady(Exception):
    """A recorded call refers to a node of another layer that has not been replayed yet."""


def functional_from_config(cls: type, config: dict, custom_objects: dict | None = None) -> Any:
    """Instantiate ``cls`` (``Functional`` or a subclass) from a functional model's config."""
    from numeras import layers as layers_module

    config = dict(config)
    for key in ("layers", "input_layers", "output_layers"):
        if key not in config:
            raise ValueError(
                f"from_config: a functional model's config needs the key '{key}' (with 'layers', "
                f"'input_layers' and 'output_layers'); received keys {sorted(config)}."
            )
    created: dict[str, Layer] = {}
    pending: dict[str, list] = {}
    operations: dict[str, str] = {}  # Keras operations (x + y, x[:, 0]): name -> class name
    for layer_data in config["layers"]:
        if layer_data.get("module") == KERAS_MODULE:
            # Its number or index is among the node's arguments: built when the node is replayed.
            name = layer_data.get("name") or layer_data.get("config", {}).get("name")
            operations[name] = layer_data["class_name"]
            created[name] = _PendingOperation(name)
            pending[name] = list(layer_data.get("inbound_nodes", []))
            continue
        layer = layers_module.deserialize(layer_data, custom_objects=custom_objects)
        name = layer_data.get("name", layer.name)
        created[name] = layer
        pending[name] = list(layer_data.get("inbound_nodes", []))

    def tensor_from_history(layer_name: str, node_index: int, tensor_index: int) -> SymbolicTensor:
        if layer_name not in created:
            raise ValueError(
                f"from_config: a node refers to layer {layer_name!r}, which is not among the "
                f"config's layers {sorted(created)}."
            )
        layer = created[layer_name]
        if node_index >= len(layer._inbound):
            raise _NodeNotReady
        return layer._inbound[node_index].output_tensors[tensor_index]

    def revive(value: Any) -> Any:
        if isinstance(value, Mapping):
            if value.get("class_name") == "__keras_tensor__":
                return tensor_from_history(*value["config"]["keras_history"])
            return {key: revive(item) for key, item in value.items()}
        if isinstance(value, list):
            return [revive(item) for item in value]
        return value

    def call_node(layer: Layer, node_data: Any) -> None:
        if isinstance(node_data, list):  # Keras 2: [[layer_name, node_index, tensor_index, kwargs], ...]
            tensors, kwargs = [], {}
            for entry in node_data:
                tensors.append(tensor_from_history(entry[0], entry[1], entry[2]))
                if len(entry) == 4:
                    kwargs = dict(entry[3])
            layer(unpack_singleton(tensors), **kwargs)
            return
        args = revive(node_data.get("args", []))
        kwargs = revive(node_data.get("kwargs", {}))
        if not args:
            raise ValueError(f"from_config: a node of layer '{layer.name}' has no arguments.")
        if layer.name in operations:
            operator, inputs = from_keras_node(
                operations[layer.name], layer.name, args, lambda a: isinstance(a, SymbolicTensor)
            )
            if isinstance(layer, _PendingOperation):
                created[layer.name] = layer = operator
            layer(inputs)  # a later node of the same operation is a call of the first one's layer
            return
        layer(*args, **kwargs)

    while any(pending.values()):
        progressed = False
        for layer_data in config["layers"]:
            name = layer_data.get("name")
            queue = pending.get(name, [])
            while queue:
                try:
                    call_node(created[name], queue[0])
                except _NodeNotReady:
                    break
                queue.pop(0)
                progressed = True
        if not progressed:
            stuck = sorted(name for name, queue in pending.items() if queue)
            raise ValueError(
                f"from_config: the calls of layers {stuck} refer to nodes that are never created; "
                "the config's graph is inconsistent."
            )

    def tensor_for(reference: list) -> SymbolicTensor:
        layer_name, node_index, tensor_index = reference[0], reference[1], reference[2]
        if isinstance(created.get(layer_name), Functional):
            node_index -= 1  # counted from 1 for nested functional models (see get_config)
        try:
            return tensor_from_history(layer_name, node_index, tensor_index)
        except _NodeNotReady:
            raise ValueError(
                f"from_config: the reference {reference} names a node that does not exist."
            ) from None

    def references(structure: Any) -> Any:
        if isinstance(structure, (list, tuple)) and len(structure) == 3 and isinstance(structure[0], str):
            return tensor_for(list(structure))
        if isinstance(structure, Mapping):
            return {key: references(value) for key, value in structure.items()}
        return [references(value) for value in structure]

    inputs = references(config["input_layers"])
    outputs = references(config["output_layers"])
    if isinstance(inputs, list) and len(inputs) == 1:
        inputs = inputs[0]
    if isinstance(outputs, list) and len(outputs) == 1:
        outputs = outputs[0]
    kwargs = {}
    if config.get("trainable") is not None:
        kwargs["trainable"] = config["trainable"]
    if cls is Model:
        cls = Functional
    return cls(inputs=inputs, outputs=outputs, name=config.get("name"), **kwargs)


# -- functional subclasses ----------------------------------------------------------------------
_FUNCTIONAL_SUBCLASSES: dict[type, type] = {}


def functional_subclass(cls: type) -> type:
    """``cls`` (a subclass of ``Model``) with ``Functional`` mixed in, so that
    ``class CustomModel(keras.Model)`` instantiated as ``CustomModel(inputs, outputs)`` runs the
    graph while keeping its own ``train_step``, ``metrics``, ... (what Keras 3 does by
    injecting ``Functional`` into the class's bases)."""
    if issubclass(cls, Functional):
        return cls
    if cls not in _FUNCTIONAL_SUBCLASSES:
        _FUNCTIONAL_SUBCLASSES[cls] = type(
            cls.__name__,
            (cls, Functional),
            {"__module__": cls.__module__, "__qualname__": cls.__qualname__, "__doc__": cls.__doc__},
        )
    return _FUNCTIONAL_SUBCLASSES[cls]


