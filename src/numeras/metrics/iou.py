"""Intersection-over-union metrics of Keras 3 (``IoU``, ``MeanIoU``, ``BinaryIoU``,
``OneHotIoU``, ``OneHotMeanIoU``): a confusion matrix of class ids accumulated over batches (in an
int32 variable ``total_confusion_matrix``, as Keras keeps it), and the IoU of chosen classes,
tp / (tp + fp + fn), averaged over the classes that occurred."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from numeras import backend
from numeras.backend import xp
from numeras.metrics.metric import Metric, as_array, to_result


class _IoUBase(Metric):
    """Accumulates the confusion matrix (rows: true class, columns: predicted class)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(name=name, dtype=dtype or "int32")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true, y_pred = as_array(y_true), as_array(y_pred)
        if not self.sparse_y_true:
            y_true = y_true.argmax(axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = y_pred.argmax(axis=self.axis)
        # Class ids in the metric's dtype (an int dtype truncates, as Keras's cast does).
        y_true = y_true.astype(self.dtype).reshape(-1)
        y_pred = y_pred.astype(self.dtype).reshape(-1)
        if sample_weight is None:
            weights = xp.ones(y_true.shape, dtype=self.dtype)
        else:
            raw = as_array(sample_weight)
            if raw.dtype.kind == "f" and xp.dtype(self.dtype).kind in "iu":
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result in an "
                    "incorrect weight due to type casting. Consider using integer weights.",
                    stacklevel=2,
                )
            weights = xp.broadcast_to(raw.astype(self.dtype).reshape(-1) if raw.ndim > 1 else raw.astype(self.dtype), y_true.shape)
        in_bounds = (y_true >= 0) & (y_true < self.num_classes) & (y_pred >= 0) & (y_pred < self.num_classes)
        if self.ignore_class is not None:
            in_bounds &= y_true != self.ignore_class
        rows = xp.where(in_bounds, y_true, 0).astype(xp.intp)
        cols = xp.where(in_bounds, y_pred, 0).astype(xp.intp)
        weights = xp.where(in_bounds, weights, 0)
        counts = xp.bincount(rows * self.num_classes + cols, weights=weights, minlength=self.num_classes**2)
        self.total_cm.assign_add(counts.reshape(self.num_classes, self.num_classes).astype(self.dtype))


class IoU(_IoUBase):
    """Mean IoU of the classes ``target_class_ids``: IoU = tp / (tp + fp + fn) from the
    accumulated confusion matrix; classes that never occurred (denominator 0) are left out.

    Args:
        num_classes: the number of classes (the confusion matrix is num_classes^2).
        target_class_ids: the class ids whose IoU is averaged.
        name, dtype: as for every metric (dtype defaults to int32, the confusion matrix's).
        ignore_class: a class id whose entries are not counted.
        sparse_y_true / sparse_y_pred: whether labels / predictions are class ids (True) or
            per-class scores to take the argmax of along ``axis`` (False).
        axis: the class axis of dense inputs.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
            dtype=dtype,
        )
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes}). "
                "Pass ids smaller than num_classes."
            )
        self.target_class_ids = list(target_class_ids)

    def result(self) -> float:
        cm = self.total_cm.data
        true_positives = xp.diag(cm).astype(self.dtype)
        denominator = cm.sum(axis=0).astype(self.dtype) + cm.sum(axis=1).astype(self.dtype) - true_positives
        ids = xp.asarray(self.target_class_ids, dtype=xp.intp)
        true_positives = true_positives[ids].astype(xp.float32)
        denominator = denominator[ids].astype(xp.float32)
        valid = denominator > 1e-9
        eps = xp.float32(backend.epsilon())
        iou = xp.where(valid, true_positives / (denominator + eps), xp.float32(0))
        return to_result(xp.float32(iou.sum() / (valid.sum(dtype=xp.float32) + eps)))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU for binary labels, predictions counting as class 1 where ``y_pred >= threshold``.

    Args:
        target_class_ids: (0,), (1,) or (0, 1) (the default: the mean of both).
        threshold: the decision threshold (default 0.5).
        name, dtype: as for every metric.
    """

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: str | None = None, dtype: Any = None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_array(y_true).astype(self.dtype)
        y_pred = (as_array(y_pred, xp.float32) >= self.threshold).astype(self.dtype)
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self) -> dict:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name, "dtype": self.dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes (those that occurred).

    Args: as for ``IoU``, without ``target_class_ids``.
    """

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_true: bool = True,
        sparse_y_pred: bool = True,
        axis: int = -1,
    ):
        super().__init__(
            name=name,
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            axis=axis,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self) -> dict:
        return {
            "num_classes": self.num_classes,
            "name": self.name,
            "dtype": self.dtype,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class OneHotIoU(IoU):
    """``IoU`` for one-hot labels (and, unless ``sparse_y_pred``, per-class scores).

    Args: as for ``IoU``, labels always dense.
    """

    def __init__(
        self,
        num_classes: int,
        target_class_ids: Sequence[int],
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]  # always False here: the labels are one-hot
        return config


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` for one-hot labels (and, unless ``sparse_y_pred``, per-class scores)."""

    def __init__(
        self,
        num_classes: int,
        name: str | None = None,
        dtype: Any = None,
        ignore_class: int | None = None,
        sparse_y_pred: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            num_classes=num_classes,
            axis=axis,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
        )

    def get_config(self) -> dict:
        config = super().get_config()
        del config["sparse_y_true"]  # always False here: the labels are one-hot
        return config
