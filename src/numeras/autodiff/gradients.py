"""Gradient arrays, shaped and stored: ``unbroadcast`` sums a gradient back to its operand's shape
(the one place broadcasting is undone), and ``GradientSinks`` puts leaves' gradients into
caller-owned buffers (``GradientTape.gradient(..., out=)``, the optimizer's flat buffers), so the
reverse pass in ``graph.py`` reads as the textbook loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from numeras.backend import xp

if TYPE_CHECKING:
    from numeras.autodiff.tensor import Tensor


def unbroadcast(grad, shape: tuple, out=None):
    """Sum ``grad`` over the axes along which an operand of ``shape`` was broadcast.

    With ``out`` (an array of ``shape``) the sum is written there and ``out`` is returned.
    """
    if grad.shape == shape:
        if out is None:
            return grad
        xp.copyto(out, grad, casting="unsafe")
        return out
    leading = grad.ndim - len(shape)
    if leading < 0:
        raise ValueError(f"gradient of shape {grad.shape} cannot belong to an operand of shape {shape}")
    stretched = tuple(leading + i for i, size in enumerate(shape) if size == 1 and grad.shape[leading + i] != 1)
    axes = tuple(range(leading)) + stretched
    # One reduction over every broadcast axis; keepdims on the stretched ones is a reshape away.
    reduced_shape = tuple(n for i, n in enumerate(grad.shape) if i not in axes)
    if out is not None:
        grad.sum(axis=axes, out=out.reshape(reduced_shape))
        return out
    summed = grad.sum(axis=axes)
    return summed.reshape(shape) if summed.shape != shape else summed


def writes_into(vjp: Callable) -> Callable:
    """Mark ``vjp`` as accepting ``vjp(g, out)``: ``out`` holds, per parent, an array the
    gradient may be written into (or None), so a leaf's gradient lands in a buffer the caller owns
    (no allocation, no copy). A vjp that uses ``out[i]`` returns that very array for parent ``i``."""
    vjp.writes_into = True
    return vjp


class GradientSinks:
    """Caller-owned gradient buffers (``backpropagate``'s ``into``), by ``id(tensor)``.

    A leaf's contributions are summed in its buffer in place; a kept interior tensor's final
    gradient is copied into its buffer. A vjp marked with :func:`writes_into` may write a leaf's
    first contribution straight into the buffer (no allocation, no copy)."""

    __slots__ = ("buffers", "filled")

    def __init__(self, buffers: dict) -> None:
        self.buffers = buffers
        self.filled: set[int] = set()  # leaves whose buffer already holds a contribution

    def final(self, tensor: Tensor, grad):
        """``grad``, copied into ``tensor``'s buffer if it has one."""
        buffer = self.buffers.get(id(tensor))
        return grad if buffer is None else unbroadcast(grad, tensor.data.shape, out=buffer)

    def call_vjp(self, node: Tensor, grad) -> tuple:
        """``node``'s vjp on ``grad``, offered the free buffers of its parents if it writes into them."""
        vjp = node._vjp
        if not getattr(vjp, "writes_into", False):
            return vjp(grad)
        parents = node._parents
        free = []
        for i, parent in enumerate(parents):
            parent_id = id(parent)
            buffer = self.buffers.get(parent_id) if parent._vjp is None and parent_id not in self.filled else None
            if buffer is not None and any(p is parent for p in parents[:i]):
                buffer = None  # only the first position of a parent that appears twice (`x @ x`)
            free.append(buffer)
        return vjp(grad, tuple(free))

    def take(self, parent: Tensor, grad, grads: dict) -> bool:
        """Add ``grad`` into ``parent``'s buffer if it is a leaf with one (then True)."""
        parent_id = id(parent)
        buffer = self.buffers.get(parent_id)
        if buffer is None or parent._vjp is not None:
            return False
        if grad is not buffer:
            if parent_id in self.filled:
                xp.add(buffer, unbroadcast(grad, parent.data.shape), out=buffer, casting="unsafe")
            else:
                unbroadcast(grad, parent.data.shape, out=buffer)
        self.filled.add(parent_id)
        grads[parent_id] = buffer
        return True


def owned(array):
    """A writable, contiguous array: gradients handed to users never alias graph buffers."""
    if isinstance(array, xp.ndarray) and array.flags.writeable and array.flags.c_contiguous and array.base is None:
        return array
    return xp.array(array, copy=True, order="C")
