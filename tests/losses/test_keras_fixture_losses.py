"""The focal, overlap, generalized, Circle and CTC losses against values Keras 3.15 computed
(tests/losses/fixtures/make_fixtures.py): reduced loss with sample weights, per-sample losses,
gradients with respect to ``y_pred`` and ``get_config``; plus the CTC primitive's gradcheck."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import numeras
from numeras import losses
from numeras.autodiff.tape import GradientTape
from numeras.autodiff.tensor import Tensor
from numeras.losses.ctc import ctc_loss
from numeras.testing import gradcheck

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = np.load(os.path.join(HERE, "expected.npz"))
with open(os.path.join(HERE, "configs.json")) as f:
    CONFIGS = json.load(f)


def _to_keras_config(kwargs: dict) -> dict:
    return {k: (tuple(v) if k == "axis" and isinstance(v, list) else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_matches_keras_values_gradients_and_config(case):
    spec = CONFIGS[case]
    cls = getattr(losses, spec["class_name"])
    loss = cls(**spec["kwargs"])
    y_true = EXPECTED[f"{case}/y_true"]
    y_pred = Tensor(EXPECTED[f"{case}/y_pred"])
    sample_weight = EXPECTED[f"{case}/sample_weight"]
    with GradientTape() as tape:
        tape.watch(y_pred)
        value = loss(y_true, y_pred, sample_weight=sample_weight)
    grad = tape.gradient(value, y_pred)
    np.testing.assert_allclose(value.numpy(), EXPECTED[f"{case}/loss"], rtol=2e-5, atol=1e-6)
    np.testing.assert_allclose(grad.numpy(), EXPECTED[f"{case}/grad"], rtol=2e-4, atol=1e-6)
    per_sample = cls(**spec["kwargs"], reduction=None)(y_true, y_pred)
    np.testing.assert_allclose(per_sample.numpy(), EXPECTED[f"{case}/loss_none"], rtol=2e-5, atol=1e-6)
    config = loss.get_config()
    expected_config = spec["config"]
    if isinstance(expected_config.get("axis"), list):
        expected_config["axis"] = list(expected_config["axis"])
        config["axis"] = list(config["axis"])
    assert config == expected_config
    assert value.dtype == "float32"


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_loads_by_name_and_from_config(case):
    spec = CONFIGS[case]
    loss = losses.get(spec["class_name"])
    assert type(loss).__name__ == spec["class_name"]
    rebuilt = losses.deserialize(losses.serialize(getattr(losses, spec["class_name"])(**spec["kwargs"])))
    assert rebuilt.get_config() == getattr(losses, spec["class_name"])(**spec["kwargs"]).get_config()


@pytest.mark.parametrize(
    "name",
    [
        "binary_focal_crossentropy",
        "categorical_focal_crossentropy",
        "dice",
        "tversky",
        "ctc",
        "circle",
        "categorical_generalized_cross_entropy",
    ],
)
def test_functions_registered_by_name(name):
    assert losses.get(name) is getattr(losses, name)


def test_generalized_cross_entropy_rejects_q_outside_open_interval():
    with pytest.raises(ValueError, match="q=1.0"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)


def test_ctc_gradcheck_with_varied_lengths():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 5, 4))
    labels = np.array([[1, 2, 2], [3, 0, 0], [1, 3, 1]])
    label_lengths = np.array([3, 1, 2])
    input_lengths = np.array([5, 4, 3])
    assert gradcheck(lambda x: ctc_loss(labels, x, label_lengths, input_lengths), [logits], rtol=1e-5, atol=1e-8)


def test_ctc_matches_brute_force_sum_over_alignments():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(1, 4, 3))
    log_probs = logits[0] - np.log(np.exp(logits[0]).sum(-1, keepdims=True))
    target = (1, 2)
    total = 0.0
    for path in np.ndindex(*(3,) * 4):
        collapsed = [k for i, k in enumerate(path) if k != 0 and (i == 0 or path[i - 1] != k)]
        if tuple(collapsed) == target:
            total += np.exp(sum(log_probs[t, k] for t, k in enumerate(path)))
    value = ctc_loss(np.array([[1, 2]]), logits, np.array([2]), np.array([4]))
    np.testing.assert_allclose(value.numpy(), [-np.log(total)], rtol=1e-10)


def test_ctc_rejects_wrong_ranks():
    with pytest.raises(ValueError, match="y_true.shape"):
        losses.ctc(np.zeros((2,)), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match="y_pred.shape"):
        losses.ctc(np.zeros((2, 3)), np.zeros((2, 3)))


def test_kl_divergence_with_zeros_matches_keras():
    values = losses.kl_divergence(EXPECTED["edge_kl/y_true"], EXPECTED["edge_kl/y_pred"])
    np.testing.assert_allclose(values.numpy(), EXPECTED["edge_kl/values"], rtol=1e-5, atol=1e-6)
    y_pred = Tensor(EXPECTED["edge_kl/y_pred"])
    with GradientTape() as tape:
        tape.watch(y_pred)
        value = losses.KLDivergence()(EXPECTED["edge_kl/y_true"], y_pred)
    np.testing.assert_allclose(tape.gradient(value, y_pred).numpy(), EXPECTED["edge_kl/grad"], rtol=1e-4, atol=1e-3)


def test_cosine_similarity_of_zero_rows_matches_keras():
    values = losses.cosine_similarity(EXPECTED["edge_cosine/y_true"], EXPECTED["edge_cosine/y_pred"])
    np.testing.assert_allclose(values.numpy(), EXPECTED["edge_cosine/values"], rtol=1e-5, atol=1e-7)
    y_pred = Tensor(EXPECTED["edge_cosine/y_pred"])
    with GradientTape() as tape:
        tape.watch(y_pred)
        value = losses.CosineSimilarity()(EXPECTED["edge_cosine/y_true"], y_pred)
    grad = tape.gradient(value, y_pred).numpy()
    # Keras (JAX) returns NaN for the zero row's gradient; numeras keeps it finite and matches
    # Keras wherever Keras's gradient is a number.
    keras_grad = EXPECTED["edge_cosine/grad"]
    finite = np.isfinite(keras_grad).all(axis=1)
    assert not finite.all() and np.isfinite(grad).all()
    np.testing.assert_allclose(grad[finite], keras_grad[finite], rtol=1e-4, atol=1e-6)
    metric = numeras.metrics.CosineSimilarity()
    metric.update_state(EXPECTED["edge_cosine/y_true"], EXPECTED["edge_cosine/y_pred"])
    np.testing.assert_allclose(metric.result(), EXPECTED["edge_cosine/metric"], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("shape_key", ["rank1", "rank2_col", "rank2_wide", "true_rank1_pred_col"])
def test_binary_accuracy_function_output_shape_matches_keras(shape_key):
    prefix = f"edge_binary_accuracy_{shape_key}"
    values = numeras.metrics.binary_accuracy(EXPECTED[f"{prefix}/y_true"], EXPECTED[f"{prefix}/y_pred"])
    values = values.numpy() if hasattr(values, "numpy") else np.asarray(values)
    expected = EXPECTED[f"{prefix}/values"]
    assert values.shape == expected.shape
    np.testing.assert_allclose(values, expected)


def test_unknown_keyword_argument_raises_type_error_as_keras_does():
    # Keras's loss constructors have fixed signatures: Python's TypeError names the argument.
    with pytest.raises(TypeError, match="smoothing"):
        losses.Dice(smoothing=1.0)


def test_ctc_of_an_empty_label_is_the_all_blank_path():
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(2, 4, 3))
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    value = ctc_loss(np.zeros((2, 2), int), logits, np.array([0, 0]), np.array([4, 2]))
    expected = [-log_probs[0, :4, 0].sum(), -log_probs[1, :2, 0].sum()]
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-12)
    assert gradcheck(lambda x: ctc_loss(np.zeros((2, 2), int), x, np.array([0, 0]), np.array([4, 2])), [logits])
