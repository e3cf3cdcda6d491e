"""The book's sequence workloads in numeras and in every peer installed here, side by side.

Built on ``seed_mlp.py``'s harness (imported, not copied): each framework in its own subprocess,
interleaved over ``--rounds`` rounds, reporting s/epoch, the first epoch, peak RSS, import time and
the ratios numeras / peer. The data are RANDOM, of the real shapes and dtypes (no download; the
timings do not depend on the values, and no accuracy is reported).

Workloads (``--workload``):

* ``imdb-lstm`` (first edition 6.2): int sequences of length 500 -> Embedding(10000, 32) -> LSTM(32)
  -> Dense(1, sigmoid); RMSprop, binary cross-entropy, batch 128, 20,000 samples (157 batches).
* ``jena-gru`` (first edition 6.3): float inputs of 240 steps x 14 features -> GRU(32) -> Dense(1);
  RMSprop, mean absolute error, batch 128, 150 batches per epoch (19,200 samples).
* ``jena-gru-dropout``: the same with ``GRU(32, dropout=0.2, recurrent_dropout=0.2)``.
* ``transformer`` (second edition chapter 11): int sequences of length 600 -> Embedding(20000, 256)
  -> TransformerEncoder (MultiHeadAttention(2 heads, key_dim=256) with a residual and
  LayerNormalization, then Dense(32, relu) -> Dense(256) with a residual and LayerNormalization, as
  the book writes it) -> GlobalMaxPooling1D -> Dropout(0.5) -> Dense(1, sigmoid); RMSprop, binary
  cross-entropy, batch 32, ``--samples`` samples (default 2,000, i.e. 63 batches, to keep an epoch
  short; the book trains on 20,000).

Frameworks (``--only``): ``numeras``, ``numeras-numpy`` and the Keras 3 backends (``keras-jax``,
``keras-tensorflow``, ``keras-torch``) run one shared Keras-style program (functional API,
``compile``, ``fit``); ``torch`` is plain PyTorch eager, as a PyTorch user writes it:
``nn.Embedding``, ``nn.LSTM``/``nn.GRU`` with ``batch_first=True``, ``nn.MultiheadAttention``, and
``torch.optim.RMSprop`` with Keras's defaults (lr 1e-3, alpha 0.9, eps 1e-7; PyTorch adds eps
outside the square root, Keras inside). Where torch differs by construction:

* ``nn.GRU`` has no recurrent dropout: ``jena-gru-dropout`` in torch drops 20 % of the inputs only.
* ``nn.GRU`` is the reset-after GRU (Keras 3's default, ``reset_after=True``): the same math.
* ``nn.MultiheadAttention`` splits ``embed_dim`` over the heads (2 heads of 128), while Keras's
  ``key_dim=256`` gives each head 256 (projections 256 -> 512): torch's attention does about half
  the multiply-adds. ``torch-keras-mha`` is the same PyTorch program with Keras's shapes instead
  (``nn.Linear`` projections 256 -> 2 x 256, ``F.scaled_dot_product_attention``, 512 -> 256), the
  same work as the Keras-style program; for the recurrent workloads it is plain ``torch``.
  LayerNorm uses Keras's epsilon 1e-3.

``--steps N`` trains only N batches per epoch (a quick run); every epoch time is then scaled by
(full batches / N) to an estimated full-epoch time, and the output says so. The first epoch is
scaled alike, so with few steps it is mostly compilation and warm-up.

Usage: ``python benchmarks/sequence_models.py --workload imdb-lstm [--rounds 3] [--epochs 3]
[--steps N] [--samples N] [--only numeras,torch] [--peer-python /path/to/venv/bin/python]``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import seed_mlp  # noqa: E402  (the harness: subprocess workers, interleaved rounds, report)

SCRIPT = Path(__file__).resolve()

WORKLOADS: dict[str, dict[str, Any]] = {
    "imdb-lstm": {
        "kind": "recurrent",
        "cell": "LSTM",
        "vocabulary": 10000,
        "embedding": 32,
        "units": 32,
        "length": 500,
        "samples": 20000,
        "batch_size": 128,
        "loss": "binary_crossentropy",
        "title": "IMDB LSTM (1st ed. 6.2): Embedding(10000, 32) -> LSTM(32) -> Dense(1, sigmoid), "
        "RMSprop, batch 128, 20,000 x 500 tokens",
    },
    "jena-gru": {
        "kind": "recurrent",
        "cell": "GRU",
        "features": 14,
        "units": 32,
        "length": 240,
        "samples": 150 * 128,
        "batch_size": 128,
        "loss": "mae",
        "title": "Jena GRU (1st ed. 6.3): GRU(32) -> Dense(1), RMSprop, MAE, batch 128, 150 batches of 240 x 14",
    },
    "jena-gru-dropout": {
        "kind": "recurrent",
        "cell": "GRU",
        "features": 14,
        "units": 32,
        "dropout": 0.2,
        "recurrent_dropout": 0.2,
        "length": 240,
        "samples": 150 * 128,
        "batch_size": 128,
        "loss": "mae",
        "title": "Jena GRU with dropout=0.2, recurrent_dropout=0.2 (1st ed. 6.3), RMSprop, MAE, batch 128, "
        "150 batches of 240 x 14",
    },
    "transformer": {
        "kind": "transformer",
        "vocabulary": 20000,
        "embedding": 256,
        "heads": 2,
        "dense": 32,
        "length": 600,
        "samples": 2000,
        "batch_size": 32,
        "loss": "binary_crossentropy",
        "title": "Transformer encoder (2nd ed. ch. 11): Embedding(20000, 256), 2 heads, dense 32, "
        "max pooling, dropout 0.5, RMSprop, batch 32, 600 tokens",
    },
}
FRAMEWORKS = ("numeras", "numeras-numpy", "keras-jax", "keras-tensorflow", "keras-torch", "torch", "torch-keras-mha")
RMSPROP = seed_mlp.RMSPROP


# --------------------------------------------------------------------------------------------------
# Data: random, of the real shapes (generation is not timed)
# --------------------------------------------------------------------------------------------------


def random_data(workload: dict[str, Any], samples: int, seed: int) -> tuple[Any, Any]:
    """(inputs, targets): int32 token ids or float32 features, and float32 targets of shape (N, 1)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if "vocabulary" in workload:
        inputs = rng.integers(0, workload["vocabulary"], (samples, workload["length"]), dtype=np.int32)
    else:
        inputs = rng.standard_normal((samples, workload["length"], workload["features"]), dtype=np.float32)
    if workload["loss"] == "binary_crossentropy":
        targets = rng.integers(0, 2, (samples, 1)).astype(np.float32)
    else:
        targets = rng.standard_normal((samples, 1), dtype=np.float32)
    return inputs, targets


def full_batches(workload: dict[str, Any], samples: int) -> int:
    return math.ceil(samples / workload["batch_size"])


# --------------------------------------------------------------------------------------------------
# The shared Keras-style program (numeras and Keras 3 on each backend)
# --------------------------------------------------------------------------------------------------


def keras_style_model(layers: Any, models: Any, workload: dict[str, Any]) -> Any:
    """The workload's model in the Keras functional API, which numeras and Keras 3 share."""
    if workload["kind"] == "transformer":
        inputs = layers.Input((workload["length"],), dtype="int32")
        x = layers.Embedding(workload["vocabulary"], workload["embedding"])(inputs)
        # The book's TransformerEncoder.call, written with functional layers.
        attended = layers.MultiHeadAttention(num_heads=workload["heads"], key_dim=workload["embedding"])(x, x)
        x = layers.LayerNormalization()(layers.Add()([x, attended]))
        projected = layers.Dense(workload["dense"], activation="relu")(x)
        projected = layers.Dense(workload["embedding"])(projected)
        x = layers.LayerNormalization()(layers.Add()([x, projected]))
        x = layers.GlobalMaxPooling1D()(x)
        x = layers.Dropout(0.5)(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        return models.Model(inputs, outputs)
    recurrent = getattr(layers, workload["cell"])
    options = {k: workload[k] for k in ("dropout", "recurrent_dropout") if workload.get(k)}
    if "vocabulary" in workload:
        inputs = layers.Input((workload["length"],), dtype="int32")
        x = layers.Embedding(workload["vocabulary"], workload["embedding"])(inputs)
        x = recurrent(workload["units"], **options)(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
    else:
        inputs = layers.Input((workload["length"], workload["features"]))
        x = recurrent(workload["units"], **options)(inputs)
        outputs = layers.Dense(1)(x)
    return models.Model(inputs, outputs)


def keras_style_run(
    layers: Any, models: Any, callback_base: type, workload: dict[str, Any], data: tuple, epochs: int
) -> tuple[list[float], dict[str, Any]]:
    """compile + fit with an epoch-timing callback: (wall seconds of each epoch, extra info)."""
    inputs, targets = data
    model = keras_style_model(layers, models, workload)
    model.compile(optimizer="rmsprop", loss=workload["loss"])
    timer = seed_mlp._make_epoch_timer(callback_base)
    history = model.fit(inputs, targets, epochs=epochs, batch_size=workload["batch_size"], verbose=0, callbacks=[timer])
    extra: dict[str, Any] = timer.probe.as_extra()
    extra["parameters"] = int(model.count_params())
    try:
        extra["final_train_loss"] = float(history.history["loss"][-1])
    except Exception:  # a history without 'loss' is not worth failing the run over
        pass
    return timer.epoch_seconds, extra


def run_numeras(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple[list[float], dict[str, Any]]:
    import numeras
    from numeras import callbacks, layers, models

    numeras.utils.set_random_seed(seed)
    return keras_style_run(layers, models, callbacks.Callback, workload, data, epochs)


def run_keras(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple[list[float], dict[str, Any]]:
    import keras

    keras.utils.set_random_seed(seed)
    epoch_seconds, extra = keras_style_run(keras.layers, keras.models, keras.callbacks.Callback, workload, data, epochs)
    extra["keras_backend"] = keras.backend.backend()
    return epoch_seconds, extra


# --------------------------------------------------------------------------------------------------
# Plain PyTorch
# --------------------------------------------------------------------------------------------------


def torch_model(workload: dict[str, Any]) -> Any:
    """The workload as a PyTorch user writes it; returns an nn.Module giving logits/values of (N, 1)."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Recurrent(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embedding = (
                nn.Embedding(workload["vocabulary"], workload["embedding"]) if "vocabulary" in workload else None
            )
            width = workload["embedding"] if self.embedding is not None else workload["features"]
            # nn.GRU has no recurrent dropout: only the inputs are dropped (see the module docstring)
            self.input_dropout = nn.Dropout(workload.get("dropout", 0.0))
            cell = nn.LSTM if workload["cell"] == "LSTM" else nn.GRU
            self.recurrent = cell(width, workload["units"], batch_first=True)
            self.head = nn.Linear(workload["units"], 1)

        def forward(self, x: Any) -> Any:
            if self.embedding is not None:
                x = self.embedding(x)
            sequence, _ = self.recurrent(self.input_dropout(x))
            return self.head(sequence[:, -1])

    class KerasShapedAttention(nn.Module):
        """Keras's MultiHeadAttention(num_heads, key_dim=width) in PyTorch: every head ``width`` wide."""

        def __init__(self, width: int, heads: int) -> None:
            super().__init__()
            self.heads, self.width = heads, width
            self.query, self.key, self.value = (nn.Linear(width, heads * width) for _ in range(3))
            self.output = nn.Linear(heads * width, width)

        def forward(self, x: Any, *_: Any, need_weights: bool = False) -> tuple[Any, None]:
            batch, steps, _ = x.shape

            def heads(projected: Any) -> Any:
                return projected.view(batch, steps, self.heads, self.width).transpose(1, 2)

            attended = F.scaled_dot_product_attention(heads(self.query(x)), heads(self.key(x)), heads(self.value(x)))
            return self.output(attended.transpose(1, 2).reshape(batch, steps, self.heads * self.width)), None

    class Transformer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            width = workload["embedding"]
            self.embedding = nn.Embedding(workload["vocabulary"], width)
            if workload.get("torch_attention") == "keras":
                self.attention = KerasShapedAttention(width, workload["heads"])
            else:
                self.attention = nn.MultiheadAttention(width, workload["heads"], batch_first=True)
            self.norm_1 = nn.LayerNorm(width, eps=1e-3)
            self.projection = nn.Sequential(
                nn.Linear(width, workload["dense"]), nn.ReLU(), nn.Linear(workload["dense"], width)
            )
            self.norm_2 = nn.LayerNorm(width, eps=1e-3)
            self.dropout = nn.Dropout(0.5)
            self.head = nn.Linear(width, 1)

        def forward(self, tokens: Any) -> Any:
            x = self.embedding(tokens)
            attended, _ = self.attention(x, x, x, need_weights=False)
            x = self.norm_1(x + attended)
            x = self.norm_2(x + self.projection(x))
            return self.head(self.dropout(torch.amax(x, dim=1)))

    return Transformer() if workload["kind"] == "transformer" else Recurrent()


def run_torch(workload: dict[str, Any], data: tuple, epochs: int, seed: int) -> tuple[list[float], dict[str, Any]]:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(seed)
    inputs = torch.from_numpy(data[0])
    if inputs.dtype == torch.int32:
        inputs = inputs.long()  # nn.Embedding's indices
    targets = torch.from_numpy(data[1])
    model = torch_model(workload)
    optimizer = torch.optim.RMSprop(
        model.parameters(), lr=RMSPROP["learning_rate"], alpha=RMSPROP["rho"], eps=RMSPROP["epsilon"]
    )
    if workload["loss"] == "binary_crossentropy":
        loss_fn = F.binary_cross_entropy_with_logits  # the sigmoid is inside the loss
    else:
        loss_fn = F.l1_loss
    batch_size, count = workload["batch_size"], inputs.shape[0]
    probe = seed_mlp.EpochProbe()
    epoch_seconds = []
    model.train()
    for _ in range(epochs):
        probe.begin()
        started = time.perf_counter()
        order = torch.randperm(count)
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(inputs[index]), targets[index])
            loss.backward()
            optimizer.step()
        epoch_seconds.append(time.perf_counter() - started)
        probe.end()
    extra = probe.as_extra()
    extra.update(torch_threads=torch.get_num_threads(), final_train_loss=float(loss))
    extra["parameters"] = sum(p.numel() for p in model.parameters())
    return epoch_seconds, extra


RUNNERS = {
    "numeras": run_numeras,
    "keras-jax": run_keras,
    "keras-tensorflow": run_keras,
    "keras-torch": run_keras,
    "torch": run_torch,
}


def run_workload(
    framework: str, workload: dict[str, Any], epochs: int, seed: int, samples: int, steps: int | None
) -> tuple[list[float], dict[str, Any]]:
    """Train ``framework`` on random data: (epoch seconds, scaled to a full epoch when ``steps``
    limits the batches per epoch, and extra info with the raw times)."""
    batches = full_batches(workload, samples)
    trained = samples if steps is None else min(samples, steps * workload["batch_size"])
    data = random_data(workload, trained, seed)
    runner = RUNNERS[seed_mlp.FRAMEWORKS[framework].get("runner", framework)]
    if framework == "torch-keras-mha":
        workload = {**workload, "torch_attention": "keras"}
    raw_seconds, extra = runner(workload, data, epochs, seed)
    scale = batches / full_batches(workload, trained)
    extra.update(raw_epoch_seconds=raw_seconds, batches_trained=full_batches(workload, trained), full_batches=batches)
    # CPU seconds and page faults per epoch are scaled alike, so that cpu/wall compares like with like.
    if "epoch_cpu_seconds" in extra:
        extra["epoch_cpu_seconds"] = [seconds * scale for seconds in extra["epoch_cpu_seconds"]]
    if "epoch_minor_faults" in extra:
        extra["epoch_minor_faults"] = [round(faults * scale) for faults in extra["epoch_minor_faults"]]
    return [t * scale for t in raw_seconds], extra


def worker_main(args: argparse.Namespace) -> None:
    """Runs in the subprocess: one framework, one workload; prints seed_mlp's result line."""
    import json

    started = time.perf_counter()
    result: dict[str, Any] = {"framework": args.worker}
    try:
        backend = seed_mlp.FRAMEWORKS[args.worker].get("backend")
        if backend:
            os.environ["KERAS_BACKEND"] = backend
        workload = WORKLOADS[args.workload]
        epoch_seconds, extra = run_workload(
            args.worker, workload, args.epochs, args.seed, args.samples or workload["samples"], args.steps
        )
        if len(epoch_seconds) != args.epochs:
            raise RuntimeError(f"timed {len(epoch_seconds)} epochs, expected {args.epochs}")
        result.update(epoch_seconds=epoch_seconds, test_accuracy=None, extra=extra)
    except BaseException as exc:  # report the failure to the parent instead of a bare traceback
        import traceback

        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()[-3000:]
    result["peak_rss_mb"] = seed_mlp.peak_rss_mb()
    result["blas"] = seed_mlp.blas_report() + seed_mlp.framework_kernels(args.worker)
    result["worker_seconds"] = time.perf_counter() - started
    sys.stdout.flush()
    print(seed_mlp.RESULT_MARKER + json.dumps(result), flush=True)


# --------------------------------------------------------------------------------------------------
# Parent
# --------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The book's sequence workloads (random data of the real shapes) in numeras and its peers.",
        epilog="Frameworks: " + ", ".join(FRAMEWORKS),
    )
    parser.add_argument("--workload", choices=list(WORKLOADS), default="imdb-lstm")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (default 3)")
    parser.add_argument(
        "--steps", type=int, default=None, help="batches per epoch (default: the full epoch); times are scaled up"
    )
    parser.add_argument("--samples", type=int, default=None, help="training samples (default: the workload's)")
    parser.add_argument("--only", default="", help="comma-separated frameworks (default: every installed one)")
    parser.add_argument("--seed", type=int, default=0, help="round r uses seed + r (default 0)")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the workers (default: this one)")
    parser.add_argument(
        "--peer-python",
        default=os.environ.get("SEED_MLP_PEER_PYTHON"),
        help="a second interpreter for the frameworks --python lacks (default: $SEED_MLP_PEER_PYTHON)",
    )
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per worker before it is killed")
    parser.add_argument("--busy", action="store_true", help="run one busy-loop process beside every worker")
    parser.add_argument("--no-import-time", action="store_true", help="skip the fresh-process import timing")
    parser.add_argument("--data", default="random", help=argparse.SUPPRESS)  # run_worker passes it on
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.epochs < 1:
        parser.error(f"--rounds and --epochs must be >= 1, received {args.rounds} and {args.epochs}")
    if args.steps is not None and args.steps < 1:
        parser.error(f"--steps must be >= 1 (batches per epoch), received {args.steps}; omit it for full epochs")
    if args.samples is not None and args.samples < 1:
        parser.error(f"--samples must be >= 1, received {args.samples}; omit it for the workload's default")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker:
        worker_main(args)
        return
    probe, python_of = seed_mlp.interpreters(args.python, args.peer_python)
    installed = {module: True for name in python_of for module in seed_mlp.FRAMEWORKS[name]["needs"]}
    requested = [seed_mlp.ALIASES.get(n.strip(), n.strip()) for n in args.only.split(",") if n.strip()]
    unwritten = [name for name in requested if name not in FRAMEWORKS]
    if unwritten:
        raise SystemExit(
            f"sequence_models: --only names {unwritten}, which are not written for these workloads; "
            f"expected some of {list(FRAMEWORKS)}."
        )
    chosen, skipped = seed_mlp.select_frameworks(",".join(requested or FRAMEWORKS), installed)
    workload = WORKLOADS[args.workload]
    samples = args.samples or workload["samples"]
    batches = full_batches(workload, samples)
    print(f"workload {args.workload}: {workload['title']}")
    print(
        f"RANDOM data of the real shapes ({samples} samples, {batches} batches per full epoch; no accuracy), "
        f"{args.epochs} epochs, {args.rounds} round(s)"
    )
    if args.samples and args.samples != workload["samples"]:
        print(f"--samples {args.samples}: the epoch is {samples} samples, not the workload's {workload['samples']}")
    if args.steps:
        trained = full_batches(workload, min(samples, args.steps * workload["batch_size"]))
        print(
            f"--steps {args.steps}: each epoch trains {trained} of {batches} batches; every s/epoch below is "
            f"SCALED by {batches}/{trained} to a full epoch"
        )
    print(f"python {probe['python']} ({args.python}); {os.cpu_count()} CPUs")
    for name in chosen:
        if python_of[name] != args.python:
            print(f"{name} runs in --peer-python {python_of[name]}")
    versions = {k: v for k, v in probe["versions"].items() if v}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    for line in skipped:
        print(f"skipped {line}")
    if not chosen:
        raise SystemExit("sequence_models: nothing to run.")
    extra_args = ("--samples", str(samples)) + (("--steps", str(args.steps)) if args.steps else ())
    runs, imports = seed_mlp.run_rounds(chosen, python_of, args, args.data, SCRIPT, extra_args)
    summaries = [seed_mlp.summarise(name, runs[name], imports[name]) for name in chosen]
    seed_mlp.print_report(summaries, args.epochs)
    if args.steps:
        print(f"\n(s/epoch scaled from {args.steps} trained batches per epoch to the full {batches}.)")


if __name__ == "__main__":
    main()
