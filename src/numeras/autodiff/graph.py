"""The recorded graph and the reverse pass over it.

Every op that has at least one input requiring a gradient records its output as a node:
the output tensor keeps its parents and a ``vjp`` closure that maps the gradient of the
output to one gradient per parent (``None`` where a parent needs none). The backward pass
visits nodes in reverse topological order, found iteratively so that graphs of any depth
work, and reduces gradients of broadcast operands back to their shape here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from numeras.backend import xp

if TYPE_CHECKING:
    from numeras.autodiff.tensor import Tensor


class _GradMode:
    enabled = True


def is_grad_enabled() -> bool:
    """True while operations are being recorded for differentiation."""
    return _GradMode.enabled


class _GradModeScope:
    """Sets recording on or off for a ``with`` block and restores it after.

    A class rather than a generator-based context manager: entering it costs a fraction of a
    microsecond, which matters when inference runs once per batch.
    """

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.previous = True

    def __enter__(self) -> None:
        self.previous = _GradMode.enabled
        _GradMode.enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        _GradMode.enabled = self.previous


def no_grad() -> _GradModeScope:
    """Run the block without recording anything for differentiation (inference, weight updates)."""
    return _GradModeScope(False)


def enable_grad() -> _GradModeScope:
    """Record operations even inside :func:`no_grad` (what a GradientTape does)."""
    return _GradModeScope(True)


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


def topological_order(root: Tensor) -> list[Tensor]:
    """Interior nodes reachable from ``root``, every node after all of its parents.

    Iterative depth-first search: a chain of any length stays within Python's stack.
    """
    order: list = []
    visited: set[int] = set()
    stack: list = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for parent in node._parents:
            if parent._vjp is not None and id(parent) not in visited:
                stack.append((parent, False))
    return order


def writes_into(vjp: Callable) -> Callable:
    """Mark ``vjp`` as accepting ``vjp(g, out)``: ``out`` holds, per parent, an array the
    gradient may be written into (or None), so a leaf's gradient lands in a buffer the caller owns
    (no allocation, no copy). A vjp that uses ``out[i]`` returns that very array for parent ``i``."""
    vjp.writes_into = True
    return vjp


def backpropagate(
    root: Tensor,
    root_grad,
    keep: Iterable[Tensor] = (),
    into: dict | None = None,
    also_leaves: Iterable[int] = (),
) -> dict[int, object]:
    """Gradients of ``root`` (seeded with ``root_grad``) for every leaf that requires one.

    Returns a mapping from ``id(tensor)`` to its gradient array, holding the leaves (tensors that
    require a gradient but were not produced by a recorded op) and the tensors in ``keep``.
    Interior gradients are dropped as soon as they have been passed on.

    ``into`` maps ``id(tensor)`` to an array of that tensor's shape and dtype that receives its
    gradient (see :class:`_Sinks`); the mapping then holds that array.

    ``also_leaves``: ids of tensors that get a gradient although they no longer require one (a
    tape's watched tensors, switched back when its ``with`` block ended).
    """
    keep_ids = {id(t) for t in keep}
    also = set(also_leaves)
    sinks = _Sinks(into) if into else None
    grads: dict[int, object] = {id(root): root_grad}
    kept: dict[int, object] = {}
    if root._vjp is None:
        if sinks is not None:
            grads[id(root)] = sinks.final(root, root_grad)
        return grads
    for node in reversed(topological_order(root)):
        grad = grads.pop(id(node), None)
        if grad is None:
            continue
        if id(node) in keep_ids:
            kept[id(node)] = grad if sinks is None else sinks.final(node, grad)
        parent_grads = node._vjp(grad) if sinks is None else sinks.call_vjp(node, grad)
        for parent, parent_grad in zip(node._parents, parent_grads):
            if parent_grad is None or not (parent.requires_grad or id(parent) in also):
                continue
            if sinks is not None and sinks.take(parent, parent_grad, grads):
                continue
            target = parent.data
            if parent_grad.shape != target.shape:
                parent_grad = unbroadcast(parent_grad, target.shape)
            if parent_grad.dtype != target.dtype:
                parent_grad = parent_grad.astype(target.dtype)
            previous = grads.get(id(parent))
            grads[id(parent)] = parent_grad if previous is None else previous + parent_grad
    grads.update(kept)
    return grads


class _Sinks:
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


def leaves(root: Tensor) -> list[Tensor]:
    """The tensors ``root`` was computed from that require a gradient but no op produced."""
    if root._vjp is None:
        return [root]
    found: dict[int, Tensor] = {}
    for node in topological_order(root):
        for parent in node._parents:
            if parent._vjp is None and parent.requires_grad:
                found[id(parent)] = parent
    return list(found.values())


def owned(array):
    """A writable, contiguous array: gradients handed to users never alias graph buffers."""
    if isinstance(array, xp.ndarray) and array.flags.writeable and array.flags.c_contiguous and array.base is None:
        return array
    return xp.array(array, copy=True, order="C")


VJP = Callable[[object], tuple]
