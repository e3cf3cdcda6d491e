"""The recurrent kernels: the compiled (numba) ones give the NumPy reference's results, forward and
backward, for every option; the dispatcher picks one set once, lazily, and obeys NUMERAS_NUMBA=0."""

from __future__ import annotations

import importlib.util
import itertools
import os
import subprocess
import sys

import numpy as np
import pytest

needs_numba = pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba is not installed")
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def make_arrays(kind, rng, dtype, steps=6, batch=5, units=4, step_mask=False, recurrent_mask=False):
    gates = GATES[kind]
    width = gates * units
    arrays = {
        "proj": rng.standard_normal((steps, batch, width)).astype(dtype),
        "recurrent_kernel": (rng.standard_normal((units, width)) * 0.5).astype(dtype),
        "h0": rng.standard_normal((batch, units)).astype(dtype),
        "c0": rng.standard_normal((batch, units)).astype(dtype),
        "recurrent_bias": rng.standard_normal(width).astype(dtype),
        "dhs": rng.standard_normal((steps + 1, batch, units)).astype(dtype),
        "dc_last": rng.standard_normal((batch, units)).astype(dtype),
        "step_mask": None,
        "recurrent_mask": None,
    }
    if step_mask:
        mask = rng.random((steps, batch)) > 0.3
        mask[:, -1] = False  # a row masked throughout
        mask[0, 0] = mask[-1, 0] = False
        arrays["step_mask"] = mask
    if recurrent_mask:
        arrays["recurrent_mask"] = ((rng.random((gates, batch, units)) > 0.3) / 0.7).astype(dtype)
    return arrays


def run(module, kind, a, reset_after=True):
    """Forward then backward with ``module``'s kernels; every array they write."""
    steps, batch, width = a["proj"].shape
    units = a["recurrent_kernel"].shape[0]
    dtype = a["proj"].dtype
    hs = np.full((steps + 1, batch, units), np.nan, dtype)
    dproj = np.full((steps, batch, width), np.nan, dtype)
    dh0 = np.full((batch, units), np.nan, dtype)
    if kind == "simple_rnn":
        module.simple_rnn_forward(a["proj"], a["recurrent_kernel"], a["h0"], a["step_mask"], a["recurrent_mask"], hs)
        module.simple_rnn_backward(a["dhs"], a["recurrent_kernel"], hs, a["step_mask"], a["recurrent_mask"], dproj, dh0)
        return {"hs": hs, "dproj": dproj, "dh0": dh0}
    gates = np.full((steps, batch, width), np.nan, dtype)
    if kind == "lstm":
        cs = np.full_like(hs, np.nan)
        dc0 = np.full_like(dh0, np.nan)
        module.lstm_forward(a["proj"], a["recurrent_kernel"], a["h0"], a["c0"], a["step_mask"], a["recurrent_mask"],
                            hs, cs, gates)
        module.lstm_backward(a["dhs"], a["dc_last"], a["recurrent_kernel"], hs, cs, gates, a["step_mask"],
                             a["recurrent_mask"], dproj, dh0, dc0)
        return {"hs": hs, "cs": cs, "dproj": dproj, "dh0": dh0, "dc0": dc0}
    candidate = np.full((steps, batch, units), np.nan, dtype)
    d_candidate = np.full_like(candidate, np.nan) if reset_after else None
    bias = a["recurrent_bias"] if reset_after else None
    module.gru_forward(a["proj"], a["recurrent_kernel"], bias, a["h0"], a["step_mask"], a["recurrent_mask"],
                       reset_after, hs, gates, candidate)
    module.gru_backward(a["dhs"], a["recurrent_kernel"], hs, gates, candidate, a["step_mask"], a["recurrent_mask"],
                        reset_after, dproj, d_candidate, dh0)
    result = {"hs": hs, "dproj": dproj, "dh0": dh0}
    if reset_after:
        result["d_candidate"] = d_candidate
    if a["step_mask"] is None:
        result["gates"] = gates  # at masked steps the activations are scratch, never read
        result["candidate"] = candidate
    return result


CASES = [
    (kind, reset_after, step_mask, recurrent_mask)
    for kind, reset_after in (("simple_rnn", False), ("lstm", False), ("gru", True), ("gru", False))
    for step_mask, recurrent_mask in itertools.product((False, True), repeat=2)
]


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c))
def test_compiled_matches_reference(case, dtype):
    kind, reset_after, step_mask, recurrent_mask = case
    rng = np.random.default_rng(CASES.index(case))
    arrays = make_arrays(kind, rng, dtype, step_mask=step_mask, recurrent_mask=recurrent_mask)
    want = run(importlib.import_module("numeras.backend.kernels.numpy_ref.recurrent"), kind, arrays, reset_after)
    got = run(importlib.import_module("numeras.backend.kernels.numba_jit.recurrent"), kind, arrays, reset_after)
    assert want.keys() == got.keys()
    rtol, atol = (2e-5, 2e-6) if dtype == "float32" else (1e-12, 1e-13)
    for name in want:
        assert np.isfinite(want[name]).all(), f"the reference left {name} partly unwritten"
        assert got[name].dtype == np.dtype(dtype), f"{name} is {got[name].dtype}"
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=atol, err_msg=name)


@needs_numba
def test_compiled_kernels_at_a_real_shape():
    """The IMDB LSTM's shape (units 32, 4 gate blocks) in float32, masked: same states and gradients."""
    rng = np.random.default_rng(1)
    arrays = make_arrays("lstm", rng, "float32", steps=20, batch=16, units=32, step_mask=True)
    want = run(importlib.import_module("numeras.backend.kernels.numpy_ref.recurrent"), "lstm", arrays)
    got = run(importlib.import_module("numeras.backend.kernels.numba_jit.recurrent"), "lstm", arrays)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=2e-5, err_msg=name)


@needs_numba
@pytest.mark.parametrize("kind", ["gru", "lstm"])
def test_compiled_kernels_with_recurrent_dropout_at_a_real_shape(kind):
    """The Jena GRU's shape (units 32, 14-feature batches) with per-gate recurrent dropout masks,
    which the compiled kernels multiply gate block by gate block: same states and gradients."""
    rng = np.random.default_rng(2)
    arrays = make_arrays(kind, rng, "float32", steps=12, batch=18, units=32, recurrent_mask=True)
    want = run(importlib.import_module("numeras.backend.kernels.numpy_ref.recurrent"), kind, arrays)
    got = run(importlib.import_module("numeras.backend.kernels.numba_jit.recurrent"), kind, arrays)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=1e-4, atol=2e-5, err_msg=name)


@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(str(v) for v in c))
def test_chunked_kernels_match_reference(case, dtype, monkeypatch):
    """The batch split into chunks run by numba.prange (forced, whatever the timing would choose):
    37 rows make two chunks of 20 and 17 rows, so odd tails of the two-row product are covered."""
    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.recurrent")
    for choice in compiled._THREADS.values():
        monkeypatch.setattr(choice, "forced", 2)
    kind, reset_after, step_mask, recurrent_mask = case
    rng = np.random.default_rng(100 + CASES.index(case))
    arrays = make_arrays(kind, rng, dtype, steps=5, batch=37, units=5, step_mask=step_mask,
                         recurrent_mask=recurrent_mask)
    assert compiled._chunk_bounds(37, 2) == (2, 20)
    want = run(importlib.import_module("numeras.backend.kernels.numpy_ref.recurrent"), kind, arrays, reset_after)
    got = run(compiled, kind, arrays, reset_after)
    rtol, atol = (2e-5, 2e-6) if dtype == "float32" else (1e-12, 1e-13)
    for name in want:
        np.testing.assert_allclose(got[name], want[name], rtol=rtol, atol=atol, err_msg=name)


@needs_numba
@pytest.mark.parametrize("faster", [1, 4])
def test_thread_choice_probes_both_counts_and_keeps_the_faster(faster, monkeypatch):
    import numba

    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.recurrent")
    monkeypatch.setattr(numba, "get_num_threads", lambda: 4)
    monkeypatch.setattr(compiled.split_products, "threads", lambda: 8)  # the CPUs allowed: more than numba's
    clock = [0.0]
    monkeypatch.setattr(compiled.time, "perf_counter", lambda: clock[0])
    choice = compiled._ThreadChoice()
    used = []
    for _ in range(choice.PERIOD + 2 * choice.PROBES + 1):
        with choice as threads:
            clock[0] += 1.0 if threads == faster else 3.0
        used.append(threads)
    probes = 2 * choice.PROBES
    assert used[:probes] == [1, 4] * choice.PROBES
    assert set(used[probes:choice.PERIOD]) == {faster}
    assert used[choice.PERIOD:choice.PERIOD + probes] == [1, 4] * choice.PROBES  # probed again each period
    assert used[-1] == faster


@needs_numba
def test_thread_choice_obeys_omp_num_threads(monkeypatch):
    import numba

    compiled = importlib.import_module("numeras.backend.kernels.numba_jit.recurrent")
    monkeypatch.setattr(numba, "get_num_threads", lambda: 4)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    choice = compiled._ThreadChoice()
    used = set()
    for _ in range(3 * choice.PROBES):
        with choice as threads:
            used.add(threads)
    assert used == {1}


def _python(code: str, **env) -> str:
    environment = dict(os.environ, **env)
    src = os.path.join(os.path.dirname(__file__), "..", "..", "src")
    environment["PYTHONPATH"] = os.path.abspath(src) + os.pathsep + environment.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_dispatcher_is_lazy_and_obeys_the_switch():
    code = (
        "import sys, numeras\n"
        "from numeras.backend import kernels\n"
        "print('numba' in sys.modules, 'recurrent' in kernels.FAMILIES)\n"
        "f = kernels.lstm_forward\n"
        "print(kernels.compiled(), f.__module__, f is kernels.lstm_forward)\n"
    )
    off = _python(code, NUMERAS_NUMBA="0").splitlines()
    assert off[0] == "False True"
    assert off[1] == "False numeras.backend.kernels.numpy_ref.recurrent True"
    if importlib.util.find_spec("numba") is not None:
        on = _python(code, NUMERAS_NUMBA="1").splitlines()
        assert on[0] == "False True"  # importing numeras does not import numba
        assert on[1] == "True numeras.backend.kernels.numba_jit.recurrent True"
