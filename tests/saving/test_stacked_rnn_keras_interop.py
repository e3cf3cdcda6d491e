"""numeras -> Keras for ``RNN(StackedRNNCells([LSTMCell, GRUCell]))``: a functional model whose
initial states are Inputs passed nested per cell, saved by numeras to .keras, loads in real Keras 3
(a subprocess, see saving_helpers.keras_python) and predicts the same outputs and final states.
(Keras -> numeras is tests/layers/test_stacked_rnn_cells.py, on a Keras-written fixture.)"""

from __future__ import annotations

import subprocess
import textwrap

import numpy as np
import pytest
from saving_helpers import keras_env, keras_python

from numeras import layers, models

PYTHON = keras_python()
pytestmark = pytest.mark.skipif(PYTHON is None, reason="no Python with Keras 3 (set NUMERAS_KERAS_PYTHON)")

KERAS_SCRIPT = textwrap.dedent(
    """
    import sys, numpy as np, keras
    model = keras.saving.load_model(sys.argv[1])
    data = np.load(sys.argv[2])
    predictions = model.predict([data["x"], data["h1"], data["c1"], data["h2"]], verbose=0)
    np.savez(sys.argv[3], *[np.asarray(p) for p in predictions])
    print(type(model.get_layer("stacked").cell).__name__)
    """
)


def _numeras_model():
    sequences = layers.Input((5, 3), name="sequences")
    h1, c1, h2 = layers.Input((4,), name="h1"), layers.Input((4,), name="c1"), layers.Input((2,), name="h2")
    stack = layers.StackedRNNCells([layers.LSTMCell(4), layers.GRUCell(2)])
    output, lstm_states, gru_state = layers.RNN(stack, return_state=True, name="stacked")(
        sequences, initial_state=[[h1, c1], [h2]]
    )
    head = layers.Dense(1, activation="sigmoid", name="head")(output)
    model = models.Model([sequences, h1, c1, h2], [head, lstm_states[0], lstm_states[1], gru_state])
    return model


def test_keras_loads_numeras_stacked_rnn_model(tmp_path):
    model = _numeras_model()
    rng = np.random.default_rng(7)
    for weight in model.weights:  # non-trivial weights, biases included
        weight.assign(rng.normal(scale=0.5, size=weight.shape).astype("float32"))
    data = {
        "x": rng.normal(size=(3, 5, 3)).astype("float32"),
        "h1": rng.normal(size=(3, 4)).astype("float32"),
        "c1": rng.normal(size=(3, 4)).astype("float32"),
        "h2": rng.normal(size=(3, 2)).astype("float32"),
    }
    ours = model.predict([data["x"], data["h1"], data["c1"], data["h2"]], verbose=0)
    model.save(tmp_path / "stacked.keras")
    np.savez(tmp_path / "data.npz", **data)
    script = tmp_path / "read.py"
    script.write_text(KERAS_SCRIPT)
    run = subprocess.run(
        [PYTHON, str(script), str(tmp_path / "stacked.keras"), str(tmp_path / "data.npz"), str(tmp_path / "out.npz")],
        capture_output=True, text=True, timeout=300, env=keras_env(),
    )
    assert run.returncode == 0, f"Keras could not load numeras's file:\n{run.stderr[-4000:]}"
    assert "StackedRNNCells" in run.stdout
    with np.load(tmp_path / "out.npz") as theirs:
        assert len(theirs.files) == len(ours) == 4
        for i, value in enumerate(ours):
            np.testing.assert_allclose(theirs[f"arr_{i}"], value, rtol=1e-5, atol=1e-6)
