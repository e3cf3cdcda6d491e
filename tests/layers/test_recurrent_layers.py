"""Recurrent layers (SimpleRNN, LSTM, GRU, RNN over cells, Bidirectional, TimeDistributed,
RepeatVector) against Keras 3.15: outputs and gradients (fixtures by make_rnn_layer_fixtures.py),
configs key for key (sequence_configs.json), the Keras-written sequence model, the clear errors,
and float64 gradient checks of the fast and reference paths."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import numeras
from numeras import GradientTape, layers, models
from numeras.autodiff import Tensor
from numeras.saving import keras_format
from numeras.testing import gradcheck

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "rnn_layer_cases.json")) as _f:
    CASES = json.load(_f)
EXPECTED = np.load(os.path.join(FIXTURES, "rnn_layer_expected.npz"))
with open(os.path.join(FIXTURES, "sequence_configs.json")) as _f:
    KERAS_CONFIGS = json.load(_f)


def build(spec: dict, dtype: str | None = None):
    kwargs = dict(spec["kwargs"])
    if dtype:
        kwargs["dtype"] = dtype
    if spec["class"] == "StackedCells":
        layer = layers.RNN([layers.LSTMCell(3, dtype=dtype), layers.GRUCell(2, dtype=dtype)], **kwargs)
    else:
        layer = getattr(layers, spec["class"])(**kwargs)
    if "wrapper" in spec:
        layer = layers.Bidirectional(layer, **spec["wrapper"])
    return layer


def _case_arrays(name: str):
    x = EXPECTED[f"{name}/x"]
    mask = EXPECTED[f"{name}/mask"] if f"{name}/mask" in EXPECTED else None
    count = sum(1 for k in EXPECTED.files if k.startswith(f"{name}/w"))
    weights = [EXPECTED[f"{name}/w{i}"] for i in range(count)]
    return x, mask, weights


@pytest.mark.parametrize("name", sorted(n for n, s in CASES.items() if not s.get("stateful")))
def test_outputs_and_gradients_match_keras(name):
    spec = CASES[name]
    x, mask, weights = _case_arrays(name)
    layer = build(spec)
    layer(x, mask=mask)
    layer.set_weights(weights)
    x_tensor = Tensor(x)
    with GradientTape() as tape:
        tape.watch(x_tensor)
        outputs = layer(x_tensor, mask=mask)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        total = None
        for i, out in enumerate(outputs):
            np.testing.assert_allclose(out.numpy(), EXPECTED[f"{name}/out{i}"], rtol=1e-5, atol=1e-6)
            term = numeras.ops.sum(out * EXPECTED[f"{name}/cot{i}"])
            total = term if total is None else total + term
    grads = tape.gradient(total, [x_tensor, *layer.trainable_weights])
    np.testing.assert_allclose(grads[0].numpy(), EXPECTED[f"{name}/grad_x"], rtol=1e-4, atol=1e-5)
    for i, g in enumerate(grads[1:]):
        np.testing.assert_allclose(g.numpy(), EXPECTED[f"{name}/grad_w{i}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(n for n, s in CASES.items() if s.get("stateful")))
def test_stateful_across_two_calls_matches_keras(name):
    x, _, weights = _case_arrays(name)
    layer = build(CASES[name])
    layer(x)
    layer.set_weights(weights)
    layer.reset_states()
    first = layer(x).numpy()
    second = layer(x[:, ::-1]).numpy()
    np.testing.assert_allclose(first, EXPECTED[f"{name}/outputs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(second, EXPECTED[f"{name}/outputs_second"], rtol=1e-5, atol=1e-6)
    # reset_states() starts over: the first call's result again.
    layer.reset_states()
    np.testing.assert_allclose(layer(x).numpy(), first, rtol=1e-6)


def test_reference_path_equals_fused_path():
    """An LSTMCell subclass runs step by step in Python; it must agree with the fused op."""

    class PlainLSTMCell(layers.LSTMCell):
        pass

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 6, 4)).astype("float32")
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = False
    fused = layers.LSTM(5, return_sequences=True, go_backwards=True)
    reference = layers.RNN(PlainLSTMCell(5), return_sequences=True, go_backwards=True)
    fused(x)
    reference(x)
    reference.set_weights(fused.get_weights())
    np.testing.assert_allclose(reference(x, mask=mask).numpy(), fused(x, mask=mask).numpy(), rtol=1e-5, atol=1e-6)


# -- configs --------------------------------------------------------------------------------
def _keras_form(layer):
    return json.loads(json.dumps(keras_format._layer_config_to_keras(layer, layer.get_config()), default=str))


def _assert_same_config(ours, theirs, where):
    """Key for key; a nested recurrent layer compared the same way; other nested objects
    (initializers, a TimeDistributed's Dense) by class: their own keys belong to their tests."""
    assert sorted(ours) == sorted(theirs), where
    for key, value in theirs.items():
        if key == "name":
            continue
        if isinstance(value, dict) and "class_name" in value and "config" in value:
            assert ours[key]["class_name"] == value["class_name"], (where, key)
            if value["class_name"] in ("LSTM", "GRU", "SimpleRNN"):  # the wrapped layers of this module
                _assert_same_config(ours[key]["config"], value["config"], f"{where}.{key}")
        else:
            assert ours[key] == value, (where, key)


@pytest.mark.parametrize(
    "name, make, shape",
    [
        ("SimpleRNN", lambda: layers.SimpleRNN(4, return_sequences=True), (2, 5, 3)),
        ("LSTM", lambda: layers.LSTM(4, return_state=True, dropout=0.1, recurrent_dropout=0.2), (2, 5, 3)),
        ("GRU", lambda: layers.GRU(4, reset_after=False, go_backwards=True), (2, 5, 3)),
        ("Bidirectional", lambda: layers.Bidirectional(layers.LSTM(4), merge_mode="sum"), (2, 5, 3)),
        ("TimeDistributed", lambda: layers.TimeDistributed(layers.Dense(3)), (2, 5, 3)),
        ("RepeatVector", lambda: layers.RepeatVector(4), (2, 3)),
    ],
)
def test_config_keys_match_keras(name, make, shape):
    layer = make()
    layer(np.zeros(shape, "float32"))
    _assert_same_config(_keras_form(layer), KERAS_CONFIGS[name], name)
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_lstm_weights_shapes_names_and_forget_bias():
    layer = layers.LSTM(3)
    layer(np.zeros((2, 4, 5), "float32"))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("lstm/lstm_cell/kernel", (5, 12)), ("lstm/lstm_cell/recurrent_kernel", (3, 12)), ("lstm/lstm_cell/bias", (12,)),
    ] or [w.path.split("/")[1:] for w in layer.weights] == [["lstm_cell", "kernel"], ["lstm_cell", "recurrent_kernel"], ["lstm_cell", "bias"]]
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    gru = layers.GRU(2)
    gru(np.zeros((1, 3, 4), "float32"))
    assert gru.cell.bias.shape == (2, 6)
    gru_before = layers.GRU(2, reset_after=False)
    gru_before(np.zeros((1, 3, 4), "float32"))
    assert gru_before.cell.bias.shape == (6,)


# -- the Keras-written sequence model --------------------------------------------------------
def test_keras_sequence_model_loads_and_predicts_the_same():
    expected = np.load(os.path.join(FIXTURES, "sequence_expected.npz"))
    model = numeras.saving.load_model(os.path.join(FIXTURES, "sequence_model.keras"))
    tokens = expected["sequence_x"]
    np.testing.assert_allclose(model.predict(tokens, verbose=0), expected["sequence_y"], rtol=1e-5)
    unpadded = model.predict(tokens[1:2, :5], verbose=0)
    np.testing.assert_allclose(unpadded, expected["sequence_row1_unpadded_y"], rtol=1e-5)
    np.testing.assert_allclose(unpadded, model.predict(tokens[1:2], verbose=0), rtol=1e-5)


def test_saved_and_loaded_in_numeras(tmp_path):
    inputs = layers.Input((None,), dtype="int32")
    x = layers.Embedding(20, 4, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.GRU(3, return_sequences=True))(x)
    x = layers.SimpleRNN(2)(x)
    model = models.Model(inputs, layers.Dense(1)(x))
    tokens = np.array([[3, 4, 5, 0], [1, 2, 0, 0]], "int32")
    before = model.predict(tokens, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = numeras.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(tokens, verbose=0), before, rtol=1e-6)


# -- clear errors ----------------------------------------------------------------------------
def test_two_dimensional_input_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"(?s)'lstm_2d' \(LSTM\).*\(batch, timesteps, features\).*, 20\).*Reshape\(\(20, 1\)\).*Embedding"):
        layers.LSTM(3, name="lstm_2d")(np.zeros((4, 20), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\)"):
        models.Sequential([layers.Input((20,)), layers.GRU(3)])


def test_stateful_without_batch_size_is_refused():
    with pytest.raises(ValueError, match=r"stateful=True.*batch_shape"):
        models.Sequential([layers.Input((5, 2)), layers.LSTM(3, stateful=True)])
    # With a batch size it builds, and a batch of another size is refused.
    model = models.Sequential([layers.Input(batch_shape=(2, 5, 2)), layers.LSTM(3, stateful=True)])
    model.predict(np.zeros((2, 5, 2), "float32"), verbose=0)
    with pytest.raises(ValueError, match="batch size 2"):
        model.layers[-1](np.zeros((3, 5, 2), "float32"))


def test_mask_of_wrong_shape_is_refused():
    layer = layers.GRU(2)
    with pytest.raises(ValueError, match="mask"):
        layer(np.zeros((2, 5, 3), "float32"), mask=np.ones((2, 4), bool))


def test_embedding_index_out_of_range_fails_before_training():
    model = models.Sequential([layers.Embedding(10, 4), layers.LSTM(2), layers.Dense(1)])
    model.compile("rmsprop", "mse")
    with pytest.raises(ValueError, match=r"input_dim=10"):
        model.fit(np.array([[1, 2, 12]]), np.zeros((1, 1)), verbose=0)


# -- dropout ---------------------------------------------------------------------------------
def test_dropout_masks_fixed_over_time_and_seeded():
    x = np.ones((4, 6, 3), "float32")
    a = layers.SimpleRNN(5, dropout=0.5, recurrent_dropout=0.5, seed=7, return_sequences=True)
    b = layers.SimpleRNN(5, dropout=0.5, recurrent_dropout=0.5, seed=7, return_sequences=True)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a(x, training=True).numpy(), b(x, training=True).numpy())
    # Inference ignores dropout.
    np.testing.assert_array_equal(a(x).numpy(), b(x).numpy())
    # One input mask for every step: with zero recurrent weights, each step's output is the same.
    c = layers.SimpleRNN(5, dropout=0.5, seed=3, return_sequences=True, recurrent_initializer="zeros")
    out = c(x, training=True).numpy()
    np.testing.assert_array_equal(out, np.broadcast_to(out[:, :1], out.shape))
    assert not np.allclose(out, c(x).numpy())


def test_unroll_gives_the_same_result():
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    a, b = layers.GRU(3, unroll=True), layers.GRU(3)
    a(x)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy())


def test_initial_state_in_call():
    x = np.random.default_rng(2).normal(size=(2, 4, 3)).astype("float32")
    layer = layers.LSTM(3, return_state=True)
    out, h, c = layer(x)
    out2, _, _ = layer(x[:, :0 + 4], initial_state=[h, c])
    assert not np.allclose(out.numpy(), out2.numpy())
    with pytest.raises(ValueError, match="initial_state"):
        layer(x, initial_state=[h])


def test_user_cell_with_state_size():
    class MinimalCell(layers.Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.state_size = units

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
            self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

        def call(self, inputs, states):
            h = numeras.ops.matmul(inputs, self.kernel) + numeras.ops.matmul(states[0], self.recurrent_kernel)
            return h, [h]

    layer = layers.RNN(MinimalCell(4), return_sequences=True)
    x = np.random.default_rng(3).normal(size=(2, 3, 5)).astype("float32")
    out = layer(x).numpy()
    k, r = (w.numpy() for w in layer.weights)
    h = np.zeros((2, 4), "float32")
    for t in range(3):
        h = x[:, t] @ k + h @ r
        np.testing.assert_allclose(out[:, t], h, rtol=1e-5, atol=1e-6)


def test_time_distributed_and_repeat_vector():
    x = np.random.default_rng(4).normal(size=(2, 3, 4)).astype("float32")
    dense = layers.Dense(5)
    td = layers.TimeDistributed(dense)
    out = td(x).numpy()
    np.testing.assert_allclose(out, x @ dense.kernel.numpy() + dense.bias.numpy(), rtol=1e-5)
    rv = layers.RepeatVector(3)(x[:, 0]).numpy()
    assert rv.shape == (2, 3, 4)
    np.testing.assert_array_equal(rv[:, 2], x[:, 0])


# -- gradient checks in float64 ----------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.LSTM(3, return_sequences=True, dtype="float64"),
        lambda: layers.GRU(3, go_backwards=True, dtype="float64"),
        lambda: layers.GRU(2, reset_after=False, return_sequences=True, dtype="float64"),
        lambda: layers.SimpleRNN(3, activation="relu", return_sequences=True, dtype="float64"),
        lambda: layers.Bidirectional(layers.LSTM(2, return_sequences=True, dtype="float64"), dtype="float64"),
        lambda: layers.RNN([layers.GRUCell(2, dtype="float64"), layers.SimpleRNNCell(2, activation="sigmoid", dtype="float64")],
                           return_sequences=True, dtype="float64"),
    ],
)
def test_gradcheck_float64_masked(make):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 4, 3))
    mask = np.array([[True, True, True, False], [False, True, True, True]])
    layer = make()
    layer(x, mask=mask)
    gradcheck(lambda inputs: _first(layer(inputs, mask=mask)), [x], atol=1e-6, rtol=1e-5)
    for weight in layer.trainable_weights:
        original = weight.numpy().copy()

        def as_function_of_weight(value, weight=weight):
            # The weight's value replaced by a differentiable input: run the layer with it.
            return _with_weight(layer, weight, value, x, mask)

        gradcheck(as_function_of_weight, [original], atol=1e-6, rtol=1e-5)
        weight.assign(original)


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


def _with_weight(layer, weight, value, x, mask):
    """The layer's output with ``weight`` standing for ``value`` (a Tensor on the tape)."""
    owner = next(
        sub for sub in layer._flatten_layers() if any(weight is v for v in sub._tracked_variables)
    )
    attribute = next(name for name, v in vars(owner).items() if v is weight)
    object.__setattr__(owner, attribute, value)
    try:
        return _first(layer(x, mask=mask))
    finally:
        object.__setattr__(owner, attribute, weight)


class _UserCell(layers.Layer):
    """A cell of one's own: two states (h and a running sum of h), output 2h."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel")

    def call(self, inputs, states):
        h, total = states
        h = numeras.ops.tanh(numeras.ops.matmul(inputs, self.kernel) + numeras.ops.matmul(h, self.recurrent_kernel))
        return h * 2.0, [h, total + h]


def test_gradcheck_float64_user_cell_masked_with_state():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 5, 3))
    mask = np.array([[True, True, False, True, False], [False, True, True, True, True]])
    layer = layers.RNN(_UserCell(3, dtype="float64"), return_sequences=True, return_state=True, go_backwards=True, dtype="float64")
    out, h, total = layer(x, mask=mask)
    assert out.shape == (2, 5, 3) and total.shape == (2, 3)
    gradcheck(lambda inputs: layer(inputs, mask=mask)[2], [x], atol=1e-6, rtol=1e-5)
    gradcheck(lambda inputs: layer(inputs, mask=mask)[0], [x], atol=1e-6, rtol=1e-5)
    for weight in layer.trainable_weights:
        gradcheck(lambda value, weight=weight: _with_weight(layer, weight, value, x, mask),
                  [weight.numpy().copy()], atol=1e-6, rtol=1e-5)
