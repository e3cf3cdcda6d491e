"""Recurrent cells (Keras 3's ``SimpleRNNCell``, ``LSTMCell``, ``GRUCell``, ``StackedRNNCells``).

A cell computes one time step: ``call(inputs, states, training=None) -> (output, new_states)``
with numeras ops, so ``RNN`` can run any cell step by step and the engine differentiates it (the
reference path). ``RNN`` recognises these three standard cells and runs a whole sequence with
the fused ops of ``numeras.autodiff.ops.recurrent`` instead (the fast path); both read the same
weights (Keras's names, shapes and gate order: LSTM (i, f, c, o), GRU (z, r, h)) and the same
dropout masks.

Dropout as Keras's ``DropoutRNNCell``: the masks are drawn once per sequence (by ``RNN`` before
the first step, from the cell's seeded generator) and stay fixed over time. LSTM and GRU cells
with ``recurrent_dropout`` use one mask per gate (Keras's ``implementation=1``).
"""

from __future__ import annotations

from typing import Any

from numeras import activations, backend, constraints, initializers
from numeras.autodiff import Tensor
from numeras.autodiff.ops import add, constant, getitem, matmul, multiply, subtract
from numeras.backend import xp
from numeras.layers.core import _serialize_regularizer
from numeras.layers.layer import Layer, _get_regularizer
from numeras.layers.serialization import deserialize, serialize
from numeras.utils.tree import flatten


def _check_units(cell: str, units: Any) -> int:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"{cell}: `units` must be a positive integer, received units={units!r}.")
    return units


def _rate(name: str, value: Any) -> float:
    return min(1.0, max(0.0, float(value)))


class DropoutRNNCell:
    """What a cell with ``dropout``/``recurrent_dropout`` shares: drawing the per-sequence masks.

    ``draw_dropout_masks`` is called once per sequence by ``RNN``; the masks (arrays with the
    inverted-dropout scale 1 / (1 - rate), shape (B, F) or (gates, B, F)) stay on the cell until
    ``reset_dropout_masks``.
    """

    dropout_mask_count = 1
    _input_dropout_mask = None
    _recurrent_dropout_mask = None

    def _init_dropout(self, dropout: float, recurrent_dropout: float, seed: Any) -> None:
        self.dropout = _rate("dropout", dropout)
        self.recurrent_dropout = _rate("recurrent_dropout", recurrent_dropout)
        self.seed = seed
        self._dropout_generator = backend.make_generator(seed) if seed is not None else None

    def _mask(self, rate: float, shape: tuple, dtype: Any):
        generator = self._dropout_generator or backend.random_generator()
        keep = backend.bernoulli_keep(generator, shape, rate)
        return xp.multiply(keep, xp.asarray(1.0 / (1.0 - rate), dtype=dtype), dtype=dtype)

    def draw_dropout_masks(self, batch: int, features: int, dtype: Any) -> None:
        """Draw this sequence's masks (only while training with a rate in (0, 1))."""
        count = self.dropout_mask_count
        shape = (batch,) if count == 1 else (count, batch)
        self._input_dropout_mask = (
            self._mask(self.dropout, (*shape, features), dtype) if 0.0 < self.dropout < 1.0 else None
        )
        self._recurrent_dropout_mask = (
            self._mask(self.recurrent_dropout, (*shape, self.units), dtype)
            if 0.0 < self.recurrent_dropout < 1.0 else None
        )

    def reset_dropout_masks(self) -> None:
        self._input_dropout_mask = None
        self._recurrent_dropout_mask = None

    def _gate_inputs(self, values: Tensor, mask: Any, gates: int) -> list:
        """``values`` times each gate's dropout mask (the same tensor ``gates`` times when none)."""
        if mask is None:
            return [values] * gates
        if mask.ndim == 2:
            return [multiply(values, constant(mask))] * gates
        return [multiply(values, constant(mask[g])) for g in range(gates)]


class _GatedCell(DropoutRNNCell, Layer):
    """The weights every standard cell has: ``kernel`` (input_dim, gates*units),
    ``recurrent_kernel`` (units, gates*units), ``bias``."""

    gates = 1

    def __init__(
        self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
        kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
        kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
        kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
        dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.units = _check_units(type(self).__name__, units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = _get_regularizer(kernel_regularizer)
        self.recurrent_regularizer = _get_regularizer(recurrent_regularizer)
        self.bias_regularizer = _get_regularizer(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.kernel: Any = None
        self.recurrent_kernel: Any = None
        self.bias: Any = None

    @property
    def state_size(self) -> Any:
        return self.units

    @property
    def output_size(self) -> int:
        return self.units

    def _bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def _bias_initializer(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last axis of the input (features) must be known.")
        width = self.gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, width), name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, width), name="recurrent_kernel", initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer, constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                shape=self._bias_shape(), name="bias", initializer=self._bias_initializer(),
                regularizer=self.bias_regularizer, constraint=self.bias_constraint,
            )

    def get_initial_state(self, batch_size: int | None = None) -> list:
        count = len(self.state_size) if isinstance(self.state_size, (list, tuple)) else 1
        return [Tensor(xp.zeros((batch_size, self.units), dtype=self.dtype)) for _ in range(count)]

    def _block(self, weight: Any, gate: int) -> Tensor:
        return getitem(weight, (slice(None), slice(gate * self.units, (gate + 1) * self.units)))

    def _bias_block(self, bias: Any, gate: int) -> Tensor:
        return getitem(bias, slice(gate * self.units, (gate + 1) * self.units))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": _serialize_regularizer(self.kernel_regularizer),
            "recurrent_regularizer": _serialize_regularizer(self.recurrent_regularizer),
            "bias_regularizer": _serialize_regularizer(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class SimpleRNNCell(_GatedCell):
    """One step of a fully connected RNN: h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)."""

    def __init__(self, units, activation="tanh", use_bias=True, **kwargs) -> None:
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, use_bias=use_bias, **kwargs)

    def call(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        previous = states[0] if isinstance(states, (list, tuple)) else states
        if training and self._input_dropout_mask is not None:
            inputs = multiply(inputs, constant(self._input_dropout_mask))
        if training and self._recurrent_dropout_mask is not None:
            previous = multiply(previous, constant(self._recurrent_dropout_mask))
        z = matmul(inputs, self.kernel)
        if self.use_bias:
            z = add(z, self.bias)
        output = self.activation(add(z, matmul(previous, self.recurrent_kernel)))
        return output, [output]

    def get_config(self) -> dict:
        config = super().get_config()
        del config["recurrent_activation"]
        return config


class LSTMCell(_GatedCell):
    """One LSTM step, gates (i, f, c, o): c_t = f*c_{t-1} + i*activation(c~), h_t = o*activation(c_t).
    ``unit_forget_bias`` starts the forget gate's bias at 1 (Keras's default)."""

    gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **kwargs) -> None:
        kwargs.pop("implementation", None)
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)
        if self.recurrent_dropout != 0.0:
            self.dropout_mask_count = 4  # Keras's implementation=1: one mask per gate

    @property
    def state_size(self) -> Any:
        return [self.units, self.units]

    def _bias_initializer(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, base = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            return xp.concatenate([
                xp.asarray(base((units,), dtype=dtype)), xp.ones((units,), dtype=dtype),
                xp.asarray(base((2 * units,), dtype=dtype)),
            ])

        return forget_bias_one

    def call(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        h_prev, c_prev = states[0], states[1]
        xs = self._gate_inputs(inputs, self._input_dropout_mask if training else None, 4)
        hs = self._gate_inputs(h_prev, self._recurrent_dropout_mask if training else None, 4)
        z = []
        for g in range(4):
            part = add(matmul(xs[g], self._block(self.kernel, g)), matmul(hs[g], self._block(self.recurrent_kernel, g)))
            if self.use_bias:
                part = add(part, self._bias_block(self.bias, g))
            z.append(part)
        i = self.recurrent_activation(z[0])
        f = self.recurrent_activation(z[1])
        c = add(multiply(f, c_prev), multiply(i, self.activation(z[2])))
        o = self.recurrent_activation(z[3])
        h = multiply(o, self.activation(c))
        return h, [h, c]

    def get_config(self) -> dict:
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRUCell(_GatedCell):
    """One GRU step, gates (z, r, h): h_t = z*h_{t-1} + (1-z)*h~. ``reset_after=True`` (Keras's
    default) applies the reset gate after the recurrent product and has a (2, 3*units) bias."""

    gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 reset_after=True, **kwargs) -> None:
        kwargs.pop("implementation", None)
        super().__init__(units, activation=activation, recurrent_activation=recurrent_activation,
                         use_bias=use_bias, **kwargs)
        self.reset_after = bool(reset_after)
        if self.recurrent_dropout != 0.0:
            self.dropout_mask_count = 3

    def _bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def call(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        h_prev = states[0] if isinstance(states, (list, tuple)) else states
        xs = self._gate_inputs(inputs, self._input_dropout_mask if training else None, 3)
        hs = self._gate_inputs(h_prev, self._recurrent_dropout_mask if training else None, 3)
        if self.use_bias:
            input_bias = getitem(self.bias, 0) if self.reset_after else self.bias
            recurrent_bias = getitem(self.bias, 1) if self.reset_after else None
        x = [matmul(xs[g], self._block(self.kernel, g)) for g in range(3)]
        if self.use_bias:
            x = [add(x[g], self._bias_block(input_bias, g)) for g in range(3)]
        if self.reset_after:
            inner = [matmul(hs[g], self._block(self.recurrent_kernel, g)) for g in range(3)]
            if self.use_bias:
                inner = [add(inner[g], self._bias_block(recurrent_bias, g)) for g in range(3)]
            z = self.recurrent_activation(add(x[0], inner[0]))
            r = self.recurrent_activation(add(x[1], inner[1]))
            candidate = self.activation(add(x[2], multiply(r, inner[2])))
        else:
            z = self.recurrent_activation(add(x[0], matmul(hs[0], self._block(self.recurrent_kernel, 0))))
            r = self.recurrent_activation(add(x[1], matmul(hs[1], self._block(self.recurrent_kernel, 1))))
            candidate = self.activation(add(x[2], matmul(multiply(r, hs[2]), self._block(self.recurrent_kernel, 2))))
        h = add(multiply(z, h_prev), multiply(subtract(1.0, z), candidate))
        return h, [h]

    def get_config(self) -> dict:
        return {**super().get_config(), "reset_after": self.reset_after}


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the output of one cell to the next.

    States are nested per cell, as Keras 3: ``state_size`` is ``[cell.state_size, ...]`` (two
    LSTMCells of 3 and 2 units: ``[[3, 3], [2, 2]]``; GRUCells: ``[3, 2]``), ``get_initial_state``
    gives one entry per cell (what the cell's own ``get_initial_state`` gives: ``[h, c]`` for an
    LSTMCell, ``[h]`` for a GRUCell or SimpleRNNCell), and ``call(inputs, states)`` takes and
    returns one entry per cell. A cell's entry may be a list of its states or, for a cell with a
    single state, that one tensor; the new states keep the form they were given in. As Keras, a
    stack of one cell returns that cell's states without the per-cell list around them.
    """

    def __init__(self, cells: list, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for cell in cells:
            if "call" not in dir(cell) or not hasattr(cell, "state_size"):
                raise ValueError(
                    f"StackedRNNCells: every cell needs a `call` method and a `state_size`, received {cell!r}."
                )
        self.cells = list(cells)
        # The cells cast their own inputs: the stack passes values through in their dtype.
        self.autocast = False

    @property
    def state_size(self) -> list:
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self) -> int:
        return _cell_output_size(self.cells[-1])

    def _state_sizes(self) -> list:
        """Each cell's state sizes as a list (a single-state cell's too)."""
        return [list(size) if isinstance(size, (list, tuple)) else [size] for size in self.state_size]

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._ensure_built(shape)
            shape = (*shape[:-1], _cell_output_size(cell))

    def get_initial_state(self, batch_size: int | None = None) -> list:
        """One entry per cell: the cell's own ``get_initial_state``, else zeros (one tensor for an
        integer ``state_size``, a list for a list)."""
        states = []
        for cell in self.cells:
            own = getattr(cell, "get_initial_state", None)
            if own is not None:
                states.append(own(batch_size=batch_size))
                continue
            dtype = getattr(cell, "dtype", None) or self.dtype
            if isinstance(cell.state_size, (list, tuple)):
                states.append([Tensor(xp.zeros((batch_size, n), dtype=dtype)) for n in cell.state_size])
            else:
                states.append(Tensor(xp.zeros((batch_size, cell.state_size), dtype=dtype)))
        return states

    def check_states(self, states: Any, batch: int | None, argument: str, owner: str) -> list:
        """``states`` as a list of one entry per cell, or a clear error naming ``argument`` (of
        ``owner``) when their number or shapes are not the ones the cells expect."""
        sizes = self._state_sizes()
        expected = _describe_expected(self.cells, sizes)

        def wrong(what: str) -> ValueError:
            return ValueError(
                f"{owner}: `{argument}` for a StackedRNNCells of {len(self.cells)} cells takes one entry "
                f"per cell, as Keras: {expected} (a single-state cell's entry may also be its one tensor). "
                f"{what} Received: {_describe_states(states)}."
            )

        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            count = len(states) if isinstance(states, (list, tuple)) else 1
            hint = ""
            if isinstance(states, (list, tuple)) and len(flatten(states)) == sum(len(s) for s in sizes):
                hint = " Group the states by cell instead of passing them as one flat list."
            raise wrong(f"Expected {len(self.cells)} entries, received {count}.{hint}")
        for index, (cell_sizes, entry) in enumerate(zip(sizes, states)):
            given = list(entry) if isinstance(entry, (list, tuple)) else [entry]
            if len(given) != len(cell_sizes) or any(isinstance(g, (list, tuple)) for g in given):
                raise wrong(
                    f"Cell {index} ({type(self.cells[index]).__name__}) has {len(cell_sizes)} state(s), "
                    f"its entry holds {len(given)}."
                )
            for size, value in zip(cell_sizes, given):
                shape = tuple(getattr(value, "shape", ()))
                if len(shape) != 2 or shape[-1] != size or (batch is not None and shape[0] not in (None, batch)):
                    raise wrong(
                        f"Cell {index} ({type(self.cells[index]).__name__}) expects states of shape "
                        f"(batch{'' if batch is None else '=' + str(batch)}, {size}), received one of shape {shape}."
                    )
        return list(states)

    def call(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        inputs, new_states = self.call_per_cell(inputs, states, training)
        if len(new_states) == 1:  # Keras: a one-cell stack returns that cell's states
            new_states = new_states[0]
        return inputs, new_states

    def call_per_cell(self, inputs: Any, states: Any, training: Any = None) -> tuple:
        """``call`` whose new states are always one entry per cell (what ``RNN`` carries over)."""
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            self.check_states(states, None, "states", f"StackedRNNCells '{self.name}'")
        new_states = []
        for cell, entry in zip(self.cells, states):
            given_as_list = isinstance(entry, (list, tuple))
            inputs, updated = _call_cell(cell, inputs, list(entry) if given_as_list else [entry], training)
            updated = list(updated) if isinstance(updated, (list, tuple)) else [updated]
            new_states.append(updated[0] if len(updated) == 1 and not given_as_list else updated)
        return inputs, new_states

    def draw_dropout_masks(self, batch: int, features: int, dtype: Any) -> None:
        for cell in self.cells:
            if isinstance(cell, DropoutRNNCell):
                cell.draw_dropout_masks(batch, features, dtype)
            features = _cell_output_size(cell)

    def reset_dropout_masks(self) -> None:
        for cell in self.cells:
            if isinstance(cell, DropoutRNNCell):
                cell.reset_dropout_masks()

    def get_config(self) -> dict:
        return {**super().get_config(), "cells": [serialize(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> StackedRNNCells:
        config = dict(config)
        cells = [deserialize(c, custom_objects=custom_objects) for c in config.pop("cells")]
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        return cls(cells, **config)


def _cell_output_size(cell: Any) -> int:
    """A cell's output width: its ``output_size``, else its (first) state size (Keras's rule)."""
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size[0] if isinstance(cell.state_size, (list, tuple)) else cell.state_size


def _describe_expected(cells: list, sizes: list) -> str:
    entries = []
    for cell, cell_sizes in zip(cells, sizes):
        names = {1: ["h"], 2: ["h", "c"]}.get(len(cell_sizes), [f"s{i}" for i in range(len(cell_sizes))])
        shapes = ", ".join(f"{name} (batch, {n})" for name, n in zip(names, cell_sizes))
        entries.append(f"[{shapes}] for {type(cell).__name__}")
    return "[" + ", ".join(entries) + "]"


def _describe_states(states: Any) -> str:
    """The structure of ``states`` with each tensor shown by its shape."""
    if isinstance(states, (list, tuple)):
        return "[" + ", ".join(_describe_states(item) for item in states) + "]"
    shape = getattr(states, "shape", None)
    return f"tensor of shape {tuple(shape)}" if shape is not None else repr(states)


def _call_cell(cell: Any, inputs: Any, states: Any, training: Any) -> tuple:
    """``cell(inputs, states)`` with ``training`` when the cell's call takes it."""
    import inspect

    call = cell.call
    try:
        takes_training = "training" in inspect.signature(call).parameters
    except (TypeError, ValueError):
        takes_training = False
    kwargs = {"training": training} if takes_training else {}
    if isinstance(cell, Layer):
        return cell(inputs, states, **kwargs)
    return call(inputs, states, **kwargs)


__all__ = ["DropoutRNNCell", "GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells"]
