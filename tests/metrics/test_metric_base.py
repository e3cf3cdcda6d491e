"""``Metric``, ``Mean``, ``Sum`` and ``MeanMetricWrapper``: state, running means, reset, config."""

import numpy as np
import pytest

import numeras as nr
from numeras import metrics, ops

RNG = np.random.default_rng(11)


def test_mean_is_the_running_weighted_mean_over_batches():
    m = metrics.Mean()
    batches = [(RNG.normal(size=8), RNG.uniform(0, 2, 8)) for _ in range(4)]
    for values, weights in batches:
        m.update_state(values, sample_weight=weights)
    all_values = np.concatenate([v for v, _ in batches])
    all_weights = np.concatenate([w for _, w in batches])
    result = m.result()
    assert isinstance(result, float)
    np.testing.assert_allclose(result, np.average(all_values, weights=all_weights), rtol=1e-5)


def test_mean_counts_each_sample_once():
    m = metrics.Mean()
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]))  # two samples with means 2 and 6
    m.update_state(10.0)  # one value
    assert m.result() == pytest.approx((2 + 6 + 10) / 3)
    m.update_state(np.float32(4.0), sample_weight=3)  # scalar with a scalar weight
    assert m.result() == pytest.approx((2 + 6 + 10 + 12) / 6)


def test_mean_keras_examples():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0


def test_sum():
    m = metrics.Sum()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 16.0
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 20.0


def test_reset_state_and_empty_result():
    m = metrics.Mean()
    assert m.result() == 0.0  # no division by zero before the first batch
    m.update_state([2.0, 4.0])
    m.reset_state()
    assert m.result() == 0.0
    assert all(float(v.numpy()) == 0 for v in m.variables)


def test_state_lives_in_non_trainable_variables():
    m = metrics.Mean(name="loss")
    assert [v.name for v in m.variables] == ["total", "count"]
    assert all(isinstance(v, nr.Variable) and not v.trainable for v in m.variables)
    assert [v.path for v in m.variables] == ["loss/total", "loss/count"]
    assert all(v.dtype == "float32" for v in m.variables)
    buffer = m.total.data
    m.update_state([1.0, 2.0])
    assert m.total.data is buffer  # updated in place


def test_call_updates_and_returns_the_result():
    m = metrics.Mean()
    assert m([1.0, 2.0]) == 1.5
    assert m([6.0]) == 3.0


def test_mean_metric_wrapper_over_batches():
    def squared_error(y_true, y_pred):
        return ops.mean(ops.square(ops.convert_to_tensor(y_pred) - y_true), axis=-1)

    m = metrics.MeanMetricWrapper(squared_error, name="se")
    batches = [(RNG.normal(size=(5, 3)), RNG.normal(size=(5, 3))) for _ in range(3)]
    for t, p in batches:
        m.update_state(t, p)
    per_sample = np.concatenate([((t - p) ** 2).mean(-1) for t, p in batches])
    np.testing.assert_allclose(m.result(), per_sample.mean(), rtol=1e-5)
    assert m.name == "se"


def test_wrapped_function_runs_without_recording_a_graph():
    seen = []

    def probe(y_true, y_pred):
        seen.append(nr.is_grad_enabled())
        return ops.sum(y_pred, axis=-1)

    m = metrics.MeanMetricWrapper(probe)
    pred = nr.Tensor(RNG.normal(size=(4, 2)), requires_grad=True)
    m.update_state(np.zeros((4, 2)), ops.multiply(pred, 2.0))
    assert seen == [False]
    np.testing.assert_allclose(m.result(), 2 * pred.numpy().sum(-1).mean(), rtol=1e-5)


def test_default_names_are_made_unique_like_keras():
    first, second = metrics.AUC(), metrics.AUC()  # the conftest starts each test with fresh names
    assert (first.name, second.name) == ("auc", "auc_1")
    assert [v.path for v in second.variables][:1] == ["auc_1/true_positives"]
    assert metrics.CategoricalAccuracy().name == metrics.CategoricalAccuracy().name == "categorical_accuracy"


def test_config_round_trip():
    m = metrics.Mean(name="avg", dtype="float64")
    assert m.get_config() == {"name": "avg", "dtype": "float64"}
    clone = metrics.Mean.from_config(m.get_config())
    assert clone.name == "avg" and clone.dtype == "float64"


def test_subclass_with_add_variable():
    class MaxSoFar(metrics.Metric):
        def __init__(self, name="max_so_far", dtype=None):
            super().__init__(name=name, dtype=dtype)
            self.best = self.add_variable(shape=(), initializer=-np.inf, name="best")

        def update_state(self, values):
            self.best.assign(np.maximum(self.best.numpy(), np.max(values)))

        def result(self):
            return float(self.best.numpy())

    m = MaxSoFar()
    m.update_state([1.0, 5.0])
    m.update_state([3.0])
    assert m.result() == 5.0
    m.reset_state()
    assert m.result() == 0.0


def test_add_variable_before_super_init_is_explained():
    class Broken(metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=())

    with pytest.raises(RuntimeError, match="super"):
        Broken()
