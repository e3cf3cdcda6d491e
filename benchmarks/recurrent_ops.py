"""Recurrent ops forward + backward at the book's shapes: numeras's NumPy and numba kernels next to
PyTorch's ``torch.nn.LSTM`` / ``torch.nn.GRU``.

Two workloads from "Deep Learning with Python" (first edition), float32, one batch each:

* ``imdb-lstm``: LSTM(32) over 128 x 500 x 32 (listing 6.27, after Embedding(10000, 32));
* ``jena-gru``: GRU(32) (reset_after, Keras's default) over 128 x 240 x 14 (listing 6.37);
* ``jena-gru-dropout``: the same with ``dropout=0.2, recurrent_dropout=0.2`` (listing 6.40): one
  fixed mask per gate for the inputs and for the recurrent state, as Keras's cells draw them.
  ``torch.nn.GRU`` has no dropout masks to pass: its rows are the plain GRU's.

One call is the recurrent layer's forward plus its backward with respect to the inputs and every
weight (the last output only, ``return_sequences=False``, with a fixed random cotangent), without
embedding, dense layer or optimizer. numeras runs ``numeras.autodiff.ops.recurrent.lstm`` / ``gru``
under a GradientTape, once with the NumPy reference kernels and once with the compiled ones.
PyTorch runs with ``torch.set_num_threads(1)`` and ``(2)``.

Wall time and CPU time (``time.process_time``: all threads of the process) are both printed: on a
shared machine wall time swings with the neighbours' load, CPU time much less; a multi-threaded
contender spends more CPU than wall. Rounds are interleaved (every contender once per round) so
that a busy spell hits all of them.

Run, from the repository root::

    PYTHONPATH=src python3 benchmarks/recurrent_ops.py --rounds 3 --repeat 5 \
        --torch-python /work/kenv/bin/python

``--torch-python`` names an interpreter with torch installed (torch is not a numeras dependency);
without it torch runs in this process when importable, else its rows are skipped with a note.
``--only numeras`` / ``--only torch`` restricts the contenders (the torch side uses it itself).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np

SHAPES = {
    # name: (cell, batch, steps, features, units)
    "imdb-lstm": ("lstm", 128, 500, 32, 32),
    "jena-gru": ("gru", 128, 240, 14, 32),
    "jena-gru-dropout": ("gru", 128, 240, 14, 32),
}
DROPOUT = {"jena-gru-dropout": 0.2}
"""The dropout rate of the inputs and of the recurrent state, for the shapes that have one."""
GATES = {"lstm": 4, "gru": 3}


def make_arrays(cell, batch, steps, features, units, seed=0, dropout=0.0):
    rng = np.random.default_rng(seed)
    width = GATES[cell] * units
    bias_shape = (2, width) if cell == "gru" else (width,)
    arrays = {}
    if dropout:
        keep = 1.0 - dropout
        for name, size in (("input_dropout_mask", features), ("recurrent_dropout_mask", units)):
            arrays[name] = ((rng.random((GATES[cell], batch, size)) < keep) / keep).astype(np.float32)
    return arrays | {
        "x": rng.standard_normal((batch, steps, features)).astype(np.float32),
        "kernel": (rng.standard_normal((features, width)) * 0.2).astype(np.float32),
        "recurrent_kernel": (rng.standard_normal((units, width)) * 0.2).astype(np.float32),
        "bias": (rng.standard_normal(bias_shape) * 0.1).astype(np.float32),
        "cotangent": rng.standard_normal((batch, units)).astype(np.float32),
    }


def numeras_step(cell, arrays):
    """A function running one forward + backward of numeras's op on ``arrays``."""
    from numeras.autodiff import GradientTape, Tensor
    from numeras.autodiff.ops import recurrent

    op = getattr(recurrent, cell)
    x, kernel, recurrent_kernel, bias = (Tensor(arrays[k]) for k in ("x", "kernel", "recurrent_kernel", "bias"))
    sources = [x, kernel, recurrent_kernel, bias]
    cotangent = arrays["cotangent"]
    masks = {k: arrays[k] for k in ("input_dropout_mask", "recurrent_dropout_mask") if k in arrays}

    def step():
        with GradientTape() as tape:
            tape.watch(sources)
            output = op(x, kernel, recurrent_kernel, bias, **masks)[0]
        return tape.gradient(output, sources, output_gradients=cotangent)

    return step


def torch_step(cell, arrays, threads):
    """A function running one forward + backward of ``torch.nn.LSTM`` / ``GRU`` with the same weights."""
    import torch

    torch.set_num_threads(threads)
    features = arrays["x"].shape[2]
    units = arrays["recurrent_kernel"].shape[0]
    module = (torch.nn.LSTM if cell == "lstm" else torch.nn.GRU)(features, units, batch_first=True)
    with torch.no_grad():  # same weights, up to torch's gate order; speed does not depend on it
        module.weight_ih_l0.copy_(torch.from_numpy(arrays["kernel"].T.copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(arrays["recurrent_kernel"].T.copy()))
    x = torch.from_numpy(arrays["x"]).requires_grad_(True)
    cotangent = torch.from_numpy(arrays["cotangent"])

    def step():
        module.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = module(x)
        output[:, -1].backward(cotangent)

    return step


def time_calls(step, repeat):
    """Per-call wall and CPU seconds of ``repeat`` calls (after one warm-up call)."""
    step()
    wall, cpu = [], []
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return wall, cpu


def numeras_round(shapes, repeat):
    from numeras.backend import kernels

    results = []
    for name in shapes:
        cell, batch, steps, features, units = SHAPES[name]
        arrays = make_arrays(cell, batch, steps, features, units, dropout=DROPOUT.get(name, 0.0))
        contenders = [("numeras numpy", False)]
        if importlib.util.find_spec("numba") is not None:
            contenders.append(("numeras numba", True))
        for label, compiled in contenders:
            previous = kernels.set_enabled(compiled)
            try:
                wall, cpu = time_calls(numeras_step(cell, arrays), repeat)
            finally:
                kernels.set_enabled(previous)
            results.append({"shape": name, "contender": label, "wall": wall, "cpu": cpu})
    return results


def torch_round(shapes, repeat):
    results = []
    for name in shapes:
        cell, batch, steps, features, units = SHAPES[name]
        arrays = make_arrays(cell, batch, steps, features, units)
        for threads in (1, 2):
            wall, cpu = time_calls(torch_step(cell, arrays, threads), repeat)
            results.append({"shape": name, "contender": f"torch {threads} thread{'s' if threads > 1 else ''}",
                            "wall": wall, "cpu": cpu})
    return results


def torch_round_elsewhere(python, shapes, repeat):
    """One torch round in ``python`` (this script with ``--only torch --json``); [] with a note on failure."""
    command = [python, os.path.abspath(__file__), "--only", "torch", "--json", "--rounds", "1",
               "--repeat", str(repeat), "--shapes", *shapes]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"note: the torch round in {python} failed:\n{done.stderr.strip()[-2000:]}", file=sys.stderr)
        return []
    return json.loads(done.stdout)


def summarise(results, shapes):
    rows = {}
    for r in results:
        entry = rows.setdefault((r["shape"], r["contender"]), {"wall": [], "cpu": [], "round_medians": []})
        entry["wall"] += r["wall"]
        entry["cpu"] += r["cpu"]
        entry["round_medians"].append(float(np.median(r["wall"])))
    print(f"{'shape':<16} {'contender':<16} {'wall min':>9} {'wall med':>9} {'rounds (med)':>20} {'cpu med':>9}  ms/call")
    for name in shapes:
        for (shape, contender), e in rows.items():
            if shape != name:
                continue
            wall, cpu = np.asarray(e["wall"]) * 1e3, np.asarray(e["cpu"]) * 1e3
            spread = f"{min(e['round_medians']) * 1e3:.0f}-{max(e['round_medians']) * 1e3:.0f}"
            print(f"{shape:<16} {contender:<16} {wall.min():9.1f} {np.median(wall):9.1f} {spread:>20} {np.median(cpu):9.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--repeat", type=int, default=5, help="timed calls per contender per round (default 5)")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=list(SHAPES))
    parser.add_argument("--only", choices=("numeras", "torch"), help="run one side only")
    parser.add_argument("--torch-python", help="an interpreter with torch installed, for the torch rows")
    parser.add_argument("--json", action="store_true", help="print the raw timings as JSON instead of a table")
    args = parser.parse_args()

    run_numeras = args.only in (None, "numeras")
    run_torch = args.only in (None, "torch")
    torch_here = importlib.util.find_spec("torch") is not None
    if run_torch and not torch_here and not args.torch_python:
        print("note: torch is not importable here and no --torch-python was given: no torch rows", file=sys.stderr)
        run_torch = False

    results = []
    for _ in range(args.rounds):
        if run_numeras:
            results += numeras_round(args.shapes, args.repeat)
        if run_torch:
            if args.torch_python and args.only != "torch":
                results += torch_round_elsewhere(args.torch_python, args.shapes, args.repeat)
            else:
                results += torch_round(args.shapes, args.repeat)
    if args.json:
        json.dump(results, sys.stdout)
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{args.rounds} interleaved rounds x {args.repeat} calls; forward + backward of one batch (float32); "
          f"process CPU user {usage.ru_utime:.1f} s, system {usage.ru_stime:.1f} s, "
          f"{usage.ru_nivcsw} involuntary context switches")
    summarise(results, args.shapes)


if __name__ == "__main__":
    main()
