"""Checks shared by the convolutional-network layer tests: gradients through a layer w.r.t. its
inputs and weights, config round trips, and one training step that must lower a loss."""

import numpy as np

from numeras import layers, ops
from numeras.autodiff import GradientTape
from numeras.testing import gradcheck


def weight_attributes(layer):
    """The attribute names under which ``layer`` holds its trainable weights, in weights order."""
    names = []
    for weight in layer.trainable_weights:
        name = next(key for key, value in vars(layer).items() if value is weight)
        names.append(name)
    return names


def layer_gradcheck(layer, x, training=False, **tolerances):
    """gradcheck ``layer(x)`` in float64 w.r.t. x and every trainable weight (the layer must have
    been created with dtype='float64' and be built)."""
    if not layer.built:
        layer(x, training=training)
    names = weight_attributes(layer)
    weights = [getattr(layer, name).numpy().copy() for name in names]

    def f(inputs, *params):
        saved = {name: getattr(layer, name) for name in names}
        for name, param in zip(names, params):
            object.__setattr__(layer, name, param)
        try:
            return layer(inputs, training=training)
        finally:
            for name, value in saved.items():
                object.__setattr__(layer, name, value)

    return gradcheck(f, [x, *weights], **tolerances)


def assert_config_round_trip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    rebuilt = layers.deserialize(layers.serialize(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == config
    return clone


def assert_training_step_lowers_loss(layer, x, learning_rate=0.05):
    """One SGD step on mean((layer(x) - target)^2) must lower it."""
    out = layer(x, training=True)
    target = np.random.default_rng(0).normal(size=out.shape).astype(out.dtype)
    with GradientTape() as tape:
        loss = ops.mean(ops.square(layer(x, training=True) - target))
    weights = layer.trainable_weights
    grads = tape.gradient(loss, weights)
    assert all(g is not None for g in grads)
    for weight, grad in zip(weights, grads):
        weight.assign_sub(learning_rate * grad.numpy())
    after = ops.mean(ops.square(layer(x, training=True) - target))
    assert float(after) < float(loss)


def assert_output_shape(layer, x):
    """compute_output_shape (with an unknown batch) agrees with the real output."""
    out = layer(x)
    predicted = layer.compute_output_shape((None, *x.shape[1:]))
    assert tuple(predicted) == (None, *out.shape[1:]), (predicted, out.shape)
    return out
