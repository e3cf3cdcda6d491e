"""The α–β model behind benchmarks/distributed.py's projection (no timing)."""

import importlib.util
import pathlib

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "distributed.py"


def _load():
    spec = importlib.util.spec_from_file_location("distributed_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ring_allreduce_cost_has_a_bandwidth_and_a_latency_term():
    bench = _load()
    # p = 2: each process sends and receives half the buffer twice, in 2 latency-bound steps.
    assert bench.ring_allreduce_seconds(2, 1000, alpha=1e-6, beta=1e-9) == pytest.approx(1000e-9 + 2e-6)
    # Large p: the bandwidth term tends to 2·n·β, the latency term grows linearly.
    big = bench.ring_allreduce_seconds(1000, 1e6, alpha=0.0, beta=1e-9)
    assert big == pytest.approx(2 * 999 / 1000 * 1e-3)
    assert bench.ring_allreduce_seconds(513, 0, alpha=1e-5, beta=1e-9) == pytest.approx(2 * 512 * 1e-5)


def test_alpha_is_the_smallest_message_and_beta_the_large_message_slope():
    bench = _load()
    timings = [(8, 4e-6), (4096, 6e-6), (2**20, 1e-3 + 4e-6), (2**21, 2e-3 + 4e-6)]
    alpha, beta = bench.fit_alpha_beta(timings)
    assert alpha == 4e-6
    assert beta == pytest.approx(1e-3 / 2**20)
