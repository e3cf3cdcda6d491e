"""The recorded graph and the reverse pass over it.

Every op that has at least one input requiring a gradient records its output as a node:
the output tensor keeps its parents and a ``vjp`` closure that maps the gradient of the
output to one gradient per parent (``None`` where a parent needs none). The backward pass
visits nodes in reverse topological order, found iteratively so that graphs of any depth
work, and reduces gradients of broadcast operands back to their shape (``gradients.unbroadcast``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from numeras.autodiff.grad_mode import _GradMode, enable_grad, is_grad_enabled, no_grad  # noqa: F401 - graph's names too
from numeras.autodiff.gradients import GradientSinks, owned, unbroadcast, writes_into  # noqa: F401

if TYPE_CHECKING:
    from numeras.autodiff.tensor import Tensor


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
    gradient (see :class:`numeras.autodiff.gradients.GradientSinks`); the mapping then holds that array.

    ``also_leaves``: ids of tensors that get a gradient although they no longer require one (a
    tape's watched tensors, switched back when its ``with`` block ended).
    """
    keep_ids = {id(t) for t in keep}
    also = set(also_leaves)
    sinks = GradientSinks(into) if into else None
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


VJP = Callable[[object], tuple]
