"""Keras 3's math ops (``keras.src.ops.math``): ``top_k``, ``in_top_k``, the segment
reductions, ``logsumexp``, ``erf``/``erfinv``, ``rsqrt`` and ``logdet``."""

from __future__ import annotations

from numeras.autodiff.composites import (
    as_tensor,
    constant,
    erf,
    erfinv,
    logsumexp,
    max,
    prod,
    reshape,
    rsqrt,
    scatter,
    slogdet,
    take_along_axis,
    where,
)
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def top_k(x, k: int, sorted: bool = True) -> tuple[Tensor, Tensor]:  # noqa: A002 - Keras's name
    """The k largest entries along the last axis and their int32 indices, largest first; among
    equal entries the lower index comes first (as Keras on JAX). The values are differentiable."""
    x = as_tensor(x)
    k = int(k)
    if not 0 < k <= x.data.shape[-1]:
        raise ValueError(f"top_k: `k` must be in [1, {x.data.shape[-1]}] (the last axis's length), received k={k}.")
    order = xp.argsort(-x.data if x.data.dtype.kind != "b" else ~x.data, axis=-1, kind="stable")[..., :k]
    return take_along_axis(x, order, axis=-1), constant(order.astype(xp.int32))


def in_top_k(targets, predictions, k: int) -> Tensor:
    """For each row of ``predictions``, whether the entry at ``targets`` is among the k largest
    (an entry tied with the k-th largest counts, as in Keras)."""
    predictions = as_tensor(predictions).data
    labels = xp.asarray(targets.data if isinstance(targets, Tensor) else targets).astype(xp.intp)
    kth = -xp.sort(-predictions, axis=-1)[..., int(k) - 1]
    target_values = xp.take_along_axis(predictions, labels[..., None], axis=-1)[..., 0]
    return constant(target_values >= kth)


def _segments(data, segment_ids, num_segments):
    data = as_tensor(data)
    ids = xp.asarray(segment_ids.data if isinstance(segment_ids, Tensor) else segment_ids).astype(xp.intp)
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    return data, ids, count


def segment_sum(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    """out[s] = the sum of the rows of ``data`` whose segment id is s (differentiable)."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    valid = (ids >= 0) & (ids < count)
    return scatter(ids[valid][:, None], data[xp.nonzero(valid)[0]] if not valid.all() else data, (count,) + data.data.shape[1:])


def _segment_table(data, ids, count, fill):
    """(count, rows, ...): data's rows where the row belongs to the segment, ``fill`` elsewhere."""
    membership = ids[None, :] == xp.arange(count)[:, None]
    membership = membership.reshape(membership.shape + (1,) * (data.data.ndim - 1))
    return where(membership, reshape(data, (1,) + data.data.shape), constant(xp.asarray(fill, dtype=data.data.dtype)))


def segment_max(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    """out[s] = the largest row entry in segment s (the dtype's lowest value for an empty segment,
    -inf for floats); differentiable."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    low = -xp.inf if data.data.dtype.kind == "f" else xp.iinfo(data.data.dtype).min
    return max(_segment_table(data, ids, count, low), axis=1)


def segment_min(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    """out[s] = the smallest row entry in segment s (+inf for an empty float segment)."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    high = xp.inf if data.data.dtype.kind == "f" else xp.iinfo(data.data.dtype).max
    return -max(-_segment_table(data, ids, count, high), axis=1)


def segment_prod(data, segment_ids, num_segments=None, sorted: bool = False) -> Tensor:  # noqa: A002
    """out[s] = the product of the rows in segment s (1 for an empty segment)."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    return prod(_segment_table(data, ids, count, 1), axis=1)


def extract_sequences(x, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of ``sequence_length`` entries every ``sequence_stride`` along the last axis:
    shape (..., num_frames, sequence_length); differentiable (a gather)."""
    x = as_tensor(x)
    n = x.data.shape[-1]
    count = 1 + (n - int(sequence_length)) // int(sequence_stride)
    if count < 1:
        raise ValueError(
            f"extract_sequences: the last axis ({n}) is shorter than `sequence_length` ({sequence_length})."
        )
    positions = xp.arange(count)[:, None] * int(sequence_stride) + xp.arange(int(sequence_length))[None, :]
    from numeras.autodiff.composites import getitem

    return getitem(x, (Ellipsis, positions))


def erfc(x) -> Tensor:
    """1 - erf(x) (computed as that difference: for x beyond about 4 it is 0 within float32)."""
    from numeras.autodiff.composites import subtract

    return subtract(1.0, erf(x))


def cdist(x, y) -> Tensor:
    """Euclidean distances between the rows of x (..., m, d) and of y (..., n, d): (..., m, n)."""
    from numeras.autodiff.composites import expand_dims, sqrt, sum

    x, y = as_tensor(x), as_tensor(y)
    if x.data.ndim < 2 or y.data.ndim < 2 or x.data.shape[-1] != y.data.shape[-1]:
        raise ValueError(
            "cdist: `x` and `y` must have rank >= 2 and the same last axis (the coordinates), "
            f"received shapes {x.data.shape} and {y.data.shape}."
        )
    difference = expand_dims(x, -2) - expand_dims(y, -3)
    return sqrt(sum(difference * difference, axis=-1))


def logdet(x) -> Tensor:
    """log(det x) of a positive-definite matrix (the log of |det|; differentiable)."""
    return slogdet(x)[1]


__all__ = [
    "cdist", "erf", "erfc", "erfinv", "extract_sequences", "in_top_k", "logdet", "logsumexp", "rsqrt", "segment_max", "segment_min",
    "segment_prod", "segment_sum", "top_k",
]
