"""numeras.constraints against Keras 3.15's outputs and configs, and constraints applied by layers
after each optimizer step."""

import numpy as np
import pytest

import numeras
from numeras import constraints, layers, optimizers


def _build(case):
    return getattr(constraints, case["class_name"])(**case["kwargs"])


def test_outputs_match_keras(keras_expected, keras_arrays):
    for name, case in keras_expected["constraints"].items():
        result = _build(case)(keras_arrays[case["weight"]])
        assert isinstance(result, numeras.Tensor), name
        assert result.dtype == "float32", name
        np.testing.assert_allclose(result.data, keras_arrays[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_configs_and_serialization_match_keras(keras_expected):
    for name, case in keras_expected["constraints"].items():
        constraint = _build(case)
        assert constraint.get_config() == case["config"], name
        serialized = constraints.serialize(constraint)
        expected = case["serialized"]
        assert (serialized["class_name"], serialized["config"], serialized["registered_name"]) == (
            expected["class_name"],
            expected["config"],
            expected["registered_name"],
        ), name
        # Keras's own dict (module keras.constraints) deserializes to the same constraint.
        rebuilt = constraints.deserialize(expected)
        assert type(rebuilt) is type(constraint) and rebuilt.get_config() == case["config"], name


def test_string_names_match_keras(keras_expected):
    for name, class_name in keras_expected["constraint_names"].items():
        assert type(constraints.get(name)).__name__ == class_name
    assert constraints.get(None) is None
    max_norm = constraints.MaxNorm(3)
    assert constraints.get(max_norm) is max_norm
    assert isinstance(constraints.get(constraints.UnitNorm), constraints.UnitNorm)
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.serialize(None) is None


def test_unknown_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="max_norm") as info:
        constraints.get("max_nrom")
    assert "non_neg" in str(info.value)
    with pytest.raises(ValueError, match="Could not interpret constraint"):
        constraints.get(3)


def test_base_constraint_is_identity():
    weights = np.arange(6.0).reshape(2, 3)
    assert constraints.Constraint()(weights) is weights
    assert constraints.Constraint().get_config() == {}


def _regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 3)) * 3).astype("float32")
    return x, y


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adamw", "nadam"])
def test_dense_applies_constraints_after_each_update(optimizer):
    x, y = _regression_data()
    dense = layers.Dense(3, kernel_constraint="non_neg", bias_constraint=constraints.MaxNorm(0.05))
    model = numeras.Sequential([layers.Input((5,)), dense])
    assert (dense.kernel.data < 0).any()  # the initial kernel is not constrained yet
    model.compile(optimizer=optimizers.get({"class_name": optimizer, "config": {"learning_rate": 0.1}}), loss="mse")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    kernel = dense.kernel.data
    assert kernel.min() >= 0 and (kernel == 0).any()
    assert np.linalg.norm(dense.bias.data) <= 0.05 + 1e-6


def test_constraint_is_applied_to_the_updated_value():
    """One SGD step: the new kernel is exactly constraint(kernel - lr * gradient)."""
    x, y = _regression_data()
    unit_norm = constraints.UnitNorm(axis=0)
    dense = layers.Dense(3, use_bias=False, kernel_constraint=unit_norm)
    model = numeras.Sequential([layers.Input((5,)), dense])
    model.compile(optimizer=optimizers.SGD(0.5), loss="mse")
    before = dense.kernel.data.copy()
    with numeras.GradientTape() as tape:
        loss = numeras.ops.mean(numeras.ops.square(model(x) - y))
    gradient = tape.gradient(loss, dense.kernel).data
    model.train_on_batch(x, y)
    expected = unit_norm(before - 0.5 * gradient).data
    np.testing.assert_allclose(dense.kernel.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(dense.kernel.data, axis=0), 1.0, rtol=1e-5)


def test_conv_kernel_constraint_and_config_round_trip(tmp_path):
    conv = layers.Conv2D(4, 3, kernel_constraint=constraints.MaxNorm(0.2, axis=[0, 1, 2]))
    model = numeras.Sequential([layers.Input((8, 8, 2)), conv, layers.Flatten(), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    model.fit(rng.normal(size=(8, 8, 8, 2)).astype("float32"), rng.normal(size=(8, 1)).astype("float32"), epochs=1, verbose=0)
    norms = np.sqrt((conv.kernel.data**2).sum(axis=(0, 1, 2)))
    assert norms.max() <= 0.2 + 1e-6
    config = conv.get_config()["kernel_constraint"]
    assert config["class_name"] == "MaxNorm" and config["config"] == {"max_value": 0.2, "axis": [0, 1, 2]}
    path = tmp_path / "constrained.keras"
    model.save(path)
    loaded = numeras.models.load_model(path)
    constraint = loaded.layers[0].kernel.constraint
    assert isinstance(constraint, constraints.MaxNorm) and constraint.get_config() == {"max_value": 0.2, "axis": [0, 1, 2]}


def test_dense_config_without_constraints_stays_none():
    config = layers.Dense(2).get_config()
    assert config["kernel_constraint"] is None and config["bias_constraint"] is None
    rebuilt = layers.Dense.from_config({**config, "kernel_constraint": constraints.serialize(constraints.NonNeg())})
    assert isinstance(rebuilt.kernel_constraint, constraints.NonNeg)
