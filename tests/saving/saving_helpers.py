"""Shared pieces of the saving tests: the fixture files, small models, custom objects."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np

import numeras
from numeras import layers, models
from numeras.saving import register_keras_serializable

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
KERAS_READER = os.path.join(HERE, "keras_reader.py")


def fixture(name: str) -> str:
    return os.path.join(FIXTURES, name)


def expected() -> dict:
    with np.load(fixture("expected.npz")) as data:
        return {key: data[key] for key in data.files}


@register_keras_serializable(package="fixtures")
class Scale(layers.Layer):
    """numeras's twin of the fixtures' Keras layer ``fixtures>Scale``: ``inputs * scale``."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.scale = self.add_weight(
            shape=(input_shape[-1],), initializer=numeras.initializers.Constant(self.factor), name="scale"
        )

    def call(self, inputs):
        return inputs * self.scale

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def double(x):
    return x * 2.0


def seed_mlp(hidden=32, compile=True, train=True, optimizer="rmsprop"):
    """The seed's MLP (narrower), compiled as the book compiles it and trained two steps."""
    model = models.Sequential(
        [
            layers.Input(shape=(784,)),
            layers.Dense(hidden, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    if compile:
        model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    if train:
        x, y = mnist_like(16)
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    return model


def mnist_like(n, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 784), dtype=np.float32)
    y = np.eye(10, dtype="float32")[rng.integers(0, 10, n)]
    return x, y


def keras_python() -> str | None:
    """A Python where ``import keras`` works: $NUMERAS_KERAS_PYTHON, else the peers venv."""
    candidates = [os.environ.get("NUMERAS_KERAS_PYTHON"), "/work/peers/bin/python"]
    for candidate in candidates:
        if candidate and (os.path.exists(candidate) or shutil.which(candidate)):
            return candidate
    return None


def keras_env() -> dict:
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "jax")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.pop("PYTHONPATH", None)
    return env


def run_python(code: str, timeout: float = 60, python: str | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [python or sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, **kwargs
    )
