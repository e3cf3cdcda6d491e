"""``numeras.losses``: Keras 3's losses, as functions and as ``Loss`` classes.

``get`` turns what users pass to ``compile(loss=...)`` into a loss: a name
(``"categorical_crossentropy"``, ``"mse"``, ``"CategoricalCrossentropy"``), a config dict, a
``Loss`` instance or class, or any function ``fn(y_true, y_pred)``. ``resolve`` also handles
``"crossentropy"``/``"ce"``, whose meaning depends on the shapes of the targets and outputs, and
``validate_targets`` checks the labels against the loss before training starts.

This module only gathers the public names; the name table and the lookups live in
:mod:`numeras.losses.lookup`.
"""

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
from numeras.losses.ctc import CTC, ctc, ctc_loss
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
from numeras.losses.lookup import ALL_OBJECTS, ALL_OBJECTS_DICT, deserialize, get, resolve, serialize
from numeras.losses.loss import (
    Loss,
    LossFunctionWrapper,
    reduce_values,
    reduce_weighted_values,
    standardize_reduction,
)
from numeras.losses.overlap import Circle, Dice, Tversky, circle, dice, tversky
from numeras.losses.validation import is_binary_or_sparse_categorical, loss_kind, validate_targets

# Short and legacy names (Keras 3's and tf.keras's) for the same functions.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy

__all__ = [
    "BCE",
    "KLD",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "bce",
    "kld",
    "kullback_leibler_divergence",
    "logcosh",
    "mae",
    "mape",
    "mse",
    "msle",
    "ALL_OBJECTS",
    "ALL_OBJECTS_DICT",
    "CTC",
    "BinaryFocalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy",
    "Circle",
    "Dice",
    "Tversky",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy",
    "circle",
    "ctc",
    "ctc_loss",
    "dice",
    "tversky",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "LossFunctionWrapper",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "deserialize",
    "get",
    "hinge",
    "huber",
    "is_binary_or_sparse_categorical",
    "kl_divergence",
    "log_cosh",
    "loss_kind",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "reduce_values",
    "reduce_weighted_values",
    "resolve",
    "serialize",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "standardize_reduction",
    "validate_targets",
]
