"""Keras 3's core ops (``keras.src.ops.core``): control flow, slicing and scattering, casting
and conversion.

numeras runs eagerly, so the control-flow ops are Python loops and branches over numeras ops:
``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``, ``map`` and ``vectorized_map``
take the same arguments as Keras's and are differentiable through whatever ops their functions
call. Loop variables given as Python numbers become tensors first (int32 / floatx), as Keras
converts them.
"""

from __future__ import annotations

import builtins

from numeras.autodiff.composites import (
    cast,
    clip,
    convert_to_numpy,
    convert_to_tensor,
    getitem,
    shape,
    stack,
    stop_gradient,
)
from numeras.autodiff.ops import as_tensor, scatter, scatter_update, slice_update
from numeras.autodiff.tensor import Tensor
from numeras.backend import standardize_dtype, xp
from numeras.utils.tree import flatten, pack_sequence_as


def is_tensor(x) -> bool:
    """Whether ``x`` is a numeras tensor (a Tensor or Variable)."""
    return isinstance(x, Tensor)


def dtype(x) -> str:
    """The standardized dtype name of ``x`` (``'float32'``...)."""
    return standardize_dtype(as_tensor(x).data.dtype)


def saturate_cast(x, dtype) -> Tensor:  # noqa: A002 - Keras's argument name
    """x cast to ``dtype`` after clipping it to that dtype's range (no wrap-around)."""
    x = as_tensor(x)
    target = xp.dtype(standardize_dtype(dtype))
    if target.kind in "iu":
        info = xp.iinfo(target)
        if x.data.dtype.kind == "f":
            x = clip(x, float(info.min), float(info.max))
        else:
            x = as_tensor(xp.clip(x.data, info.min, info.max))
    elif target.kind == "f" and x.data.dtype.kind == "f":
        info = xp.finfo(target)
        x = clip(x, float(info.min), float(info.max))
    return cast(x, target)


def slice(inputs, start_indices, shape) -> Tensor:  # noqa: A001 - Keras's name
    """The block of ``shape`` starting at ``start_indices`` (starts clipped so the block fits,
    as Keras on JAX);  differentiable."""
    inputs = as_tensor(inputs)
    starts = [int(s) for s in (start_indices.data if isinstance(start_indices, Tensor) else start_indices)]
    sizes = [int(n) for n in shape]
    if len(starts) != inputs.data.ndim or len(sizes) != inputs.data.ndim:
        raise ValueError(
            f"slice: `start_indices` and `shape` need one entry per axis of `inputs` (shape "
            f"{inputs.data.shape}); received start_indices={starts}, shape={sizes}."
        )
    key = []
    for start, size, n in zip(starts, sizes, inputs.data.shape):
        size = n if size == -1 else size
        start = builtins.min(builtins.max(start, 0), n - size)
        key.append(builtins.slice(start, start + size))
    return getitem(inputs, tuple(key))


def unstack(x, num=None, axis: int = 0) -> list:
    """The slices of x along ``axis``, as a list."""
    x = as_tensor(x)
    n = x.data.shape[axis]
    if num is not None and num != n:
        raise ValueError(f"unstack: `num` is {num} but axis {axis} of x has length {n}.")
    lead = (builtins.slice(None),) * (axis % x.data.ndim)
    return [getitem(x, lead + (i,)) for i in range(n)]


def _as_loop_value(value):
    """A loop variable as Keras sees it: Python numbers and arrays become tensors."""
    return value if isinstance(value, Tensor) or value is None else as_tensor(value)


def _tensors(structure):
    return pack_sequence_as(structure, [_as_loop_value(v) for v in flatten(structure)])


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``."""
    return true_fn() if bool(_raw(pred)) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)``, the index clipped to the valid range (as Keras on JAX)."""
    if not branches:
        raise ValueError("switch: `branches` must hold at least one function, received an empty list.")
    i = builtins.min(builtins.max(int(_raw(index)), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):  # noqa: A002 - Keras's argument name
    """Repeat ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds (at most
    ``maximum_iterations`` times). A tuple or list of loop variables is unpacked into the calls
    and returned as a tuple; a single one is passed and returned as is."""
    is_sequence = isinstance(loop_vars, (tuple, list))
    values = tuple(_tensors(list(loop_vars))) if is_sequence else (_tensors(loop_vars),)
    iterations = 0
    while bool(_raw(cond(*values))):
        if maximum_iterations is not None and iterations >= maximum_iterations:
            break
        result = body(*values)
        if is_sequence:
            result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
            if len(result) != len(values):
                raise ValueError(
                    f"while_loop: `body` must return as many values as `loop_vars` ({len(values)}), returned {len(result)}."
                )
        else:
            result = (result,)
        values = tuple(_tensors(list(result)))
        iterations += 1
    return values if is_sequence else values[0]


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i from ``lower`` to ``upper - 1``; returns the final val."""
    value = _tensors(init_val)
    for i in range(int(_raw(lower)), int(_raw(upper))):
        value = body_fun(i, value)
    return value


def scan(f, init, xs=None, length=None, reverse: bool = False, unroll=1):
    """``carry, y = f(carry, x)`` for each x of ``xs`` along its first axis (or ``length``
    times with x None), last to first when ``reverse``; returns the final carry and the ys
    stacked along a new first axis (in xs's order)."""
    del unroll  # eager: nothing to unroll
    carry = _tensors(init)
    if xs is None:
        if length is None:
            raise ValueError("scan: give `xs` or `length` (the number of steps); received neither.")
        steps, leaves = int(length), None
    else:
        leaves = [as_tensor(leaf) for leaf in flatten(xs)]
        steps = leaves[0].data.shape[0]
        if length is not None and int(length) != steps:
            raise ValueError(f"scan: `length` is {length} but `xs` has {steps} entries along its first axis.")
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    outputs = [None] * steps
    for i in order:
        x = None if leaves is None else pack_sequence_as(xs, [getitem(leaf, i) for leaf in leaves])
        carry, outputs[i] = f(carry, x)
    return carry, _stack_structures(outputs)


def _stack_structures(items: list):
    """A list of equally structured outputs as one structure of stacked tensors."""
    if not items or items[0] is None:
        return None
    flat = [flatten(item) for item in items]
    stacked = [stack([as_tensor(parts[k]) for parts in flat]) for k in range(len(flat[0]))]
    return pack_sequence_as(items[0], stacked)


def map(f, xs):  # noqa: A001 - Keras's name
    """``f`` applied to each entry of ``xs`` along its first axis, the results stacked."""
    leaves = [as_tensor(leaf) for leaf in flatten(xs)]
    steps = leaves[0].data.shape[0]
    return _stack_structures([f(pack_sequence_as(xs, [getitem(leaf, i) for leaf in leaves])) for i in range(steps)])


def vectorized_map(function, elements):
    """``function`` applied to each entry of ``elements`` along its first axis, stacked (as
    ``map``: numeras runs each call eagerly)."""
    return map(function, elements)


def associative_scan(f, elems, reverse: bool = False, axis: int = 0):
    """The running ``f``-combination of ``elems`` along ``axis``: out[0] = elems[0],
    out[i] = f(out[i-1], elems[i]) (from the far end when ``reverse``); ``f`` must be
    associative. Computed sequentially (each call on single slices), differentiably."""
    leaves = [as_tensor(leaf) for leaf in flatten(elems)]
    length = leaves[0].data.shape[axis]
    lead = (builtins.slice(None),) * (axis % leaves[0].data.ndim)
    order = range(length - 1, -1, -1) if reverse else range(length)
    results = [None] * length
    running = None
    for i in order:
        item = pack_sequence_as(elems, [getitem(leaf, lead + (i,)) for leaf in leaves])
        running = item if running is None else f(running, item)
        results[i] = running
    flat = [flatten(r) for r in results]
    stacked = [stack([as_tensor(parts[k]) for parts in flat], axis=axis) for k in range(len(flat[0]))]
    return pack_sequence_as(elems, stacked)


def custom_gradient(f):
    """Decorate ``f(*args) -> (y, grad_fn)`` so that y's gradient is ``grad_fn(upstream)``
    (one gradient per argument, or one tensor for a single argument) instead of the
    derivative of f's own ops, as Keras's ``ops.custom_gradient``."""
    from numeras.autodiff.grad_mode import no_grad
    from numeras.autodiff.ops import record
    from numeras.autodiff.tensor import wrap

    def wrapper(*args):
        tensors = tuple(as_tensor(a) for a in args)
        with no_grad():
            y, grad_fn = f(*tensors)
        y = as_tensor(y)

        def vjp(g):
            grads = grad_fn(wrap(g))
            grads = grads if isinstance(grads, (tuple, list)) else (grads,)
            if len(grads) != len(tensors):
                raise ValueError(
                    f"custom_gradient: the gradient function returned {len(grads)} gradients for "
                    f"{len(tensors)} arguments; return one per argument."
                )
            return tuple(None if d is None else as_tensor(d).data for d in grads)

        return record(y.data, tensors, vjp)

    wrapper.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapper.__doc__ = f.__doc__
    return wrapper


def _raw(x):
    return x.data if isinstance(x, Tensor) else x


__all__ = [
    "associative_scan", "cast", "custom_gradient", "cond", "convert_to_numpy", "convert_to_tensor", "dtype", "fori_loop", "is_tensor",
    "map", "saturate_cast", "scan", "scatter", "scatter_update", "shape", "slice", "slice_update",
    "stop_gradient", "switch", "unstack", "vectorized_map", "while_loop",
]
