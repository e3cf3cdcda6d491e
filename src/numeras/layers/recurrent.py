"""Keras 3's recurrent layers: ``RNN`` over any cell, and ``SimpleRNN``, ``LSTM``, ``GRU``.

``RNN(cell)`` runs a cell over the time axis of (batch, timesteps, features) inputs, with Keras's
options: ``return_sequences``, ``return_state``, ``go_backwards`` (outputs stay in processing
order, as Keras), ``stateful`` (the final states of one call start the next; ``reset_states()``),
``unroll`` (accepted; the result is the same), ``zero_output_for_mask``, ``initial_state`` in
``call`` and masks (the input's ``_keras_mask`` or ``mask=``: a masked step carries the states
over and repeats the previous output).

Over a ``StackedRNNCells`` the states are nested per cell, as Keras 3: two LSTMCells give
``[output, [h1, c1], [h2, c2]]`` with ``return_state=True``, and ``initial_state`` takes that form.

Two ways to run a sequence:

- the fast path: the standard cells (``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``) with tanh
  activations and sigmoid gates run as one fused op per sequence
  (``numeras.autodiff.ops.recurrent``);
- the reference path: any other cell (user cells with ``state_size``, ``StackedRNNCells``, other
  activations) runs step by step in Python with numeras ops, differentiated by the engine.

Weights live on the cell (``lstm/lstm_cell/kernel``), so weight files match Keras's layout
(``layers/lstm/cell/vars/0``).
"""

from __future__ import annotations

from typing import Any

from numeras import activations, constraints, initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import cast, concatenate, constant, getitem, reshape, where
from numeras.autodiff.ops.recurrent import gru as _fused_gru
from numeras.autodiff.ops.recurrent import lstm as _fused_lstm
from numeras.autodiff.ops.recurrent import simple_rnn as _fused_simple_rnn
from numeras.backend import xp
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer
from numeras.layers.rnn_cells import (
    DropoutRNNCell,
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    StackedRNNCells,
    _call_cell,
)
from numeras.layers.serialization import deserialize, serialize
from numeras.utils.tree import flatten, map_structure, pack_sequence_as

_TANH, _SIGMOID = activations.get("tanh"), activations.get("sigmoid")


def _flat_sizes(state_size: Any) -> list:
    if isinstance(state_size, (list, tuple)):
        out = []
        for size in state_size:
            out.extend(_flat_sizes(size))
        return out
    return [int(state_size)]


def check_sequence_shape(layer: Layer, shape: Any) -> None:
    """A clear error for inputs that are not (batch, timesteps, features)."""
    shape = tuple(shape)
    if len(shape) == 3:
        return
    if len(shape) == 2:
        hint = (
            f" Add a time axis: Reshape(({shape[1]}, 1)) to read one feature per step, or start "
            "with an Embedding layer for integer word/character ids (its output is 3D)."
        )
    else:
        hint = " Reshape the data so the axes are (batch, timesteps, features)."
    raise ValueError(
        f"Layer '{layer.name}' ({type(layer).__name__}) expects inputs of shape "
        f"(batch, timesteps, features), received an input of shape {shape}.{hint}"
    )


class RNN(Layer):
    """Runs ``cell`` over the time axis of its inputs (see the module docstring)."""

    def __init__(
        self, cell: Any, return_sequences: bool = False, return_state: bool = False,
        go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
        zero_output_for_mask: bool = False, **kwargs: Any,
    ) -> None:
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell, dtype=kwargs.get("dtype"))
        if "call" not in dir(cell):
            raise ValueError(f"RNN: `cell` must have a `call(inputs, states)` method, received {cell!r}.")
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError("RNN: the cell must have a `state_size` attribute (an integer, or a list of integers: one per state).")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self._state_values: list | None = None
        self._state_structure: Any = None
        self._stateful_batch: int | None = None

    # -- sizes -----------------------------------------------------------------------------
    @property
    def state_size(self) -> list:
        """Keras's ``RNN.state_size``: the cell's as a list (``[units]`` for one state); nested
        per cell for a ``StackedRNNCells`` (``[[3, 3], 2]`` for an LSTMCell and a GRUCell)."""
        size = self.cell.state_size
        return list(size) if isinstance(size, (list, tuple)) else [int(size)]

    @property
    def _flat_state_sizes(self) -> list:
        return _flat_sizes(self.cell.state_size)

    @property
    def _output_size(self) -> int:
        size = getattr(self.cell, "output_size", None)
        return int(size) if size is not None else self._flat_state_sizes[0]

    # -- stateful --------------------------------------------------------------------------
    @property
    def states(self) -> list | None:
        """The carried states of a stateful layer (None before its first call), in the structure
        of ``get_initial_state`` (nested per cell for a ``StackedRNNCells``)."""
        if self._state_values is None:
            return None
        return pack_sequence_as(self._state_structure, [Tensor(v) for v in self._state_values])

    def reset_states(self, states: Any = None) -> None:
        """Set a stateful layer's states to zeros (or to ``states``)."""
        if not self.stateful:
            raise AttributeError(f"Layer '{self.name}' must be stateful (stateful=True) to reset its states.")
        if self._state_values is None:
            return
        if states is None:
            for value in self._state_values:
                value[...] = 0
            return
        given = flatten(states if isinstance(states, (list, tuple)) else [states])
        if len(given) != len(self._state_values):
            raise ValueError(
                f"Layer '{self.name}': reset_states(states) needs {len(self._state_values)} state tensor(s) "
                f"(sizes {self._flat_state_sizes}), received {len(given)}."
            )
        for value, new in zip(self._state_values, given):
            value[...] = new.data if isinstance(new, Tensor) else xp.asarray(new)

    reset_state = reset_states

    def _stateless_error(self, shape: Any) -> ValueError:
        return ValueError(
            f"Layer '{self.name}' ({type(self).__name__}) has stateful=True, so it carries states "
            f"from one batch to the next and needs a fixed batch size, but its input shape {tuple(shape)} "
            "has none. Give the batch size: layers.Input(batch_shape=(batch, timesteps, features)) "
            "(or Input(shape=..., batch_size=batch)), and fit/predict with that batch_size."
        )

    # -- building --------------------------------------------------------------------------
    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        check_sequence_shape(self, sequences_shape)
        if self.stateful and sequences_shape[0] is not None:
            self._stateful_batch = int(sequences_shape[0])
        elif self.stateful and self._batch_input_shape is not None and self._batch_input_shape[0] is not None:
            self._stateful_batch = int(self._batch_input_shape[0])
        step_shape = (sequences_shape[0], *tuple(sequences_shape)[2:])
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell._ensure_built(step_shape)
        elif not isinstance(self.cell, Layer) and hasattr(self.cell, "build"):
            self.cell.build(step_shape)
        for weight in getattr(self.cell, "weights", []):
            if not weight.path.startswith(f"{self.name}/"):
                weight.path = f"{self.name}/{weight.path}"

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        check_sequence_shape(self, sequences_shape)
        batch = sequences_shape[0]
        if self.stateful and batch is None and self._stateful_batch is None:
            raise self._stateless_error(sequences_shape)
        if self.return_sequences:
            output = (batch, sequences_shape[1], self._output_size)
        else:
            output = (batch, self._output_size)
        if self.return_state:
            # As Keras: an integer size gives one shape, a list (a stacked cell's) a list of shapes.
            states = [
                [(batch, n) for n in size] if isinstance(size, (list, tuple)) else (batch, size)
                for size in self.state_size
            ]
            return [output, *states]
        return output

    def symbolic_output_shapes(self, input_shape: Any, args: tuple, kwargs: dict) -> Any:
        # A stack's symbolic initial states are checked when the graph is built, as Keras does.
        initial_state = kwargs.get("initial_state")
        if initial_state is not None and isinstance(self.cell, StackedRNNCells):
            self.cell.check_states(
                list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state],
                tuple(input_shape)[0], "initial_state", f"Layer '{self.name}' ({type(self).__name__})",
            )
        return super().symbolic_output_shapes(input_shape, args, kwargs)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(self.state_size)
        return output_mask

    def get_initial_state(self, batch_size: int) -> list:
        own = getattr(self.cell, "get_initial_state", None)
        if own is not None:
            states = own(batch_size=batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        return [Tensor(xp.zeros((batch_size, n), dtype=self.dtype)) for n in self._flat_state_sizes]

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, inputs: Any, *args: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        # Keras also accepts [sequences, *initial_states] as one list.
        if isinstance(inputs, (list, tuple)) and initial_state is None and len(inputs) > 1:
            inputs, initial_state = inputs[0], list(inputs[1:])
        if initial_state is not None:
            kwargs["initial_state"] = initial_state
        return super().__call__(inputs, *args, **kwargs)

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: Any = None) -> Any:
        check_sequence_shape(self, sequences.shape)
        if sequences.data.dtype.kind != "f":
            sequences = cast(sequences, self.dtype)
        batch, steps = sequences.shape[0], sequences.shape[1]
        if self.stateful:
            initial_state = self._stateful_initial_state(batch, initial_state)
        if initial_state is None:
            initial_state = self.get_initial_state(batch)
        initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        initial_state = map_structure(
            lambda s: s if isinstance(s, Tensor) else Tensor(xp.asarray(s, dtype=sequences.data.dtype)), initial_state
        )
        if isinstance(self.cell, StackedRNNCells):
            initial_state = self.cell.check_states(
                initial_state, batch, "initial_state", f"Layer '{self.name}' ({type(self).__name__})"
            )
        elif len(initial_state) != len(self._flat_state_sizes):
            raise ValueError(
                f"Layer '{self.name}' ({type(self).__name__}) has {len(self._flat_state_sizes)} state(s) of sizes "
                f"{self._flat_state_sizes}, but `initial_state` holds {len(initial_state)} tensor(s)."
            )
        if mask is not None:
            mask_array = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
            if isinstance(mask_array, xp.ndarray) and mask_array.dtype == object:
                raise ValueError(f"Layer '{self.name}': `mask` must be a boolean (batch, timesteps) array.")
            if tuple(mask_array.shape) != (batch, steps):
                raise ValueError(
                    f"Layer '{self.name}' ({type(self).__name__}) received a mask of shape "
                    f"{tuple(mask_array.shape)} for inputs of shape {tuple(sequences.shape)}; a recurrent "
                    f"layer's mask is (batch, timesteps) = {(batch, steps)}: True for the steps that count."
                )
            mask = mask_array.astype(bool, copy=False)
        drawing = bool(training) and isinstance(self.cell, (DropoutRNNCell, StackedRNNCells))
        if drawing:
            self.cell.draw_dropout_masks(batch, sequences.shape[-1], sequences.data.dtype)
        try:
            fused = self._fused_kind()
            if fused is not None:
                output, states = self._run_fused(fused, sequences, initial_state, mask, training)
            else:
                output, states = self._run_steps(sequences, initial_state, mask, training)
        finally:
            if drawing:
                self.cell.reset_dropout_masks()
        if self.stateful:
            for value, state in zip(self._state_values, flatten(states)):
                value[...] = state.data
        if self.return_state:
            return [output, *states]
        return output

    def _stateful_initial_state(self, batch: int, initial_state: Any) -> Any:
        if self._stateful_batch is not None and batch != self._stateful_batch:
            raise ValueError(
                f"Layer '{self.name}' is stateful with batch size {self._stateful_batch}, received a batch "
                f"of {batch} sequences. Feed batches of exactly {self._stateful_batch} (e.g. "
                f"fit(..., batch_size={self._stateful_batch}, shuffle=False) with a sample count that "
                "divides evenly)."
            )
        if self._state_values is None:
            self._stateful_batch = batch
            initial = self.get_initial_state(batch)
            self._state_structure = initial
            self._state_values = [xp.array(s.data) for s in flatten(initial)]
        if initial_state is not None:
            return initial_state
        return pack_sequence_as(self._state_structure, [Tensor(v.copy()) for v in self._state_values])

    def _fused_kind(self) -> str | None:
        cell = self.cell
        kind = {SimpleRNNCell: "simple_rnn", LSTMCell: "lstm", GRUCell: "gru"}.get(type(cell))
        if kind is None or cell.activation is not _TANH:
            return None
        if kind != "simple_rnn" and cell.recurrent_activation is not _SIGMOID:
            return None
        return kind

    def _run_fused(self, kind: str, sequences: Tensor, initial_state: list, mask: Any, training: Any) -> tuple:
        cell = self.cell
        options = dict(
            input_dropout_mask=cell._input_dropout_mask if training else None,
            recurrent_dropout_mask=cell._recurrent_dropout_mask if training else None,
            go_backwards=self.go_backwards, return_sequences=self.return_sequences,
            zero_output_for_mask=self.zero_output_for_mask,
        )
        bias = cell.bias if cell.use_bias else None
        if kind == "simple_rnn":
            output, *states = _fused_simple_rnn(sequences, cell.kernel, cell.recurrent_kernel, bias,
                                                initial_state[0], mask, **options)
        elif kind == "lstm":
            output, *states = _fused_lstm(sequences, cell.kernel, cell.recurrent_kernel, bias,
                                          initial_state, mask, **options)
        else:
            output, *states = _fused_gru(sequences, cell.kernel, cell.recurrent_kernel, bias,
                                         initial_state[0], mask, reset_after=cell.reset_after, **options)
        return output, list(states)

    def _run_steps(self, sequences: Tensor, initial_state: list, mask: Any, training: Any) -> tuple:
        """The reference path: the cell called once per step."""
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        states = list(initial_state)
        is_stack = isinstance(self.cell, StackedRNNCells)
        previous_output = None
        outputs = []
        for t in order:
            step_input = getitem(sequences, (slice(None), t))
            if is_stack:  # one entry per cell, in the form given (also for a one-cell stack)
                output, new_states = self.cell.call_per_cell(step_input, states, training)
            else:
                output, new_states = _call_cell(self.cell, step_input, states, training)
                new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
            if mask is not None:
                keep = constant(mask[:, t:t + 1])
                new_states = pack_sequence_as(
                    new_states, [where(keep, new, old) for new, old in zip(flatten(new_states), flatten(states))]
                )
                if previous_output is None:
                    previous_output = Tensor(xp.zeros(output.shape, dtype=output.data.dtype))
                fallback = Tensor(xp.zeros(output.shape, dtype=output.data.dtype)) if self.zero_output_for_mask else previous_output
                output = where(keep, output, fallback)
                if not self.zero_output_for_mask:
                    previous_output = output
            states = new_states
            outputs.append(output)
        if self.return_sequences:
            stacked = concatenate([reshape(o, (o.shape[0], 1, *o.shape[1:])) for o in outputs], axis=1)
            return stacked, states
        return outputs[-1], states

    # -- configuration ---------------------------------------------------------------------
    def _rnn_flags(self) -> dict:
        return {
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

    def get_config(self) -> dict:
        return {**super().get_config(), **self._rnn_flags(), "cell": serialize(self.cell)}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> RNN:
        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = deserialize(cell, custom_objects=custom_objects)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(cell, **config)


_CELL_KEYS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed",
)


_RNN_FLAGS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")


class _StandardRNN(RNN):
    """SimpleRNN, LSTM and GRU: an ``RNN`` over their own cell, configured with the cell's arguments."""

    cell_class: type = SimpleRNNCell
    cell_name = "simple_rnn_cell"
    extra_cell_keys: tuple = ()

    def _setup(self, arguments: dict) -> None:
        """Build from the constructor's own arguments (its ``locals()``, taken first thing): the
        RNN flags go to ``RNN``, the activity regularizer and ``**kwargs`` to the layer, the rest
        to the cell."""
        arguments = {k: v for k, v in arguments.items() if k not in ("self", "__class__", "use_cudnn")}
        kwargs = dict(arguments.pop("kwargs"), activity_regularizer=arguments.pop("activity_regularizer"))
        kwargs.pop("implementation", None)
        kwargs.pop("use_cudnn", None)
        rnn_arguments = {name: arguments.pop(name) for name in _RNN_FLAGS}
        cell = self.cell_class(
            name=self.cell_name, dtype=kwargs.get("dtype"), trainable=kwargs.get("trainable", True), **arguments
        )
        RNN.__init__(self, cell, **rnn_arguments, **kwargs)

    def __getattr__(self, name: str) -> Any:
        # units, activation, kernel_initializer, ... read from the cell, as Keras's properties.
        if name in (*_CELL_KEYS, *self.extra_cell_keys, "kernel", "recurrent_kernel", "bias"):
            cell = self.__dict__.get("cell")
            if cell is not None:
                return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def get_config(self) -> dict:
        cell = self.cell
        config = {
            **Layer.get_config(self),
            **self._rnn_flags(),
            "units": cell.units,
            "activation": activations.serialize(cell.activation),
            "recurrent_activation": activations.serialize(cell.recurrent_activation),
            "use_bias": cell.use_bias,
            "kernel_initializer": initializers.serialize(cell.kernel_initializer),
            "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
            "bias_initializer": initializers.serialize(cell.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(cell.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(cell.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(cell.bias_regularizer),
            "activity_regularizer": _serialize_regularizer(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(cell.kernel_constraint),
            "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
            "bias_constraint": constraints.serialize(cell.bias_constraint),
            "dropout": cell.dropout,
            "recurrent_dropout": cell.recurrent_dropout,
            "seed": cell.seed,
        }
        for key in self.extra_cell_keys:
            config[key] = getattr(cell, key)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> RNN:
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(**config)


class SimpleRNN(_StandardRNN):
    """A fully connected RNN whose output is fed back as the next step's state (Keras's SimpleRNN)."""

    cell_class = SimpleRNNCell
    cell_name = "simple_rnn_cell"

    def __init__(
        self, units: int, activation: Any = "tanh",
        use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
        bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
        recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
        recurrent_dropout: float = 0.0, seed: Any = None, return_sequences: bool = False,
        return_state: bool = False, go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
        zero_output_for_mask: bool = False, use_cudnn: Any = "auto", **kwargs: Any,
    ) -> None:
        kwargs.pop("recurrent_activation", None)  # in saved configs; SimpleRNN has none
        self._setup(locals())

    def get_config(self) -> dict:
        config = super().get_config()
        del config["recurrent_activation"], config["seed"]
        return config


class LSTM(_StandardRNN):
    """Long Short-Term Memory (Hochreiter & Schmidhuber, 1997), Keras 3's LSTM."""

    cell_class = LSTMCell
    cell_name = "lstm_cell"
    extra_cell_keys = ("unit_forget_bias",)

    def __init__(
        self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
        use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
        bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
        recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
        recurrent_dropout: float = 0.0, seed: Any = None, return_sequences: bool = False,
        return_state: bool = False, go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
        zero_output_for_mask: bool = False, use_cudnn: Any = "auto",
        unit_forget_bias: bool = True, **kwargs: Any,
    ) -> None:
        self._setup(locals())


class GRU(_StandardRNN):
    """Gated Recurrent Unit (Cho et al., 2014), Keras 3's GRU (``reset_after=True`` by default)."""

    cell_class = GRUCell
    cell_name = "gru_cell"
    extra_cell_keys = ("reset_after",)

    def __init__(
        self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
        use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
        bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
        recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
        recurrent_dropout: float = 0.0, seed: Any = None, return_sequences: bool = False,
        return_state: bool = False, go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
        zero_output_for_mask: bool = False, use_cudnn: Any = "auto",
        reset_after: bool = True, **kwargs: Any,
    ) -> None:
        self._setup(locals())


__all__ = ["GRU", "LSTM", "RNN", "SimpleRNN"]
