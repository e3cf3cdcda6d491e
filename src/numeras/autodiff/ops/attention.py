"""The masked softmax of attention as one primitive: Keras's ``Softmax`` layer called with a mask.

Over ``axis`` (one axis or several, taken together), with a boolean ``mask`` broadcastable to x:

    s = softmax(where(mask, x, -1e9))          z = where(mask, s, 0)

Masked positions get the large negative fill (so they carry no weight) and are zeroed afterwards
(so a row with every position masked gives zeros, not a uniform distribution). Where the mask
holds, z equals s; where it does not, z is 0 and x has no influence, so the VJP is softmax's with
z in place of s (masked entries drop out because z is 0 there):

    dx = z * (g - sum(g * z))
"""

from __future__ import annotations

from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp


def large_negative_number(dtype) -> float:
    """The fill of masked scores (Keras: -3e4 for float16, whose range stops at 65504; else -1e9)."""
    return -3e4 if xp.dtype(dtype) == xp.float16 else -1e9


def _softmax_axes(axis, ndim: int) -> int | tuple[int, ...]:
    axes = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
    for a in axes:
        if not isinstance(a, int) or isinstance(a, bool) or not -ndim <= a < ndim:
            raise ValueError(
                f"masked_softmax: `axis` must hold ints in [{-ndim}, {ndim}) for scores of rank {ndim}, "
                f"received axis={axis!r}."
            )
    axes = tuple(sorted({a % ndim for a in axes}))
    return axes[0] if len(axes) == 1 else axes


def masked_softmax(x, mask=None, axis=-1) -> Tensor:
    """Softmax of ``x`` over ``axis`` (an int or a tuple of axes normalized together), with the
    positions where ``mask`` is False (or <= 0.5 for a numeric mask) excluded and set to 0, as
    Keras's ``layers.Softmax()(x, mask=mask)``. ``mask=None`` is a plain softmax."""
    x = as_tensor(x)
    a = x.data
    axes = _softmax_axes(axis, a.ndim)
    keep = None
    if mask is not None:
        keep = mask.data if isinstance(mask, Tensor) else xp.asarray(mask)
        if keep.dtype != xp.bool_:
            keep = keep > 0.5
        if keep.ndim > a.ndim or any(m not in (1, n) for m, n in zip(keep.shape[::-1], a.shape[::-1])):
            raise ValueError(
                f"masked_softmax: `mask` must be broadcastable to the scores: each of its axes 1 or equal "
                f"to the scores', received mask shape {keep.shape} for scores of shape {a.shape}."
            )
        filled = xp.where(keep, a, xp.asarray(large_negative_number(a.dtype), dtype=a.dtype))
    else:
        filled = a
    if isinstance(axes, int):
        z = kernels.softmax(filled, axes)  # one pass over each row (compiled where available)
    else:
        z = filled - filled.max(axis=axes, keepdims=True)
        xp.exp(z, out=z)
        z /= z.sum(axis=axes, keepdims=True)
    if keep is not None:
        z *= keep

    def vjp(g):
        if isinstance(axes, int):
            return (kernels.softmax_grad(z, g, axes),)
        gz = g * z
        gz -= z * gz.sum(axis=axes, keepdims=True)
        return (gz,)

    return record(z, (x,), vjp)
