"""Numerical helpers of ``numeras.utils``: one-hot labels (``to_categorical``) and ``normalize``."""

from __future__ import annotations

from typing import Any

from numeras import backend
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp


def to_categorical(x: Any, num_classes: int | None = None):
    """Integer class labels as one-hot rows (float32), the class axis last.

    ``to_categorical([0, 2], 3)`` is ``[[1, 0, 0], [0, 0, 1]]``. Labels shaped ``(n, 1)`` give
    ``(n, num_classes)``, not ``(n, 1, num_classes)``. ``num_classes=None`` means ``max(x) + 1``.
    A Tensor gives a Tensor (``numeras.ops.one_hot``); anything else gives an ndarray.
    """
    if isinstance(x, Tensor):
        if num_classes is None:
            num_classes = int(x.data.max()) + 1 if x.data.size else 0
        from numeras import ops

        return ops.one_hot(x, int(num_classes))
    labels = xp.asarray(x)
    if labels.dtype.kind == "f":
        if not bool(xp.all(labels == xp.floor(labels))):
            raise ValueError(
                "to_categorical: `x` must hold integer class labels, received floats with a "
                "fractional part. Round or cast the labels to integers first."
            )
    elif labels.dtype.kind not in "iub":
        raise ValueError(
            f"to_categorical: `x` must hold integer class labels, received dtype {labels.dtype}."
        )
    labels = labels.astype("int64")
    shape = labels.shape
    # Keras drops a trailing axis of length 1, so (n, 1) labels become (n, num_classes).
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1)
    if num_classes is None:
        if flat.size == 0:
            raise ValueError("to_categorical: `x` is empty, so pass `num_classes` explicitly.")
        num_classes = int(flat.max()) + 1
    num_classes = int(num_classes)
    if flat.size and (int(flat.min()) < 0 or int(flat.max()) >= num_classes):
        raise ValueError(
            f"to_categorical: labels must lie in [0, num_classes) = [0, {num_classes}), received "
            f"values from {int(flat.min())} to {int(flat.max())}. Pass a larger `num_classes` or "
            "fix the labels."
        )
    one_hot = xp.zeros((flat.size, num_classes), dtype="float32")
    one_hot[xp.arange(flat.size), flat] = 1.0
    return one_hot.reshape(shape + (num_classes,))


def normalize(x: Any, axis: int = -1, order: int = 2):
    """x divided by its L``order`` norm along ``axis``: ``x / ||x||_order``.

    An ndarray (or list) gives an ndarray, where an all-zero slice stays zero (its norm is taken
    as 1, as Keras does). A Tensor gives a differentiable Tensor ``x / max(||x||, epsilon)``.
    """
    if not isinstance(order, int) or isinstance(order, bool) or order < 1:
        raise ValueError(f"normalize: `order` must be an int >= 1, received order={order!r}.")
    if isinstance(x, Tensor):
        return _normalize_tensor(x, axis, order)
    array = xp.asarray(x)
    if array.dtype.kind != "f":
        array = array.astype(backend.floatx())
    norm = xp.atleast_1d(xp.linalg.norm(array, order, axis))
    norm[norm == 0] = 1
    return array / xp.expand_dims(norm, axis if axis is not None else -1)


def _normalize_tensor(x: Tensor, axis: int, order: int) -> Tensor:
    from numeras import ops

    if x.ndim == 0:
        x = ops.expand_dims(x, 0)
    if x.data.dtype.kind != "f":
        x = ops.cast(x, backend.floatx())
    epsilon = backend.epsilon()
    if order == 1:
        return ops.divide(x, ops.maximum(ops.sum(ops.abs(x), axis=axis, keepdims=True), epsilon))
    # The floor goes under the root (sum |x|^p >= eps^p) rather than on the norm, so an
    # all-zero slice never differentiates the root at 0 (which would give 0 * inf = nan).
    floor = max(epsilon**order, float(xp.finfo(x.data.dtype).tiny))
    if order == 2:
        powered_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
        return ops.divide(x, ops.sqrt(ops.maximum(powered_sum, floor)))
    powered_sum = ops.sum(ops.power(ops.abs(x), float(order)), axis=axis, keepdims=True)
    return ops.divide(x, ops.power(ops.maximum(powered_sum, floor), 1.0 / order))
