"""Files written by real Keras 3 (tests/saving/fixtures, made by make_fixtures.py) load in
numeras and predict what Keras predicted; optimizer state and iterations come back."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from saving_helpers import Scale, double, expected, fixture

import numeras
from numeras import layers, models
from numeras.saving import UnsafeDeserializationError

E = expected()


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fixtures_were_written_by_keras_3():
    assert str(E["keras_version"]).startswith("3.")


def test_seed_mlp_keras_file_predicts_as_keras():
    model = models.load_model(fixture("seed_mlp.keras"))
    assert isinstance(model, models.Sequential)
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Dense"]
    assert model.layers[0].units == 32 and model.layers[1].units == 10
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_seed_mlp_restores_compile_and_optimizer_state():
    model = models.load_model(fixture("seed_mlp.keras"))
    assert model.compiled
    assert type(model.optimizer).__name__ == "RMSprop"
    assert model.loss == "categorical_crossentropy"
    assert int(model.optimizer.iterations.numpy()) == int(E["seed_mlp_iterations"]) == 2
    keras_paths = list(E["seed_mlp_optimizer_paths"])
    assert len(model.optimizer.variables) == len(keras_paths)
    for index, variable in enumerate(model.optimizer.variables):
        _close(variable.numpy(), E[f"seed_mlp_optimizer_{index}"])


def test_training_continues_exactly_where_keras_stopped():
    model = models.load_model(fixture("seed_mlp.keras"))
    model.train_on_batch(E["seed_mlp_step_x"], E["seed_mlp_step_y"])
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_after_step"])


def test_compile_false_loads_weights_without_optimizer():
    model = models.load_model(fixture("seed_mlp.keras"), compile=False)
    assert not model.compiled and model.optimizer is None
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_keras_weights_file_loads_into_numeras_model():
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.load_weights(fixture("seed_mlp.weights.h5"))
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_keras_weights_file_restores_optimizer_of_compiled_model():
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.load_weights(fixture("seed_mlp.weights.h5"))
    assert int(model.optimizer.iterations.numpy()) == 2
    model.train_on_batch(E["seed_mlp_step_x"], E["seed_mlp_step_y"])
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_after_step"])


def test_layers_mix_predicts_as_keras():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Adam-state warning is tested below
        model = models.load_model(fixture("layers_mix.keras"))
    names = [type(layer).__name__ for layer in model.layers]
    assert names == ["Flatten", "Dense", "Activation", "Dropout", "Reshape", "Flatten", "Dense"]
    assert model.layers[3].rate == 0.5 and model.layers[4].target_shape == (2, 4)
    _close(model.predict(E["layers_mix_x"], verbose=0), E["layers_mix_y"])




def test_adam_state_from_keras_is_restored():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = models.load_model(fixture("layers_mix.keras"))
    assert int(model.optimizer.iterations.numpy()) == int(E["layers_mix_iterations"])
    assert len(model.optimizer.variables) == len(E["layers_mix_optimizer_paths"])
    for index, variable in enumerate(model.optimizer.variables):
        _close(variable.numpy(), E[f"layers_mix_optimizer_{index}"])


def test_unfitting_optimizer_state_warns_and_keeps_the_weights():
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")  # rmsprop state does not fit Adam
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        model.load_weights(fixture("seed_mlp.weights.h5"))
    assert int(model.optimizer.iterations.numpy()) == 0
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_registered_custom_layer_loads_with_numeras_twin():
    model = models.load_model(fixture("custom_layer.keras"))
    assert isinstance(model.layers[1], Scale) and model.layers[1].factor == 0.5
    _close(model.predict(E["custom_layer_x"], verbose=0), E["custom_layer_y"])


def test_lambda_layer_is_refused_in_safe_mode():
    with pytest.raises(UnsafeDeserializationError, match="safe_mode=False") as info:
        models.load_model(fixture("lambda_layer.keras"))
    message = str(info.value)
    assert "lambda_layer.keras" in message and "Lambda" in message and "'double'" in message
    assert "never" in message  # explains that no stored code is run


def test_lambda_layer_loads_by_name_when_unsafe_mode_is_asked():
    model = models.load_model(fixture("lambda_layer.keras"), safe_mode=False, custom_objects={"double": double})
    _close(model.predict(E["lambda_layer_x"], verbose=0), E["lambda_layer_y"])


def test_lambda_without_its_function_says_what_to_pass():
    with pytest.raises(numeras.saving.UnknownObjectError, match=r"custom_objects=\{'double'"):
        models.load_model(fixture("lambda_layer.keras"), safe_mode=False)


def test_functional_model_predicts_as_keras():
    model = models.load_model(fixture("functional.keras"))
    assert type(model).__name__ == "Functional" and model.name == "two_branch"
    _close(model.predict(E["functional_x"], verbose=0), E["functional_y"])


def test_keras_operations_load_as_tensor_operators():
    # Keras saves x + y, 2 - x, x[:, :1], x @ y, abs(x) ... as operations of keras.src.ops.numpy.
    model = models.load_model(fixture("operators.keras"))
    kinds = {type(layer).__name__ for layer in model.layers}
    assert kinds == {"InputLayer", "Dense", "TensorOperator"}
    operators = sorted(layer.operator for layer in model.layers if type(layer).__name__ == "TensorOperator")
    assert operators == sorted(
        ["add", "multiply", "getitem", "subtract", "add", "negative", "absolute", "divide", "subtract",
         "getitem", "power", "add", "getitem", "matmul", "add"]
    )
    _close(model.predict(E["operators_x"], verbose=0), E["operators_y"])


def test_keras3_legacy_h5_model_loads():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = models.load_model(fixture("seed_mlp_keras3_legacy.h5"))
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])
    assert model.compiled and int(model.optimizer.iterations.numpy()) == 2


def test_keras2_h5_weights_load_into_the_books_model():
    """The first edition's ``model.load_weights('x.h5')``: model_weights/<layer>/<layer>/kernel:0."""
    model = models.Sequential()
    model.add(layers.Dense(32, activation="relu", input_shape=(784,)))
    model.add(layers.Dense(10, activation="softmax"))
    model.load_weights(fixture("seed_mlp_keras2.h5"))
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_keras2_h5_weights_by_name():
    model = models.Sequential([layers.Input((784,)), layers.Dense(32, activation="relu", name="dense"), layers.Dense(10, activation="softmax", name="dense_1")])
    model.load_weights(fixture("seed_mlp_keras2.h5"), by_name=True)
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])


def test_keras2_h5_whole_model_loads_and_compiles():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Keras 2's `decay` argument
        model = models.load_model(fixture("seed_mlp_keras2.h5"))
    _close(model.predict(E["seed_mlp_x"], verbose=0), E["seed_mlp_y"])
    assert model.compiled and type(model.optimizer).__name__ == "RMSprop"


def test_keras2_h5_layer_count_mismatch_is_explained():
    model = models.Sequential([layers.Input((784,)), layers.Dense(10)])
    with pytest.raises(numeras.saving.SavedFileError, match="layer count mismatch"):
        model.load_weights(fixture("seed_mlp_keras2.h5"))
