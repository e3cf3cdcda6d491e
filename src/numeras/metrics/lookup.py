"""Name lookup for ``numeras.metrics``: the tables of every metric name (``ALL_OBJECTS_DICT`` for
the classes, ``FUNCTIONS`` for the functions) and the ``get``/``serialize``/``deserialize``/
``resolve`` that turn what users pass to ``compile(metrics=[...])`` into a metric.

``resolve`` applies Keras's rule for ``"accuracy"``/``"acc"`` (and ``"crossentropy"``/``"ce"``):
binary, categorical or sparse categorical, chosen from the shapes of the targets and outputs,
keeping the name the user wrote. ``numeras.metrics`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from numeras.losses import (
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    loss_kind,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from numeras.losses.validation import is_binary_or_sparse_categorical
from numeras.metrics.at_threshold import (
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)
from numeras.metrics.classes import (
    Accuracy,
    BinaryAccuracy,
    BinaryCrossentropy,
    CategoricalAccuracy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    TopKCategoricalAccuracy,
)
from numeras.metrics.confusion import (
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from numeras.metrics.correlation import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from numeras.metrics.f_score import F1Score, FBetaScore
from numeras.metrics.functions import (
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from numeras.metrics.iou import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from numeras.metrics.metric import Mean, MeanMetricWrapper, Metric, Sum
from numeras.metrics.r2_score import R2Score
from numeras.saving.object_registration import (
    register_builtins,
    serialize_function,
    serialize_object,
    unknown_name_error,
)
from numeras.utils.naming import to_snake_case

ALL_OBJECTS: tuple = (
    Metric,
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    R2Score,
    PearsonCorrelation,
    ConcordanceCorrelation,
    F1Score,
    FBetaScore,
    IoU,
    BinaryIoU,
    MeanIoU,
    OneHotIoU,
    OneHotMeanIoU,
    PrecisionAtRecall,
    RecallAtPrecision,
    SensitivityAtSpecificity,
    SpecificityAtSensitivity,
)

ALL_OBJECTS_DICT: dict[str, Any] = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update(
    {
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
        "kld": KLDivergence,
        "KLD": KLDivergence,
        "logcosh": LogCoshError,
    }
)
"""Every name ``get`` understands, mapped to its ``Metric`` class (Keras's table and aliases)."""

FUNCTIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        log_cosh,
        huber,
        hinge,
        squared_hinge,
        categorical_hinge,
        kl_divergence,
        poisson,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        binary_focal_crossentropy,
        categorical_focal_crossentropy,
        pearson_correlation,
        concordance_correlation,
    )
}
"""The metric functions by name (what ``serialize`` writes for a function metric)."""

register_builtins("metrics", {**FUNCTIONS, **ALL_OBJECTS_DICT})

SHAPE_DEPENDENT_NAMES = ("accuracy", "acc", "crossentropy", "ce")
"""Names whose metric ``resolve`` picks from the shapes of the targets and outputs."""


def serialize(metric: Metric | Callable) -> dict:
    """A JSON-friendly description of ``metric`` (Keras's format) that ``deserialize`` reverses."""
    if isinstance(metric, Metric):
        return serialize_object(metric, "numeras.metrics")
    if callable(metric) and hasattr(metric, "__name__"):
        return serialize_function(metric, "numeras.metrics")
    raise TypeError(f"metrics.serialize: expected a Metric or a function, received {type(metric).__name__}.")


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Metric | Callable:
    """The metric described by ``config`` (from ``serialize``, or a name); ``custom_objects`` maps
    extra names to your own functions or ``Metric`` classes."""
    objects: dict[str, Any] = {**FUNCTIONS, **ALL_OBJECTS_DICT}
    if custom_objects:
        objects.update(custom_objects)
    if isinstance(config, str):
        if config not in objects:
            raise unknown_name_error("metric", config, list(objects), class_example="CategoricalAccuracy")
        obj = objects[config]
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "metrics.deserialize: expected a name or a dict with 'class_name' and 'config' (as made by "
            f"metrics.serialize), received {config!r}."
        )
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        fn = {**FUNCTIONS, **(custom_objects or {})}.get(inner)
        if fn is None:
            raise unknown_name_error("metric function", str(inner), list(FUNCTIONS))
        return fn
    if class_name not in objects or not inspect.isclass(objects[class_name]):
        names = [n for n, o in objects.items() if inspect.isclass(o)]
        raise unknown_name_error("metric class", class_name, names, class_example="CategoricalAccuracy")
    return objects[class_name].from_config(dict(inner or {}))


def get(identifier: Any) -> Metric | Callable | None:
    """The metric for ``identifier``: ``None``, a name (``"mae"``, ``"categorical_accuracy"``,
    ``"AUC"``), a config dict, a ``Metric`` instance or class, or a function ``fn(y_true, y_pred)``.

    Names give new ``Metric`` instances; functions are returned as they are. ``"acc"`` and
    ``"crossentropy"`` depend on the data: use ``resolve`` for those (and for ``"accuracy"`` as
    ``compile`` means it; ``get("accuracy")`` is the exact-equality ``Accuracy`` metric, as in Keras).
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            if identifier.lower() in SHAPE_DEPENDENT_NAMES:
                raise ValueError(
                    f"The metric {identifier!r} means binary, categorical or sparse categorical "
                    f"{'accuracy' if identifier.lower().startswith('acc') else 'cross-entropy'} depending "
                    "on the shapes of the targets and outputs. Call numeras.metrics.resolve(identifier, "
                    "y_true, y_pred), or name the metric you want (e.g. 'categorical_accuracy')."
                )
            raise unknown_name_error("metric", identifier, list(ALL_OBJECTS_DICT), class_example="CategoricalAccuracy")
        return ALL_OBJECTS_DICT[identifier]()
    if isinstance(identifier, Metric):
        return identifier
    if inspect.isclass(identifier):
        if not issubclass(identifier, Metric):
            raise ValueError(f"Could not interpret metric identifier: {identifier!r} is a class but not a Metric.")
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Pass a metric name such as 'accuracy', "
        "a Metric instance, or a function fn(y_true, y_pred)."
    )


def _classification_kind(y_true: Any, y_pred: Any, loss: Any) -> str:
    """"binary", "sparse" or "categorical": Keras's shape rule when the targets are known,
    otherwise the loss (or, lacking one, the width of the output)."""
    if y_true is not None and y_pred is not None:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        return "binary" if is_binary else "sparse" if is_sparse else "categorical"
    kind = loss_kind(loss) if loss is not None else None
    if kind in ("binary", "sparse", "categorical"):
        return kind
    if y_pred is None:
        raise ValueError(
            "metrics.resolve: to choose between binary, categorical and sparse categorical metrics, "
            "pass the targets and outputs (or their shapes), or a cross-entropy loss."
        )
    is_binary, _ = is_binary_or_sparse_categorical(None, y_pred)
    return "binary" if is_binary else "categorical"


def _rename(metric: Metric, name: str) -> Metric:
    metric.name = name
    for variable in metric._variables:
        variable.path = f"{name}/{variable.name}"
    return metric


def resolve(identifier: Any, y_true: Any = None, y_pred: Any = None, loss: Any = None) -> Metric | None:
    """The ``Metric`` that ``compile(metrics=[identifier])`` reports, for targets ``y_true`` and
    outputs ``y_pred`` (arrays, Tensors or shapes) and the compiled ``loss``.

    - ``"accuracy"``/``"acc"``: ``BinaryAccuracy`` when the output has one unit,
      ``SparseCategoricalAccuracy`` when the targets have fewer axes than the output (or a last
      axis of 1 against several outputs), ``CategoricalAccuracy`` otherwise (Keras 3's
      ``compile_utils`` rule). Without targets the loss decides.
    - ``"crossentropy"``/``"ce"``: the matching cross-entropy metric, with the loss's
      ``from_logits``.
    - anything else as ``get``; functions are wrapped in ``MeanMetricWrapper``.

    The metric is named as the user wrote it (``"acc"`` is reported as ``"acc"``).
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in SHAPE_DEPENDENT_NAMES:
        kind = _classification_kind(y_true, y_pred, loss)
        if identifier.lower() in ("accuracy", "acc"):
            cls = {"binary": BinaryAccuracy, "sparse": SparseCategoricalAccuracy, "categorical": CategoricalAccuracy}[kind]
            return cls(name=identifier)
        cls = {
            "binary": BinaryCrossentropy,
            "sparse": SparseCategoricalCrossentropy,
            "categorical": CategoricalCrossentropy,
        }[kind]
        from_logits = bool(getattr(loss, "from_logits", False)) if loss_kind(loss) == kind else False
        return cls(name=identifier, from_logits=from_logits)
    metric = get(identifier)
    if isinstance(identifier, str):
        name = identifier
    elif isinstance(metric, Metric):
        name = metric.name
    else:
        name = to_snake_case(getattr(metric, "__name__", type(metric).__name__))
    if not isinstance(metric, Metric):
        return MeanMetricWrapper(metric, name=name)
    return _rename(metric, name)
