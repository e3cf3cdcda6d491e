"""The model utilities Keras users reach for: ``Model.to_json`` / ``models.model_from_json``,
``models.clone_model``, ``Layer.stateless_call`` and ``numeras.Variable(initializer=, shape=)``."""

from __future__ import annotations

import json

import numpy as np
import pytest

import numeras as nm
from numeras import layers, models

RNG = np.random.default_rng(7)


def _functional():
    inputs = nm.Input((4,), name="features")
    hidden = layers.Dense(5, activation="relu", name="hidden")
    shared = layers.Dense(3, name="shared")
    left = shared(hidden(inputs))
    right = shared(layers.Dense(5, name="other")(inputs))
    outputs = layers.Dense(1, name="out")(layers.Concatenate(name="merge")([left, right]))
    return models.Model(inputs, outputs, name="two_paths")


def _sequential():
    return models.Sequential(
        [nm.Input((4,)), layers.Dense(6, activation="relu", name="a"), layers.BatchNormalization(name="bn"), layers.Dense(2, name="b")],
        name="stack",
    )


# -- to_json / model_from_json ------------------------------------------------------------------
@pytest.mark.parametrize("make", [_functional, _sequential])
def test_to_json_rebuilds_the_same_architecture_with_new_weights(make):
    model = make()
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == type(model).__name__
    assert config["module"] in ("keras", "keras.src.models.functional")  # where Keras 3 writes each
    rebuilt = models.model_from_json(text)
    assert rebuilt.name == model.name
    assert [(l.name, type(l).__name__) for l in rebuilt.layers] == [(l.name, type(l).__name__) for l in model.layers]
    assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
    assert not all(np.array_equal(a, b) for a, b in zip(rebuilt.get_weights(), model.get_weights()))
    rebuilt.set_weights(model.get_weights())
    x = RNG.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert json.loads(rebuilt.to_json(indent=2)) == config


def test_model_from_json_finds_custom_classes_in_custom_objects():
    class Doubler(layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    inputs = nm.Input((2,))
    model = models.Model(inputs, Doubler(name="doubler")(inputs))
    text = model.to_json()
    with pytest.raises(Exception, match="Doubler"):
        models.model_from_json(text)
    rebuilt = models.model_from_json(text, custom_objects={"Doubler": Doubler})
    np.testing.assert_allclose(rebuilt.predict(np.ones((1, 2), "float32"), verbose=0), [[2.0, 2.0]])


def test_model_from_json_rejects_text_that_is_not_a_model_json():
    with pytest.raises(ValueError, match="json_string"):
        models.model_from_json("{not json")
    with pytest.raises(ValueError, match="class_name"):
        models.model_from_json("[1, 2]")


# -- clone_model -----------------------------------------------------------------------------
def test_clone_functional_has_new_weights_same_graph_and_keeps_sharing():
    model = _functional()
    clone = models.clone_model(model)
    assert type(clone) is type(model) and clone.name == model.name
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]
    assert all(a is not b for a, b in zip(clone.layers, model.layers))
    assert len(clone.weights) == len(model.weights)  # the shared Dense is cloned once
    assert not any(a is b for a, b in zip(clone.weights, model.weights))
    clone.set_weights(model.get_weights())
    x = RNG.normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    model.layers[1].kernel.assign(np.zeros(model.layers[1].kernel.shape))
    assert not np.allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))


def test_clone_sequential_keeps_its_input_and_clone_function_sees_every_layer():
    model = _sequential()
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        config = layer.get_config()
        config["name"] = f"{layer.name}_copy"
        return type(layer).from_config(config)

    clone = models.clone_model(model, clone_function=clone_function)
    assert isinstance(clone, models.Sequential) and clone.name == "stack"
    assert seen == ["a", "bn", "b"]
    assert [l.name for l in clone.layers] == ["a_copy", "bn_copy", "b_copy"]
    assert clone.built and clone.input_shape == (None, 4)


def test_clone_on_new_input_tensors():
    model = _functional()
    new_input = nm.Input(batch_shape=(8, 4), name="fixed_batch")
    clone = models.clone_model(model, input_tensors=new_input)
    assert clone.inputs[0] is new_input and clone.output_shape == (8, 1)
    with pytest.raises(ValueError, match="input_tensors"):
        models.clone_model(model, input_tensors=[new_input, nm.Input((4,))])
    sequential_clone = models.clone_model(_sequential(), input_tensors=nm.Input((4,), name="given"))
    assert sequential_clone.inputs[0]._keras_history[0].name == "given"
    with pytest.raises(ValueError, match="Input tensor"):
        models.clone_model(_sequential(), input_tensors=layers.Dense(4)(nm.Input((4,))))


def test_clone_function_returning_the_layer_shares_it():
    model = _sequential()
    clone = models.clone_model(model, clone_function=lambda layer: layer)
    assert all(a is b for a, b in zip(clone.layers, model.layers))


def test_clone_subclassed_model_from_config_and_refuses_graph_arguments():
    class TwoDense(models.Model):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.first = layers.Dense(units)
            self.second = layers.Dense(1)

        def call(self, inputs):
            return self.second(self.first(inputs))

        def get_config(self):
            return {"units": self.units, "name": self.name}

    model = TwoDense(units=4, name="sub")
    model(np.ones((1, 2), "float32"))
    clone = models.clone_model(model)
    assert type(clone) is TwoDense and clone.units == 4 and clone.name == "sub"
    assert clone.built and [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert models.clone_model(model, units=7).units == 7
    with pytest.raises(ValueError, match="subclassed"):
        models.clone_model(model, clone_function=lambda layer: layer)


def test_clone_function_must_return_a_layer():
    with pytest.raises(ValueError, match="clone_function"):
        models.clone_model(_sequential(), clone_function=lambda layer: None)


# -- stateless_call --------------------------------------------------------------------------
def test_stateless_call_uses_the_given_values_and_leaves_the_layer_alone():
    layer = layers.Dense(2)
    layer.build((None, 3))
    kernel, bias = layer.get_weights()
    new_kernel = RNG.normal(size=(3, 2)).astype("float32")
    new_bias = np.array([1.0, -1.0], "float32")
    x = RNG.normal(size=(4, 3)).astype("float32")
    outputs, non_trainable = layer.stateless_call([new_kernel, new_bias], [], x)
    np.testing.assert_allclose(np.asarray(outputs), x @ new_kernel + new_bias, rtol=1e-6)
    assert non_trainable == []
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    np.testing.assert_array_equal(layer.bias.numpy(), bias)


def test_stateless_call_returns_updated_non_trainable_values():
    layer = layers.BatchNormalization(momentum=0.5)
    layer.build((None, 2))
    trainable = [v.numpy() for v in layer.trainable_variables]
    moving = [np.zeros(2, "float32"), np.ones(2, "float32")]
    given = [m.copy() for m in moving]
    x = np.array([[1.0, 3.0], [3.0, 7.0]], "float32")
    _, updated = layer.stateless_call(trainable, given, x, training=True)
    np.testing.assert_allclose(np.asarray(updated[0]), 0.5 * 0.0 + 0.5 * x.mean(axis=0), rtol=1e-6)
    for before, after in zip(moving, given):
        np.testing.assert_array_equal(before, after)  # the caller's arrays are not written into
    np.testing.assert_array_equal(layer.moving_mean.numpy(), [0.0, 0.0])
    _, unchanged = layer.stateless_call(trainable, moving, x, training=False)
    np.testing.assert_array_equal(np.asarray(unchanged[0]), moving[0])


def test_stateless_call_returns_losses_of_that_call_only():
    layer = layers.Dense(2, kernel_regularizer="l2", activity_regularizer="l1")
    layer.build((None, 3))
    values = [np.full((3, 2), 2.0, "float32"), np.zeros(2, "float32")]
    x = np.ones((1, 3), "float32")
    outputs, _, losses = layer.stateless_call(values, [], x, return_losses=True)
    penalties = sorted(float(np.asarray(loss)) for loss in losses)
    # activity: l1 of the outputs [6, 6]; weights: l2 of the given kernel (all 2.0), not the layer's.
    np.testing.assert_allclose(penalties, [0.01 * 12.0, 0.01 * 4.0 * 6], rtol=1e-5)
    # The layer keeps no loss of that call: only its own kernel's penalty remains.
    own_penalty = 0.01 * float((layer.kernel.numpy() ** 2).sum())
    np.testing.assert_allclose([float(np.asarray(loss)) for loss in layer.losses], [own_penalty], rtol=1e-5)


def test_stateless_call_checks_its_arguments():
    layer = layers.Dense(2)
    with pytest.raises(ValueError, match="built"):
        layer.stateless_call([], [], np.ones((1, 3)))
    layer.build((None, 3))
    with pytest.raises(ValueError, match="trainable_variables"):
        layer.stateless_call([np.ones((3, 2))], [], np.ones((1, 3)))
    with pytest.raises(ValueError, match="shape"):
        layer.stateless_call([np.ones((2, 2)), np.ones(2)], [], np.ones((1, 3)))


# -- Variable --------------------------------------------------------------------------------
def test_variable_takes_keras_3_arguments():
    v = nm.Variable(initializer="ones", shape=(2, 3), dtype="float32", trainable=False, name="v")
    assert v.shape == (2, 3) and v.dtype == "float32" and not v.trainable and v.name == "v"
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 3)))
    seeded = nm.Variable(initializer=nm.initializers.RandomNormal(seed=3), shape=(4,))
    again = nm.Variable(initializer=nm.initializers.RandomNormal(seed=3), shape=(4,))
    np.testing.assert_array_equal(seeded.numpy(), again.numpy())
    assert seeded.dtype == "float32"
    assert nm.Variable(np.zeros((2, 2), "float32"), shape=(2, 2)).shape == (2, 2)
    assert nm.Variable(initial_value=[1.0, 2.0]).shape == (2,)
    with pytest.raises(ValueError, match="shape"):
        nm.Variable(initializer="zeros")
    with pytest.raises(ValueError, match="shape"):
        nm.Variable(np.zeros(3), shape=(2,))
    with pytest.raises(ValueError, match="initializer"):
        nm.Variable()
