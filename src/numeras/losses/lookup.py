"""Name lookup for ``numeras.losses``: the table of every loss name (``ALL_OBJECTS_DICT``) and the
``get``/``serialize``/``deserialize``/``resolve`` that turn what users pass to ``compile(loss=...)``
into a loss.

``get`` accepts a name (``"categorical_crossentropy"``, ``"mse"``, ``"CategoricalCrossentropy"``),
a config dict, a ``Loss`` instance or class, or any function ``fn(y_true, y_pred)``. ``resolve``
also handles ``"crossentropy"``/``"ce"``, whose meaning depends on the shapes of the targets and
outputs. ``numeras.losses`` re-exports the public names.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from numeras.losses.classes import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from numeras.losses.ctc import CTC, ctc
from numeras.losses.focal import (
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from numeras.losses.functions import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from numeras.losses.loss import (
    Loss,
    LossFunctionWrapper,
)
from numeras.losses.overlap import Circle, Dice, Tversky, circle, dice, tversky
from numeras.losses.validation import is_binary_or_sparse_categorical
from numeras.saving.object_registration import (
    register_builtins,
    serialize_function,
    serialize_object,
    unknown_name_error,
)
from numeras.utils.naming import to_snake_case

ALL_OBJECTS: tuple = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    kl_divergence,
    poisson,
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    CTC,
    Dice,
    Tversky,
    Circle,
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    ctc,
    dice,
    tversky,
    circle,
)

ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "kullback_leibler_divergence": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "logcosh": log_cosh,
        "huber_loss": huber,
    }
)
"""Every name ``get`` and ``deserialize`` understand, mapped to its function or class."""
register_builtins("losses", ALL_OBJECTS_DICT)
_CLASS_EXAMPLE = "CategoricalCrossentropy"

SHAPE_DEPENDENT_NAMES = ("crossentropy", "ce")
"""Names whose loss depends on the data: binary, categorical or sparse cross-entropy."""


def serialize(loss: Loss | Callable) -> dict:
    """A JSON-friendly description of ``loss`` (Keras's format) that ``deserialize`` reverses."""
    if isinstance(loss, Loss):
        return serialize_object(loss, "numeras.losses")
    if inspect.isfunction(loss) or inspect.isbuiltin(loss):
        return serialize_function(loss, "numeras.losses")
    raise TypeError(
        f"losses.serialize: `loss` must be a Loss instance or a function, received {type(loss).__name__}."
    )


def deserialize(config: dict | str, custom_objects: dict | None = None) -> Loss | Callable:
    """The loss described by ``config`` (from ``serialize``, or a name); ``custom_objects`` maps
    extra names to your own functions or ``Loss`` classes."""
    objects = dict(ALL_OBJECTS_DICT)
    if custom_objects:
        objects.update(custom_objects)
    if isinstance(config, str):
        name = config
        if name not in objects:
            raise unknown_name_error("loss", name, list(objects), class_example=_CLASS_EXAMPLE)
        return objects[name]
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "losses.deserialize: expected a name or a dict with 'class_name' and 'config' (as made by "
            f"losses.serialize), received {config!r}."
        )
    class_name, inner = config["class_name"], config.get("config")
    if class_name == "function":
        return deserialize(inner, custom_objects)
    if class_name not in objects:
        raise unknown_name_error(
            "loss class", class_name, [n for n, o in objects.items() if inspect.isclass(o)], class_example=_CLASS_EXAMPLE
        )
    cls = objects[class_name]
    return cls.from_config(dict(inner or {}))


def get(identifier: Any) -> Loss | Callable | None:
    """The loss for ``identifier``: ``None``, a name, a config dict, a ``Loss`` instance or class,
    or a function ``fn(y_true, y_pred)``.

    A function name returns the function (``get("mse")`` is ``mean_squared_error``); a class name
    returns a new instance with the default configuration.
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        if identifier.lower() in SHAPE_DEPENDENT_NAMES:
            raise ValueError(
                f"The loss {identifier!r} means binary, categorical or sparse categorical cross-entropy "
                "depending on the shapes of the targets and outputs, so it cannot be looked up alone. "
                "Call numeras.losses.resolve(identifier, y_true, y_pred), or name the loss you want."
            )
        if identifier not in ALL_OBJECTS_DICT:
            raise unknown_name_error("loss", identifier, list(ALL_OBJECTS_DICT), class_example=_CLASS_EXAMPLE)
        obj = ALL_OBJECTS_DICT[identifier]
    else:
        obj = identifier
    if inspect.isclass(obj):
        if not issubclass(obj, Loss):
            raise ValueError(f"Could not interpret loss identifier: {identifier!r} is a class but not a Loss.")
        return obj()
    if callable(obj):
        return obj
    raise ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Pass a loss name such as "
        "'categorical_crossentropy', a Loss instance, or a function fn(y_true, y_pred)."
    )


def resolve(identifier: Any, y_true: Any, y_pred: Any) -> Loss | None:
    """The ``Loss`` that ``compile(loss=identifier)`` trains with, given a batch of targets and
    model outputs (arrays, Tensors or shapes). Keras's rule for ``"crossentropy"``/``"ce"``:
    binary when the output has one unit, sparse when the targets have one fewer axis (or a last
    axis of 1 against several outputs), categorical otherwise. Functions are wrapped in a
    ``LossFunctionWrapper`` named after the identifier."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in SHAPE_DEPENDENT_NAMES:
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            loss = binary_crossentropy
        elif is_sparse:
            loss = sparse_categorical_crossentropy
        else:
            loss = categorical_crossentropy
    else:
        loss = get(identifier)
    if isinstance(loss, Loss):
        return loss
    name = identifier if isinstance(identifier, str) else to_snake_case(getattr(loss, "__name__", type(loss).__name__))
    return LossFunctionWrapper(loss, name=name)
