"""How much the numeras autodiff engine costs per op, next to NumPy doing the same arithmetic.

Two workloads, each timed forward only and forward + backward:

* ``tiny``: ``sum(v * c)`` on two (4,) float32 tensors, ``v`` a trainable Variable. The arithmetic is
  nothing, so the time is almost all Python: op dispatch, graph recording, the tape's backward walk.
* ``mlp``: one step of ``sum(relu(x @ W1 + b1) @ W2 + b2)`` with x (32, 64), W1 (64, 64), W2 (64, 64)
  and the gradients of all four parameters. The matmuls are small, so the engine's per-op cost
  still shows, but the arithmetic is no longer free.

The NumPy column is the same computation written by hand (backward included, as a person would write
it), so ``numeras - numpy`` is what the engine adds per step. Times are per call, in microseconds:
the minimum and the median of ``--repeat`` timeit runs, each run sized by ``Timer.autorange``.

Run: ``python benchmarks/engine_overhead.py [--repeat 9]``. Only the public API is used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import timeit
from collections.abc import Callable

import numpy as np

import numeras
from numeras import ops


def _per_call_us(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(min, median) microseconds per call over ``repeat`` runs of ``Timer.autorange`` size."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()  # enough calls for one run to take >= 0.2 s
    runs = timer.repeat(repeat=repeat, number=number)
    per_call = [run / number * 1e6 for run in runs]
    return min(per_call), statistics.median(per_call)


def _tiny_cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal(4).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float32)
    v = numeras.Variable(a, name="v")
    c = numeras.Tensor(b)

    def numpy_forward() -> object:
        return np.sum(np.multiply(a, b))

    def numpy_backward() -> object:
        loss = np.sum(np.multiply(a, b))
        # d/da sum(a * b) = b * upstream(1)
        grad_a = np.multiply(np.ones_like(loss), b)
        return loss, grad_a

    def numeras_forward() -> object:
        return ops.sum(ops.multiply(v, c))

    def numeras_backward() -> object:
        with numeras.GradientTape() as tape:
            loss = ops.sum(ops.multiply(v, c))
        return tape.gradient(loss, v)

    def numeras_no_grad() -> object:
        with numeras.no_grad():
            return ops.sum(ops.multiply(v, c))

    _check_close(numeras_backward().numpy(), numpy_backward()[1], "tiny gradient")
    return {
        "tiny  sum(v*c) forward (recorded)": (numpy_forward, numeras_forward),
        "tiny  sum(v*c) forward in no_grad()": (numpy_forward, numeras_no_grad),
        "tiny  sum(v*c) forward+backward (tape)": (numpy_backward, numeras_backward),
    }


def _mlp_cases() -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 64)).astype(np.float32)
    w1 = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    b1 = np.zeros(64, np.float32)
    w2 = (rng.standard_normal((64, 64)) * 0.1).astype(np.float32)
    b2 = np.zeros(64, np.float32)
    tx = numeras.Tensor(x)
    W1, B1 = numeras.Variable(w1, name="W1"), numeras.Variable(b1, name="b1")
    W2, B2 = numeras.Variable(w2, name="W2"), numeras.Variable(b2, name="b2")
    params = [W1, B1, W2, B2]

    def numpy_forward() -> object:
        hidden = np.maximum(x @ w1 + b1, 0.0)
        return np.sum(hidden @ w2 + b2)

    def numpy_backward() -> object:
        pre = x @ w1 + b1
        hidden = np.maximum(pre, 0.0)
        loss = np.sum(hidden @ w2 + b2)
        grad_out = np.ones((x.shape[0], w2.shape[1]), np.float32)
        grad_w2 = hidden.T @ grad_out
        grad_b2 = grad_out.sum(axis=0)
        grad_pre = (grad_out @ w2.T) * (pre > 0)
        grad_w1 = x.T @ grad_pre
        grad_b1 = grad_pre.sum(axis=0)
        return loss, grad_w1, grad_b1, grad_w2, grad_b2

    def numeras_forward() -> object:
        hidden = ops.relu(ops.add(ops.matmul(tx, W1), B1))
        return ops.sum(ops.add(ops.matmul(hidden, W2), B2))

    def numeras_backward() -> object:
        with numeras.GradientTape() as tape:
            hidden = ops.relu(ops.add(ops.matmul(tx, W1), B1))
            loss = ops.sum(ops.add(ops.matmul(hidden, W2), B2))
        return tape.gradient(loss, params)

    def numeras_no_grad() -> object:
        with numeras.no_grad():
            return numeras_forward()

    for got, want, name in zip(numeras_backward(), numpy_backward()[1:], ["W1", "b1", "W2", "b2"]):
        _check_close(got.numpy(), want, f"mlp gradient of {name}")
    return {
        "mlp   32x64 2-layer forward (recorded)": (numpy_forward, numeras_forward),
        "mlp   32x64 2-layer forward in no_grad()": (numpy_forward, numeras_no_grad),
        "mlp   32x64 2-layer forward+backward (tape)": (numpy_backward, numeras_backward),
    }


def _check_close(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """A benchmark of wrong code is worthless: compare against the hand-written gradient first."""
    if not np.allclose(got, want, rtol=1e-4, atol=1e-5):
        raise SystemExit(f"engine_overhead: {what} disagrees with NumPy (max diff {np.max(np.abs(got - want))})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=9, help="timeit runs per case (default 9)")
    args = parser.parse_args(argv)

    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, numeras {numeras.__version__}")
    print("microseconds per call; min / median of", args.repeat, "timeit runs\n")
    header = f"{'case':42s} {'numpy min':>10s} {'numpy med':>10s} {'numeras min':>12s} {'numeras med':>12s} {'ratio':>7s} {'added':>9s}"
    print(header)
    print("-" * len(header))
    for cases in (_tiny_cases(), _mlp_cases()):
        for name, (numpy_fn, numeras_fn) in cases.items():
            np_min, np_med = _per_call_us(numpy_fn, args.repeat)
            nm_min, nm_med = _per_call_us(numeras_fn, args.repeat)
            print(
                f"{name:42s} {np_min:10.2f} {np_med:10.2f} {nm_min:12.2f} {nm_med:12.2f} "
                f"{nm_med / np_med:6.1f}x {nm_med - np_med:9.2f}"
            )
    print("\nratio = numeras median / numpy median; added = numeras median - numpy median (us per step)")


if __name__ == "__main__":
    main()
