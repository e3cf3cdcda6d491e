"""numeras -> Keras: files numeras writes load in real Keras 3 (run in a subprocess with the
Python named by $NUMERAS_KERAS_PYTHON, or /work/peers/bin/python) and predict the same;
optimizer state carries over so training continues identically."""

from __future__ import annotations

import json
import subprocess
import warnings

import numpy as np
import pytest
from saving_helpers import KERAS_READER, Scale, keras_env, keras_python, mnist_like, seed_mlp

from numeras import layers, models, optimizers


def _keras_available() -> tuple[str | None, str]:
    python = keras_python()
    if python is None:
        return None, "no Python with Keras found: set NUMERAS_KERAS_PYTHON to one where `import keras` works"
    try:
        probe = subprocess.run(
            [python, "-c", "import keras, h5py; print(keras.__version__)"],
            capture_output=True, text=True, timeout=60, env=keras_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"{python} cannot run: {error}"
    if probe.returncode != 0 or not probe.stdout.strip().startswith("3."):
        return None, f"`import keras` (3.x) fails with {python}: {probe.stderr.strip()[-300:]}"
    return python, ""


PYTHON, WHY_NOT = _keras_available()
pytestmark = pytest.mark.skipif(PYTHON is None, reason=WHY_NOT)


def _layers_mix():
    model = models.Sequential(
        [
            layers.Input((4, 6)),
            layers.Flatten(),
            layers.Dense(8),
            layers.Activation("tanh"),
            layers.Dropout(0.5),
            layers.Reshape((2, 4)),
            layers.Flatten(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(1)
    x = rng.random((12, 4, 6), dtype=np.float32)
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 12)]
    model.fit(x, y, epochs=1, batch_size=6, shuffle=False, verbose=0)
    return model, x, y


def _functional():
    inputs = layers.Input((6,), name="features")
    left = layers.Dense(4, activation="relu", name="left")(inputs)
    right = layers.Dense(3, activation="tanh", name="right")(inputs)
    merged = layers.Concatenate(name="merge")([left, right])
    outputs = layers.Dense(2, activation="softmax", name="head")(merged)
    model = models.Model(inputs, outputs, name="two_branch")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    rng = np.random.default_rng(2)
    x = rng.random((8, 6), dtype=np.float32)
    y = np.eye(2, dtype="float32")[rng.integers(0, 2, 8)]
    model.fit(x, y, epochs=1, batch_size=4, shuffle=False, verbose=0)
    return model, x, y


def _batchnorm_adam():
    model = models.Sequential([layers.Input((6,)), layers.Dense(4), layers.BatchNormalization(), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(4)
    x = rng.random((8, 6), dtype=np.float32)
    model.fit(x, rng.random((8, 2), dtype=np.float32), batch_size=4, epochs=2, shuffle=False, verbose=0)
    return model, x




@pytest.fixture(scope="module")
def keras_results(tmp_path_factory):
    """Save several numeras models, read them all with Keras in one subprocess."""
    directory = tmp_path_factory.mktemp("to_keras")
    path = lambda name: str(directory / name)  # noqa: E731
    inputs, jobs, ours = {}, [], {}

    mlp = seed_mlp()
    x, y = mnist_like(8, seed=5)
    inputs.update(mlp_x=x, mlp_step_x=x, mlp_step_y=y)
    mlp.save(path("mlp.keras"))
    mlp.save_weights(path("mlp.weights.h5"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy-format warning
        mlp.save(path("mlp.h5"))
    ours["mlp"] = mlp.predict(x, verbose=0)
    ours["mlp_optimizer"] = [np.array(v.numpy(), copy=True) for v in mlp.optimizer.variables]
    jobs += [
        {"kind": "model", "path": path("mlp.keras"), "x": "mlp_x", "step": ["mlp_step_x", "mlp_step_y"]},
        {"kind": "weights", "path": path("mlp.weights.h5"), "architecture": path("mlp.keras"), "x": "mlp_x"},
        {"kind": "legacy", "path": path("mlp.h5"), "x": "mlp_x"},
    ]
    mlp.train_on_batch(x, y)
    ours["mlp_after"] = mlp.predict(x, verbose=0)

    mix, mix_x, mix_y = _layers_mix()
    inputs["mix_x"] = mix_x
    mix.save(path("mix.keras"))
    ours["mix"] = mix.predict(mix_x, verbose=0)
    ours["mix_optimizer"] = [np.array(v.numpy(), copy=True) for v in mix.optimizer.variables]
    # No training step here: Keras and numeras draw different dropout masks.
    jobs.append({"kind": "model", "path": path("mix.keras"), "x": "mix_x"})

    custom = models.Sequential([layers.Input((5,)), layers.Dense(4), Scale(0.25)])
    custom_x = np.random.default_rng(3).random((3, 5), dtype=np.float32)
    inputs["custom_x"] = custom_x
    custom.save(path("custom.keras"))
    ours["custom"] = custom.predict(custom_x, verbose=0)
    jobs.append({"kind": "model", "path": path("custom.keras"), "x": "custom_x"})

    functional, f_x, f_y = _functional()
    inputs.update(f_x=f_x, f_step_x=f_x, f_step_y=f_y)
    functional.save(path("functional.keras"))
    ours["functional"] = functional.predict(f_x, verbose=0)
    jobs.append({"kind": "model", "path": path("functional.keras"), "x": "f_x", "step": ["f_step_x", "f_step_y"]})
    functional.train_on_batch(f_x, f_y)
    ours["functional_after"] = functional.predict(f_x, verbose=0)

    batchnorm, bn_x = _batchnorm_adam()
    inputs["bn_x"] = bn_x
    batchnorm.save(path("batchnorm.keras"))
    ours["batchnorm"] = batchnorm.predict(bn_x, verbose=0)
    jobs.append({"kind": "model", "path": path("batchnorm.keras"), "x": "bn_x"})

    grid = layers.Input((3, 4), name="grid")
    hidden = layers.Dense(4, name="hidden")(grid)
    mixed = (hidden + grid) * 0.5 - grid[:, :1] + 2 - abs(-grid) / 4
    operators_model = models.Model(grid, mixed + grid[..., -1:] ** 2 + grid @ grid[:, 0, :, None])
    operators_x = np.random.default_rng(6).random((3, 3, 4), dtype=np.float32)
    inputs["operators_x"] = operators_x
    operators_model.save(path("operators.keras"))
    ours["operators"] = operators_model.predict(operators_x, verbose=0)
    jobs.append({"kind": "model", "path": path("operators.keras"), "x": "operators_x"})

    np.savez(path("inputs.npz"), **inputs)
    spec = {"inputs": path("inputs.npz"), "output": path("out.npz"), "jobs": jobs}
    with open(path("spec.json"), "w") as handle:
        json.dump(spec, handle)
    run = subprocess.run(
        [PYTHON, KERAS_READER, path("spec.json")], capture_output=True, text=True, timeout=120, env=keras_env()
    )
    assert run.returncode == 0, f"Keras could not load numeras's files:\n{run.stderr[-4000:]}"
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    with np.load(path("out.npz")) as data:
        arrays = {key: data[key] for key in data.files}
    return summary, arrays, ours


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_keras_loads_numeras_seed_mlp(keras_results):
    summary, arrays, ours = keras_results
    assert summary[0]["class"] == "Sequential" and summary[0]["layers"] == ["Dense", "Dense"]
    assert summary[0]["optimizer"] == "RMSprop"
    _close(arrays["0_pred"], ours["mlp"])


def test_keras_restores_numeras_optimizer_state(keras_results):
    summary, arrays, ours = keras_results
    assert summary[0]["iterations"] == 2
    assert summary[0]["optimizer_variables"] == len(ours["mlp_optimizer"])
    for index, value in enumerate(ours["mlp_optimizer"]):
        _close(arrays[f"0_opt_{index}"], value)
    _close(arrays["0_after"], ours["mlp_after"])


def test_keras_loads_numeras_weights_file(keras_results):
    _, arrays, ours = keras_results
    _close(arrays["1_pred"], ours["mlp"])


def test_keras_loads_numeras_legacy_h5(keras_results):
    _, arrays, ours = keras_results
    _close(arrays["2_pred"], ours["mlp"])


def test_keras_loads_reshaping_layers_and_sgd_momentum(keras_results):
    summary, arrays, ours = keras_results
    assert summary[3]["layers"] == ["Flatten", "Dense", "Activation", "Dropout", "Reshape", "Flatten", "Dense"]
    assert summary[3]["optimizer"] == "SGD"
    _close(arrays["3_pred"], ours["mix"])
    assert summary[3]["optimizer_variables"] == len(ours["mix_optimizer"])
    for index, value in enumerate(ours["mix_optimizer"]):
        _close(arrays[f"3_opt_{index}"], value)


def test_keras_loads_registered_custom_layer(keras_results):
    summary, arrays, ours = keras_results
    assert summary[4]["layers"] == ["Dense", "Scale"]
    _close(arrays["4_pred"], ours["custom"])


def test_keras_loads_numeras_functional_model(keras_results):
    summary, arrays, ours = keras_results
    assert summary[5]["class"] == "Functional"
    _close(arrays["5_pred"], ours["functional"])
    _close(arrays["5_after"], ours["functional_after"])


def test_keras_loads_batchnorm_model_trained_with_adam(keras_results):
    summary, arrays, ours = keras_results
    assert "error" not in summary[6], summary[6].get("error")
    assert summary[6]["layers"] == ["Dense", "BatchNormalization", "Dense"]
    _close(arrays["6_pred"], ours["batchnorm"])


def test_keras_loads_python_operators_as_its_operations(keras_results):
    summary, arrays, ours = keras_results
    assert "error" not in summary[7], summary[7].get("error")
    _close(arrays["7_pred"], ours["operators"])


def test_every_other_job_loaded_in_keras(keras_results):
    summary, _, _ = keras_results
    failures = {index: job["error"] for index, job in enumerate(summary[:6]) if "error" in job}
    assert failures == {}
