"""Data-parallel scaling of the seed MLP (784-512-10, RMSprop, global batch 128) with
numeras.distribution on MPI, and an α–β model of ring all-reduce for larger jobs.

    python benchmarks/distributed.py [--steps 60] [--processes 1 2]

Starts itself with the mpich wheel's mpiexec once per process count (``--worker`` mode) and
prints, per count: samples/s, ms per step, ms of that spent inside the gradient Allreduce, and
the scaling efficiency (throughput / (p × 1-process throughput)). With 2 or more processes it
also times Allreduce on float32 buffers of 8 B to 16 MiB and reads off ``t(n) = α + n·β`` (the
latency and per-byte cost of one Allreduce on this machine's shared memory). Finally it projects
the step's gradient all-reduce to 8, 64 and 512 processes on a 25 Gb/s network with the ring
model ``T = 2(p-1)/p · n·β + 2(p-1)·α``.

The data are random MNIST-shaped arrays (no download); the timing is of training steps, which do
not depend on the values.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

NETWORK_BITS_PER_SECOND = 25e9
# A typical per-message latency of MPI over TCP on Ethernet (the measured α here is shared
# memory inside one machine, a lower bound for a network).
NETWORK_LATENCY_S = 25e-6


def worker(steps: int, out: str) -> None:
    import numeras
    from numeras import backend, distribution, layers, models

    distribution.set_distribution(distribution.DataParallel())
    rank, size = distribution.process_id(), distribution.num_processes()
    backend.set_random_seed(0)
    batch = 128
    warmup = 5
    samples = batch * (steps + warmup)
    data = np.random.default_rng(0)
    x = data.random((samples, 784), dtype=np.float32)
    y = numeras.utils.to_categorical(data.integers(0, 10, samples), 10)
    model = models.Sequential([layers.Input((784,)), layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    reducer = distribution.distribution().gradient_reducer
    model.fit(x[: batch * warmup], y[: batch * warmup], batch_size=batch, epochs=1, verbose=0, shuffle=False)
    reducer.seconds, reducer.calls = 0.0, 0
    comm = distribution.distribution().comm
    comm.Barrier()
    started = time.perf_counter()
    model.fit(x[: batch * steps], y[: batch * steps], batch_size=batch, epochs=1, verbose=0)
    elapsed = time.perf_counter() - started
    result = {
        "processes": size,
        "steps": steps,
        "seconds": elapsed,
        "samples_per_second": batch * steps / elapsed,
        "ms_per_step": 1e3 * elapsed / steps,
        "allreduce_ms_per_step": 1e3 * reducer.seconds / max(reducer.calls, 1),
        "allreduce_calls_per_step": reducer.calls / steps,
        "gradient_bytes": int(sum(w.data.nbytes for w in model.trainable_weights)),
    }
    if size > 1:
        result["allreduce_sweep"] = allreduce_sweep(comm)
    if rank == 0:
        with open(out, "w") as handle:
            json.dump(result, handle)


def allreduce_sweep(comm) -> list:
    """Median seconds of an in-place float32 Allreduce for sizes 8 B .. 16 MiB."""
    from mpi4py import MPI

    timings = []
    for exponent in range(3, 25, 3):
        nbytes = 2**exponent
        buffer = np.ones(max(nbytes // 4, 1), dtype=np.float32)
        repeats = 200 if nbytes < 2**16 else 20
        samples = []
        for _ in range(repeats):
            comm.Barrier()
            started = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buffer)
            samples.append(time.perf_counter() - started)
        timings.append((buffer.nbytes, float(np.median(samples))))
    return timings


def fit_alpha_beta(timings: list) -> tuple[float, float]:
    """``α`` = the time of the smallest message (pure latency); ``β`` = the slope between the
    two largest (pure bandwidth). A least-squares line through all sizes would let the large
    messages inflate ``α``."""
    (_, smallest), *_ = timings
    (n1, t1), (n2, t2) = timings[-2], timings[-1]
    return float(smallest), float((t2 - t1) / (n2 - n1))


def ring_allreduce_seconds(processes: int, nbytes: float, alpha: float, beta: float) -> float:
    """The α–β cost of a ring all-reduce (reduce-scatter then all-gather)."""
    p = processes
    return 2 * (p - 1) / p * nbytes * beta + 2 * (p - 1) * alpha


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.worker:
        worker(options.steps, options.worker)
        return
    from numeras.distribution.launch import find_mpiexec

    mpiexec = find_mpiexec()
    if mpiexec is None:
        sys.exit('benchmarks/distributed.py: no mpiexec; pip install "numeras[mpi]"')
    results = []
    with tempfile.TemporaryDirectory() as folder:
        for count in options.processes:
            out = os.path.join(folder, f"p{count}.json")
            environment = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
            subprocess.run(
                [mpiexec, "-n", str(count), sys.executable, __file__, "--steps", str(options.steps), "--worker", out],
                check=True, env=environment,
            )
            with open(out) as handle:
                results.append(json.load(handle))
    report(results)


def report(results: list) -> None:
    base = next((r for r in results if r["processes"] == 1), results[0])
    print("| processes | samples/s | ms/step | Allreduce ms/step | Allreduce calls/step | efficiency |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        efficiency = r["samples_per_second"] / (r["processes"] * base["samples_per_second"])
        print(
            f"| {r['processes']} | {r['samples_per_second']:.0f} | {r['ms_per_step']:.2f} | "
            f"{r['allreduce_ms_per_step']:.3f} | {r['allreduce_calls_per_step']:.0f} | {efficiency:.2f} |"
        )
    sweep = next((r["allreduce_sweep"] for r in results if "allreduce_sweep" in r), None)
    nbytes = base["gradient_bytes"]
    if sweep is None:
        return
    print("\nAllreduce on this machine (2 processes, shared memory):")
    print("| bytes | µs |")
    print("| --- | --- |")
    for size, seconds in sweep:
        print(f"| {size} | {seconds * 1e6:.1f} |")
    alpha, beta = fit_alpha_beta(sweep)
    print(f"\nα = t(8 B) = {alpha * 1e6:.1f} µs, β = {beta * 1e9:.3f} ns/B ({1 / beta / 1e9:.2f} GB/s, slope of the two largest sizes)")
    network_beta = 8 / NETWORK_BITS_PER_SECOND
    compute_ms = base["ms_per_step"]
    print(
        f"\nRing all-reduce of the seed MLP's gradients ({nbytes / 1e6:.2f} MB) on 25 Gb/s "
        f"(β = {network_beta * 1e9:.2f} ns/B), per step; efficiency = compute / (compute + all-reduce) "
        f"with this machine's 1-process step ({compute_ms:.1f} ms) as the per-process compute "
        "(weak scaling: 128 samples per process, no overlap):"
    )
    print("| processes | α | bandwidth term ms | latency term ms | all-reduce ms | efficiency |")
    print("| --- | --- | --- | --- | --- | --- |")
    for alpha_label, alpha_value in ((f"{alpha * 1e6:.1f} µs (measured here)", alpha), ("25 µs (TCP)", NETWORK_LATENCY_S)):
        for p in (8, 64, 512):
            bandwidth = 2 * (p - 1) / p * nbytes * network_beta
            latency = 2 * (p - 1) * alpha_value
            total = ring_allreduce_seconds(p, nbytes, alpha_value, network_beta)
            print(
                f"| {p} | {alpha_label} | {bandwidth * 1e3:.2f} | {latency * 1e3:.2f} | {total * 1e3:.2f} | "
                f"{compute_ms / (compute_ms + total * 1e3):.2f} |"
            )


if __name__ == "__main__":
    main()
