"""``Sequential``: a model whose layers run one after the other."""

from __future__ import annotations

from typing import Any

from numeras.autodiff import Tensor
from numeras.layers.input_layer import InputLayer
from numeras.layers.layer import Layer
from numeras.models.model import Model
from numeras.symbolic import SymbolicTensor


class Sequential(Model):
    """A plain stack of layers, each taking the previous one's output.

    The input shape comes from an ``Input``, from ``input_shape=`` on the first layer, or from
    the first data the model sees; weights are created as soon as it is known.
    """

    def __init__(self, layers: list | None = None, trainable: bool = True, name: str | None = None) -> None:
        super().__init__(trainable=trainable, name=name)
        self._sequence: list[Layer] = []
        self._symbolic_output: Any = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._build_if_input_known()

    # -- structure ------------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The layers, without the InputLayer (as in Keras)."""
        return [layer for layer in self._sequence if not isinstance(layer, InputLayer)]

    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append ``layer`` (or an ``Input``) to the stack."""
        if isinstance(layer, SymbolicTensor):
            layer = layer._keras_history[0]
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add: expected a layer instance such as layers.Dense(10), received "
                f"{layer!r} of type {type(layer).__name__}."
            )
        if isinstance(layer, InputLayer):
            if self._sequence:
                raise ValueError(
                    "Sequential.add: an Input can only be the first entry of a Sequential model; "
                    f"the model already has layers {[existing.name for existing in self._sequence]}."
                )
        elif not self._sequence and layer._batch_input_shape is not None:
            # The legacy input_shape= on the first layer stands for an Input.
            self._append(InputLayer(batch_shape=layer._batch_input_shape, dtype=layer.dtype))
        names = {existing.name for existing in self._sequence}
        if layer.name in names:
            raise ValueError(
                f"Sequential.add: a layer named {layer.name!r} is already in the model; layer "
                "names must be unique. Give the new layer another name= ."
            )
        self._append(layer)
        if rebuild:
            self._build_if_input_known()

    def _append(self, layer: Layer) -> None:
        self._sequence.append(layer)
        self._track_layer(layer)

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self.layers:
            raise IndexError("Sequential.pop: the model has no layers to remove.")
        layer = self._sequence.pop()
        self._tracked_layers.remove(layer)
        if rebuild:
            self.built = False
            self._build_if_input_known()
        return layer

    def _input_layer(self) -> InputLayer | None:
        if self._sequence and isinstance(self._sequence[0], InputLayer):
            return self._sequence[0]
        return None

    def _expected_input_shape(self) -> tuple | None:
        input_layer = self._input_layer()
        if input_layer is not None:
            return input_layer.batch_shape
        return self._build_input_shape

    def _build_if_input_known(self) -> None:
        input_layer = self._input_layer()
        if input_layer is not None and len(self._sequence) > 1:
            self.build(input_layer.batch_shape)

    # -- lifecycle ------------------------------------------------------------------------
    def build(self, input_shape: Any = None) -> None:
        """Build every layer in turn, passing each its predecessor's output shape."""
        if input_shape is None:
            input_layer = self._input_layer()
            if input_layer is None:
                raise ValueError(
                    "Sequential.build: the input shape is unknown. Pass it, e.g. "
                    "model.build((None, 784)), or start the model with layers.Input(shape=(784,))."
                )
            input_shape = input_layer.batch_shape
        shape = tuple(input_shape)
        self._build_input_shape = shape
        existing = {id(variable) for variable in self.weights}
        input_layer = self._input_layer()
        if input_layer is not None and shape == input_layer.batch_shape:
            # With a known Input, the stack is also recorded as a graph (as Keras 3 does), so
            # `model.input` and `layer.output` can feed a functional model, e.g. to see activations.
            tensor = input_layer.output
            for layer in self.layers:
                tensor = layer(tensor)
            self._symbolic_output = tensor
            shape = tensor.shape
        else:
            for layer in self.layers:
                layer._ensure_built(shape)
                shape = layer.compute_output_shape(shape)
                layer._output_shape = shape
        self._output_shape = shape
        self.built = True
        # Keras 3 builds a Sequential's layers inside the model's name scope: a weight created now
        # has the path "<model>/<layer>/<weight>" (a nested Sequential adds its own name first).
        for variable in self.weights:
            if id(variable) not in existing:
                variable.path = f"{self.name}/{variable.path}"

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        if mask is not None and isinstance(inputs, Tensor) and inputs._keras_mask is None:
            inputs._keras_mask = mask  # the mask travels with the tensor through the layers
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs, training=training)
        return outputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = layer.compute_output_shape(shape)
        return shape

    @property
    def input(self) -> Any:
        """The symbolic input (known once the model starts with an Input or input_shape=)."""
        input_layer = self._input_layer()
        if input_layer is None:
            raise AttributeError(
                f"Sequential '{self.name}' has no defined input: start it with layers.Input(shape) "
                "or give input_shape= to its first layer."
            )
        return input_layer.output

    @property
    def output(self) -> Any:
        """The symbolic output of the last layer (after the model is built from its Input)."""
        if self._symbolic_output is None:
            raise AttributeError(
                f"Sequential '{self.name}' has no defined output yet: start it with "
                "layers.Input(shape) or give input_shape= to its first layer."
            )
        return self._symbolic_output

    @property
    def inputs(self) -> list:
        return [self.input]

    @property
    def outputs(self) -> list:
        return [self.output]

    @property
    def input_shape(self) -> tuple | None:
        return self._expected_input_shape()

    # -- configuration --------------------------------------------------------------------
    def get_config(self) -> dict:
        from numeras import layers as layers_module

        return {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": self.dtype,
            "layers": [layers_module.serialize(layer) for layer in self._sequence],
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Sequential:
        from numeras import layers as layers_module

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config.get("layers", []):
            model.add(layers_module.deserialize(layer_config, custom_objects=custom_objects), rebuild=False)
        model._build_if_input_known()
        return model
