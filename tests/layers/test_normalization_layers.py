"""Normalization and Discretization against Keras 3.15 (fixtures from
fixtures/make_image_preprocessing_fixtures.py): adapt on arrays, batches and Datasets, given and
inverted statistics, every output mode, saving, and the gradient through Normalization."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.testing import gradcheck

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
EXPECTED = np.load(FIXTURES / "image_preprocessing_expected.npz")
CONFIGS = json.loads((FIXTURES / "image_preprocessing_configs.json").read_text())
FEATURES = EXPECTED["features"]
IMAGES = EXPECTED["images"]
VALUES = EXPECTED["values"]


def _from_keras_config(key: str) -> layers.Layer:
    entry = CONFIGS[key]
    return layers.deserialize({"class_name": entry["class_name"], "config": dict(entry["config"])})


def test_adapt_on_an_array_matches_keras():
    layer = layers.Normalization()
    layer.adapt(FEATURES)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), EXPECTED["normalization_adapt_mean"], rtol=1e-5)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), EXPECTED["normalization_adapt_variance"], rtol=1e-5)
    np.testing.assert_allclose(layer(FEATURES).numpy(), EXPECTED["normalization_adapt"], rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights] == ["mean", "variance", "count"]
    assert layer.trainable_weights == []


def test_streaming_adapt_on_batches_and_datasets_matches_keras():
    expected = EXPECTED["normalization_adapt_batches"]
    batches = [FEATURES[:15], FEATURES[15:32], FEATURES[32:]]
    from_list = layers.Normalization()
    from_list.adapt(batches)
    np.testing.assert_allclose(from_list(FEATURES).numpy(), expected, rtol=1e-5, atol=1e-5)

    from_generator = layers.Normalization()
    from_generator.adapt(batch for batch in batches)
    np.testing.assert_allclose(from_generator(FEATURES).numpy(), expected, rtol=1e-5, atol=1e-5)

    dataset = numeras.utils.Dataset.from_tensor_slices((FEATURES, np.zeros(len(FEATURES)))).batch(7)
    from_dataset = layers.Normalization()
    from_dataset.adapt(dataset)  # (x, y) elements: x is used
    np.testing.assert_allclose(from_dataset(FEATURES).numpy(), expected, rtol=1e-5, atol=1e-5)

    unbatched = numeras.utils.Dataset.from_tensor_slices(FEATURES)
    from_unbatched = layers.Normalization()
    from_unbatched.adapt(unbatched)  # rank-1 elements get batched first, as Keras does
    np.testing.assert_allclose(from_unbatched(FEATURES).numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("key", "axis", "data"),
    [("normalization_axis_1_3", (1, 3), IMAGES), ("normalization_axis_none", None, FEATURES)],
)
def test_adapt_over_other_axes_matches_keras(key, axis, data):
    layer = layers.Normalization(axis=axis)
    layer.adapt(data)
    np.testing.assert_allclose(layer(data).numpy(), EXPECTED[key], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("key", ["normalization_given", "normalization_given_scalar", "normalization_invert"])
def test_given_statistics_match_keras(key):
    layer = _from_keras_config(key)
    np.testing.assert_allclose(layer(FEATURES).numpy(), EXPECTED[key], rtol=1e-5, atol=1e-5)
    assert layer.weights == []


def test_invert_undoes_normalization():
    forward = layers.Normalization()
    forward.adapt(FEATURES)
    mean, variance = forward.adapt_mean.numpy(), forward.adapt_variance.numpy()
    back = layers.Normalization(mean=mean, variance=variance, invert=True)
    np.testing.assert_allclose(back(forward(FEATURES)).numpy(), FEATURES, rtol=1e-4, atol=1e-3)


def test_normalization_gradient():
    layer = layers.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0], dtype="float64")
    gradcheck(lambda t: layer(t), [np.random.default_rng(0).normal(size=(4, 3))])
    inverse = layers.Normalization(mean=[1.0, -2.0, 0.5], variance=[4.0, 0.25, 1.0], invert=True, dtype="float64")
    gradcheck(lambda t: inverse(t), [np.random.default_rng(1).normal(size=(4, 3))])


def test_adapted_normalization_saves_and_loads(tmp_path):
    norm = layers.Normalization()
    norm.adapt(FEATURES)
    inputs = numeras.Input(shape=(5,))
    model = numeras.Model(inputs, layers.Dense(2)(norm(inputs)))
    path = tmp_path / "normalized.keras"
    model.save(path)
    restored = numeras.saving.load_model(path)
    np.testing.assert_allclose(restored.predict(FEATURES, verbose=0), model.predict(FEATURES, verbose=0), rtol=1e-5)


def test_normalization_errors():
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0])
    with pytest.raises(ValueError, match="statistics are unknown|adapt"):
        layers.Normalization().call(numeras.convert_to_tensor(FEATURES))
    layer = layers.Normalization()
    layer.adapt(FEATURES)
    with pytest.raises(ValueError, match="axis"):
        layer.adapt(FEATURES[:, :3])
    with pytest.raises(ValueError, match="empty"):
        layers.Normalization().adapt([])


# --- Discretization ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["discretization_int", "discretization_one_hot", "discretization_multi_hot", "discretization_count", "discretization_one_hot_column"],
)
def test_discretization_output_modes_match_keras(key):
    layer = _from_keras_config(key)
    data = VALUES if key == "discretization_int" else VALUES[:24].reshape(6, 4)
    if key.endswith("column"):
        data = data[:, :1]
    out = layer(data).numpy()
    assert out.dtype == EXPECTED[key].dtype
    np.testing.assert_array_equal(out, EXPECTED[key])
    assert tuple(layer.compute_output_shape(data.shape)) == EXPECTED[key].shape


@pytest.mark.parametrize(("num_bins", "epsilon"), [(4, 0.01), (5, 0.1), (3, 0.001)])
def test_discretization_adapt_matches_keras_boundaries(num_bins, epsilon):
    key = f"discretization_adapt_{num_bins}_{epsilon}"
    layer = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    layer.adapt(VALUES)
    np.testing.assert_allclose(layer.bin_boundaries, EXPECTED[key + "_boundaries"], rtol=1e-6)
    np.testing.assert_array_equal(layer(VALUES).numpy(), EXPECTED[key])


def test_discretization_adapt_on_batches_matches_keras():
    layer = layers.Discretization(num_bins=4)
    layer.adapt([VALUES[:100], VALUES[100:250], VALUES[250:]])
    np.testing.assert_allclose(layer.bin_boundaries, EXPECTED["discretization_adapt_batches_boundaries"], rtol=1e-6)
    dataset = numeras.utils.Dataset.from_tensor_slices(VALUES).batch(100)
    from_dataset = layers.Discretization(num_bins=4)
    from_dataset.adapt(dataset, steps=2)
    only_two = layers.Discretization(num_bins=4)
    only_two.adapt([VALUES[:100], VALUES[100:200]])
    assert from_dataset.bin_boundaries == only_two.bin_boundaries


def test_adapted_discretization_round_trips_its_config():
    layer = layers.Discretization(num_bins=4)
    layer.adapt(VALUES)
    rebuilt = layers.Discretization.from_config(layer.get_config())
    assert rebuilt.bin_boundaries == layer.bin_boundaries and rebuilt.num_bins == 4
    np.testing.assert_array_equal(rebuilt(VALUES).numpy(), layer(VALUES).numpy())


def test_discretization_errors():
    with pytest.raises(ValueError, match="either"):
        layers.Discretization()
    with pytest.raises(ValueError, match="not both"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match="output_mode"):
        layers.Discretization(bin_boundaries=[0.0], output_mode="tf_idf")
    with pytest.raises(ValueError, match="adapt"):
        layers.Discretization(num_bins=3)(VALUES)
    with pytest.raises(ValueError, match="num_bins"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(VALUES)
