"""Regularizers: Keras 3 penalties, gradients, configs and names."""

import numpy as np
import pytest

import numeras
from numeras import ops, regularizers
from numeras.regularizers import L1, L1L2, L2, OrthogonalRegularizer


@pytest.fixture
def weights():
    return np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)


def test_penalty_values(weights):
    assert float(L1(0.1)(weights).numpy()) == pytest.approx(0.1 * np.abs(weights).sum(), rel=1e-6)
    assert float(L2(0.1)(weights).numpy()) == pytest.approx(0.1 * np.square(weights).sum(), rel=1e-6)
    both = L1L2(l1=0.1, l2=0.2)(weights)
    expected = 0.1 * np.abs(weights).sum() + 0.2 * np.square(weights).sum()
    assert float(both.numpy()) == pytest.approx(expected, rel=1e-6)
    # Keras docstring example: L2(2.0) on ones((5, 5)) is 50.
    assert float(L2(2.0)(ops.ones((5, 5))).numpy()) == pytest.approx(50.0)


def test_defaults_match_keras():
    assert L1().l1 == 0.01
    assert L2().l2 == 0.01
    assert (L1L2().l1, L1L2().l2) == (0.0, 0.0)
    assert float(L1L2()(np.ones((2, 2), dtype=np.float32)).numpy()) == 0.0


def test_penalty_is_a_float32_scalar_tensor(weights):
    for regularizer in (L1(), L2(), L1L2(0.1, 0.1), OrthogonalRegularizer()):
        penalty = regularizer(numeras.Variable(weights))
        assert isinstance(penalty, numeras.Tensor)
        assert penalty.shape == ()
        assert penalty.dtype == "float32"


def test_penalties_are_differentiable(weights):
    variable = numeras.Variable(weights)
    with numeras.GradientTape() as tape:
        penalty = L1L2(l1=0.1, l2=0.2)(variable)
    gradient = tape.gradient(penalty, variable)
    expected = 0.1 * np.sign(weights) + 0.2 * 2 * weights
    np.testing.assert_allclose(gradient.numpy(), expected, rtol=1e-5)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_matches_keras_formula(weights, mode):
    penalty = float(OrthogonalRegularizer(factor=0.1, mode=mode)(weights).numpy())
    matrix = weights.astype(np.float64)
    if mode == "columns":
        matrix = matrix.T
    unit = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
    size = unit.shape[0]
    products = np.abs(unit @ unit.T) * (1 - np.eye(size))
    expected = 0.1 * 0.5 * products.sum() / (size * (size - 1) / 2)
    assert penalty == pytest.approx(expected, rel=1e-5)


def test_orthogonal_regularizer_is_zero_for_orthogonal_rows_and_checks_rank():
    assert float(OrthogonalRegularizer(1.0)(np.eye(3, dtype=np.float32)).numpy()) == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="2-D"):
        OrthogonalRegularizer()(np.ones((2, 2, 2), dtype=np.float32))
    with pytest.raises(ValueError, match="mode"):
        OrthogonalRegularizer(mode="diagonal")


def test_orthogonal_regularizer_gradient_is_finite_with_a_zero_row():
    variable = numeras.Variable(np.array([[0.0, 0.0], [1.0, 2.0], [3.0, -1.0]], dtype=np.float32))
    with numeras.GradientTape() as tape:
        penalty = OrthogonalRegularizer(0.1)(variable)
    assert np.all(np.isfinite(tape.gradient(penalty, variable).numpy()))


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", True, None])
def test_factor_validation_names_the_argument(bad):
    if bad is None:
        # None means "the default", as in Keras.
        assert L1(None).l1 == 0.01
        return
    with pytest.raises(ValueError, match="`l2`"):
        L2(bad)


def test_get_and_aliases():
    assert type(regularizers.get("l1")) is L1
    assert regularizers.get("l2").l2 == 0.01
    assert type(regularizers.get("l1l2")) is L1L2
    documented = regularizers.get("l1_l2")
    assert (documented.l1, documented.l2) == (0.01, 0.01)
    assert type(regularizers.get("orthogonal_regularizer")) is OrthogonalRegularizer
    assert regularizers.get(None) is None
    instance = L2(0.5)
    assert regularizers.get(instance) is instance
    assert isinstance(regularizers.get(L1), L1)
    assert regularizers.l2 is L2 and regularizers.l1_l2 is L1L2
    assert regularizers.l2(0.002).l2 == 0.002


def test_get_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(ValueError) as info:
        regularizers.get("l3")
    message = str(info.value)
    assert "Did you mean" in message and "l1_l2" in message and "orthogonal_regularizer" in message
    with pytest.raises(ValueError, match="Could not interpret"):
        regularizers.get(0.01)


def test_config_round_trip(weights):
    for regularizer in (L1(0.3), L2(0.1), L1L2(l1=0.1, l2=0.2), OrthogonalRegularizer(0.2, "columns")):
        config = regularizers.serialize(regularizer)
        assert config["class_name"] == type(regularizer).__name__
        rebuilt = regularizers.deserialize(config)
        assert type(rebuilt) is type(regularizer)
        assert rebuilt.get_config() == regularizer.get_config()
        assert float(rebuilt(weights).numpy()) == float(regularizer(weights).numpy())
    assert L1L2(l1=0.1, l2=0.2).get_config() == {"l1": 0.1, "l2": 0.2}
