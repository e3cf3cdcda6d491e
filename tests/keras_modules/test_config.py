"""numeras.config: Keras 3's global settings, their defaults (from Keras 3.15) and errors."""

import os

import numpy as np
import pytest

import numeras
from numeras import backend, config, layers, models
from numeras.saving.errors import UnsafeDeserializationError

SAVING_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saving", "fixtures")


def double(x):
    return x * 2


def test_defaults_match_keras(keras_expected):
    expected = keras_expected["config"]
    assert config.floatx() == expected["floatx"]
    assert config.epsilon() == expected["epsilon"]
    assert config.image_data_format() == expected["image_data_format"]
    assert config.dtype_policy().name == expected["dtype_policy"]
    assert config.backend() == "numpy"


def test_settings_have_one_home_in_backend():
    for name in ("floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format", "set_image_data_format"):
        assert getattr(config, name) is getattr(backend, name), name
    config.set_epsilon(1e-5)
    assert backend.epsilon() == 1e-5


def test_set_floatx_changes_new_layers_and_rejects_non_floats():
    config.set_floatx("float64")
    try:
        dense = layers.Dense(2)
        dense.build((None, 3))
        assert dense.kernel.dtype == "float64"
        assert numeras.floatx() == "float64"
    finally:
        config.set_floatx("float32")
    with pytest.raises(ValueError, match="int8"):
        config.set_floatx("int8")


def test_image_data_format_is_the_default_of_conv_layers():
    config.set_image_data_format("channels_first")
    conv = layers.Conv2D(4, 3)
    assert conv.data_format == "channels_first"
    assert conv.compute_output_shape((None, 2, 10, 10)) == (None, 4, 8, 8)
    config.set_image_data_format("CHANNELS_LAST")
    assert config.image_data_format() == "channels_last"
    with pytest.raises(ValueError, match="channels_first"):
        config.set_image_data_format("nhwc")


def test_dtype_policy_sets_the_default_dtype_of_layers():
    config.set_dtype_policy("float64")
    policy = config.dtype_policy()
    assert (policy.name, policy.compute_dtype, policy.variable_dtype) == ("float64", "float64", "float64")
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.kernel.dtype == "float64"
    assert dense(np.ones((1, 3), "float32")).dtype == "float64"
    assert config.floatx() == "float32"  # as in Keras, the policy leaves floatx alone
    config.set_dtype_policy(config.DTypePolicy("float32"))
    assert config.dtype_policy() == config.DTypePolicy("float32")


def test_unsupported_policies_say_what_is_supported():
    with pytest.raises(ValueError, match="mixed_float16") as info:
        config.set_dtype_policy("mixed_float16")
    assert "'float32'" in str(info.value) and "'float64'" in str(info.value)
    with pytest.raises(ValueError, match="int8_from_float32"):
        config.set_dtype_policy("int8_from_float32")
    with pytest.raises(ValueError, match="Received|received"):
        config.set_dtype_policy(3)
    assert config.dtype_policy().name == "float32"


def test_enable_unsafe_deserialization_overrides_safe_mode():
    path = os.path.join(SAVING_FIXTURES, "lambda_layer.keras")
    with pytest.raises(UnsafeDeserializationError):
        models.load_model(path, custom_objects={"double": double})
    assert config.in_safe_mode() is None
    config.enable_unsafe_deserialization()
    assert config.in_safe_mode() is False
    model = models.load_model(path, custom_objects={"double": double})
    assert any(type(layer).__name__ == "Lambda" for layer in model.layers)
    backend.clear_session()  # Keras's clear_session forgets the switch
    with pytest.raises(UnsafeDeserializationError):
        models.load_model(path, custom_objects={"double": double})


def test_clear_session_resets_names_and_policy_not_floatx_or_rng():
    names = [layers.Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    config.set_dtype_policy("float64")
    config.set_epsilon(1e-4)
    numeras.utils.set_random_seed(5)
    expected_draw = np.random.default_rng(5).random()
    numeras.backend.clear_session()
    assert layers.Dense(1).name == "dense"
    assert config.dtype_policy().name == "float32"
    assert config.epsilon() == 1e-4
    assert backend.random_generator().random() == expected_draw  # the generator went on, not reseeded


def test_interactive_logging_switches_progress_output_to_logging(capsys, caplog):
    x = np.ones((4, 2), "float32")
    model = numeras.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert config.is_interactive_logging_enabled()
    config.disable_interactive_logging()
    assert not config.is_interactive_logging_enabled()
    with caplog.at_level("INFO", logger="numeras"):
        model.fit(x, x[:, :1], epochs=2, verbose=2)
    assert capsys.readouterr().out == ""
    assert any("Epoch 1/2" in record.getMessage() for record in caplog.records)
    assert any("loss" in record.getMessage() for record in caplog.records)
    config.enable_interactive_logging()
    model.fit(x, x[:, :1], epochs=2, verbose=2)
    assert "Epoch 1/2" in capsys.readouterr().out
    config.disable_interactive_logging()
    backend.clear_session()
    assert config.is_interactive_logging_enabled()
