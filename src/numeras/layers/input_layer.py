"""Symbolic inputs: ``Input(shape)`` gives a placeholder tensor; layers called on it record nodes
(the graph the functional API and ``Sequential`` are built from)."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.layers.layer import Layer
from numeras.utils.tree import flatten, map_shape_structure, map_structure


class Node:
    """One call of ``layer`` on symbolic inputs giving symbolic ``outputs``.

    ``inputs`` is the first positional argument of the call (a tensor or a structure of them),
    ``args``/``kwargs`` the other arguments. A layer called twice (a shared layer) has two nodes;
    a tensor's ``_keras_history`` names the node that made it.
    """

    def __init__(self, layer: Layer, inputs: Any, outputs: Any, args: tuple, kwargs: dict) -> None:
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
    def operation(self) -> Layer:
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
        ``values[id(tensor)]`` (a real tensor computed earlier in the graph)."""

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


class SymbolicTensor:
    """A placeholder with a shape (``None`` for the batch axis) and a dtype, but no values.

    ``_keras_history`` is (layer, node_index, tensor_index): which call produced it.
    """

    def __init__(self, shape: tuple, dtype: Any = None, name: str | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = backend.standardize_dtype(dtype)
        self.name = name
        self._keras_history: tuple | None = None

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<SymbolicTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    # Python operators record a TensorOperator layer (numeras.layers.operators), as Keras 3
    # records an operation: the result is another symbolic tensor of the model's graph.
    __array_ufunc__ = None  # NumPy scalars on the left (np.float32(2) * x) defer to __rmul__

    def __add__(self, other: Any) -> Any:
        return _operators().apply_binary("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _operators().apply_binary("add", self, other, reflected=True)

    def __sub__(self, other: Any) -> Any:
        return _operators().apply_binary("subtract", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _operators().apply_binary("subtract", self, other, reflected=True)

    def __mul__(self, other: Any) -> Any:
        return _operators().apply_binary("multiply", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _operators().apply_binary("multiply", self, other, reflected=True)

    def __truediv__(self, other: Any) -> Any:
        return _operators().apply_binary("divide", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _operators().apply_binary("divide", self, other, reflected=True)

    def __pow__(self, other: Any) -> Any:
        return _operators().apply_binary("power", self, other)

    def __rpow__(self, other: Any) -> Any:
        return _operators().apply_binary("power", self, other, reflected=True)

    def __matmul__(self, other: Any) -> Any:
        return _operators().apply_binary("matmul", self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _operators().apply_binary("matmul", self, other, reflected=True)

    def __neg__(self) -> Any:
        return _operators().apply_unary("negative", self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _operators().apply_unary("absolute", self)

    def __getitem__(self, key: Any) -> Any:
        return _operators().apply_getitem(self, key)

    def __array__(self, *_: Any, **__: Any) -> Any:
        raise TypeError(
            "A symbolic tensor (from keras.Input and layers called on it) has no values yet, so it "
            "cannot become a NumPy array. Build the model, then call it (or model.predict) on data."
        )


def _operators() -> Any:
    from numeras.layers import operators

    return operators


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
    """Call ``layer`` on placeholders: build it, infer output shapes, record the node.

    The output placeholders' ``_keras_history`` is ``(layer, node_index, tensor_index)``, where
    ``tensor_index`` counts the outputs in ``flatten`` order.
    """
    if kwargs.get("training", 0) is None:
        kwargs.pop("training")  # the default: nothing to record
    input_shapes = map_structure(lambda t: t.shape if isinstance(t, SymbolicTensor) else t, inputs)
    layer._ensure_built(input_shapes)
    output_shapes = layer.compute_output_shape(input_shapes)
    node_index = len(layer._inbound)
    try:
        outputs = map_shape_structure(
            lambda shape: SymbolicTensor(shape, dtype=layer.dtype, name=layer.name), output_shapes
        )
    except ValueError:
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}): compute_output_shape returned "
            f"{output_shapes!r} for input shape {input_shapes!r}; expected a shape such as "
            "(None, 32) or a list/dict of shapes. Fix the layer's compute_output_shape."
        ) from None
    for tensor_index, tensor in enumerate(flatten(outputs)):
        tensor._keras_history = (layer, node_index, tensor_index)
    layer._inbound.append(Node(layer, inputs, outputs, args, kwargs))
    layer._output_shape = output_shapes
    return outputs
