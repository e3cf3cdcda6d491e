"""Symbolic inputs: ``Input(shape)`` gives a placeholder tensor (a ``SymbolicTensor`` of
``numeras.symbolic``); layers called on it record nodes, the graph the functional API and
``Sequential`` are built from. ``InputLayer`` is the layer behind it."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.layers.layer import Layer
from numeras.symbolic import SymbolicTensor
from numeras.symbolic.operation import record_input


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and passes its input through."""

    def __init__(
        self,
        shape: Any = None,
        batch_size: int | None = None,
        dtype: Any = None,
        sparse: bool | None = None,
        ragged: bool | None = None,
        batch_shape: Any = None,
        input_tensor: Any = None,
        optional: bool = False,
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
        # Keras 3's ragged and optional inputs (tf.RaggedTensor, inputs that may be None) have no
        # numeras counterpart; the arguments exist so Keras's InputLayer configs load.
        if ragged:
            raise ValueError(
                "InputLayer: numeras has no ragged tensors, so `ragged` must be False, received "
                f"ragged={ragged!r}. Pad the sequences to one length (utils.pad_sequences) instead."
            )
        if optional:
            raise ValueError(
                "InputLayer: numeras models need every input, so `optional` must be False, received "
                f"optional={optional!r}. Pass a zero tensor where the input is absent instead."
            )
        self.ragged = False
        self.optional = False
        self.built = True
        self._build_input_shape = self.batch_shape
        self._output_shape = self.batch_shape
        record_input(self, SymbolicTensor(self.batch_shape, dtype=self.dtype, name=self.name))

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.batch_shape

    def get_config(self) -> dict:
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
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
    ragged: bool | None = None,
    batch_shape: Any = None,
    name: str | None = None,
    tensor: Any = None,
    optional: bool = False,
) -> SymbolicTensor:
    """A symbolic input of per-sample ``shape``: the start of a ``Sequential`` or functional model."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype if dtype is not None else backend.floatx(),
        sparse=sparse,
        ragged=ragged,
        batch_shape=batch_shape,
        optional=optional,
        name=name,
    )
    return layer.output
