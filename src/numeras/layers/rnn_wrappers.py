"""Sequence wrappers of Keras 3: ``Bidirectional``, ``TimeDistributed`` and ``RepeatVector``.

``Bidirectional(layer)`` runs a copy of a recurrent layer forwards (``forward_layer``) and one
backwards (``backward_layer``), flips the backward outputs into time order and merges them
(``concat``, ``sum``, ``mul``, ``ave`` or None for the pair). As in Keras, the wrapped layers
output zeros at masked steps when they return sequences. ``TimeDistributed(layer)`` applies a
layer to every time step (one call on the batch and time axes folded together).
``RepeatVector(n)`` turns (batch, features) into (batch, n, features).
"""

from __future__ import annotations

from typing import Any

from numeras.autodiff import Tensor
from numeras.autodiff.ops import add, broadcast_to, cast, concatenate, getitem, multiply, reshape
from numeras.backend import xp
from numeras.layers.layer import Layer, _call_arguments
from numeras.layers.recurrent import check_sequence_shape
from numeras.layers.serialization import deserialize, serialize

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _dtype_name(config: dict) -> dict:
    config = dict(config)
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = config["dtype"].get("config", {}).get("name")
    return config


def _copy_layer(layer: Layer, **changes: Any) -> Layer:
    config = serialize(layer)
    config["config"] = {**config["config"], **changes}
    return deserialize(config, custom_objects={type(layer).__name__: type(layer)})


class Bidirectional(Layer):
    """Runs ``layer`` over the sequence in both directions and merges the two outputs."""

    def __init__(self, layer: Any, merge_mode: Any = "concat", weights: Any = None,
                 backward_layer: Any = None, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Bidirectional: `layer` must be a recurrent layer instance (e.g. LSTM(32)), received {layer!r}.")
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(f"Bidirectional: `backward_layer` must be a layer instance, received {backward_layer!r}.")
        if merge_mode not in _MERGE_MODES:
            raise ValueError(
                f"Bidirectional: `merge_mode` must be one of 'concat', 'sum', 'mul', 'ave' or None, received {merge_mode!r}."
            )
        super().__init__(**kwargs)
        # Fresh copies (no state carried over from `layer`), named as Keras names them.
        forward_name = "forward_" + layer.name.removeprefix("forward_")
        self.forward_layer = _copy_layer(layer, name=forward_name)
        if backward_layer is None:
            backward_name = "backward_" + layer.name.removeprefix("backward_")
            self.backward_layer = _copy_layer(layer, name=backward_name, go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = backward_layer
        if self.forward_layer.go_backwards == self.backward_layer.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers must have different `go_backwards`, received "
                f"{self.forward_layer.go_backwards} for both."
            )
        for attribute in ("stateful", "return_sequences", "return_state"):
            forward, backward = getattr(self.forward_layer, attribute), getattr(self.backward_layer, attribute)
            if forward != backward:
                raise ValueError(
                    f"Bidirectional: the forward and backward layers must have the same `{attribute}`, received "
                    f"{forward} (forward) and {backward} (backward)."
                )
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self.stateful = self.forward_layer.stateful
        self.return_sequences = self.forward_layer.return_sequences
        self.return_state = self.forward_layer.return_state
        if weights:
            half = len(weights) // 2
            self.forward_layer._initial_weights = weights[:half]
            self.backward_layer._initial_weights = weights[half:]

    @property
    def states(self) -> Any:
        forward, backward = getattr(self.forward_layer, "states", None), getattr(self.backward_layer, "states", None)
        if forward and backward:
            return tuple(forward + backward)
        return None

    def reset_states(self, states: Any = None) -> None:
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' must be stateful to reset its states.")
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    reset_state = reset_states

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        check_sequence_shape(self, sequences_shape)
        for sub in (self.forward_layer, self.backward_layer):
            if not sub.built:
                sub._ensure_built(sequences_shape)

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        shape = self.forward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            shape, states = shape[0], list(shape[1:])
        if self.merge_mode == "concat":
            shape = (*shape[:-1], shape[-1] * 2)
        if self.merge_mode is None:
            output = [shape, shape]
        else:
            output = [shape]
        if self.return_state:
            return [*output, *states, *states]
        return output if self.merge_mode is None else shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if self.return_sequences:
            output_mask = [mask, mask] if self.merge_mode is None else mask
        else:
            output_mask = [None, None] if self.merge_mode is None else None
        if self.return_state:
            count = len(self.forward_layer.state_size) * 2
            head = output_mask if isinstance(output_mask, list) else [output_mask]
            return head + [None] * count
        return output_mask

    def __call__(self, inputs: Any, *args: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        if initial_state is not None:
            kwargs["initial_state"] = initial_state
        return super().__call__(inputs, *args, **kwargs)

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: Any = None) -> Any:
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = list(initial_state[:half]), list(initial_state[half:])
        kwargs: dict = {}
        if _call_arguments(type(self.forward_layer)).training:
            kwargs["training"] = training
        y = self.forward_layer(sequences, mask=mask, initial_state=forward_state, **kwargs)
        y_rev = self.backward_layer(sequences, mask=mask, initial_state=backward_state, **kwargs)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        y = cast(y, self.dtype) if y.data.dtype != xp.dtype(self.dtype) else y
        y_rev = cast(y_rev, self.dtype) if y_rev.data.dtype != xp.dtype(self.dtype) else y_rev
        y._keras_mask = None
        y_rev._keras_mask = None
        if self.return_sequences:
            y_rev = getitem(y_rev, (slice(None), slice(None, None, -1)))
        if self.merge_mode == "concat":
            output = concatenate([y, y_rev], axis=-1)
        elif self.merge_mode == "sum":
            output = add(y, y_rev)
        elif self.merge_mode == "ave":
            output = multiply(add(y, y_rev), 0.5)
        elif self.merge_mode == "mul":
            output = multiply(y, y_rev)
        else:
            output = [y, y_rev]
        if self.return_state:
            return [*(output if isinstance(output, list) else [output]), *states]
        return output

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize(self.forward_layer),
            "backward_layer": serialize(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Bidirectional:
        config = _dtype_name(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        backward = config.pop("backward_layer", None)
        if backward is not None:
            config["backward_layer"] = deserialize(backward, custom_objects=custom_objects)
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step: inputs (batch, timesteps, ...) are folded into
    (batch * timesteps, ...) for one call, and the result unfolded."""

    def __init__(self, layer: Any, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed: `layer` must be a layer instance (e.g. Dense(8)), received {layer!r}.")
        super().__init__(**kwargs)
        self.layer = layer
        self.supports_masking = True

    def _check(self, shape: Any) -> None:
        if len(tuple(shape)) < 3:
            raise ValueError(
                f"Layer '{self.name}' (TimeDistributed) expects inputs of at least 3 dimensions "
                f"(batch, timesteps, ...), received shape {tuple(shape)}."
            )

    def build(self, input_shape: Any) -> None:
        self._check(input_shape)
        if not self.layer.built:
            self.layer._ensure_built((None, *tuple(input_shape)[2:]))

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check(input_shape)
        inner = self.layer.compute_output_shape((None, *tuple(input_shape)[2:]))
        return (input_shape[0], input_shape[1], *tuple(inner)[1:])

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        self._check(inputs.shape)
        batch, steps = inputs.shape[0], inputs.shape[1]
        folded = reshape(inputs, (batch * steps, *inputs.shape[2:]))
        kwargs: dict = {}
        arguments = _call_arguments(type(self.layer))
        if arguments.training:
            kwargs["training"] = training
        if mask is not None and arguments.mask:
            mask_data = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
            kwargs["mask"] = Tensor(mask_data.reshape(batch * steps, *mask_data.shape[2:]))
        outputs = self.layer(folded, **kwargs)
        return reshape(outputs, (batch, steps, *outputs.shape[1:]))

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": serialize(self.layer)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> TimeDistributed:
        config = _dtype_name(config)
        config["layer"] = deserialize(config["layer"], custom_objects=custom_objects)
        return cls(**config)


class RepeatVector(Layer):
    """Repeats its (batch, features) input ``n`` times: (batch, n, features)."""

    def __init__(self, n: int, **kwargs: Any) -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"RepeatVector: `n` must be a positive integer, received n={n!r}.")
        super().__init__(**kwargs)
        self.n = n

    def call(self, inputs: Any) -> Any:
        if inputs.ndim != 2:
            raise ValueError(
                f"Layer '{self.name}' (RepeatVector) expects inputs of shape (batch, features), "
                f"received shape {tuple(inputs.shape)}."
            )
        batch, features = inputs.shape
        return broadcast_to(reshape(inputs, (batch, 1, features)), (batch, self.n, features))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> dict:
        return {**super().get_config(), "n": self.n}
