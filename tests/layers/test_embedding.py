"""Embedding and its take_rows primitive: Keras 3's config, weights, mask and errors, gradients
checked in float64, and training that lowers the loss. Keras values come from
fixtures/text_fixtures.json (written by fixtures/make_text_fixtures.py with Keras 3.15.1)."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.autodiff import Tensor
from numeras.autodiff.ops.gather import scatter_add_rows, take_rows
from numeras.testing import gradcheck

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "text_fixtures.json"), encoding="utf-8") as _f:
    EMBEDDING_CASES = [c for c in json.load(_f)["cases"] if c["class"] == "Embedding"]


def _plain_config(config: dict) -> dict:
    """Keras and numeras configs in one vocabulary: the dtype policy by name, serialized
    objects by class name and config (the 'module' key differs: keras.* vs numeras.*)."""
    out = {}
    for key, value in config.items():
        if key == "name":
            continue
        if isinstance(value, dict) and "class_name" in value:
            if key == "dtype":
                value = value["config"]["name"]
            else:
                value = (value["class_name"], value["config"])
        out[key] = value
    return out


@pytest.mark.parametrize("case", EMBEDDING_CASES, ids=lambda c: json.dumps(c["kwargs"]))
def test_matches_keras(case):
    layer = layers.Embedding(**case["kwargs"])
    layer.build()
    layer._embeddings.assign(np.asarray(case["table"], dtype="float32"))
    assert [w.name for w in layer.weights] == case["weight_names"]
    assert [w.name for w in layer.trainable_weights] == case["trainable_weight_names"]
    assert _plain_config(layer.get_config()) == _plain_config(case["config"])
    ids = np.asarray(case["queries"])
    if case["output"] is not None:
        expected = np.asarray(case["output"]["values"]).reshape(case["output"]["shape"])
        np.testing.assert_array_equal(layer(ids).data, expected)
    mask = layer.compute_mask(ids)
    if case["mask"] is None:
        assert mask is None
    else:
        np.testing.assert_array_equal(mask.data, case["mask"])
    assert layer.supports_masking == bool(case["kwargs"].get("mask_zero", False))


def test_config_round_trip_and_registry():
    layer = layers.Embedding(50, 8, mask_zero=True, embeddings_regularizer="l2", name="words")
    clone = layers.deserialize(layers.serialize(layer))
    assert isinstance(clone, layers.Embedding)
    assert clone.get_config() == layer.get_config()


def test_input_length_is_accepted_with_a_warning():
    with pytest.warns(UserWarning, match="input_length"):
        layer = layers.Embedding(10, 3, input_length=7)
    assert "input_length" not in layer.get_config()
    assert layer(np.zeros((2, 4), dtype="int64")).shape == (2, 4, 3)


def test_weights_argument_and_lora_output():
    table = np.arange(12, dtype="float32").reshape(4, 3)
    layer = layers.Embedding(4, 3, weights=table)
    np.testing.assert_array_equal(layer(np.array([[3, 0]])).data, table[[3, 0]][None])
    lora = layers.Embedding(4, 3, lora_rank=2)
    lora.build()
    lora._embeddings.assign(table)
    # b starts at zero, so the LoRA update is zero until trained.
    np.testing.assert_array_equal(lora(np.array([1, 2])).data, table[[1, 2]])
    assert [w.name for w in lora.trainable_weights] == ["lora_embeddings_a", "lora_embeddings_b"]


def test_shapes_in_a_model_and_float_indices():
    inputs = layers.Input(shape=(5,), dtype="int32")
    outputs = layers.Embedding(20, 6)(inputs)
    assert outputs.shape == (None, 5, 6)
    assert outputs.dtype == "float32"
    layer = layers.Embedding(20, 6)
    np.testing.assert_array_equal(layer(np.array([[1.0, 4.0]])).data, layer(np.array([[1, 4]])).data)


@pytest.mark.parametrize(
    "ids, message",
    [
        (np.array([[1, 10]]), "input_dim=10"),
        (np.array([[-1, 2]]), "received -1"),
        (np.array([[1.5, 2.0]]), "fractional"),
    ],
)
def test_bad_indices_are_refused_before_any_compute(ids, message):
    layer = layers.Embedding(10, 2)
    with pytest.raises(ValueError, match=message):
        layer(ids)


def test_bad_arguments():
    with pytest.raises(ValueError, match="input_dim"):
        layers.Embedding(0, 4)
    with pytest.raises(ValueError, match="output_dim"):
        layers.Embedding(4, 2.5)
    with pytest.raises(TypeError, match="strings"):
        layers.Embedding(4, 2)(np.array([["a"]]))


def test_take_rows_gradcheck_float64_with_repeated_rows():
    indices = np.array([[0, 2, 2], [4, 0, 2]])
    table = np.random.default_rng(0).standard_normal((5, 3))
    gradcheck(lambda t: take_rows(t, indices) * take_rows(t, indices), [table])


def test_take_rows_gradient_touches_only_rows_read():
    table = Tensor(np.ones((6, 2)), requires_grad=True)
    out = take_rows(table, np.array([1, 1, 4]))
    out.backward(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    np.testing.assert_array_equal(table.grad, [[0, 0], [4, 6], [0, 0], [0, 0], [5, 6], [0, 0]])


@pytest.mark.parametrize("num_indices", [3, 5000])  # np.add.at path and bincount path
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_scatter_add_rows_matches_add_at(num_indices, dtype):
    rng = np.random.default_rng(1)
    indices = rng.integers(0, 100, size=(num_indices,))
    updates = rng.standard_normal((num_indices, 3, 2)).astype(dtype)
    expected = np.zeros((100, 3, 2), dtype=dtype)
    np.add.at(expected, indices, updates)
    got = scatter_add_rows(updates, indices, (100, 3, 2), np.dtype(dtype))
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


def test_training_with_embedding_lowers_the_loss():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 30, size=(64, 6))
    labels = (ids.max(axis=1) > 20).astype("float32")[:, None]
    model = numeras.Sequential(
        [
            layers.Input(shape=(6,), dtype="int64"),
            layers.Embedding(30, 8),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    before = model.get_weights()[0].copy()
    history = model.fit(ids, labels, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    after = model.get_weights()[0]
    # Row 0 is never read, so Adam never moves it; the rows read do move.
    np.testing.assert_array_equal(after[0], before[0])
    assert not np.allclose(after[1:], before[1:])


def test_no_warning_without_input_length():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Embedding(3, 2)
