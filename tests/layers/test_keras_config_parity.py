"""Layer configs equal Keras 3's, both ways: for every layer class numeras shares with Keras, built
with the argument sets in fixtures/make_layer_configs.py, numeras's ``get_config()`` has exactly
Keras's keys and (after normalising spellings that differ only in form) Keras's values; numeras's
``from_config`` accepts Keras's config and gives a layer whose config is Keras's; and a built layer
has Keras's weights, same shapes in the same order."""

from __future__ import annotations

import json
import pathlib

import numpy as np
import pytest

import numeras
from numeras import layers, models

FIXTURE = json.loads((pathlib.Path(__file__).parent / "fixtures" / "layer_configs.json").read_text())
CASES = [
    pytest.param(name, index, case, id=f"{name}-{index}")
    for name, cases in sorted(FIXTURE["layers"].items())
    for index, case in enumerate(cases)
]
_DTYPE_POLICIES = {"DTypePolicy", "FloatDTypePolicy", "Policy"}


def normalise(value):
    """A config value in a form where Keras's and numeras's spellings of the same thing compare
    equal: an object dict becomes ``(class_name, config)`` (module and registered name are where the
    two differ by design), a dtype policy its name, a tuple a list, a float rounded to float32."""
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            if value["class_name"] in _DTYPE_POLICIES:
                return value["config"]["name"]
            return ("object", value["class_name"], normalise(value["config"]))
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    if isinstance(value, np.ndarray):
        return normalise(value.tolist())
    if isinstance(value, (bool, type(None), str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(np.float32(value))
    return value


def _numeras_class(name):
    return getattr(layers, name)


def _build(layer, input_shape):
    if input_shape is None:
        return
    if isinstance(input_shape[0], list):
        layer.build([tuple(shape) for shape in input_shape])
    else:
        layer.build(tuple(input_shape))


def _comparable(config, arguments=None):
    """``config`` normalised; with the ``arguments`` the layer was made with, minus what the
    layer chose itself when not told: its unique name and a random layer's drawn seed."""
    config = normalise(json.loads(json.dumps(config, default=_json_default)))
    if arguments is not None:
        for chosen in ("name", "seed"):
            if chosen not in arguments:
                config.pop(chosen, None)
    return config


def _json_default(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "get_config"):
        return numeras.saving.serialize_keras_object(value)
    raise TypeError(f"not JSON: {value!r}")


def _weights(layer):
    return [(w.path.split("/")[-1], list(w.shape), bool(w.trainable)) for w in layer.weights]


def _keras_weights(case):
    return [(w["path"].split("/")[-1], w["shape"], w["trainable"]) for w in case["weights"]]


@pytest.mark.parametrize("name,index,case", CASES)
def test_config_keys_and_values_equal_keras(name, index, case):
    layer = _numeras_class(name)(**json.loads(json.dumps(case["arguments"])))
    _build(layer, case["input_shape"])
    ours = layer.get_config()
    keras_config = case["config"]
    assert sorted(ours) == sorted(keras_config), (
        f"{name}: keys only numeras has {sorted(set(ours) - set(keras_config))}, "
        f"keys only Keras has {sorted(set(keras_config) - set(ours))}"
    )
    arguments = case["arguments"]
    assert _comparable(ours, arguments) == _comparable(keras_config, arguments)


@pytest.mark.parametrize("name,index,case", CASES)
def test_from_keras_config_gives_keras_config(name, index, case):
    keras_config = case["config"]
    layer = _numeras_class(name).from_config(json.loads(json.dumps(keras_config)))
    assert _comparable(layer.get_config()) == _comparable(keras_config)


@pytest.mark.parametrize("name,index,case", [c for c in CASES if c.values[2]["weights"]])
def test_weights_match_keras(name, index, case):
    layer = _numeras_class(name)(**json.loads(json.dumps(case["arguments"])))
    _build(layer, case["input_shape"])
    assert _weights(layer) == _keras_weights(case)


def test_every_numeras_layer_class_has_keras_cases():
    """The fixture covers every layer class numeras exports under its own name (a new layer must be
    added to make_layer_configs.py)."""
    # Wrapping layers are built from other layer objects; their configs are checked against Keras in
    # tests/layers/test_recurrent_layers.py and test_more_layers.py.
    wrapping = {"Bidirectional", "RNN", "SpectralNormalization", "StackedRNNCells", "TimeDistributed", "Wrapper"}
    skipped = {"Layer", "Lambda", "TensorOperator"} | wrapping
    exported = {
        name
        for name in layers.__all__
        if isinstance(getattr(layers, name), type)
        and issubclass(getattr(layers, name), layers.Layer)
        and getattr(layers, name).__name__ == name
        and name not in skipped
    }
    missing = exported - set(FIXTURE["layers"])
    if missing:
        pytest.fail(f"layers without Keras fixtures (add them to make_layer_configs.py): {sorted(missing)}")


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_keras_written_model_json_rebuilds(kind):
    text = FIXTURE["models"][kind]
    model = models.model_from_json(text)
    keras_model = json.loads(text)
    keras_layers = keras_model["config"]["layers"]
    ours = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    keras_names = [entry["config"]["name"] for entry in keras_layers if entry["class_name"] != "InputLayer"]
    assert [layer.name for layer in ours] == keras_names
    assert model.name == keras_model["config"]["name"]
    for layer, entry in zip(ours, [e for e in keras_layers if e["class_name"] != "InputLayer"]):
        assert type(layer).__name__ == entry["class_name"]
        assert _comparable(layer.get_config()) == _comparable(entry["config"])
    again = models.model_from_json(model.to_json())
    assert [type(layer).__name__ for layer in again.layers] == [type(layer).__name__ for layer in model.layers]
    x = np.random.default_rng(0).normal(size=(2, *model.inputs[0].shape[1:])).astype("float32")
    assert model.predict(x, verbose=0).shape == again.predict(x, verbose=0).shape


def test_keras_arguments_without_a_numeras_counterpart_are_refused_unless_neutral():
    """Keras's quantized Dense, ragged and optional inputs do not exist in numeras: their neutral
    values load (as in every Keras config), anything else is refused with the argument's name."""
    assert layers.Dense(2, quantization_config=None).get_config()["quantization_config"] is None
    with pytest.raises(ValueError, match="quantization_config"):
        layers.Dense(2, quantization_config={"class_name": "Int8QuantizationConfig", "config": {}})
    with pytest.raises(ValueError, match="ragged"):
        layers.InputLayer(shape=(3,), ragged=True)
    with pytest.raises(ValueError, match="optional"):
        numeras.Input((3,), optional=True)
