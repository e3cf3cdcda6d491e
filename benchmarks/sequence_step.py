"""One training step of a sequence workload in numeras, timed step by step, optionally profiled.

The model, data and optimizer are ``sequence_models.py``'s (random data of the real shapes); the
step is ``train_on_batch`` on one batch, repeated. Prints the minimum, first quartile and median
wall milliseconds per step over ``--steps`` steps (after three untimed ones), and with
``--profile`` the functions that took the most time (cProfile, by their own time). The minimum
and quartile are what to compare between code versions on a shared machine: a neighbour's load
only ever adds time.

Run from the repository root::

    python benchmarks/sequence_step.py --workload imdb-lstm [--steps 40] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sequence_models  # noqa: E402  (the workloads, their data and the Keras-style model)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=list(sequence_models.WORKLOADS), default="imdb-lstm")
    parser.add_argument("--steps", type=int, default=40, help="timed steps (default 40)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile table of the timed steps")
    parser.add_argument("--top", type=int, default=20, help="rows of the profile table (default 20)")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error(f"--steps must be >= 1, received {args.steps}")

    import numeras
    from numeras import layers, models

    workload = sequence_models.WORKLOADS[args.workload]
    numeras.utils.set_random_seed(0)
    x, y = sequence_models.random_data(workload, workload["batch_size"], 0)
    model = sequence_models.keras_style_model(layers, models, workload)
    model.compile(optimizer="rmsprop", loss=workload["loss"])
    for _ in range(3):
        model.train_on_batch(x, y)
    profiler = cProfile.Profile() if args.profile else None
    times = []
    for _ in range(args.steps):
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(1e3 * (time.perf_counter() - started))
        if profiler:
            profiler.disable()
    ordered = sorted(times)
    print(f"{args.workload}: {args.steps} steps of batch {workload['batch_size']}: min {ordered[0]:.1f} "
          f"p25 {ordered[len(ordered) // 4]:.1f} median {statistics.median(ordered):.1f} ms/step")
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
