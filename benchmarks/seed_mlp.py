"""The seed workload (the book's first MNIST program) in numeras and in every peer installed here.

Workloads (``--workload``):

* ``seed``: MLP 784-512(relu)-10(softmax), RMSprop (lr 1e-3, rho 0.9, eps 1e-7 inside the square
  root, as Keras), batch 128, categorical cross-entropy on one-hot labels, shuffled every epoch.
* ``deep``: MLP 784-1024-1024-1024-10 with Dropout(0.2) after each hidden layer, Adam (Keras
  defaults: lr 1e-3, betas 0.9/0.999, eps 1e-7), batch 256.
* ``convnet``: the book's listing 5.1 (chapter 5): 28x28x1 -> Conv2D(32, 3, relu) -> MaxPooling2D(2)
  -> Conv2D(64, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> Flatten -> Dense(64, relu) ->
  Dense(10, softmax), RMSprop, batch 64. Frameworks: numeras, the Keras backends and torch (the
  hand-written ``numpy`` and ``blas`` floors exist for the MLPs only and are skipped).

Frameworks (``--only``, comma-separated; default: all that are installed):

* ``numeras``: the Keras API, ``models.Sequential([...]).compile(...).fit(...)``, with whatever
  compiled kernels are installed (numba).
* ``numeras-numpy``: the same with ``NUMERAS_NUMBA=0``: the pure-NumPy kernels, as on a Python that
  numba does not support yet.
* ``keras-jax``, ``keras-tensorflow``, ``keras-torch``: Keras 3 with ``KERAS_BACKEND`` set.
* ``torch``: plain PyTorch eager, the loop a PyTorch user writes (``torch.optim``,
  ``F.cross_entropy`` with probability targets). Note: PyTorch's RMSprop/Adam add eps outside the
  square root, Keras inside; with eps 1e-7 that does not change the timing.
* ``numpy``: the same math written by hand in float32 with preallocated buffers and in-place
  updates: the practical floor for a NumPy-based library.
* ``blas``: only the matmuls of each step (5 for ``seed``), same shapes and step count: the BLAS floor.

Each framework runs in its own subprocess (this script re-invoked with ``--worker``), and the
frameworks are interleaved over ``--rounds`` rounds so that drifting machine load hits all alike.
Reported per framework: median seconds per epoch over epochs 2..N (median over rounds, with the
spread), the first epoch (compilation and warm-up), test accuracy, peak RSS of the worker process,
whole-process import time (``python -c 'import X'`` in a fresh process), and the BLAS library and
kernel threadpoolctl sees in the worker. Then ratios numeras / peer.

BLAS kernel: on some machines OPENBLAS_CORETYPE (e.g. Haswell) and OPENBLAS_L2_SIZE are set, which
makes NumPy's OpenBLAS skip its AVX-512 kernels (~1.6x slower matmul). Run the script as-is and once
more with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/seed_mlp.py``;
``--blas-env`` shows which kernel each setting selects. This script never changes those variables.

``--busy`` keeps one busy-loop process (pure Python, one core) running beside every worker alike,
as on a laptop that is doing something else: the thread tuning of each framework then matters.

Usage: ``python benchmarks/seed_mlp.py [--rounds 3] [--busy] [--epochs 5] [--only numeras,numpy,torch]
[--workload seed|deep|convnet] [--json results.json]``. See benchmarks/README.md for installing the peers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

RESULT_MARKER = "@@SEED_MLP_RESULT@@ "
REPO_ROOT = Path(__file__).resolve().parents[1]
NUM_CLASSES = 10
INPUT_DIM = 784

WORKLOADS: dict[str, dict[str, Any]] = {
    "seed": {
        "hidden": (512,),
        "dropout": 0.0,
        "optimizer": "rmsprop",
        "batch_size": 128,
        "title": "MNIST MLP 784-512-10, RMSprop, batch 128",
    },
    "deep": {
        "hidden": (1024, 1024, 1024),
        "dropout": 0.2,
        "optimizer": "adam",
        "batch_size": 256,
        "title": "MNIST MLP 784-1024-1024-1024-10, Dropout 0.2, Adam, batch 256",
    },
    "convnet": {
        "convnet": True,
        # (filters, then whether a 2x2 max pooling follows) per 3x3 relu convolution, as listing 5.1.
        "conv": ((32, True), (64, True), (64, False)),
        "hidden": (64,),
        "dropout": 0.0,
        "optimizer": "rmsprop",
        "batch_size": 64,
        "title": "MNIST convnet (listing 5.1: conv 32-64-64, max pooling, dense 64-10), RMSprop, batch 64",
        "frameworks": ("numeras", "numeras-numpy", "keras-jax", "keras-tensorflow", "keras-torch", "torch", "blas"),
    },
}
IMAGE_SHAPE = (28, 28, 1)

# Keras 3 defaults, which every framework here is configured to match.
RMSPROP = {"learning_rate": 1e-3, "rho": 0.9, "epsilon": 1e-7}
ADAM = {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}

# name -> modules that must be installed, distributions whose versions are reported, import timed.
FRAMEWORKS: dict[str, dict[str, Any]] = {
    "numeras": {"needs": ["numeras"], "dists": ["numeras", "numpy"], "import": "from numeras import layers, models"},
    "numeras-numpy": {
        "needs": ["numeras"],
        "dists": ["numeras", "numpy"],
        "import": "from numeras import layers, models",
        "env": {"NUMERAS_NUMBA": "0"},
        "runner": "numeras",
    },
    "keras-jax": {"needs": ["keras", "jax"], "dists": ["keras", "jax", "jaxlib"], "backend": "jax", "import": "import keras"},
    "keras-tensorflow": {
        "needs": ["keras", "tensorflow"],
        "dists": ["keras", "tensorflow", "tensorflow-cpu"],
        "backend": "tensorflow",
        "import": "import keras",
    },
    "keras-torch": {"needs": ["keras", "torch"], "dists": ["keras", "torch"], "backend": "torch", "import": "import keras"},
    "torch": {"needs": ["torch"], "dists": ["torch"], "import": "import torch"},
    # sequence_models.py's transformer in PyTorch with Keras's attention shapes (elsewhere: plain torch)
    "torch-keras-mha": {"needs": ["torch"], "dists": ["torch"], "import": "import torch", "runner": "torch"},
    "numpy": {"needs": ["numpy"], "dists": ["numpy"], "import": "import numpy"},
    "blas": {"needs": ["numpy"], "dists": ["numpy"], "import": "import numpy"},
}
ALIASES = {
    "jax": "keras-jax",
    "tf": "keras-tensorflow",
    "tensorflow": "keras-tensorflow",
    "keras-tf": "keras-tensorflow",
    "pytorch": "torch",
    "np": "numpy",
}
INSTALL_HINT = {
    "keras": "pip install keras",
    "jax": "pip install jax",
    "tensorflow": "pip install tensorflow-cpu",
    "torch": "pip install torch==2.13.0, see benchmarks/README.md",
    "numeras": "pip install -e .",
}


# --------------------------------------------------------------------------------------------------
# Data (loaded the same way in every worker; loading is not timed)
# --------------------------------------------------------------------------------------------------


def find_mnist(explicit: str | None) -> str:
    """A path to mnist.npz, or 'numeras' to ask numeras.datasets.mnist.load_data() in the worker."""
    if explicit:
        if not Path(explicit).is_file():
            raise SystemExit(f"seed_mlp: --data {explicit!r} is not a file. Pass the path of an mnist.npz.")
        return explicit
    candidates = [
        REPO_ROOT / "src" / "numeras" / "datasets" / "data" / "mnist.npz",
        Path("/work/shared/datasets/mnist.npz"),
        Path.home() / ".keras" / "datasets" / "mnist.npz",
    ]
    for path in candidates:
        if path.is_file():
            return str(path)
    return "numeras"


def load_mnist(source: str) -> tuple[Any, Any, Any, Any]:
    """(x_train, y_train_onehot, x_test, y_test_int): x float32 in [0, 1] of shape (N, 784)."""
    import numpy as np

    if source == "numeras":
        from numeras.datasets import mnist

        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    else:
        with np.load(source) as data:
            x_train, y_train = data["x_train"], data["y_train"]
            x_test, y_test = data["x_test"], data["y_test"]
    x_train = np.asarray(x_train).reshape(len(x_train), INPUT_DIM).astype(np.float32) / np.float32(255)
    x_test = np.asarray(x_test).reshape(len(x_test), INPUT_DIM).astype(np.float32) / np.float32(255)
    eye = np.eye(NUM_CLASSES, dtype=np.float32)
    return x_train, eye[np.asarray(y_train, dtype=np.int64)], x_test, np.asarray(y_test, dtype=np.int64)


# --------------------------------------------------------------------------------------------------
# Workers: each returns (epoch_seconds, test_accuracy or None, extra info)
# --------------------------------------------------------------------------------------------------


class EpochProbe:
    """Per epoch, beside the wall time: the process's CPU seconds (all its threads; above the wall
    time when BLAS threads run, or spin, in parallel) and its minor page faults (fresh memory
    touched: allocations the allocator handed back to the system and took again)."""

    def __init__(self) -> None:
        self.cpu_seconds: list[float] = []
        self.minor_faults: list[int] = []
        self._cpu = 0.0
        self._faults = 0

    @staticmethod
    def _faults_now() -> int:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

    def begin(self) -> None:
        self._cpu, self._faults = time.process_time(), self._faults_now()

    def end(self) -> None:
        self.cpu_seconds.append(time.process_time() - self._cpu)
        self.minor_faults.append(self._faults_now() - self._faults)

    def as_extra(self) -> dict[str, Any]:
        return {"epoch_cpu_seconds": self.cpu_seconds, "epoch_minor_faults": self.minor_faults}


def _make_epoch_timer(callback_base: type) -> Any:
    """A Keras-style callback that records the wall time of every epoch."""

    class EpochTimer(callback_base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.epoch_seconds: list[float] = []
            self.probe = EpochProbe()
            self._started = 0.0

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.probe.begin()
            self._started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            self.epoch_seconds.append(time.perf_counter() - self._started)
            self.probe.end()

    return EpochTimer()


def _keras_style_model(layers: Any, models: Any, workload: dict[str, Any]) -> Any:
    if workload.get("convnet"):
        stack = [layers.Input(IMAGE_SHAPE)]
        for filters, pooled in workload["conv"]:
            stack.append(layers.Conv2D(filters, (3, 3), activation="relu"))
            if pooled:
                stack.append(layers.MaxPooling2D((2, 2)))
        stack.append(layers.Flatten())
    else:
        stack = [layers.Input((INPUT_DIM,))]
    for units in workload["hidden"]:
        stack.append(layers.Dense(units, activation="relu"))
        if workload["dropout"]:
            stack.append(layers.Dropout(workload["dropout"]))
    stack.append(layers.Dense(NUM_CLASSES, activation="softmax"))
    return models.Sequential(stack)


def _keras_style_run(
    layers: Any, models: Any, callback_base: type, workload: dict[str, Any], data: tuple, epochs: int
) -> tuple[list[float], float | None, dict[str, Any]]:
    """The user-facing Keras program; used verbatim for numeras and for Keras 3 on each backend."""
    import numpy as np

    x_train, y_train, x_test, y_test = data
    if workload.get("convnet"):
        x_train, x_test = x_train.reshape(-1, *IMAGE_SHAPE), x_test.reshape(-1, *IMAGE_SHAPE)
    model = _keras_style_model(layers, models, workload)
    model.compile(optimizer=workload["optimizer"], loss="categorical_crossentropy", metrics=["accuracy"])
    timer = _make_epoch_timer(callback_base)
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=workload["batch_size"], verbose=0, callbacks=[timer]
    )
    extra: dict[str, Any] = timer.probe.as_extra()
    tuner = getattr(model, "_blas_thread_tuner", None)  # numeras: the BLAS threads kept each epoch
    if tuner is not None:
        extra["blas_thread_choices"] = list(tuner.choices)
        extra["blas_thread_fallbacks"] = list(getattr(tuner, "fallbacks", []))  # steps that fell back to 1
    try:
        extra["final_train_loss"] = float(history.history["loss"][-1])
    except Exception:  # a history without 'loss' is not worth failing the run over
        pass
    y_test_onehot = np.eye(NUM_CLASSES, dtype=np.float32)[y_test]
    try:
        scores = model.evaluate(x_test, y_test_onehot, verbose=0)
        accuracy = float(scores["accuracy"] if isinstance(scores, dict) else scores[1])
    except Exception as exc:  # fall back to predict so a missing evaluate still yields an accuracy
        extra["evaluate_error"] = f"{type(exc).__name__}: {exc}"
        probabilities = np.asarray(model.predict(x_test, verbose=0))
        accuracy = float(np.mean(np.argmax(probabilities, axis=1) == y_test))
    return timer.epoch_seconds, accuracy, extra


def run_numeras(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple:
    import numeras
    from numeras import callbacks, layers, models

    try:
        numeras.utils.set_random_seed(seed)
    except AttributeError:
        numeras.backend.set_random_seed(seed)
    return _keras_style_run(layers, models, callbacks.Callback, workload, data, epochs)


def run_keras(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple:
    import keras

    keras.utils.set_random_seed(seed)
    epoch_seconds, accuracy, extra = _keras_style_run(
        keras.layers, keras.models, keras.callbacks.Callback, workload, data, epochs
    )
    extra["keras_backend"] = keras.backend.backend()
    return epoch_seconds, accuracy, extra


def run_torch(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple:
    import torch
    import torch.nn.functional as F
    from torch import nn

    torch.manual_seed(seed)
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    layers_seq: list[nn.Module] = []
    fan_in = INPUT_DIM
    if workload.get("convnet"):
        # NCHW, PyTorch's layout; Keras's glorot-uniform kernels and zero biases.
        x_train, x_test = x_train.reshape(-1, 1, 28, 28), x_test.reshape(-1, 1, 28, 28)
        channels, side = IMAGE_SHAPE[-1], IMAGE_SHAPE[0]
        for filters, pooled in workload["conv"]:
            conv = nn.Conv2d(channels, filters, 3)
            nn.init.xavier_uniform_(conv.weight)
            nn.init.zeros_(conv.bias)
            layers_seq += [conv, nn.ReLU()]
            channels, side = filters, side - 2
            if pooled:
                layers_seq.append(nn.MaxPool2d(2))
                side //= 2
        layers_seq.append(nn.Flatten())
        fan_in = channels * side * side
    modules: list[nn.Module] = []
    for units in (*workload["hidden"], NUM_CLASSES):
        linear = nn.Linear(fan_in, units)
        nn.init.xavier_uniform_(linear.weight)  # Keras's glorot_uniform, zero bias
        nn.init.zeros_(linear.bias)
        modules.append(linear)
        fan_in = units
    for index, linear in enumerate(modules):
        layers_seq.append(linear)
        if index < len(modules) - 1:
            layers_seq.append(nn.ReLU())
            if workload["dropout"]:
                layers_seq.append(nn.Dropout(workload["dropout"]))
    model = nn.Sequential(*layers_seq)  # logits; softmax is inside F.cross_entropy
    if workload["optimizer"] == "rmsprop":
        optimizer = torch.optim.RMSprop(
            model.parameters(), lr=RMSPROP["learning_rate"], alpha=RMSPROP["rho"], eps=RMSPROP["epsilon"]
        )
    else:
        optimizer = torch.optim.Adam(
            model.parameters(), lr=ADAM["learning_rate"], betas=(ADAM["beta_1"], ADAM["beta_2"]), eps=ADAM["epsilon"]
        )
    batch_size = workload["batch_size"]
    count = x_train.shape[0]
    epoch_seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(count)
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x_train[index]), y_train[index])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - started)
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(chunk).argmax(dim=1) for chunk in torch.split(x_test, 2000)])
        accuracy = float((predicted == y_test).float().mean())
    extra = {"torch_threads": torch.get_num_threads(), "torch_mkl": bool(torch.backends.mkl.is_available())}
    return epoch_seconds, accuracy, extra


class NumpyMLP:
    """The workload's math by hand: float32, buffers allocated once, every update in place.

    Forward  z_i = a_i W_i + b_i, a_{i+1} = relu(z_i) * mask_i / (1 - rate), p = softmax(z_L).
    Backward g_L = (p - y) / n; dW_i = a_i^T g_i; db_i = sum_rows g_i;
             g_{i-1} = (g_i W_i^T) * [a_i > 0] / (1 - rate)   ([a_i > 0] covers relu and the mask).
    RMSprop  v = rho v + (1 - rho) g^2;  w -= lr g / sqrt(v + eps)                    (Keras form)
    Adam     m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2);
             w -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)           (Keras form)
    """

    def __init__(self, workload: dict[str, Any], seed: int) -> None:
        import numpy as np

        self.np = np
        self.rng = np.random.default_rng(seed)
        self.rate = float(workload["dropout"])
        self.optimizer = workload["optimizer"]
        batch = workload["batch_size"]
        sizes = (INPUT_DIM, *workload["hidden"], NUM_CLASSES)
        self.weights, self.biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            self.weights.append(self.rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
            self.biases.append(np.zeros(fan_out, np.float32))
        f32 = np.float32
        self.activations = [np.empty((batch, units), f32) for units in sizes[1:]]  # z_i, relu'd in place
        self.input_grads = [np.empty((batch, units), f32) for units in sizes[1:-1]]
        self.positive = [np.empty((batch, units), bool) for units in sizes[1:-1]]
        self.uniform = [np.empty((batch, units), f32) for units in sizes[1:-1]] if self.rate else []
        self.row = np.empty((batch, 1), f32)
        self.params = [p for pair in zip(self.weights, self.biases) for p in pair]
        self.grads = [np.empty_like(p) for p in self.params]
        self.scratch = [np.empty_like(p) for p in self.params]
        self.first_moments = [np.zeros_like(p) for p in self.params]
        self.second_moments = [np.zeros_like(p) for p in self.params]
        self.step_count = 0

    def train_step(self, xb: Any, yb: Any) -> None:
        np = self.np
        n = xb.shape[0]
        layer_count = len(self.weights)
        inputs = [xb]
        for i in range(layer_count):
            z = self.activations[i][:n]
            np.matmul(inputs[i], self.weights[i], out=z)
            z += self.biases[i]
            if i < layer_count - 1:
                np.maximum(z, 0, out=z)
                if self.rate:
                    uniform = self.uniform[i][:n]
                    self.rng.random(out=uniform, dtype=np.float32)
                    keep = self.positive[i][:n]
                    np.greater_equal(uniform, self.rate, out=keep)
                    z *= keep
                    z *= 1.0 / (1.0 - self.rate)
                inputs.append(z)
        probabilities = self.activations[-1][:n]
        row = self.row[:n]
        np.max(probabilities, axis=1, keepdims=True, out=row)
        probabilities -= row
        np.exp(probabilities, out=probabilities)
        np.sum(probabilities, axis=1, keepdims=True, out=row)
        probabilities /= row
        grad = probabilities
        grad -= yb
        grad *= 1.0 / n
        for i in range(layer_count - 1, -1, -1):
            np.matmul(inputs[i].T, grad, out=self.grads[2 * i])
            np.sum(grad, axis=0, out=self.grads[2 * i + 1])
            if i > 0:
                previous = self.input_grads[i - 1][:n]
                np.matmul(grad, self.weights[i].T, out=previous)
                positive = self.positive[i - 1][:n]
                np.greater(inputs[i], 0, out=positive)
                previous *= positive
                if self.rate:
                    previous *= 1.0 / (1.0 - self.rate)
                grad = previous
        self._update()

    def _update(self) -> None:
        np = self.np
        self.step_count += 1
        if self.optimizer == "rmsprop":
            rho, eps, lr = RMSPROP["rho"], RMSPROP["epsilon"], RMSPROP["learning_rate"]
            for param, grad, tmp, velocity in zip(self.params, self.grads, self.scratch, self.second_moments):
                velocity *= rho
                np.multiply(grad, grad, out=tmp)
                tmp *= 1.0 - rho
                velocity += tmp
                np.add(velocity, eps, out=tmp)
                np.sqrt(tmp, out=tmp)
                np.divide(grad, tmp, out=tmp)
                tmp *= lr
                param -= tmp
            return
        b1, b2, eps = ADAM["beta_1"], ADAM["beta_2"], ADAM["epsilon"]
        alpha = ADAM["learning_rate"] * math.sqrt(1.0 - b2**self.step_count) / (1.0 - b1**self.step_count)
        for param, grad, tmp, m, v in zip(self.params, self.grads, self.scratch, self.first_moments, self.second_moments):
            np.subtract(grad, m, out=tmp)
            tmp *= 1.0 - b1
            m += tmp
            np.multiply(grad, grad, out=tmp)
            tmp -= v
            tmp *= 1.0 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp += eps
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            param -= tmp

    def predict_labels(self, x: Any, chunk: int = 2000) -> Any:
        np = self.np
        labels = []
        for start in range(0, x.shape[0], chunk):
            a = x[start : start + chunk]
            for i, (w, b) in enumerate(zip(self.weights, self.biases)):
                a = a @ w + b
                if i < len(self.weights) - 1:
                    a = np.maximum(a, 0)  # inference: dropout is the identity
            labels.append(np.argmax(a, axis=1))
        return np.concatenate(labels)


def run_numpy(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple:
    import numpy as np

    x_train, y_train, x_test, y_test = data
    model = NumpyMLP(workload, seed)
    batch = workload["batch_size"]
    count = x_train.shape[0]
    x_batch = np.empty((batch, INPUT_DIM), np.float32)
    y_batch = np.empty((batch, NUM_CLASSES), np.float32)
    epoch_seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        order = model.rng.permutation(count)
        for start in range(0, count, batch):
            index = order[start : start + batch]
            n = index.shape[0]
            np.take(x_train, index, axis=0, out=x_batch[:n])
            np.take(y_train, index, axis=0, out=y_batch[:n])
            model.train_step(x_batch[:n], y_batch[:n])
        epoch_seconds.append(time.perf_counter() - started)
    accuracy = float(np.mean(model.predict_labels(x_test) == y_test))
    return epoch_seconds, accuracy, {}


def matmul_shapes(workload: dict[str, Any], n: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The (left, right) operand shapes of every matmul in one training step on a batch of n.

    A convnet's convolutions count as im2col products (numeras's way): rows = n * output
    positions, columns = 3 * 3 * channels + 1 (the bias), one product each for the output, the
    kernel's gradient and (after the first layer) the input's gradient."""
    shapes = []
    fan_in = INPUT_DIM
    if workload.get("convnet"):
        height, width, channels = IMAGE_SHAPE
        for index, (filters, pooled) in enumerate(workload["conv"]):
            height, width = height - 2, width - 2
            rows, columns = n * height * width, 9 * channels + 1
            shapes += [((rows, columns), (columns, filters)), ((columns, rows), (rows, filters))]
            if index:
                shapes.append(((rows, filters), (filters, columns - 1)))
            channels = filters
            if pooled:
                height, width = height // 2, width // 2
        fan_in = height * width * channels
    sizes = (fan_in, *workload["hidden"], NUM_CLASSES)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    shapes += [((n, fan_in), (fan_in, fan_out)) for fan_in, fan_out in pairs]  # forward
    shapes += [((fan_in, n), (n, fan_out)) for fan_in, fan_out in pairs]  # weight gradients
    input_gradients = pairs if workload.get("convnet") else pairs[1:]
    shapes += [((n, fan_out), (fan_out, fan_in)) for fan_in, fan_out in input_gradients]
    return shapes


def run_blas(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple:
    import numpy as np

    rng = np.random.default_rng(seed)
    batch = workload["batch_size"]
    count = data[0].shape[0]
    batches = [min(batch, count - start) for start in range(0, count, batch)]

    def operands(n: int) -> list[tuple[Any, Any, Any]]:
        return [
            (
                rng.standard_normal(left).astype(np.float32),
                rng.standard_normal(right).astype(np.float32),
                np.empty((left[0], right[1]), np.float32),
            )
            for left, right in matmul_shapes(workload, n)
        ]

    prepared = {n: operands(n) for n in set(batches)}
    epoch_seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        for n in batches:
            for left, right, out in prepared[n]:
                np.matmul(left, right, out=out)
        epoch_seconds.append(time.perf_counter() - started)
    return epoch_seconds, None, {"matmuls_per_step": len(matmul_shapes(workload, batch))}


RUNNERS = {
    "numeras": run_numeras,
    "keras-jax": run_keras,
    "keras-tensorflow": run_keras,
    "keras-torch": run_keras,
    "torch": run_torch,
    "numpy": run_numpy,
    "blas": run_blas,
}


def blas_report() -> list[str]:
    """What threadpoolctl sees loaded in this process: library, version, kernel, threads."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed"]
    seen = []
    for pool in threadpool_info():
        text = f"{pool.get('internal_api')} {pool.get('version') or ''} {pool.get('architecture') or ''}".split()
        entry = " ".join(text) + f" x{pool.get('num_threads')}"
        if entry not in seen:
            seen.append(entry)
    return seen


def framework_kernels(framework: str) -> list[str]:
    """Matmul kernels threadpoolctl cannot see: those linked inside torch, XLA and TensorFlow."""
    torch = sys.modules.get("torch")
    if torch is not None and framework in ("torch", "torch-keras-mha", "keras-torch"):
        return [
            f"torch MKL={torch.backends.mkl.is_available()} oneDNN={torch.backends.mkldnn.is_available()} "
            f"x{torch.get_num_threads()}"
        ]
    return {"keras-jax": ["XLA:CPU own kernels"], "keras-tensorflow": ["TF Eigen/oneDNN own kernels"]}.get(framework, [])


def peak_rss_mb() -> float:
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def worker_main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    result: dict[str, Any] = {"framework": args.worker}
    try:
        backend = FRAMEWORKS[args.worker].get("backend")
        if backend:
            os.environ["KERAS_BACKEND"] = backend
        data = load_mnist(args.data)
        runner = RUNNERS[FRAMEWORKS[args.worker].get("runner", args.worker)]
        epoch_seconds, accuracy, extra = runner(WORKLOADS[args.workload], data, args.epochs, args.seed)
        if len(epoch_seconds) != args.epochs:
            raise RuntimeError(f"timed {len(epoch_seconds)} epochs, expected {args.epochs}")
        result.update(epoch_seconds=epoch_seconds, test_accuracy=accuracy, extra=extra)
    except BaseException as exc:  # report the failure to the parent instead of a bare traceback
        import traceback

        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()[-3000:]
    result["peak_rss_mb"] = peak_rss_mb()
    result["blas"] = blas_report() + framework_kernels(args.worker)
    result["worker_seconds"] = time.perf_counter() - started
    sys.stdout.flush()
    print(RESULT_MARKER + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------------
# Parent: discovery, interleaved rounds, report
# --------------------------------------------------------------------------------------------------


def _child_env(framework: str) -> dict[str, str]:
    env = dict(os.environ)  # OPENBLAS_* are passed through untouched, deliberately
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    backend = FRAMEWORKS[framework].get("backend")
    if backend:
        env["KERAS_BACKEND"] = backend
    env.update(FRAMEWORKS[framework].get("env", {}))
    return env


def probe_installed(python: str) -> dict[str, Any]:
    """Which modules the worker interpreter can import and the versions of the distributions."""
    code = (
        "import importlib.util, importlib.metadata as md, json, sys\n"
        f"mods = {sorted({m for f in FRAMEWORKS.values() for m in f['needs']})!r}\n"
        f"dists = {sorted({d for f in FRAMEWORKS.values() for d in f['dists']} | {'threadpoolctl'})!r}\n"
        "def version(d):\n"
        "    try:\n        return md.version(d)\n    except md.PackageNotFoundError:\n        return None\n"
        "print(json.dumps({'python': sys.version.split()[0], "
        "'modules': {m: importlib.util.find_spec(m) is not None for m in mods}, "
        "'versions': {d: version(d) for d in dists}}))\n"
    )
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def measure_import(python: str, framework: str) -> float | None:
    """Wall seconds of a fresh ``python -c '<import>'``: interpreter start-up plus the import."""
    started = time.perf_counter()
    done = subprocess.run(
        [python, "-c", FRAMEWORKS[framework]["import"]], env=_child_env(framework), capture_output=True
    )
    elapsed = time.perf_counter() - started
    return elapsed if done.returncode == 0 else None


def start_busy_process(python: str) -> subprocess.Popen:
    """One process spinning a pure-Python loop on one core for as long as a worker runs."""
    return subprocess.Popen([python, "-c", "while True: pass"])


def run_worker(
    python: str,
    framework: str,
    args: argparse.Namespace,
    seed: int,
    data: str,
    script: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> dict[str, Any]:
    """One worker subprocess: ``script`` (default this file) re-invoked with ``--worker`` and the
    common options, then ``extra_args`` (what another benchmark built on this harness adds)."""
    command = [
        python,
        str(script or Path(__file__).resolve()),
        "--worker",
        framework,
        "--workload",
        args.workload,
        "--epochs",
        str(args.epochs),
        "--seed",
        str(seed),
        "--data",
        data,
        *extra_args,
    ]
    busy = start_busy_process(python) if args.busy else None
    try:
        done = subprocess.run(command, env=_child_env(framework), capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"framework": framework, "error": f"timed out after {args.timeout} s"}
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    for line in reversed(done.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER) :])
    tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
    return {"framework": framework, "error": f"worker exited with code {done.returncode}: {tail}"}


def steady_epoch_seconds(epoch_seconds: list[float]) -> float:
    """Median of epochs 2..N (the first one carries compilation and warm-up), or epoch 1 if alone."""
    steady = epoch_seconds[1:] or epoch_seconds
    return statistics.median(steady)


def summarise(framework: str, runs: list[dict[str, Any]], imports: list[float | None]) -> dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    summary: dict[str, Any] = {"framework": framework, "ok_rounds": len(good), "rounds": len(runs)}
    timed_imports = [t for t in imports if t is not None]
    summary["import_s"] = statistics.median(timed_imports) if timed_imports else None
    summary["peak_rss_mb"] = max((r["peak_rss_mb"] for r in runs if "peak_rss_mb" in r), default=None)
    blas = [b for r in runs for b in r.get("blas", [])]
    summary["blas"] = sorted(set(blas), key=blas.index)
    if not good:
        summary["error"] = runs[-1].get("error", "no result") if runs else "not run"
        return summary
    per_round = [steady_epoch_seconds(r["epoch_seconds"]) for r in good]
    summary["s_per_epoch"] = statistics.median(per_round)
    summary["s_per_epoch_min"] = min(per_round)
    summary["s_per_epoch_max"] = max(per_round)
    # Every steady epoch of every round together: robust when a framework's epochs swing between
    # a fast and a slow mode (TensorFlow's do here), which a median of two epochs is not.
    pooled = [t for r in good for t in (r["epoch_seconds"][1:] or r["epoch_seconds"])]
    summary["pooled_s_per_epoch"] = statistics.median(pooled)
    summary["best_epoch_s"] = min(pooled)
    summary["first_epoch_s"] = statistics.median(r["epoch_seconds"][0] for r in good)
    cpu = [t for r in good for t in r.get("extra", {}).get("epoch_cpu_seconds", [])[1:]]
    summary["cpu_s_per_epoch"] = statistics.median(cpu) if cpu else None
    faults = [f for r in good for f in r.get("extra", {}).get("epoch_minor_faults", [])[1:]]
    summary["minor_faults_per_epoch"] = statistics.median(faults) if faults else None
    accuracies = [r["test_accuracy"] for r in good if r.get("test_accuracy") is not None]
    summary["test_accuracy"] = statistics.median(accuracies) if accuracies else None
    summary["test_accuracy_all"] = accuracies
    if len(good) < len(runs):
        summary["error"] = next(r["error"] for r in runs if "error" in r)
    return summary


def _probe_status(extra: dict[str, Any]) -> str:
    """The per-epoch CPU seconds, page faults and BLAS thread choices of a Keras-style run."""
    text = ""
    if extra.get("epoch_cpu_seconds"):
        text += "; cpu s " + " ".join(f"{t:.2f}" for t in extra["epoch_cpu_seconds"])
    if extra.get("epoch_minor_faults"):
        text += "; minflt/epoch " + " ".join(str(f) for f in extra["epoch_minor_faults"])
    if extra.get("blas_thread_choices") is not None:
        text += f"; BLAS threads kept {extra['blas_thread_choices']}"
        if extra.get("blas_thread_fallbacks"):
            text += f", fell back to 1 at steps {extra['blas_thread_fallbacks']}"
    return text


def _fmt(value: float | None, spec: str, missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def print_report(summaries: list[dict[str, Any]], epochs: int) -> None:
    steady = f"epochs 2-{epochs}" if epochs > 1 else "epoch 1"
    print(
        f"\nResults (s/epoch: median over rounds of the per-round median over {steady}; spread = min-max "
        f"over rounds; pooled: median of all rounds' {steady} together; best: the fastest of those)"
    )
    header = (
        f"{'framework':17s} {'s/epoch':>8s} {'spread':>13s} {'pooled':>7s} {'best':>7s} {'1st ep s':>9s} "
        f"{'test acc':>9s} {'peak MB':>8s} {'import s':>9s}  BLAS seen by threadpoolctl"
    )
    print(header)
    print("-" * len(header))
    for s in summaries:
        if "s_per_epoch" not in s:
            print(f"{s['framework']:17s} failed: {s.get('error', 'no result')}")
            continue
        spread = f"{s['s_per_epoch_min']:.3f}-{s['s_per_epoch_max']:.3f}"
        print(
            f"{s['framework']:17s} {s['s_per_epoch']:8.3f} {spread:>13s} {s['pooled_s_per_epoch']:7.3f} "
            f"{s['best_epoch_s']:7.3f} {s['first_epoch_s']:9.3f} "
            f"{_fmt(s['test_accuracy'], '.4f'):>9s} {_fmt(s['peak_rss_mb'], '.0f'):>8s} "
            f"{_fmt(s['import_s'], '.2f'):>9s}  {'; '.join(s['blas'])}"
        )
        if s.get("error"):
            print(f"{'':17s} ({s['rounds'] - s['ok_rounds']} round(s) failed: {s['error']})")

    probed = [s for s in summaries if s.get("cpu_s_per_epoch") is not None]
    if probed:
        print(f"\nCPU seconds and minor page faults per epoch (median over {steady} of every round)")
        for s in probed:
            print(
                f"{s['framework']:17s} cpu {s['cpu_s_per_epoch']:7.3f} s  "
                f"(cpu/wall {s['cpu_s_per_epoch'] / s['pooled_s_per_epoch']:.2f})  "
                f"minflt {_fmt(s['minor_faults_per_epoch'], '.0f')}"
            )

    ours_names = [s["framework"] for s in summaries if s["framework"].startswith("numeras")]
    if not ours_names:
        print("\nnumeras / peer: n/a, numeras not selected")
        return
    for name in ours_names:
        print_ratios(name, summaries)


def print_ratios(ours_name: str, summaries: list[dict[str, Any]]) -> None:
    """One table of ours / peer ratios for the numeras variant ``ours_name``."""
    ours = next(s for s in summaries if s["framework"] == ours_name)
    print(f"\n{ours_name} / peer (above 1: {ours_name} is slower or bigger)")
    if "s_per_epoch" not in ours:
        print(f"  n/a: {ours_name} failed: {ours.get('error', 'no result')}")
        return
    header = (
        f"{'peer':17s} {'s/epoch':>8s} {'pooled':>7s} {'best':>7s} {'1st epoch':>10s} {'peak RSS':>9s} "
        f"{'import':>8s}"
    )
    print(header)
    print("-" * len(header))
    keys = ("s_per_epoch", "pooled_s_per_epoch", "best_epoch_s", "first_epoch_s", "peak_rss_mb", "import_s")
    for s in summaries:
        if s["framework"].startswith("numeras") or "s_per_epoch" not in s:
            continue
        ratios = []
        for key in keys:
            mine, theirs = ours.get(key), s.get(key)
            ratios.append(_fmt(mine / theirs if mine and theirs else None, ".2f"))
        widths = (8, 7, 7, 10, 9, 8)
        print(f"{s['framework']:17s} " + " ".join(f"{r:>{w}s}" for r, w in zip(ratios, widths)))


def blas_env_report(python: str) -> None:
    """Which OpenBLAS kernel NumPy gets with the environment as it is and with the overrides unset."""
    code = (
        "import numpy, json\n"
        "from threadpoolctl import threadpool_info\n"
        "print(json.dumps([(p.get('internal_api'), p.get('version'), p.get('architecture'), p.get('num_threads'))"
        " for p in threadpool_info()]))"
    )
    names = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    for label, env in (
        ("as-is", dict(os.environ)),
        ("env -u " + " -u ".join(names), {k: v for k, v in os.environ.items() if k not in names}),
    ):
        done = subprocess.run([python, "-c", code], env=env, capture_output=True, text=True)
        seen = json.loads(done.stdout) if done.returncode == 0 else done.stderr.strip().splitlines()[-1:]
        print(f"{label:48s} -> {seen}")
    for name in names:
        print(f"  {name}={os.environ.get(name, '(unset)')}")
    if any(name in os.environ for name in names):
        print(
            "These variables force an older OpenBLAS kernel (~1.6x slower matmul here). Run the benchmark\n"
            "both as-is and as: env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/seed_mlp.py"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Seed MNIST MLP in numeras and its peers, each in its own subprocess.",
        epilog="Frameworks: " + ", ".join(FRAMEWORKS) + ". Aliases: " + ", ".join(f"{k}={v}" for k, v in ALIASES.items()),
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (default 5)")
    parser.add_argument("--only", default="", help="comma-separated frameworks (default: every installed one)")
    parser.add_argument("--workload", choices=sorted(WORKLOADS), default="seed")
    parser.add_argument("--seed", type=int, default=0, help="round r uses seed + r (default 0)")
    parser.add_argument("--data", default=None, help="path to mnist.npz (default: the repo's, then shared/)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the workers (default: this one)")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("SEED_MLP_PEER_PYTHON"),
        help="a second interpreter for the frameworks --python lacks, e.g. a venv with Keras and JAX "
        "(default: $SEED_MLP_PEER_PYTHON); numeras and the NumPy floors still run in --python",
    )
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per worker before it is killed")
    parser.add_argument(
        "--busy", action="store_true", help="run one busy-loop process beside every worker (a laptop doing other work)"
    )
    parser.add_argument("--json", default=None, help="write every round's raw results to this file")
    parser.add_argument("--no-import-time", action="store_true", help="skip the fresh-process import timing")
    parser.add_argument("--blas-env", action="store_true", help="show which OpenBLAS kernel NumPy selects and exit")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.epochs < 1:
        parser.error(f"--rounds and --epochs must be >= 1, received {args.rounds} and {args.epochs}")
    return args


def select_frameworks(
    only: str, installed: dict[str, bool], workload: str = "seed"
) -> tuple[list[str], list[str]]:
    """(frameworks to run, 'name: reason' for those skipped)."""
    requested = [ALIASES.get(name.strip(), name.strip()) for name in only.split(",") if name.strip()]
    unknown = [name for name in requested if name not in FRAMEWORKS]
    if unknown:
        raise SystemExit(
            f"seed_mlp: --only names unknown framework(s) {unknown}; expected some of {list(FRAMEWORKS)} "
            f"(aliases {list(ALIASES)})."
        )
    chosen, skipped = [], []
    supported = WORKLOADS[workload].get("frameworks", tuple(FRAMEWORKS))
    for name in requested or list(FRAMEWORKS):
        if name not in supported:
            skipped.append(f"{name}: not written for the {workload} workload")
            continue
        missing = [module for module in FRAMEWORKS[name]["needs"] if not installed.get(module)]
        if missing:
            hints = "; ".join(INSTALL_HINT.get(m, f"pip install {m}") for m in missing)
            skipped.append(f"{name}: {', '.join(missing)} not installed ({hints})")
        else:
            chosen.append(name)
    return chosen, skipped


def interpreters(python: str, peer_python: str | None) -> tuple[dict[str, Any], dict[str, str]]:
    """(what --python has, the interpreter of each framework): --python's where it has the
    framework's modules, else --peer-python's where that one has them."""
    probe = probe_installed(python)
    chosen = {name: python for name, f in FRAMEWORKS.items() if all(probe["modules"].get(m) for m in f["needs"])}
    if peer_python:
        if not Path(peer_python).exists():
            raise SystemExit(f"seed_mlp: --peer-python {peer_python!r} does not exist. Pass an interpreter's path.")
        peer = probe_installed(peer_python)
        for name, framework in FRAMEWORKS.items():
            if name not in chosen and all(peer["modules"].get(m) for m in framework["needs"]):
                chosen[name] = peer_python
                probe["versions"].update({d: v for d, v in peer["versions"].items() if v and d in framework["dists"]})
    return probe, chosen


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
        return
    if args.blas_env:
        blas_env_report(args.python)
        return

    probe, python_of = interpreters(args.python, args.peer_python)
    # a module counts as installed for the frameworks an interpreter has whole
    installed = {module: True for name in python_of for module in FRAMEWORKS[name]["needs"]}
    chosen, skipped = select_frameworks(args.only, installed, args.workload)
    data = find_mnist(args.data)
    workload = WORKLOADS[args.workload]
    print(f"workload {args.workload}: {workload['title']}, {args.epochs} epochs, {args.rounds} round(s)")
    print(f"python {probe['python']} ({args.python}); data {data}; {os.cpu_count()} CPUs")
    for name in chosen:
        if python_of[name] != args.python:
            print(f"{name} runs in --peer-python {python_of[name]}")
    if args.busy:
        print("--busy: one busy-loop process runs beside every worker")
    versions = {k: v for k, v in probe["versions"].items() if v}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    print(
        "OpenBLAS env: "
        + ", ".join(f"{n}={os.environ.get(n, '(unset)')}" for n in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))
        + "  (see --blas-env)"
    )
    for line in skipped:
        print(f"skipped {line}")
    if not chosen:
        raise SystemExit("seed_mlp: nothing to run.")

    runs, imports = run_rounds(chosen, python_of, args, data)
    summaries = [summarise(name, runs[name], imports[name]) for name in chosen]
    print_report(summaries, args.epochs)
    if args.json:
        payload = {
            "workload": args.workload,
            "epochs": args.epochs,
            "rounds": args.rounds,
            "busy": args.busy,
            "python": probe["python"],
            "versions": versions,
            "openblas_env": {n: os.environ.get(n) for n in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")},
            "summaries": summaries,
            "runs": runs,
            "imports": imports,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2))
        print(f"\nraw results written to {args.json}")


def run_rounds(
    chosen: list[str],
    python_of: dict[str, str],
    args: argparse.Namespace,
    data: str,
    script: Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[float | None]]]:
    """Every chosen framework once per round, the order rotated each round, one line printed per
    run: (each framework's worker results, its import times). ``script`` and ``extra_args`` as
    :func:`run_worker`'s."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    imports: dict[str, list[float | None]] = {name: [] for name in chosen}
    for round_index in range(args.rounds):
        # rotate the order so that no framework always runs first (cold caches) or last
        shift = round_index % len(chosen)
        order = chosen[shift:] + chosen[:shift]
        for name in order:
            if not args.no_import_time:
                imports[name].append(measure_import(python_of[name], name))
            result = run_worker(python_of[name], name, args, args.seed + round_index, data, script, extra_args)
            runs[name].append(result)
            if "error" in result:
                status = f"failed: {result['error']}"
            else:
                times = result["epoch_seconds"]
                status = (
                    f"{steady_epoch_seconds(times):.3f} s/epoch (first {times[0]:.2f} s), "
                    f"acc {_fmt(result.get('test_accuracy'), '.4f')}, peak {result['peak_rss_mb']:.0f} MB"
                )
                status += "; wall s " + " ".join(f"{t:.2f}" for t in times) + _probe_status(result.get("extra", {}))
            imported = _fmt(imports[name][-1] if imports[name] else None, ".2f")
            print(f"round {round_index + 1}/{args.rounds} {name:17s} {status}; import {imported} s", flush=True)
    return runs, imports


if __name__ == "__main__":
    main()
