"""Per-step wall and CPU time of the seed MLP's ``fit`` with the BLAS threads fixed, to see what a
busy machine does to OpenBLAS's spin-waiting threads (BENCHMARKS.md, "Steady epochs on a shared
machine").

For each of ``--threads`` (default 2 then 1, twice), one ``fit`` over ``--steps`` batches with the
thread tuner off (``NUMERAS_BLAS_TUNING=0``) and ``threadpool_limits`` set; prints the mean, median,
90th percentile and maximum step wall time, the mean and median CPU time (``process_time``: every
thread of the process, so spinning counts) and their ratio. ``--busy`` runs one busy-loop process
beside it. Usage: ``PYTHONPATH=src python benchmarks/blas_step_times.py [--busy] [--steps 200]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ["NUMERAS_BLAS_TUNING"] = "0"  # before numeras reads it: the threads stay as set here

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import seed_mlp  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="batches of 128 per fit (default 200)")
    parser.add_argument("--threads", default="2,1,2,1", help="BLAS thread counts, one fit each")
    parser.add_argument("--busy", action="store_true", help="one busy-loop process beside the fits")
    args = parser.parse_args()

    import numeras
    from numeras import callbacks, layers, models

    class StepTimes(callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.wall: list[float] = []
            self.cpu: list[float] = []
            self._wall = self._cpu = 0.0

        def on_train_batch_begin(self, batch, logs=None):
            self._wall, self._cpu = time.perf_counter(), time.process_time()

        def on_train_batch_end(self, batch, logs=None):
            self.wall.append(time.perf_counter() - self._wall)
            self.cpu.append(time.process_time() - self._cpu)

    x, y, _, _ = seed_mlp.load_mnist(seed_mlp.find_mnist(None))
    rows = args.steps * 128
    numeras.utils.set_random_seed(0)
    model = seed_mlp._keras_style_model(layers, models, seed_mlp.WORKLOADS["seed"])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(x[:6400], y[:6400], epochs=1, batch_size=128, verbose=0)  # compile the kernels, warm up
    busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if args.busy else None
    try:
        for threads in (int(t) for t in args.threads.split(",")):
            times = StepTimes()
            with threadpool_limits(threads, user_api="blas"):
                model.fit(x[:rows], y[:rows], epochs=1, batch_size=128, verbose=0, callbacks=[times])
            wall, cpu = np.array(times.wall) * 1e3, np.array(times.cpu) * 1e3
            print(
                f"busy={args.busy!s:5s} threads={threads} steps={len(wall)} wall ms: mean {wall.mean():6.2f} "
                f"median {np.median(wall):6.2f} p90 {np.percentile(wall, 90):6.2f} max {wall.max():7.1f} | "
                f"cpu ms: mean {cpu.mean():6.2f} median {np.median(cpu):6.2f} | cpu/wall {cpu.sum() / wall.sum():.2f}",
                flush=True,
            )
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()


if __name__ == "__main__":
    main()
