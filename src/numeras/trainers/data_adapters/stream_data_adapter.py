"""``StreamDataAdapter``: what the adapters for data seen one batch at a time share (Python
generators and iterators, ``PyDataset``, any other iterable of batches such as a torch
``DataLoader``, a ``tf.data.Dataset`` or ``numeras.utils.Dataset``).

Such data arrives as batches ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``. Each batch is
converted to NumPy (floating arrays as floatx), ``class_weight`` becomes its sample weights, and
its shapes are checked against the earlier batches', so a batch that changes shape is named where
it happens rather than failing inside a layer. ``steps`` (``steps_per_epoch``) bounds an epoch;
without it an epoch is one full pass. With it, an epoch continues the pass the previous one left
off (Keras 3), and a pass that ends early is reported.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.trainers.data_adapters.data_adapter import DataAdapter
from numeras.trainers.data_adapters.data_adapter_utils import (
    ClassWeights,
    leaf_paths,
    pack_x_y_sample_weight,
    scale_weights,
    unpack_x_y_sample_weight,
)
from numeras.utils.tree import map_structure

_PARTS = ("x", "y", "sample_weight")


class StreamDataAdapter(DataAdapter):
    """Base of the streamed adapters. A subclass gives ``kind`` (for messages), opens a pass with
    ``_start_pass`` (an iterator of raw batches), may give ``_pass_length`` and ``_first_raw``,
    and sets ``continues_across_epochs`` (False when each epoch must start a new pass)."""

    kind = "data"
    continues_across_epochs = True

    def __init__(self, steps: int | None = None, class_weight: Any = None, method: str = "fit") -> None:
        self._steps = int(steps) if steps else None
        self.method = method
        self._class_weights = ClassWeights(class_weight) if class_weight is not None else None
        self._pass: Iterator[Any] | None = None
        self._learned_batches: int | None = None
        self._ran_dry = False
        self._spec: list | None = None
        self._batches_seen = 0
        self._free_x_axes: set[int] = set()
        self._first: Any = None

    # -- what a subclass provides ---------------------------------------------------------
    def _start_pass(self) -> Iterator[Any]:
        raise NotImplementedError

    def _pass_length(self) -> int | None:
        """Batches in one full pass, when known."""
        return None

    def _first_raw(self) -> Any:
        """The first raw batch, without losing it for the first epoch."""
        raise NotImplementedError

    def _close_pass(self) -> None:
        self._pass = None

    # -- the DataAdapter interface ----------------------------------------------------------
    @property
    def num_batches(self) -> int | None:
        if self._steps:
            return self._steps
        length = self._pass_length()
        return length if length is not None else self._learned_batches

    @property
    def batch_size(self) -> int | None:
        return None

    @property
    def has_partial_batch(self) -> bool | None:
        return None

    @property
    def partial_batch_size(self) -> int | None:
        return None

    @property
    def ran_dry(self) -> bool:
        return self._ran_dry

    def data_to_check(self) -> tuple[Any, Any] | None:
        if self._first is None:
            raw = self._first_raw()
            if raw is None:
                return None
            self._first = self.standardize(raw, 0, remember_shapes=False)
        x, y, _ = unpack_x_y_sample_weight(self._first)
        return x, y

    def allow_variable_axes(self, model_input_shape: tuple | None) -> None:
        if model_input_shape is None or any(isinstance(d, (list, tuple)) for d in model_input_shape):
            return
        self._free_x_axes = {axis for axis, size in enumerate(model_input_shape) if size is None}

    def close(self) -> None:
        self._close_pass()

    def get_numpy_iterator(self) -> Iterator[Any]:
        self._ran_dry = False
        steps = self._steps
        fresh = self._pass is None or steps is None or not self.continues_across_epochs
        if fresh:
            self._close_pass()
            self._pass = self._start_pass()
        count = 0
        try:
            while steps is None or count < steps:
                try:
                    raw = next(self._pass)
                except StopIteration:
                    self._close_pass()
                    if count == 0 and not fresh:
                        # The pass carried over from the last epoch ended exactly there.
                        fresh = True
                        self._pass = self._start_pass()
                        continue
                    break
                yield self.standardize(raw, count)
                count += 1
        finally:
            if not self.continues_across_epochs:
                self._close_pass()
        self._ran_dry = count == 0
        if steps is None:
            self._learned_batches = count or self._learned_batches
        elif 0 < count < steps:
            warnings.warn(
                f"{self.method}: your input ran out of data after {count} of steps_per_epoch={steps} "
                f"batches in this epoch ({self.kind}). Make sure it can yield at least "
                "steps_per_epoch * epochs batches (a generator that loops with `while True:`, or "
                "a tf.data.Dataset with `.repeat()`).",
                stacklevel=3,
            )

    # -- one batch ----------------------------------------------------------------------
    def standardize(self, raw: Any, index: int, remember_shapes: bool = True) -> Any:
        """``raw`` (a tuple, list, dict or array of anything NumPy can convert) as a step
        receives it, checked against the batches before it."""
        parts = self._split(raw, index)
        parts = [None if p is None else map_structure(_to_numpy, p) for p in parts]
        self._check_batch(parts, index, remember_shapes)
        x, y, sample_weight = parts
        if self._class_weights is not None and y is not None:
            weights = self._class_weights.weights_for(y)
            sample_weight = weights if sample_weight is None else scale_weights(sample_weight, weights)
        return pack_x_y_sample_weight(x, y, sample_weight)

    def _split(self, raw: Any, index: int) -> list:
        if isinstance(raw, list):
            raw = tuple(raw)  # a DataLoader collates (x, y) into a list
        if isinstance(raw, tuple) and 1 <= len(raw) <= 3:
            return [*raw, *(None,) * (3 - len(raw))]
        if isinstance(raw, dict) or hasattr(raw, "shape"):
            return [raw, None, None]
        described = f"a tuple of {len(raw)} items" if isinstance(raw, tuple) else type(raw).__name__
        raise ValueError(
            f"{self.method}: batch {index} of the {self.kind} is {described}; each batch must be a "
            "tuple (x,), (x, y) or (x, y, sample_weight) of arrays (or a single array x)."
        )

    def _check_batch(self, parts: list, index: int, remember_shapes: bool) -> None:
        leaves = [
            (path, leaf)
            for name, part in zip(_PARTS, parts)
            for path, leaf in leaf_paths(part, name)
            if leaf is not None
        ]
        lengths = {path: (len(leaf) if leaf.ndim else 0) for path, leaf in leaves}
        if len(set(lengths.values())) > 1 or 0 in lengths.values():
            listed = ", ".join(f"{path} has {n}" for path, n in lengths.items())
            raise ValueError(
                f"{self.method}: batch {index} of the {self.kind} has inconsistent or empty sample "
                f"counts: {listed}. Every array of a batch must hold the same number (>= 1) of samples."
            )
        shapes = [(path, tuple(leaf.shape)) for path, leaf in leaves]
        if self._spec is None:
            if remember_shapes:
                self._spec = [(path, (None, *shape[1:])) for path, shape in shapes]
                self._batches_seen = 1
            return
        if [p for p, _ in shapes] != [p for p, _ in self._spec]:
            raise ValueError(
                f"{self.method}: batch {index} of the {self.kind} holds {[p for p, _ in shapes]}, but the "
                f"earlier batches held {[p for p, _ in self._spec]}. Every batch must have the same structure."
            )
        for position, ((path, shape), (_, expected)) in enumerate(zip(shapes, self._spec)):
            free = self._free_x_axes if path == "x" else ()
            if len(shape) == len(expected) and all(
                e is None or e == s or axis in free for axis, (e, s) in enumerate(zip(expected, shape))
            ):
                continue
            if remember_shapes and self._batches_seen == 1 and len(shape) == len(expected):
                # Keras's rule: an axis whose size differs between the first two batches is free.
                merged = tuple(e if e == s else None for e, s in zip(expected, shape))
                self._spec[position] = (path, merged)
                continue
            raise ValueError(
                f"{self.method}: batch {index} of the {self.kind} has {path} of shape {shape}, but the "
                f"earlier batches had {path} of shape {expected} (None: any size). Every batch must keep "
                "the shape of the first apart from its batch axis: check the generator for a sample of "
                "another size, or pad/crop the samples to one size."
            )
        if remember_shapes:
            self._batches_seen += 1


def _to_numpy(value: Any) -> Any:
    """One array of a batch as NumPy: floating data as floatx, other dtypes kept. Tensors of
    other libraries are read through ``.numpy()`` (detached and moved to the CPU first when they
    can be), anything else through ``numpy.asarray``."""
    if value is None:
        return None
    if not isinstance(value, xp.ndarray):
        data = getattr(value, "data", None)
        if isinstance(data, xp.ndarray) and type(value).__module__.startswith("numeras"):
            value = data
        elif hasattr(value, "numpy") and callable(value.numpy):
            for method in ("detach", "cpu"):
                if callable(getattr(value, method, None)):
                    value = getattr(value, method)()
            value = value.numpy()
        value = xp.asarray(value)
    if value.dtype.kind == "f" and value.dtype != xp.dtype(backend.floatx()):
        return value.astype(backend.floatx())
    return value
