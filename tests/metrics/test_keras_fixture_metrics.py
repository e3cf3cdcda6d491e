"""F-scores, IoUs, R2Score, the rate-at-target metrics, the correlations and Sum against Keras
3.15 (tests/metrics/fixtures/make_fixtures.py): results after each of two weighted
``update_state`` calls, every state variable, variable paths and dtypes, names and configs."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

from numeras import metrics
from numeras.utils.naming import reset_names

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
with open(os.path.join(HERE, "expected.json")) as f:
    META = json.load(f)


def _updated(case: str):
    reset_names()
    spec = META[case]
    metric = getattr(metrics, spec["class_name"])(**spec["kwargs"])
    results = []
    for step in range(2):
        y_pred = EXPECTED[f"{case}/{step}/y_pred"]
        sample_weight = EXPECTED[f"{case}/{step}/sample_weight"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # float weights into an int IoU, as Keras warns
            if f"{case}/{step}/y_true" in EXPECTED:
                metric.update_state(EXPECTED[f"{case}/{step}/y_true"], y_pred, sample_weight=sample_weight)
            else:
                metric.update_state(y_pred, sample_weight=sample_weight)
        results.append(np.asarray(metric.result()))
    return metric, results


@pytest.mark.parametrize("case", sorted(META))
def test_results_and_state_match_keras(case):
    metric, results = _updated(case)
    for step, result in enumerate(results):
        expected = EXPECTED[f"{case}/{step}/result"]
        assert result.shape == expected.shape
        np.testing.assert_allclose(result, expected, rtol=2e-5, atol=1e-6, err_msg=f"result after update {step + 1}")
    assert len(metric.variables) == len(META[case]["variables"])
    for index, variable in enumerate(metric.variables):
        np.testing.assert_allclose(variable.numpy(), EXPECTED[f"{case}/var{index}"], rtol=2e-5, atol=1e-5, err_msg=variable.path)


@pytest.mark.parametrize("case", sorted(META))
def test_names_variables_and_config_match_keras(case):
    metric, _ = _updated(case)
    spec = META[case]
    assert metric.name == spec["name"]
    assert [[v.path, str(v.dtype), list(v.shape)] for v in metric.variables] == spec["variables"]
    assert metric.get_config() == spec["config"]


@pytest.mark.parametrize("case", sorted(META))
def test_reset_and_round_trip(case):
    metric, _ = _updated(case)
    metric.reset_state()
    assert all(not np.any(v.numpy()) for v in metric.variables)
    rebuilt = metrics.deserialize(metrics.serialize(metric))
    assert type(rebuilt) is type(metric) and rebuilt.get_config() == metric.get_config()
    if not META[case]["kwargs"]:  # classes without required arguments load by name too
        assert type(metrics.get(META[case]["class_name"])) is type(metric)


@pytest.mark.parametrize("name", ["binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation", "concordance_correlation"])
def test_metric_functions_match_keras(name):
    fn = getattr(metrics, name)
    values = fn(EXPECTED["functions/y_true"], EXPECTED["functions/y_pred"])
    np.testing.assert_allclose(np.asarray(values.numpy()), EXPECTED[f"functions/{name}"], rtol=2e-5, atol=1e-6)
    assert metrics.deserialize(metrics.serialize(fn)) is fn


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: metrics.FBetaScore(beta=2), "beta"),
        (lambda: metrics.FBetaScore(average="mean"), "average"),
        (lambda: metrics.F1Score(threshold=1.5), "threshold"),
        (lambda: metrics.IoU(3, [0, 3]), "Target class id 3"),
        (lambda: metrics.R2Score(class_aggregation="sum"), "class_aggregation"),
        (lambda: metrics.PrecisionAtRecall(recall=1.5), "recall"),
        (lambda: metrics.SensitivityAtSpecificity(0.5, num_thresholds=0), "num_thresholds"),
    ],
)
def test_invalid_arguments_raise_value_errors_naming_them(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_r2_score_rejects_one_dimensional_inputs_with_a_fix():
    with pytest.raises(ValueError, match="reshape"):
        metrics.R2Score().update_state(np.ones(3), np.ones(3))
