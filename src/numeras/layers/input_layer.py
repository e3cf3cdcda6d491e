"""Symbolic inputs: ``Input(shape)`` gives a placeholder tensor; layers called on it record nodes
(the graph the functional API and ``Sequential`` are built from)."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.layers.layer import Layer, _dtype_name, _flatten


class Node:
    """One call of ``layer`` on symbolic ``inputs`` giving symbolic ``outputs``."""

    def __init__(self, layer: Layer, inputs: Any, outputs: Any, args: tuple, kwargs: dict) -> None:
        self.layer = layer
        self.inputs = inputs
        self.outputs = outputs
        self.args = args
        self.kwargs = kwargs

    @property
    def input_tensors(self) -> list[SymbolicTensor]:
        return [t for t in _flatten(self.inputs) if isinstance(t, SymbolicTensor)]

    @property
    def output_tensors(self) -> list[SymbolicTensor]:
        return [t for t in _flatten(self.outputs) if isinstance(t, SymbolicTensor)]


class SymbolicTensor:
    """A placeholder with a shape (``None`` for the batch axis) and a dtype, but no values.

    ``_keras_history`` is (layer, node_index, tensor_index): which call produced it.
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = _dtype_name(dtype)
        self.name = name
        self._keras_history: tuple | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


KerasTensor = SymbolicTensor


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and passes its input through."""

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        batch_shape: Any = None,
        input_tensor: Any = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        legacy = kwargs.pop("input_shape", None)
        if shape is None and legacy is not None:
            shape = legacy
        legacy_batch = kwargs.pop("batch_input_shape", None)
        if batch_shape is None and legacy_batch is not None:
            batch_shape = legacy_batch
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "Input: pass `shape` (the shape of one sample, without the batch axis), e.g. "
                    "Input(shape=(784,)); received neither `shape` nor `batch_shape`."
                )
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size, *shape)
        self.batch_shape = tuple(batch_shape)
        self.sparse = bool(sparse)
        self.built = True
        self._build_input_shape = self.batch_shape
        self._output_shape = self.batch_shape
        tensor = SymbolicTensor(self.batch_shape, dtype=self.dtype, name=self.name)
        tensor._keras_history = (self, 0, 0)
        self._inbound.append(Node(self, [], tensor, (), {}))
        self.output = tensor

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.batch_shape

    def get_config(self) -> dict:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": self.sparse,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config: dict) -> InputLayer:
        config = dict(config)
        if "batch_input_shape" in config and "batch_shape" not in config:
            config["batch_shape"] = config.pop("batch_input_shape")
        config.pop("trainable", None)
        return cls(**config)


def Input(  # noqa: N802 - Keras's name
    shape: Any = None,
    batch_size: int | None = None,
    dtype: Any = None,
    sparse: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
) -> SymbolicTensor:
    """A symbolic input of per-sample ``shape``: the start of a ``Sequential`` or functional model."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype if dtype is not None else backend.floatx(),
        sparse=sparse,
        batch_shape=batch_shape,
        name=name,
    )
    return layer.output


def symbolic_call(layer: Layer, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``layer`` on placeholders: build it, infer output shapes, record the node."""
    input_shapes = _map(lambda t: t.shape, inputs)
    layer._ensure_built(input_shapes)
    output_shapes = layer.compute_output_shape(input_shapes)
    node_index = len(layer._inbound)
    counter = iter(range(1_000_000))

    def make(shape: Any) -> SymbolicTensor:
        tensor = SymbolicTensor(shape, dtype=layer.dtype, name=layer.name)
        tensor._keras_history = (layer, node_index, next(counter))
        return tensor

    outputs = _map_shapes(make, output_shapes)
    layer._inbound.append(Node(layer, inputs, outputs, args, kwargs))
    layer._output_shape = output_shapes
    return outputs


def _map(fn: Any, structure: Any) -> Any:
    if isinstance(structure, SymbolicTensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, v) for v in structure)
    if isinstance(structure, dict):
        return {k: _map(fn, v) for k, v in structure.items()}
    return structure


def _map_shapes(fn: Any, shapes: Any) -> Any:
    if isinstance(shapes, tuple) and all(n is None or isinstance(n, int) for n in shapes):
        return fn(shapes)
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_map_shapes(fn, s) for s in shapes)
    if isinstance(shapes, dict):
        return {k: _map_shapes(fn, v) for k, v in shapes.items()}
    raise ValueError(f"unexpected output shape {shapes!r}")
