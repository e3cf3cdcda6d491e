"""Accuracy, regression, probabilistic and hinge metrics against hand computations over several
batches (the running, sample-weighted means Keras reports)."""

import numpy as np
import pytest

import numeras as nr
from numeras import losses, metrics, ops

RNG = np.random.default_rng(5)


def _batches(make, count=3):
    return [make(size) for size in (7, 4, 9)[:count]]


def _run(metric, batches, weighted):
    for batch in batches:
        y_true, y_pred, weights = batch
        metric.update_state(y_true, y_pred, sample_weight=weights if weighted else None)
    return metric.result()


def _expected(per_sample_fn, batches, weighted):
    values = np.concatenate([per_sample_fn(t, p) for t, p, _ in batches])
    weights = np.concatenate([w for _, _, w in batches]) if weighted else None
    return np.average(values, weights=weights)


def _classification(size, classes=4):
    labels = RNG.integers(0, classes, size)
    logits = RNG.normal(size=(size, classes))
    return labels, logits, RNG.uniform(0, 2, size)


@pytest.mark.parametrize("weighted", [False, True])
def test_categorical_and_sparse_accuracy(weighted):
    batches = _batches(_classification)
    expected = _expected(lambda t, p: (t == p.argmax(-1)).astype(float), batches, weighted)
    sparse = _run(metrics.SparseCategoricalAccuracy(), batches, weighted)
    one_hot = [(np.eye(4)[t], p, w) for t, p, w in batches]
    categorical = _run(metrics.CategoricalAccuracy(), one_hot, weighted)
    column = [(t[:, None], p, w) for t, p, w in batches]
    sparse_column = _run(metrics.SparseCategoricalAccuracy(), column, weighted)
    np.testing.assert_allclose([sparse, categorical, sparse_column], expected, rtol=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_binary_accuracy(weighted):
    def make(size):
        return RNG.integers(0, 2, (size, 1)).astype(float), RNG.uniform(size=(size, 1)), RNG.uniform(0, 2, size)

    batches = _batches(make)
    expected = _expected(lambda t, p: (t[:, 0] == (p[:, 0] > 0.5)).astype(float), batches, weighted)
    np.testing.assert_allclose(_run(metrics.BinaryAccuracy(), batches, weighted), expected, rtol=1e-6)
    expected_07 = _expected(lambda t, p: (t[:, 0] == (p[:, 0] > 0.7)).astype(float), batches, weighted)
    np.testing.assert_allclose(_run(metrics.BinaryAccuracy(threshold=0.7), batches, weighted), expected_07, rtol=1e-6)
    # labels without the unit axis, as fit passes them for a Dense(1) model
    flat = [(t[:, 0], p, w) for t, p, w in batches]
    np.testing.assert_allclose(_run(metrics.BinaryAccuracy(), flat, weighted), expected, rtol=1e-6)


def test_binary_accuracy_threshold_must_be_inside_zero_one():
    with pytest.raises(ValueError, match="threshold"):
        metrics.BinaryAccuracy(threshold=1.0)


def test_keras_accuracy_examples():
    m = metrics.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result() == 0.75
    m.reset_state()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]], sample_weight=[1, 1, 0, 0])
    assert m.result() == 0.5
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)
    m = metrics.TopKCategoricalAccuracy(k=1)
    m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], sample_weight=[0.7, 0.3])
    assert m.result() == pytest.approx(0.3)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_accuracy(k):
    batches = _batches(lambda size: _classification(size, classes=6))

    def hits(t, p):
        scores = np.take_along_axis(p, t[:, None], axis=-1)
        return ((p > scores).sum(-1) < k).astype(float)

    expected = _expected(hits, batches, weighted=True)
    np.testing.assert_allclose(_run(metrics.SparseTopKCategoricalAccuracy(k=k), batches, True), expected, rtol=1e-6)
    one_hot = [(np.eye(6)[t], p, w) for t, p, w in batches]
    np.testing.assert_allclose(_run(metrics.TopKCategoricalAccuracy(k=k), one_hot, True), expected, rtol=1e-6)


def test_top_k_counts_ties_at_the_boundary_as_hits():
    predictions = np.array([[0.5, 0.5, 0.0]])
    assert metrics.sparse_top_k_categorical_accuracy([1], predictions, k=1).numpy()[0] == 1.0
    assert metrics.sparse_top_k_categorical_accuracy([2], predictions, k=2).numpy()[0] == 0.0


def test_accuracy_functions_return_per_sample_values():
    t = RNG.integers(0, 3, 5)
    p = RNG.normal(size=(5, 3))
    out = metrics.sparse_categorical_accuracy(t, p)
    assert isinstance(out, nr.Tensor) and out.shape == (5,) and out.dtype == "float32"
    np.testing.assert_array_equal(out.numpy(), (t == p.argmax(-1)).astype("float32"))
    np.testing.assert_array_equal(metrics.categorical_accuracy(np.eye(3)[t], p).numpy(), out.numpy())
    np.testing.assert_array_equal(metrics.binary_accuracy([[1], [0]], [[0.6], [0.6]]).numpy(), [[1.0], [0.0]])


def test_metrics_accept_tensors_that_require_gradients():
    t = RNG.integers(0, 3, 6)
    logits = nr.Tensor(RNG.normal(size=(6, 3)), requires_grad=True)
    probabilities = ops.softmax(logits)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(nr.Tensor(t), probabilities)
    assert m.result() == pytest.approx(float((t == logits.numpy().argmax(-1)).mean()))
    ce = metrics.SparseCategoricalCrossentropy()
    ce.update_state(t, probabilities)
    expected = losses.sparse_categorical_crossentropy(t, logits.numpy(), from_logits=True).numpy().mean()
    assert ce.result() == pytest.approx(expected, rel=1e-5)


def _regression(size):
    return RNG.normal(size=(size, 3)), RNG.normal(size=(size, 3)), RNG.uniform(0, 2, size)


REGRESSION = [
    (metrics.MeanSquaredError, lambda t, p: ((t - p) ** 2).mean(-1), "mean_squared_error"),
    (metrics.MeanAbsoluteError, lambda t, p: np.abs(t - p).mean(-1), "mean_absolute_error"),
    (
        metrics.MeanAbsolutePercentageError,
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), 1e-7)).mean(-1),
        "mean_absolute_percentage_error",
    ),
    (metrics.LogCoshError, lambda t, p: np.log(np.cosh(p - t)).mean(-1), "logcosh"),
    (
        metrics.CosineSimilarity,
        lambda t, p: (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1),
        "cosine_similarity",
    ),
    (metrics.Hinge, lambda t, p: np.maximum(1 - t * p, 0).mean(-1), "hinge"),
    (metrics.SquaredHinge, lambda t, p: (np.maximum(1 - t * p, 0) ** 2).mean(-1), "squared_hinge"),
]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("cls, per_sample, name", REGRESSION, ids=[c.__name__ for c, _, _ in REGRESSION])
def test_regression_metrics(cls, per_sample, name, weighted):
    batches = _batches(_regression)
    metric = cls()
    assert metric.name == name
    np.testing.assert_allclose(_run(metric, batches, weighted), _expected(per_sample, batches, weighted), rtol=1e-5)


@pytest.mark.parametrize("weighted", [False, True])
def test_root_mean_squared_error(weighted):
    batches = _batches(_regression)
    expected = np.sqrt(_expected(lambda t, p: ((t - p) ** 2).mean(-1), batches, weighted))
    np.testing.assert_allclose(_run(metrics.RootMeanSquaredError(), batches, weighted), expected, rtol=1e-5)


def test_probabilistic_metrics():
    def make(size):
        t = np.eye(4)[RNG.integers(0, 4, size)]
        p = RNG.uniform(0.1, 1, (size, 4))
        return t, p / p.sum(-1, keepdims=True), RNG.uniform(0, 2, size)

    batches = _batches(make)
    for metric, fn in [
        (metrics.CategoricalCrossentropy(), losses.categorical_crossentropy),
        (metrics.BinaryCrossentropy(), losses.binary_crossentropy),
        (metrics.KLDivergence(), losses.kl_divergence),
        (metrics.Poisson(), losses.poisson),
        (metrics.CategoricalHinge(), losses.categorical_hinge),
    ]:
        expected = _expected(lambda t, p, fn=fn: fn(t, p).numpy(), batches, weighted=True)
        np.testing.assert_allclose(_run(metric, batches, True), expected, rtol=1e-5, err_msg=metric.name)
    sparse = [(t.argmax(-1), p, w) for t, p, w in batches]
    expected = _expected(lambda t, p: losses.sparse_categorical_crossentropy(t, p).numpy(), sparse, weighted=True)
    np.testing.assert_allclose(_run(metrics.SparseCategoricalCrossentropy(), sparse, True), expected, rtol=1e-5)


def test_reset_state_starts_a_new_epoch():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[1.0, 0.0], [1.0, 0.0]])
    assert m.result() == 0.5
    m.reset_state()
    m.update_state([0, 1], [[1.0, 0.0], [0.0, 1.0]])
    assert m.result() == 1.0


def test_results_are_python_floats():
    for m in (metrics.CategoricalAccuracy(), metrics.MeanSquaredError(), metrics.RootMeanSquaredError()):
        m.update_state(np.eye(3), np.eye(3))
        assert type(m.result()) is float
