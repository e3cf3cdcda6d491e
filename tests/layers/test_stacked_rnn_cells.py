"""``StackedRNNCells`` and ``RNN`` over a stack against Keras 3.15 (fixtures by
make_stacked_rnn_fixtures.py): states nested per cell (``state_size``, ``get_initial_state``, one
``call`` step, ``return_state`` outputs, ``initial_state`` in Keras's nested form, eager and in a
functional model), outputs and gradients (input, weights, initial states), a stateful stack, the
Keras-written ``.keras`` model, config round trips, and the clear errors for malformed states."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import numeras
from numeras import GradientTape, layers, models
from numeras.autodiff import Tensor
from numeras.utils.tree import flatten, pack_sequence_as

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "stacked_rnn_cases.json")) as _f:
    CASES = json.load(_f)
EXPECTED = np.load(os.path.join(FIXTURES, "stacked_rnn_expected.npz"))
MODEL_FILE = os.path.join(FIXTURES, "stacked_rnn_model.keras")
STACK_CASES = sorted(name for name, spec in CASES.items() if "structure" in spec)


def make_cells(specs: list, dtype: str | None = None) -> list:
    return [getattr(layers, name)(units, dtype=dtype) for name, units in specs]


def structure_of(tree, counter=None):
    """``tree`` with each leaf replaced by its number in flatten order (as the fixture stores it)."""
    counter = [0] if counter is None else counter
    if isinstance(tree, (list, tuple)):
        return [structure_of(item, counter) for item in tree]
    counter[0] += 1
    return counter[0] - 1


def _weights(prefix: str) -> list:
    count = sum(1 for key in EXPECTED.files if key.startswith(f"{prefix}/w"))
    return [EXPECTED[f"{prefix}/w{i}"] for i in range(count)]


def _initial_state(name: str) -> list | None:
    structure = CASES[name]["initial_structure"]
    if structure is None:
        return None
    leaves = [Tensor(EXPECTED[f"{name}/init{i}"]) for i in range(len(flatten(structure)))]
    return pack_sequence_as(structure, leaves)


def _built_layer(name: str):
    spec = CASES[name]
    layer = layers.RNN(layers.StackedRNNCells(make_cells(spec["cells"])), **spec["kwargs"])
    mask = EXPECTED[f"{name}/mask"] if f"{name}/mask" in EXPECTED else None
    layer(EXPECTED[f"{name}/x"], mask=mask, initial_state=_initial_state(name))
    layer.set_weights(_weights(name))
    return layer, mask


@pytest.mark.parametrize("name", STACK_CASES)
def test_outputs_states_and_gradients_match_keras(name):
    spec = CASES[name]
    layer, mask = _built_layer(name)
    x = Tensor(EXPECTED[f"{name}/x"])
    initial = _initial_state(name)
    initial_leaves = flatten(initial) if initial is not None else []
    with GradientTape() as tape:
        tape.watch(x)
        for state in initial_leaves:
            tape.watch(state)
        outputs = layer(x, mask=mask, initial_state=initial)
        assert structure_of(outputs) == spec["structure"], "the states are not nested as Keras nests them"
        total = None
        for i, out in enumerate(flatten(outputs)):
            np.testing.assert_allclose(out.numpy(), EXPECTED[f"{name}/out{i}"], rtol=1e-5, atol=1e-6)
            term = numeras.ops.sum(out * EXPECTED[f"{name}/cot{i}"])
            total = term if total is None else total + term
    grads = tape.gradient(total, [x, *layer.trainable_weights, *initial_leaves])
    np.testing.assert_allclose(grads[0].numpy(), EXPECTED[f"{name}/grad_x"], rtol=1e-4, atol=1e-5)
    weight_count = len(layer.trainable_weights)
    for i, g in enumerate(grads[1:1 + weight_count]):
        np.testing.assert_allclose(g.numpy(), EXPECTED[f"{name}/grad_w{i}"], rtol=1e-4, atol=1e-5)
    for i, g in enumerate(grads[1 + weight_count:]):
        np.testing.assert_allclose(g.numpy(), EXPECTED[f"{name}/grad_init{i}"], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", STACK_CASES)
def test_stack_sizes_initial_state_and_one_step_match_keras(name):
    spec = CASES[name]
    layer, _ = _built_layer(name)
    stack = layer.cell
    assert stack.state_size == spec["state_size"]
    assert stack.output_size == spec["output_size"]
    assert layer.state_size == spec["state_size"]  # Keras's RNN.state_size: list(cell.state_size)
    initial = stack.get_initial_state(batch_size=3)
    assert structure_of(initial) == spec["initial_state_structure"]
    assert all(not state.numpy().any() for state in flatten(initial))
    output, new_states = stack.call(Tensor(EXPECTED[f"{name}/x"][:, 0]), initial)
    assert structure_of(new_states) == spec["step_structure"]
    np.testing.assert_allclose(output.numpy(), EXPECTED[f"{name}/step_output"], rtol=1e-5, atol=1e-6)
    for i, state in enumerate(flatten(new_states)):
        np.testing.assert_allclose(state.numpy(), EXPECTED[f"{name}/step_state{i}"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", STACK_CASES)
def test_symbolic_outputs_nest_as_keras(name):
    spec = CASES[name]
    layer = layers.RNN(layers.StackedRNNCells(make_cells(spec["cells"])), **spec["kwargs"])
    symbolic = layer(layers.Input((4, 2)))
    assert structure_of(symbolic) == spec["symbolic_structure"]
    shapes = [list(t.shape) for t in flatten(symbolic)]
    assert shapes == [list(s) for s in _flat_shapes(spec["symbolic_shapes"])]


def _flat_shapes(shapes):
    if shapes and all(isinstance(n, (int, type(None))) for n in shapes):
        return [shapes]
    return [s for item in shapes for s in _flat_shapes(item)]


def test_single_state_cells_keep_the_form_they_were_given():
    """A GRUCell's entry given as a one-element list comes back as one; given as a bare tensor,
    bare (Keras's ``state_is_list``)."""
    stack = layers.StackedRNNCells([layers.GRUCell(3), layers.SimpleRNNCell(2)])
    x = Tensor(np.ones((2, 4), dtype="float32"))
    h1, h2 = Tensor(np.zeros((2, 3), "float32")), Tensor(np.zeros((2, 2), "float32"))
    _, as_lists = stack.call(x, [[h1], [h2]])
    _, bare = stack.call(x, [h1, h2])
    assert structure_of(as_lists) == [[0], [1]]
    assert structure_of(bare) == [0, 1]
    np.testing.assert_array_equal(as_lists[0][0].numpy(), bare[0].numpy())


def test_stateful_stack_carries_nested_states_as_keras():
    spec = CASES["stateful"]
    x = EXPECTED["stateful/x"]
    layer = layers.RNN(layers.StackedRNNCells(make_cells(spec["cells"])), **spec["kwargs"])
    layer(x)
    layer.set_weights(_weights("stateful"))
    layer.reset_states()
    np.testing.assert_allclose(layer(x).numpy(), EXPECTED["stateful/first"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer(x[:, ::-1]).numpy(), EXPECTED["stateful/second"], rtol=1e-5, atol=1e-6)
    assert structure_of(layer.states) == spec["states_structure"]
    for i, state in enumerate(flatten(layer.states)):
        np.testing.assert_allclose(state.numpy(), EXPECTED[f"stateful/state{i}"], rtol=1e-5, atol=1e-6)
    layer.reset_states()
    assert all(not state.numpy().any() for state in flatten(layer.states))
    np.testing.assert_allclose(layer(x).numpy(), EXPECTED["stateful/first"], rtol=1e-5, atol=1e-6)


def test_one_cell_stack_runs_and_equals_the_cell_alone():
    """Keras 3.15 on JAX cannot run a one-cell stack (its call unwraps the states); numeras runs it,
    nesting the states as for any stack, and a one-cell stack's call unwraps them as Keras's."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    stacked = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(4)]), return_state=True)
    alone = layers.RNN(layers.LSTMCell(4), return_state=True)
    stacked(x)
    alone(x)
    alone.set_weights(stacked.get_weights())
    out, states = stacked(x)
    reference = alone(x)
    assert structure_of([out, states]) == [0, [1, 2]]
    for ours, theirs in zip(flatten([out, states]), reference):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-6)
    _, step_states = stacked.cell.call(Tensor(x[:, 0]), stacked.cell.get_initial_state(batch_size=2))
    assert structure_of(step_states) == [0, 1]


def test_dropout_in_a_stack_keeps_the_nested_states():
    stack = layers.StackedRNNCells([layers.LSTMCell(3, dropout=0.5, recurrent_dropout=0.3, seed=1), layers.GRUCell(2)])
    layer = layers.RNN(stack, return_state=True)
    x = np.ones((4, 3, 2), dtype="float32")
    trained = layer(x, training=True)
    inferred = layer(x, training=False)
    assert structure_of(trained) == structure_of(inferred) == [0, [1, 2], [3]]
    assert not np.allclose(trained[0].numpy(), inferred[0].numpy())  # the masks were applied


# -- functional models and files ---------------------------------------------------------------
def _functional_inputs():
    return [EXPECTED["model/x"], EXPECTED["model/h1"], EXPECTED["model/c1"], EXPECTED["model/h2"]]


def _check_predictions(predictions):
    assert len(predictions) == 3
    for i, value in enumerate(predictions):
        np.testing.assert_allclose(np.asarray(value), EXPECTED[f"model/pred{i}"], rtol=1e-5, atol=1e-6)


def _numeras_functional_model():
    """The fixture model's twin: initial states are Inputs, passed nested per cell."""
    sequences = layers.Input((4, 2), name="sequences")
    h1, c1, h2 = layers.Input((3,), name="h1"), layers.Input((3,), name="c1"), layers.Input((2,), name="h2")
    stack = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    output, lstm_states, gru_state = layers.RNN(stack, return_state=True, return_sequences=True, name="stacked")(
        sequences, initial_state=[[h1, c1], [h2]]
    )
    head = layers.Dense(1, name="head")(output)
    return models.Model([sequences, h1, c1, h2], [head, lstm_states[1], gru_state])


def test_keras_written_model_loads_and_predicts_the_same(tmp_path):
    model = numeras.saving.load_model(MODEL_FILE)
    _check_predictions(model.predict(_functional_inputs(), verbose=0))
    # ... and survives numeras's own save and load.
    model.save(tmp_path / "again.keras")
    _check_predictions(numeras.saving.load_model(tmp_path / "again.keras").predict(_functional_inputs(), verbose=0))


def test_functional_model_with_nested_input_states_matches_keras():
    ours = _numeras_functional_model()
    keras_written = numeras.saving.load_model(MODEL_FILE)
    ours.set_weights(keras_written.get_weights())
    _check_predictions(ours.predict(_functional_inputs(), verbose=0))
    eager = ours(_functional_inputs())
    _check_predictions([t.numpy() for t in eager])


def test_config_round_trip_keeps_the_stack():
    layer = layers.RNN(
        layers.StackedRNNCells([layers.LSTMCell(3, unit_forget_bias=False), layers.GRUCell(2, reset_after=False)]),
        return_state=True, name="stack_rnn",
    )
    config = layer.get_config()
    assert config["cell"]["class_name"] == "StackedRNNCells"
    assert [c["class_name"] for c in config["cell"]["config"]["cells"]] == ["LSTMCell", "GRUCell"]
    clone = layers.RNN.from_config(config)
    assert clone.get_config() == config
    assert clone.cell.state_size == [[3, 3], 2]
    x = np.random.default_rng(0).normal(size=(2, 3, 4)).astype("float32")
    first = layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    for ours, theirs in zip(flatten(first), flatten(clone(x))):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- clear errors ------------------------------------------------------------------------------
def _lstm_gru_layer():
    layer = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)]), return_state=True)
    layer(np.zeros((2, 4, 5), "float32"))
    return layer


def _zeros(*sizes):
    return [np.zeros((2, n), "float32") for n in sizes]


def test_flat_initial_state_is_refused_with_the_nested_form():
    layer = _lstm_gru_layer()
    with pytest.raises(ValueError, match=r"one entry per cell.*Expected 2 entries, received 3.*Group the states"):
        layer(np.zeros((2, 4, 5), "float32"), initial_state=_zeros(3, 3, 2))


def test_wrong_state_count_in_a_cell_entry_is_refused():
    layer = _lstm_gru_layer()
    h, c, g = _zeros(3, 3, 2)
    with pytest.raises(ValueError, match=r"Cell 0 \(LSTMCell\) has 2 state\(s\), its entry holds 1"):
        layer(np.zeros((2, 4, 5), "float32"), initial_state=[[h], [g]])
    with pytest.raises(ValueError, match=r"Cell 0 \(LSTMCell\) has 2 state\(s\), its entry holds 1"):
        layer(np.zeros((2, 4, 5), "float32"), initial_state=[h, [g]])


def test_wrong_state_shape_is_refused_naming_expected_and_received():
    layer = _lstm_gru_layer()
    h, c, _ = _zeros(3, 3, 2)
    with pytest.raises(ValueError, match=r"Cell 1 \(GRUCell\) expects states of shape \(batch=2, 2\), received one of shape \(2, 3\)"):
        layer(np.zeros((2, 4, 5), "float32"), initial_state=[[h, c], [h]])
    with pytest.raises(ValueError, match=r"\(batch=2, 3\), received one of shape \(5, 3\)"):
        layer(np.zeros((2, 4, 5), "float32"), initial_state=[[np.zeros((5, 3), "float32"), c], _zeros(2)])


def test_stack_call_with_wrong_number_of_entries_is_refused():
    stack = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    stack.build((2, 5))
    with pytest.raises(ValueError, match=r"`states` for a StackedRNNCells of 2 cells.*received 1"):
        stack.call(Tensor(np.zeros((2, 5), "float32")), [[Tensor(np.zeros((2, 3), "float32"))] * 2])


def test_symbolic_initial_state_is_checked_when_the_graph_is_built():
    sequences = layers.Input((4, 5))
    h, c, g = layers.Input((3,)), layers.Input((3,)), layers.Input((2,))
    layer = layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)]), return_state=True)
    with pytest.raises(ValueError, match=r"Expected 2 entries, received 3.*Group the states by cell"):
        layer(sequences, initial_state=[h, c, g])
    output, lstm_states, gru_state = layer(sequences, initial_state=[[h, c], g])
    assert [tuple(t.shape) for t in (output, *lstm_states, gru_state)] == [(None, 2), (None, 3), (None, 3), (None, 2)]
