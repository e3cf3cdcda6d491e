"""``einsum``: NumPy's Einstein summation as one primitive.

The VJP of operand i is itself an einsum: g contracted with every other operand onto operand i's
subscripts. Three things need care: letters of operand i that appear nowhere else (summed out of
operand i alone) come back by broadcasting; a letter repeated within operand i (a diagonal, as
in ``"ii->"``) receives the gradient on that diagonal only; and axes that were broadcast from
length 1 (ellipsis broadcasting) are summed back to length 1.
"""

from __future__ import annotations

import builtins
import string

from numeras.autodiff.ops._core import as_tensor, pair, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp

_ELLIPSIS_LETTERS = string.ascii_uppercase[::-1]


def _parse(subscripts: str, shapes: list) -> tuple[list, str]:
    """Explicit subscripts: one letter string per operand and the output's, ``...`` spelled as
    letters (right-aligned, shared across operands) and the implicit output made explicit."""
    text = subscripts.replace(" ", "")
    inputs_text, arrow, output = text.partition("->")
    terms = inputs_text.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: `subscripts` {subscripts!r} names {len(terms)} operands, received {len(shapes)}."
        )
    used = set(text)
    spare = [c for c in _ELLIPSIS_LETTERS if c not in used]
    ellipsis_rank = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t), default=0)
    broadcast = "".join(spare[:ellipsis_rank][::-1])
    explicit = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            rank = len(shape) - len(term.replace("...", ""))
            term = term.replace("...", broadcast[len(broadcast) - rank :] if rank else "")
        explicit.append(term)
    if arrow:
        output = output.replace("...", broadcast)
    else:
        letters = "".join(explicit)
        singles = sorted(c for c in set(letters) if letters.count(c) == 1 and c not in broadcast)
        output = broadcast + "".join(singles)
    return explicit, output


def einsum(subscripts: str, *operands) -> Tensor:
    """z = numpy.einsum(subscripts, *operands);  d operand_i = einsum of g with the other
    operands onto operand i's subscripts (see the module docstring for repeated letters,
    letters summed within one operand, and broadcast axes). Operands are promoted to one dtype."""
    tensors = [as_tensor(t) for t in operands]
    if len(tensors) > 1:
        first = tensors[0]
        for i in range(1, len(tensors)):
            first, tensors[i] = pair(first, tensors[i])
        tensors = [pair(t, first)[0] for t in tensors]
    arrays = [t.data for t in tensors]
    terms, output = _parse(subscripts, [a.shape for a in arrays])
    spec = ",".join(terms) + "->" + output
    z = xp.einsum(spec, *arrays, optimize=len(arrays) > 2)
    if z.dtype != arrays[0].dtype:
        z = z.astype(arrays[0].dtype)
    needs = [t.requires_grad for t in tensors]

    def vjp(g):
        return tuple(
            _operand_gradient(g, output, terms, arrays, i) if needs[i] else None for i in range(len(arrays))
        )

    return record(xp.asarray(z), tuple(tensors), vjp)


def _operand_gradient(g, output: str, terms: list, arrays: list, i: int):
    term, shape = terms[i], arrays[i].shape
    others = [t for j, t in enumerate(terms) if j != i]
    elsewhere = set(output).union(*others) if others else set(output)
    unique = "".join(dict.fromkeys(term))
    reachable = "".join(c for c in unique if c in elsewhere)
    spec = ",".join([output, *others]) + "->" + reachable
    other_arrays = [a for j, a in enumerate(arrays) if j != i]
    partial = xp.einsum(spec, g, *other_arrays, optimize=len(other_arrays) > 1)
    sizes = {c: n for c, n in zip(term, shape)}
    # Letters summed within operand i alone: every entry along them got the same gradient.
    partial = partial.reshape([partial.shape[reachable.index(c)] if c in reachable else 1 for c in unique])
    # An axis of length 1 in the other operands (broadcast against this one) spreads likewise.
    partial = xp.broadcast_to(partial, [builtins.max(sizes[c], n) for c, n in zip(unique, partial.shape)])
    # Axes broadcast from length 1 collect their gradient back into that one entry.
    summed = tuple(k for k, c in enumerate(unique) if sizes[c] == 1 and partial.shape[k] != 1)
    if summed:
        partial = partial.sum(axis=summed, keepdims=True)
    if len(unique) == len(term):
        return xp.ascontiguousarray(partial.transpose([unique.index(c) for c in term])).astype(arrays[i].dtype, copy=False)
    grad = xp.zeros(shape, dtype=arrays[i].dtype)
    xp.einsum(term + "->" + unique, grad)[...] = partial  # a writable view of the diagonal
    return grad


__all__ = ["einsum"]
