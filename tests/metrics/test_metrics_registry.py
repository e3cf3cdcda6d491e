"""``metrics.get``, ``metrics.resolve`` (Keras's 'accuracy'/'acc' rule) and serialization."""

import numpy as np
import pytest

from numeras import losses, metrics


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((32, 1), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 1), metrics.BinaryAccuracy),
        ((32,), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
        ((32, 10), (32, 10), metrics.CategoricalAccuracy),
        ((32, 7), (32, 7, 5), metrics.SparseCategoricalAccuracy),
    ],
)
@pytest.mark.parametrize("identifier", ["accuracy", "acc", "Accuracy", "ACC"])
def test_accuracy_is_chosen_from_the_shapes(identifier, y_true_shape, y_pred_shape, expected):
    metric = metrics.resolve(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert type(metric) is expected
    assert metric.name == identifier  # 'acc' stays 'acc'
    assert type(metrics.resolve(identifier, y_true_shape, y_pred_shape)) is expected  # shapes work too


def test_accuracy_from_the_loss_when_targets_are_unknown():
    assert type(metrics.resolve("accuracy", None, (None, 10), loss="sparse_categorical_crossentropy")) is (
        metrics.SparseCategoricalAccuracy
    )
    assert type(metrics.resolve("acc", None, (None, 10), loss=losses.CategoricalCrossentropy())) is metrics.CategoricalAccuracy
    assert type(metrics.resolve("acc", None, (None, 1), loss="binary_crossentropy")) is metrics.BinaryAccuracy
    assert type(metrics.resolve("acc", None, (None, 1))) is metrics.BinaryAccuracy
    with pytest.raises(ValueError, match="targets and outputs"):
        metrics.resolve("acc")


def test_crossentropy_metric_follows_the_shapes_and_the_losss_from_logits():
    metric = metrics.resolve("ce", (32,), (32, 10), loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    assert type(metric) is metrics.SparseCategoricalCrossentropy and metric.from_logits and metric.name == "ce"
    metric = metrics.resolve("crossentropy", (32, 10), (32, 10))
    assert type(metric) is metrics.CategoricalCrossentropy and not metric.from_logits
    assert type(metrics.resolve("crossentropy", (32, 1), (32, 1))) is metrics.BinaryCrossentropy


def test_resolve_keeps_the_name_written():
    mse = metrics.resolve("mse", (4, 1), (4, 1))
    assert type(mse) is metrics.MeanSquaredError and mse.name == "mse"
    assert [v.path for v in mse.variables] == ["mse/total", "mse/count"]
    assert metrics.resolve("categorical_accuracy").name == "categorical_accuracy"
    instance = metrics.AUC(name="roc")
    assert metrics.resolve(instance) is instance and instance.name == "roc"


def test_resolve_wraps_functions():
    def my_metric(y_true, y_pred):
        return np.abs(np.asarray(y_true) - np.asarray(y_pred)).max(axis=-1)

    metric = metrics.resolve(my_metric, (2, 2), (2, 2))
    assert isinstance(metric, metrics.MeanMetricWrapper) and metric.name == "my_metric"
    metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.5, 1.0], [0.0, 2.0]])
    assert metric.result() == pytest.approx(1.25)
    wrapped_loss = metrics.resolve(losses.mean_absolute_error)
    assert wrapped_loss.name == "mean_absolute_error" and wrapped_loss._direction == "down"
    assert metrics.resolve(None) is None


@pytest.mark.parametrize(
    "name, cls",
    [
        ("mse", metrics.MeanSquaredError),
        ("MAE", metrics.MeanAbsoluteError),
        ("mape", metrics.MeanAbsolutePercentageError),
        ("msle", metrics.MeanSquaredLogarithmicError),
        ("bce", metrics.BinaryCrossentropy),
        ("kld", metrics.KLDivergence),
        ("logcosh", metrics.LogCoshError),
        ("categorical_accuracy", metrics.CategoricalAccuracy),
        ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
        ("root_mean_squared_error", metrics.RootMeanSquaredError),
        ("auc", metrics.AUC),
        ("AUC", metrics.AUC),
        ("precision", metrics.Precision),
        ("Recall", metrics.Recall),
        ("accuracy", metrics.Accuracy),  # as keras.metrics.get: exact equality
    ],
)
def test_get_names(name, cls):
    assert type(metrics.get(name)) is cls


def test_get_other_identifiers():
    assert metrics.get(None) is None
    instance = metrics.Precision()
    assert metrics.get(instance) is instance
    assert type(metrics.get(metrics.Recall)) is metrics.Recall
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    configured = metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}})
    assert type(configured) is metrics.BinaryAccuracy and configured.threshold == 0.3


def test_unknown_metric_names():
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'. Did you mean 'accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Did you mean 'categorical_accuracy'"):
        metrics.resolve("categorial_accuracy", (2,), (2, 3))
    with pytest.raises(ValueError, match="resolve"):
        metrics.get("acc")
    with pytest.raises(ValueError, match="Could not interpret"):
        metrics.get(3.5)


CONFIGURED = [
    metrics.BinaryAccuracy(threshold=0.3, name="ba"),
    metrics.TopKCategoricalAccuracy(k=3),
    metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CosineSimilarity(axis=1),
    metrics.Precision(thresholds=[0.2, 0.7], class_id=1),
    metrics.Recall(top_k=2),
    metrics.TruePositives(thresholds=0.3),
    metrics.AUC(num_thresholds=10),
    metrics.MeanMetricWrapper(losses.huber, name="h", delta=2.0),
]


@pytest.mark.parametrize("metric", CONFIGURED, ids=lambda m: type(m).__name__)
def test_serialize_round_trip(metric):
    restored = metrics.deserialize(metrics.serialize(metric))
    assert type(restored) is type(metric)
    assert restored.get_config() == metric.get_config()


def test_wrapper_round_trip_keeps_the_function():
    restored = metrics.deserialize(metrics.serialize(CONFIGURED[-1]))
    assert restored._fn is losses.huber and restored._fn_kwargs == {"delta": 2.0}
    assert metrics.deserialize(metrics.serialize(metrics.sparse_categorical_accuracy)) is metrics.sparse_categorical_accuracy
