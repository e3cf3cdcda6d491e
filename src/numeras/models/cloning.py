"""``clone_model``: a model with the same architecture and new weights, as Keras 3's
``keras.models.clone_model`` makes it.

- ``Sequential``: each layer is cloned (by default ``layer.__class__.from_config(layer.get_config())``,
  which draws new weights) and stacked in a new ``Sequential`` with the same name; its ``Input``
  (if any) is recreated, or replaced by ``input_tensors``.
- functional: the graph of layer calls is replayed on new ``Input`` tensors (or on
  ``input_tensors``), each layer replaced by its clone; a layer called several times (shared) is
  cloned once and stays shared.
- subclassed: the model is rebuilt from its config (``get_config``/``from_config``); it has no
  graph to clone layer by layer, so ``input_tensors`` and ``clone_function`` are refused, as Keras
  refuses them.

The clone's weights are new (freshly initialised); copy them with
``clone.set_weights(model.get_weights())`` to get the same values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.layers.input_layer import Input, InputLayer
from numeras.layers.layer import Layer
from numeras.symbolic import SymbolicTensor
from numeras.utils.tree import flatten, pack_sequence_as


def clone_model(
    model: Any,
    input_tensors: Any = None,
    clone_function: Callable[[Layer], Layer] | None = None,
    call_function: Callable[..., Any] | None = None,
    recursive: bool = False,
    **kwargs: Any,
) -> Any:
    """A new model with ``model``'s architecture and newly initialised weights.

    Args:
        model: a ``Sequential``, functional or subclassed ``Model``.
        input_tensors: symbolic tensors (from ``Input``) to build the clone on instead of new
            inputs; one per model input, in the model's input structure.
        clone_function: ``layer -> new layer``, called for every layer (not the ``Input`` layers);
            the default builds each layer anew from its config. Return the layer itself to share it.
        call_function: ``(layer, *args, **kwargs) -> outputs``, how each cloned layer is called
            in a functional model (default: ``layer(*args, **kwargs)``); e.g. to insert a layer.
        recursive: clone the layers of nested Sequential and functional models one by one with
            ``clone_function`` too (instead of cloning each nested model as one layer).
        **kwargs: for a subclassed model, arguments that override its config.
    """
    from numeras.models.functional import Functional
    from numeras.models.sequential import Sequential

    if kwargs and isinstance(model, (Sequential, Functional)):
        raise ValueError(
            f"clone_model: extra keyword arguments {sorted(kwargs)} only override the config of a "
            f"subclassed model; model '{model.name}' is a {type(model).__name__}."
        )
    clone_layer = _layer_cloner(clone_function, call_function, recursive)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "clone_model: `call_function` applies to functional models only; model "
                f"'{model.name}' is a Sequential. Clone it with clone_function, or build a functional model."
            )
        return _clone_sequential(model, input_tensors, clone_layer)
    if isinstance(model, Functional):
        return _clone_functional(model, input_tensors, clone_layer, call_function)
    if not isinstance(model, Layer) or not callable(getattr(model, "compile", None)):
        raise ValueError(
            f"clone_model: `model` must be a numeras Model (Sequential, functional or subclassed), "
            f"received {model!r} of type {type(model).__name__}."
        )
    if input_tensors is not None or clone_function is not None or call_function is not None:
        raise ValueError(
            f"clone_model: model '{model.name}' is a subclassed model ({type(model).__name__}), which "
            "is cloned from its config: `input_tensors`, `clone_function` and `call_function` need a "
            "Sequential or functional model. Pass only the model (and config overrides as keyword arguments)."
        )
    from numeras import saving

    # As Keras: serialize and deserialize, so the clone is also built from the build config.
    config = saving.serialize_keras_object(model)
    config["config"] = {**config["config"], **kwargs}
    try:
        return saving.deserialize_keras_object(config, custom_objects={type(model).__name__: type(model)})
    except TypeError as error:
        raise TypeError(
            f"clone_model: could not rebuild the subclassed model {type(model).__name__} from its "
            f"config ({error}). Give it a get_config() that returns its constructor arguments, or a "
            "from_config()."
        ) from None


def _default_clone(layer: Layer) -> Layer:
    return type(layer).from_config(layer.get_config())


def _layer_cloner(
    clone_function: Callable[[Layer], Layer] | None, call_function: Any, recursive: bool
) -> Callable[[Layer], Layer]:
    from numeras.models.functional import Functional
    from numeras.models.sequential import Sequential

    clone = clone_function or _default_clone

    def clone_layer(layer: Layer) -> Layer:
        if recursive and isinstance(layer, (Sequential, Functional)):
            return clone_model(layer, clone_function=clone_function, call_function=call_function, recursive=True)
        new = clone(layer)
        if not isinstance(new, Layer):
            raise ValueError(
                f"clone_model: `clone_function` must return a Layer, but for layer '{layer.name}' it "
                f"returned {new!r} of type {type(new).__name__}."
            )
        return new

    return clone_layer


def _clone_sequential(model: Any, input_tensors: Any, clone_layer: Callable[[Layer], Layer]) -> Any:
    from numeras.models.sequential import Sequential

    layers = list(model.layers)
    input_layer = model._input_layer()
    if input_tensors is not None:
        flat = flatten(input_tensors)
        if len(flat) != 1 or not isinstance(flat[0], SymbolicTensor):
            raise ValueError(
                f"clone_model: a Sequential model has one input, so `input_tensors` must be one "
                f"symbolic tensor from numeras.Input, received {input_tensors!r}."
            )
        if not isinstance(flat[0]._keras_history[0], InputLayer):
            raise ValueError(
                "clone_model: a Sequential model's `input_tensors` must be an Input tensor (numeras.Input), "
                f"received {flat[0]!r}, the output of layer '{flat[0]._keras_history[0].name}'."
            )
        start: list[Any] = [flat[0]]
    elif input_layer is not None:
        start = [Input(batch_shape=input_layer.batch_shape, dtype=input_layer.dtype, name=input_layer.name)]
    else:
        start = []
    cloned = [clone_layer(layer) for layer in layers if not isinstance(layer, InputLayer)]
    return Sequential(start + cloned, trainable=model.trainable, name=model.name)


def _clone_functional(
    model: Any, input_tensors: Any, clone_layer: Callable[[Layer], Layer], call_function: Any
) -> Any:
    from numeras.models.functional import Functional, _functional_like_constructor

    if input_tensors is None:
        new_inputs = [
            Input(batch_shape=tensor.shape, dtype=tensor.dtype, name=tensor._keras_history[0].name)
            for tensor in model._inputs
        ]
    else:
        new_inputs = flatten(input_tensors)
        if len(new_inputs) != len(model._inputs) or not all(isinstance(t, SymbolicTensor) for t in new_inputs):
            raise ValueError(
                f"clone_model: model '{model.name}' has {len(model._inputs)} input(s), so `input_tensors` "
                f"must hold as many symbolic tensors (from numeras.Input); received {input_tensors!r}."
            )
    clones: dict[int, Layer] = {}

    def cloned(layer: Layer) -> Layer:
        if id(layer) not in clones:  # a shared layer is cloned once and stays shared
            clones[id(layer)] = clone_layer(layer)
        return clones[id(layer)]

    def run_node(node: Any, inputs: Any, args: tuple, call_kwargs: dict) -> Any:
        layer = cloned(node.layer)
        if call_function is not None:
            return call_function(layer, inputs, *args, **call_kwargs)
        return layer(inputs, *args, **call_kwargs)

    from numeras.symbolic.function import _split_values

    outputs = model._run_through_graph(new_inputs, run_node, _split_values)
    inputs = pack_sequence_as(model._inputs_struct, new_inputs)
    cls = type(model)
    if cls is not Functional and _functional_like_constructor(cls):
        return cls(inputs, outputs, name=model.name)
    return Functional(inputs, outputs, name=model.name, trainable=model.trainable)
