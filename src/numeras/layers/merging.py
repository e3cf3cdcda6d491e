"""Merge layers: combine a list of tensors into one (Keras 3's ``keras.layers.merging``).

``Add``, ``Subtract``, ``Multiply``, ``Average``, ``Maximum`` and ``Minimum`` work element-wise
with broadcasting (an axis of size 1 stretches to the other input's size); ``Concatenate`` joins
along an axis; ``Dot`` takes per-sample dot products. Each also has a function form
(``layers.add([a, b])``, ``layers.concatenate([a, b])``, ...) that creates the layer and calls it.
All are built from differentiable numeras ops, so gradients flow to every input.

Masks, as Keras 3: the element-wise layers give their output the logical OR of their inputs'
masks (None unless every input has one); ``Multiply``, ``Maximum`` and ``Minimum`` also keep a
masked entry from affecting the result; ``Concatenate`` joins the masks along its axis; ``Dot``
gives no mask.
"""

from __future__ import annotations

from typing import Any

from numeras import ops
from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.layers.layer import Layer

Shape = tuple


def _describe(input_shape: Any) -> str:
    return repr(input_shape).replace("'", "")


class Merge(Layer):
    """Base class of the element-wise merge layers: subclasses define ``_merge_function``.

    Inputs are a list of tensors whose shapes (without the batch axis) broadcast together: each
    pair of aligned axes must be equal, or one of them 1 (or unknown). Inputs of lower rank are
    given axes of size 1 after the batch axis until all ranks agree, as in Keras.
    """

    _min_inputs = 1
    _max_inputs: int | None = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    # -- shapes ---------------------------------------------------------------------------
    def _check_input_list(self, input_shape: Any) -> list[Shape]:
        kind = type(self).__name__
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not all(
            isinstance(s, (list, tuple)) for s in input_shape
        ):
            raise ValueError(
                f"A `{kind}` layer should be called on a list of inputs, e.g. "
                f"layers.{kind}()([x1, x2]). Received: input_shape={_describe(input_shape)} "
                "(not a list of shapes)."
            )
        shapes = [tuple(s) for s in input_shape]
        if len(shapes) < self._min_inputs or (self._max_inputs is not None and len(shapes) > self._max_inputs):
            wanted = (
                f"exactly {self._min_inputs}" if self._min_inputs == self._max_inputs
                else f"at least {self._min_inputs}"
            )
            raise ValueError(
                f"A `{kind}` layer should be called on {wanted} inputs. Received {len(shapes)} "
                f"inputs with shapes {_describe(shapes)}."
            )
        batch_sizes = {s[0] for s in shapes if s} - {None}
        if len(batch_sizes) > 1:
            raise ValueError(
                f"A `{kind}` layer cannot merge tensors with different batch sizes. Received "
                f"tensors with shapes {_describe(shapes)}."
            )
        return shapes

    def _elementwise_shape(self, shape1: Shape | None, shape2: Shape | None, all_shapes: list) -> Shape | None:
        """The broadcast of two per-sample shapes (aligned on their last axes)."""
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            shape1, shape2 = shape2, shape1
        if not shape2:
            return shape1
        output = list(shape1[: len(shape1) - len(shape2)])
        for a, b in zip(shape1[len(shape1) - len(shape2):], shape2):
            if a is None or b is None:
                output.append(None)
            elif a == 1:
                output.append(b)
            elif b == 1 or a == b:
                output.append(a)
            else:
                raise ValueError(
                    f"A `{type(self).__name__}` layer received inputs with incompatible shapes "
                    f"{_describe(all_shapes)}: per-sample axes of sizes {a} and {b} can neither be "
                    "matched nor broadcast (sizes must be equal, or one of them 1). Reshape the "
                    "inputs, e.g. with layers.Dense or layers.Reshape, so that their shapes agree."
                )
        return tuple(output)

    def _merged_sample_shape(self, shapes: list[Shape]) -> Shape | None:
        output = shapes[0][1:]
        for shape in shapes[1:]:
            output = self._elementwise_shape(output, shape[1:], shapes)
        return output

    def build(self, input_shape: Any) -> None:
        shapes = self._check_input_list(input_shape)
        self._merged_sample_shape(shapes)
        self._reshape_required = len({len(s) for s in shapes}) != 1

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._check_input_list(input_shape)
        sample_shape = self._merged_sample_shape(shapes)
        batch_sizes = {s[0] for s in shapes if s} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch, *sample_shape)

    # -- computation ----------------------------------------------------------------------
    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The OR of the inputs' masks (a step counts if it counts in any input), or None when
        some input has no mask (Keras 3)."""
        masks = _checked_mask_list(inputs, mask)
        if masks is None or any(m is None for m in masks):
            return None
        output = _mask_array(masks[0])
        for m in masks[1:]:
            output = output | _mask_array(m)
        return Tensor(output)

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(
                f"A `{type(self).__name__}` layer should be called on a list of inputs, received "
                f"a single {type(inputs).__name__}. Pass e.g. [x1, x2]."
            )
        inputs = list(inputs)
        ranks = [t.ndim for t in inputs]
        if len(set(ranks)) > 1:
            # Lower-rank inputs get axes of size 1 after the batch axis so they broadcast.
            top = max(ranks)
            for index, tensor in enumerate(inputs):
                for _ in range(top - tensor.ndim):
                    tensor = ops.expand_dims(tensor, 1)
                inputs[index] = tensor
        return self._merge_function(inputs)


class Add(Merge):
    """Adds a list of inputs element-wise: ``output = x1 + x2 + ... + xn``.

    Example::

        added = layers.Add()([x1, x2])   # or layers.add([x1, x2])
    """

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        output = inputs[0]
        for tensor in inputs[1:]:
            output = ops.add(output, tensor)
        return output


class Subtract(Merge):
    """Subtracts two inputs element-wise: ``output = x1 - x2`` (exactly two inputs)."""

    _min_inputs = 2
    _max_inputs = 2

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        if len(inputs) != 2:
            raise ValueError(f"A `Subtract` layer should be called on exactly 2 inputs, received {len(inputs)}.")
        return ops.subtract(inputs[0], inputs[1])


class Multiply(Merge):
    """Multiplies a list of inputs element-wise: ``output = x1 * x2 * ... * xn``."""

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        masks = [_feature_mask(t) for t in inputs]
        if all(m is None for m in masks):
            output = inputs[0]
            for tensor in inputs[1:]:
                output = ops.multiply(output, tensor)
            return output
        # As Keras: a masked entry multiplies by 1; where every input has a mask, entries
        # masked in all of them are 0.
        output = None
        for tensor, mask in zip(inputs, masks):
            if mask is not None:
                tensor = ops.where(mask, tensor, xp.ones((), dtype=tensor.data.dtype))
            output = tensor if output is None else ops.multiply(output, tensor)
        if all(m is not None for m in masks):
            union = masks[0]
            for mask in masks[1:]:
                union = union | mask
            output = ops.where(union, output, xp.zeros((), dtype=output.data.dtype))
        return output


class Average(Merge):
    """Averages a list of inputs element-wise: ``output = (x1 + ... + xn) / n``."""

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        output = inputs[0]
        for tensor in inputs[1:]:
            output = ops.add(output, tensor)
        return ops.divide(output, len(inputs))


class Maximum(Merge):
    """The element-wise maximum of a list of inputs (the gradient goes to the larger input)."""

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        return _merge_ignoring_masked(ops.maximum, inputs)


class Minimum(Merge):
    """The element-wise minimum of a list of inputs (the gradient goes to the smaller input)."""

    def _merge_function(self, inputs: list[Tensor]) -> Tensor:
        return _merge_ignoring_masked(ops.minimum, inputs)


class Concatenate(Merge):
    """Concatenates a list of inputs along ``axis`` (the last by default).

    All inputs must have the same rank and the same size on every axis except ``axis``:
    ``(None, 3)`` and ``(None, 5)`` give ``(None, 8)``.

    Args:
        axis: the axis to join along (``-1``: the last; ``0``, the batch axis, is not allowed).
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise TypeError(f"Concatenate: `axis` must be an integer, received {axis!r}.")
        self.axis = axis

    def _check_shapes(self, input_shape: Any) -> list[Shape]:
        shapes = self._check_input_list(input_shape)
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise ValueError(
                f"A `Concatenate` layer requires inputs of the same rank; received shapes "
                f"{_describe(shapes)}. Reshape the inputs (layers.Reshape or layers.Flatten) first."
            )
        rank = ranks.pop()
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Concatenate: axis={self.axis} is out of range for inputs of rank {rank} "
                f"(shapes {_describe(shapes)})."
            )
        axis = self.axis % rank
        if axis == 0:
            raise ValueError(
                "Concatenate: axis=0 is the batch axis; samples cannot be joined into one. Use "
                "axis=-1 (the default) to join features."
            )
        for position in range(rank):
            if position == axis:
                continue
            sizes = {s[position] for s in shapes} - {None}
            if len(sizes) > 1:
                raise ValueError(
                    "A `Concatenate` layer requires inputs with matching shapes except for the "
                    f"concatenation axis ({self.axis}). Received: input_shape={_describe(shapes)}, "
                    f"which differ on axis {position}."
                )
        return shapes

    def build(self, input_shape: Any) -> None:
        self._check_shapes(input_shape)

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shapes = self._check_shapes(input_shape)
        axis = self.axis % len(shapes[0])
        output = list(shapes[0])
        for position in range(len(output)):
            known = [s[position] for s in shapes if s[position] is not None]
            output[position] = known[0] if known else None
        sizes = [s[axis] for s in shapes]
        output[axis] = None if any(n is None for n in sizes) else sum(sizes)
        return tuple(output)

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("A `Concatenate` layer should be called on a list of inputs, e.g. [x1, x2].")
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The inputs' masks joined along ``axis`` (an input without a mask counts everywhere),
        reduced over the last axis (Keras 3); None when no input has a mask."""
        masks = _checked_mask_list(inputs, mask)
        if masks is None or all(m is None for m in masks):
            return None
        full = []
        for tensor, m in zip(inputs, masks):
            shape = tuple(tensor.shape)
            if m is None:
                full.append(xp.ones(shape, dtype=bool))
                continue
            m = _mask_array(m)
            if m.ndim < len(shape):
                m = xp.broadcast_to(m[..., None], shape)
            full.append(m)
        return Tensor(xp.concatenate(full, axis=self.axis).any(axis=-1))

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


# -- masks ---------------------------------------------------------------------------------
def _mask_array(mask: Any) -> Any:
    """A mask's boolean array."""
    return (mask.data if isinstance(mask, Tensor) else xp.asarray(mask)).astype(bool, copy=False)


def _checked_mask_list(inputs: Any, mask: Any) -> list | None:
    """``mask`` as one entry per input (None when there is none at all), checked as Keras does."""
    if mask is None:
        return None
    if not isinstance(mask, (list, tuple)):
        raise ValueError(f"`mask` should be a list of one mask per input. Received: mask={mask!r}")
    if not isinstance(inputs, (list, tuple)):
        raise ValueError(f"`inputs` should be a list. Received: inputs={inputs!r}")
    if len(mask) != len(inputs):
        raise ValueError(
            "The lists `inputs` and `mask` should have the same length. Received "
            f"{len(inputs)} inputs and {len(mask)} masks."
        )
    return list(mask)


def _feature_mask(tensor: Tensor) -> Any:
    """The tensor's mask broadcast over its last (feature) axis, as a boolean array, or None."""
    mask = tensor._keras_mask if isinstance(tensor, Tensor) else None
    if mask is None:
        return None
    return xp.broadcast_to(_mask_array(mask)[..., None], tensor.shape)


def _merge_ignoring_masked(merge: Any, inputs: list[Tensor]) -> Tensor:
    """Fold ``merge`` (maximum, minimum) over the inputs so that a masked entry never wins: it
    takes the value of the other operand (Keras's ``_apply_merge_op_and_or_mask``)."""
    output = None
    output_mask = None
    for tensor in inputs:
        mask = _feature_mask(tensor)
        if output is None:
            output, output_mask = tensor, mask
            continue
        if mask is not None:
            tensor = ops.where(mask, tensor, output)
        if output_mask is not None:
            output = ops.where(output_mask, output, tensor)
        output_mask = output_mask | mask if mask is not None and output_mask is not None else None
        output = merge(output, tensor)
    return output


def batch_dot(x: Tensor, y: Tensor, axes: Any = None) -> Tensor:
    """Per-sample dot product of two batches, summing ``x``'s axis ``axes[0]`` against ``y``'s
    axis ``axes[1]`` (Keras's ``batch_dot``).

    The result has ``x``'s axes (less the summed one) followed by ``y``'s (less the batch axis and
    the summed one); a result of rank 1 becomes ``(batch, 1)``. Example: ``x`` of shape
    ``(b, 20)`` and ``y`` of shape ``(b, 30, 20)`` with ``axes=(1, 2)`` give ``(b, 30)``.
    """
    x_ndim, y_ndim = x.ndim, y.ndim
    if x_ndim < 2 or y_ndim < 2:
        raise ValueError(
            f"Cannot do batch_dot on inputs with rank < 2. Received inputs with shapes "
            f"{tuple(x.shape)} and {tuple(y.shape)}."
        )
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with different batch sizes: {tuple(x.shape)} and {tuple(y.shape)}."
        )
    if axes is None:
        axes = [x_ndim - 1, y_ndim - 1] if y_ndim == 2 else [x_ndim - 1, y_ndim - 2]
    elif isinstance(axes, int):
        axes = [axes, axes]
    a0, a1 = (axes[0] % x_ndim, axes[1] % y_ndim)
    if 0 in (a0, a1):
        raise ValueError(
            "Cannot perform batch_dot over axis 0, the batch axis. If your inputs are not "
            "batched, add a batch axis with numeras.ops.expand_dims(x, 0)."
        )
    if x.shape[a0] != y.shape[a1]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {tuple(x.shape)} and {tuple(y.shape)} with "
            f"axes={[a0, a1]}: x.shape[{a0}] != y.shape[{a1}] ({x.shape[a0]} != {y.shape[a1]})."
        )
    # Move the summed axes: x's last, y's right after the batch axis; then one batched matmul
    # of (b, m, k) @ (b, k, n) over flattened middle axes.
    x_perm = [i for i in range(x_ndim) if i != a0] + [a0]
    y_perm = [0, a1] + [i for i in range(1, y_ndim) if i != a1]
    xt = ops.transpose(x, x_perm) if x_perm != list(range(x_ndim)) else x
    yt = ops.transpose(y, y_perm) if y_perm != list(range(y_ndim)) else y
    batch, k = x.shape[0], x.shape[a0]
    x_middle = tuple(xt.shape[1:-1])
    y_trailing = tuple(yt.shape[2:])
    x3 = ops.reshape(xt, (batch, -1, k))
    y3 = ops.reshape(yt, (batch, k, -1))
    result = ops.matmul(x3, y3)
    output = ops.reshape(result, (batch, *x_middle, *y_trailing))
    if output.ndim == 1:
        output = ops.expand_dims(output, 1)
    return output


class Dot(Merge):
    """Per-sample dot product of two inputs along ``axes``.

    For inputs of shapes ``(b, 8)`` and ``(b, 8)``, ``Dot(axes=1)`` gives ``(b, 1)``: each row is
    ``sum_j x1[i, j] * x2[i, j]``. With ``normalize=True`` both inputs are L2-normalised along
    the dot axes first, so the result is the cosine similarity.

    Args:
        axes: an int (the same axis for both inputs) or a pair ``(axis_of_x1, axis_of_x2)``.
        normalize: L2-normalise the samples before the product.
    """

    _min_inputs = 2
    _max_inputs = 2

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not isinstance(axes, int) or isinstance(axes, bool):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    f"Invalid type for argument `axes`: it should be a list or an int. Received: axes={axes!r}"
                )
            if len(axes) != 2:
                raise ValueError(
                    f"Invalid format for argument `axes`: it should contain two elements. Received: axes={axes!r}"
                )
            if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
                raise ValueError(
                    f"Invalid format for argument `axes`: list elements should be integers. Received: axes={axes!r}"
                )
            axes = list(axes)
        self.axes = axes
        self.normalize = bool(normalize)

    def _resolved_axes(self, shape1: Shape, shape2: Shape) -> list[int]:
        if isinstance(self.axes, int):
            return [self.axes % len(shape1), self.axes % len(shape2)]
        return [self.axes[0] % len(shape1), self.axes[1] % len(shape2)]

    def _check_shapes(self, input_shape: Any) -> tuple[Shape, Shape, list[int]]:
        shape1, shape2 = self._check_input_list(input_shape)
        axes = self._resolved_axes(shape1, shape2)
        if 0 in axes:
            raise ValueError("Dot: `axes` must not include 0, the batch axis.")
        d1, d2 = shape1[axes[0]], shape2[axes[1]]
        if d1 is not None and d2 is not None and d1 != d2:
            raise ValueError(
                f"A `Dot` layer received incompatible input shapes: axis values {d1} (at axis "
                f"{axes[0]}) != {d2} (at axis {axes[1]}). Full input shapes: {shape1}, {shape2}."
            )
        return shape1, shape2, axes

    def build(self, input_shape: Any) -> None:
        self._check_shapes(input_shape)

    def compute_output_shape(self, input_shape: Any) -> Shape:
        shape1, shape2, axes = self._check_shapes(input_shape)
        first = [n for i, n in enumerate(shape1) if i != axes[0]]
        second = [n for i, n in enumerate(shape2) if i not in (0, axes[1])]
        output = first + second
        if len(output) == 1:
            output.append(1)
        return tuple(output)

    def call(self, inputs: Any) -> Tensor:
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError("A `Dot` layer should be called on a list of exactly 2 inputs, e.g. [x1, x2].")
        x1, x2 = inputs
        axes = self._resolved_axes(tuple(x1.shape), tuple(x2.shape))
        if self.normalize:
            from numeras.utils import normalize

            x1 = normalize(x1, axis=axes[0])
            x2 = normalize(x2, axis=axes[1])
        return batch_dot(x1, x2, axes)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """None: the dot product sums the steps away (Keras 3)."""
        return None

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


# -- functional interfaces ------------------------------------------------------------------
def add(inputs: list, **kwargs: Any) -> Any:
    """``layers.Add(**kwargs)(inputs)``: the element-wise sum of ``inputs``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list, **kwargs: Any) -> Any:
    """``layers.Subtract(**kwargs)(inputs)``: ``inputs[0] - inputs[1]``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list, **kwargs: Any) -> Any:
    """``layers.Multiply(**kwargs)(inputs)``: the element-wise product of ``inputs``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list, **kwargs: Any) -> Any:
    """``layers.Average(**kwargs)(inputs)``: the element-wise mean of ``inputs``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list, **kwargs: Any) -> Any:
    """``layers.Maximum(**kwargs)(inputs)``: the element-wise maximum of ``inputs``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list, **kwargs: Any) -> Any:
    """``layers.Minimum(**kwargs)(inputs)``: the element-wise minimum of ``inputs``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list, axis: int = -1, **kwargs: Any) -> Any:
    """``layers.Concatenate(axis=axis, **kwargs)(inputs)``: ``inputs`` joined along ``axis``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list, axes: Any = -1, **kwargs: Any) -> Any:
    """``layers.Dot(axes=axes, **kwargs)(inputs)``: per-sample dot products of two inputs."""
    return Dot(axes=axes, **kwargs)(inputs)
