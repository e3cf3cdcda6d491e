"""Python operators on symbolic tensors record TensorOperator layers in functional models."""

import numpy as np
import pytest

import numeras
from numeras import layers, models
from numeras.layers.operators import TensorOperator
from numeras.symbolic.operators import broadcast_shapes, decode_key, encode_key


def _data(shape=(6, 5), seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_operators_with_numbers_compute_what_numpy_computes():
    inputs = numeras.Input(shape=(5,))
    outputs = [
        inputs + 1.5, 2 * inputs, inputs - 1, 1 - inputs, inputs / 4, 3.0 / (abs(inputs) + 1),
        inputs ** 2, -inputs, +inputs, np.float32(2) * inputs,
    ]
    model = models.Model(inputs, outputs)
    x = _data()
    got = model.predict(x, verbose=0)
    expected = [x + 1.5, 2 * x, x - 1, 1 - x, x / 4, 3.0 / (np.abs(x) + 1), x ** 2, -x, x, 2 * x]
    assert len(got) == len(expected)
    for value, reference in zip(got, expected):
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, reference, rtol=1e-6)


def test_operators_between_symbolic_tensors_broadcast_and_matmul():
    a = numeras.Input(shape=(3, 4))
    b = numeras.Input(shape=(1, 4))
    w = numeras.Input(shape=(4, 2))
    summed = a + b
    product = a @ w
    assert summed.shape == (None, 3, 4) and product.shape == (None, 3, 2)
    model = models.Model([a, b, w], [summed, a * b, a - b, a / (b * b + 1), product])
    xa, xb, xw = _data((2, 3, 4), 1), _data((2, 1, 4), 2), _data((2, 4, 2), 3)
    got = model.predict([xa, xb, xw], verbose=0)
    expected = [xa + xb, xa * xb, xa - xb, xa / (xb * xb + 1), xa @ xw]
    for value, reference in zip(got, expected):
        np.testing.assert_allclose(value, reference, rtol=1e-5, atol=1e-6)


def test_slicing_keeps_the_batch_axis():
    inputs = numeras.Input(shape=(6, 4))
    first_steps = inputs[:, :3]
    last_channel = inputs[..., -1]
    widened = inputs[:, None, ::2, 1]
    assert first_steps.shape == (None, 3, 4)
    assert last_channel.shape == (None, 6)
    assert widened.shape == (None, 1, 3)
    model = models.Model(inputs, [first_steps, last_channel, widened])
    x = _data((2, 6, 4))
    got = model.predict(x, verbose=0)
    for value, reference in zip(got, [x[:, :3], x[..., -1], x[:, None, ::2, 1]]):
        np.testing.assert_array_equal(value, reference)


def test_residual_connection_trains():
    inputs = numeras.Input(shape=(8,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    outputs = layers.Dense(1)(hidden + inputs)  # a residual connection written as in Keras 3
    model = models.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_models_with_operators_save_and_load(tmp_path):
    inputs = numeras.Input(shape=(4,))
    hidden = layers.Dense(4)(inputs)
    outputs = (hidden + inputs) * 0.5 - inputs[:, :1]
    model = models.Model(inputs, outputs)
    x = _data((3, 4))
    path = tmp_path / "operators.keras"
    model.save(path)
    loaded = models.load_model(path)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    kinds = [type(layer).__name__ for layer in loaded.layers]
    assert kinds.count("TensorOperator") == 4


def test_summary_names_the_operator_layers():
    inputs = numeras.Input(shape=(4,))
    model = models.Model(inputs, inputs * 2 + 1)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "TensorOperator" in text and "multiply" in text and "add" in text


def test_config_round_trip():
    layer = TensorOperator("subtract", operand=2.0, operand_first=True)
    clone = TensorOperator.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    sliced = TensorOperator("getitem", key=encode_key((slice(None), Ellipsis, None, slice(1, -1, 2), 0)))
    rebuilt = layers.deserialize(layers.serialize(sliced))
    assert decode_key(rebuilt.key) == (slice(None), Ellipsis, None, slice(1, -1, 2), 0)


def test_bad_operands_fail_when_the_graph_is_built():
    inputs = numeras.Input(shape=(3,))
    with pytest.raises(TypeError, match=r"Python numbers, received ndarray.*layer"):
        inputs + np.ones(3)
    with pytest.raises(ValueError, match=r"\(None, 3\) and \(None, 4\) do not broadcast"):
        inputs + numeras.Input(shape=(4,))
    with pytest.raises(ValueError, match="keep the batch axis whole"):
        inputs[0]
    with pytest.raises(TypeError, match="ints, slices, None and"):
        inputs[:, [0, 2]]
    with pytest.raises(ValueError, match="last axis of the left operand"):
        inputs @ numeras.Input(shape=(4, 2))
    with pytest.raises(TypeError, match="no values yet"):
        np.asarray(inputs)
    with pytest.raises(ValueError, match="unknown `operator`"):
        TensorOperator("modulo")


def test_broadcast_shapes_with_unknown_sizes():
    assert broadcast_shapes((None, 3), (3,)) == (None, 3)
    assert broadcast_shapes((None, 1), (None, 5)) == (None, 5)
    assert broadcast_shapes((None, None), (None, 5)) == (None, 5)
    assert broadcast_shapes((2, 1, 4), (3, 1)) == (2, 3, 4)
