"""Models Keras 3.15 compiled with the new losses, metrics and optimizers, trained and saved
(tests/optimizers/fixtures/make_saved_models.py): numeras loads them with their optimizer state
and one more ``train_on_batch`` gives Keras's weights."""

from __future__ import annotations

import os

import numpy as np
import pytest

from numeras import models

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
EXPECTED = np.load(os.path.join(HERE, "saved_models.npz"))
CASES = ["focal_lamb", "tversky_loss_scale_adam", "mse_adafactor", "mse_ftrl"]


@pytest.mark.parametrize("case", CASES)
def test_keras_saved_model_loads_and_trains_one_more_step_like_keras(case):
    model = models.load_model(os.path.join(HERE, f"saved_{case}.keras"))
    variables = model.optimizer.variables
    saved = [EXPECTED[f"{case}/optimizer/{i}"] for i in range(len([k for k in EXPECTED.files if k.startswith(f"{case}/optimizer/")]))]
    assert len(variables) == len(saved)
    for variable, value in zip(variables, saved):
        np.testing.assert_allclose(variable.numpy(), value, rtol=1e-6, err_msg=variable.path)
    model.train_on_batch(EXPECTED["x"], EXPECTED[f"{case}/y"])
    for index, weight in enumerate(model.get_weights()):
        np.testing.assert_allclose(weight, EXPECTED[f"{case}/after/{index}"], rtol=2e-5, atol=2e-6)
