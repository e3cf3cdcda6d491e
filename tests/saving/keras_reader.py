"""Run by the interop tests under a Python where Keras 3 is installed (not numeras's):

    KERAS_BACKEND=jax python keras_reader.py spec.json

``spec.json``: ``{"inputs": "in.npz", "output": "out.npz", "jobs": [...]}``, each job
``{"kind": "model" | "weights" | "legacy", "path": ..., "x": key, "step": [x_key, y_key],
"architecture": path}``. For each job, loads the file with real Keras and writes its
predictions (``<i>_pred``), optimizer iterations and variables, and the predictions after one
``train_on_batch`` (``<i>_after``) to ``out.npz``, plus a JSON summary on stdout.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402


@keras.saving.register_keras_serializable(package="fixtures")
class Scale(keras.layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.factor), name="scale"
        )

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def main(spec_path):
    with open(spec_path) as handle:
        spec = json.load(handle)
    inputs = dict(np.load(spec["inputs"]))
    out = {}
    summary = []
    for index, job in enumerate(spec["jobs"]):
        try:
            info = run_job(index, job, inputs, out)
        except Exception as error:  # noqa: BLE001 - reported to the test, which names the job
            info = {"error": f"{type(error).__name__}: {error}"[-3000:]}
        summary.append(info)
    np.savez(spec["output"], **out)
    print(json.dumps(summary))


def run_job(index, job, inputs, out):
    kind = job["kind"]
    if kind == "weights":
        model = keras.saving.load_model(job["architecture"], compile=job.get("compile", True))
        for variable in model.weights:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        model.load_weights(job["path"])
    else:
        model = keras.saving.load_model(job["path"])
    out[f"{index}_pred"] = np.asarray(model.predict(inputs[job["x"]], verbose=0))
    info = {"class": type(model).__name__, "layers": [type(layer).__name__ for layer in model.layers]}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        info["optimizer"] = type(optimizer).__name__
        info["iterations"] = int(optimizer.iterations.numpy())
        for number, variable in enumerate(optimizer.variables):
            out[f"{index}_opt_{number}"] = np.asarray(variable.numpy())
        info["optimizer_variables"] = len(optimizer.variables)
    if job.get("step"):
        x_key, y_key = job["step"]
        model.train_on_batch(inputs[x_key], inputs[y_key])
        out[f"{index}_after"] = np.asarray(model.predict(inputs[job["x"]], verbose=0))
    return info


if __name__ == "__main__":
    main(sys.argv[1])
