"""numeras -> Keras for recurrent models: a model built in numeras with Embedding(mask_zero),
Bidirectional(LSTM), GRU(reset_after both ways), SimpleRNN, TimeDistributed and RepeatVector,
saved to .keras, loads in real Keras 3 (a subprocess, see saving_helpers.keras_python) and
predicts the same, padded rows included."""

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
    tokens = np.load(sys.argv[2])
    np.save(sys.argv[3], np.asarray(model.predict(tokens, verbose=0)))
    print([type(layer).__name__ for layer in model.layers])
    """
)


def _numeras_model():
    inputs = layers.Input((None,), dtype="int32", name="tokens")
    x = layers.Embedding(30, 6, mask_zero=True)(inputs)
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True), merge_mode="concat")(x)
    x = layers.GRU(5, return_sequences=True, reset_after=False)(x)
    x = layers.TimeDistributed(layers.Dense(3, activation="tanh"))(x)
    x = layers.Bidirectional(layers.GRU(3), merge_mode="sum")(x)
    x = layers.RepeatVector(2)(x)
    x = layers.SimpleRNN(2)(x)
    model = models.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    return model


def test_keras_loads_numeras_recurrent_model(tmp_path):
    model = _numeras_model()
    rng = np.random.default_rng(0)
    tokens = rng.integers(1, 30, size=(4, 6)).astype("int32")
    tokens[1, 4:] = 0
    tokens[3, 2:] = 0
    model.fit(tokens, rng.integers(0, 2, size=(4, 1)).astype("float32"), epochs=1, verbose=0)
    ours = model.predict(tokens, verbose=0)
    # The mask at work in numeras: a padded row predicts what its unpadded prefix predicts.
    np.testing.assert_allclose(model.predict(tokens[1:2, :4], verbose=0), ours[1:2], rtol=1e-5)
    model.save(tmp_path / "rnn.keras")
    np.save(tmp_path / "tokens.npy", tokens)
    script = tmp_path / "read.py"
    script.write_text(KERAS_SCRIPT)
    run = subprocess.run(
        [PYTHON, str(script), str(tmp_path / "rnn.keras"), str(tmp_path / "tokens.npy"), str(tmp_path / "out.npy")],
        capture_output=True, text=True, timeout=300, env=keras_env(),
    )
    assert run.returncode == 0, f"Keras could not load numeras's file:\n{run.stderr[-4000:]}"
    assert "Bidirectional" in run.stdout and "TimeDistributed" in run.stdout
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), ours, rtol=1e-5, atol=1e-6)
