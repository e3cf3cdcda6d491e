"""Metric classes that are running means of a per-sample function (Keras 3's accuracy,
regression, probabilistic and hinge metrics), each with Keras's default name and config."""

from __future__ import annotations

from typing import Any

from numeras import losses
from numeras.backend import xp
from numeras.metrics import functions as F
from numeras.metrics.metric import Mean, MeanMetricWrapper, as_array, squeeze_or_expand_arrays, to_result


class _WrapperWithBaseConfig(MeanMetricWrapper):
    """A wrapper whose configuration is only its name and dtype."""

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype}


# -- accuracy -----------------------------------------------------------------------------
class Accuracy(_WrapperWithBaseConfig):
    """How often predictions equal labels exactly (``y_pred == y_true``).

    For classifiers use ``metrics=["accuracy"]`` instead: ``compile`` then picks binary,
    categorical or sparse categorical accuracy from the shapes.
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(fn=F.accuracy, name=name, dtype=dtype)
        self._direction = "up"


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches 0/1 labels.

    Args:
        name, dtype: as for every metric.
        threshold: in (0, 1); predictions above it count as 1.
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        if threshold is not None and (threshold <= 0 or threshold >= 1):
            raise ValueError(
                "Invalid value for argument `threshold`: expected a value in the interval (0, 1), "
                f"received threshold={threshold}. For a model that outputs logits use a "
                "BinaryAccuracy on sigmoid outputs, or Precision/Recall(thresholds=0)."
            )
        super().__init__(fn=F.binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(_WrapperWithBaseConfig):
    """How often argmax(y_pred) matches argmax of one-hot labels (logits work as well)."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(fn=F.categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


class SparseCategoricalAccuracy(_WrapperWithBaseConfig):
    """How often argmax(y_pred) matches integer labels (logits work as well)."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(fn=F.sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target class is among the ``k`` highest predictions (default 5)."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(fn=F.top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer target class is among the ``k`` highest predictions (default 5)."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None):
        super().__init__(fn=F.sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


# -- regression -----------------------------------------------------------------------------
class MeanSquaredError(_WrapperWithBaseConfig):
    """Running mean of mean((y_true - y_pred)^2)."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(fn=losses.mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsoluteError(_WrapperWithBaseConfig):
    """Running mean of mean(|y_true - y_pred|)."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(fn=losses.mean_absolute_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsolutePercentageError(_WrapperWithBaseConfig):
    """Running mean of 100 * mean(|y_true - y_pred| / max(|y_true|, epsilon))."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(fn=losses.mean_absolute_percentage_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanSquaredLogarithmicError(_WrapperWithBaseConfig):
    """Running mean of mean((log(y_true + 1) - log(y_pred + 1))^2)."""

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(fn=losses.mean_squared_logarithmic_error, name=name, dtype=dtype)
        self._direction = "down"


class RootMeanSquaredError(Mean):
    """sqrt of the running mean of the squared error: sqrt(mean((y_pred - y_true)^2))."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        y_true = as_array(y_true, self.dtype)
        y_pred = as_array(y_pred, self.dtype)
        y_true, y_pred = squeeze_or_expand_arrays(y_true, y_pred)
        squared_error = xp.square(y_pred - y_true)
        super().update_state(squared_error, sample_weight=sample_weight)

    def result(self) -> float:
        return to_result(xp.sqrt(xp.asarray(super().result(), dtype=self.dtype)))


class CosineSimilarity(MeanMetricWrapper):
    """Running mean of the cosine similarity sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)."""

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        super().__init__(fn=F.cosine_similarity, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class LogCoshError(_WrapperWithBaseConfig):
    """Running mean of mean(log(cosh(y_pred - y_true)))."""

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(fn=losses.log_cosh, name=name, dtype=dtype)
        self._direction = "down"


# -- probabilistic ----------------------------------------------------------------------------
class BinaryCrossentropy(MeanMetricWrapper):
    """Running mean of the binary cross-entropy (see ``numeras.losses.binary_crossentropy``)."""

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
    ):
        super().__init__(
            fn=losses.binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self._direction = "down"

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the categorical cross-entropy (see ``numeras.losses.categorical_crossentropy``)."""

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
    ):
        super().__init__(
            fn=losses.categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
            label_smoothing=label_smoothing, axis=axis,
        )
        self.from_logits = from_logits
        self.label_smoothing = label_smoothing
        self.axis = axis
        self._direction = "down"

    def get_config(self) -> dict:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
            "axis": self.axis,
        }


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Running mean of the sparse categorical cross-entropy."""

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        axis: int = -1,
    ):
        super().__init__(
            fn=losses.sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits, axis=axis
        )
        self.from_logits = from_logits
        self.axis = axis
        self._direction = "down"

    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype, "from_logits": self.from_logits, "axis": self.axis}


class KLDivergence(_WrapperWithBaseConfig):
    """Running mean of the Kullback-Leibler divergence sum(y_true * log(y_true / y_pred))."""

    def __init__(self, name: str = "kl_divergence", dtype: Any = None):
        super().__init__(fn=losses.kl_divergence, name=name, dtype=dtype)
        self._direction = "down"


class Poisson(_WrapperWithBaseConfig):
    """Running mean of the Poisson loss mean(y_pred - y_true * log(y_pred + epsilon))."""

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(fn=losses.poisson, name=name, dtype=dtype)
        self._direction = "down"


# -- hinge ------------------------------------------------------------------------------------
class Hinge(_WrapperWithBaseConfig):
    """Running mean of the hinge loss mean(max(1 - y_true * y_pred, 0))."""

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(fn=losses.hinge, name=name, dtype=dtype)
        self._direction = "down"


class SquaredHinge(_WrapperWithBaseConfig):
    """Running mean of the squared hinge loss mean(max(1 - y_true * y_pred, 0)^2)."""

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(fn=losses.squared_hinge, name=name, dtype=dtype)
        self._direction = "down"


class CategoricalHinge(_WrapperWithBaseConfig):
    """Running mean of the categorical hinge loss max(neg - pos + 1, 0)."""

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(fn=losses.categorical_hinge, name=name, dtype=dtype)
        self._direction = "down"
