"""The optional numba update kernels compute what the NumPy update rules compute."""

import numpy as np
import pytest

from numeras import Variable, optimizers
from numeras.optimizers import _fused

SHAPES = [(7, 5), (5,), (3, 2, 4)]


def _train(name: str, fused: bool, dtype: str, steps: int = 20, **options):
    rng = np.random.default_rng(0)
    variables = [Variable(rng.standard_normal(s).astype(dtype)) for s in SHAPES]
    optimizer = optimizers.get({"class_name": name, "config": options}) if options else optimizers.get(name)
    optimizer.build(variables)
    if not fused:
        optimizer._kernels = None
    for _ in range(steps):
        grads = [rng.standard_normal(s).astype(dtype) * 0.1 for s in SHAPES]
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables], optimizer


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["rmsprop", "adam", "adamw"])
def test_fused_update_matches_the_numpy_update(name, dtype):
    pytest.importorskip("numba")
    if _fused.kernels() is None:
        pytest.skip("compiled kernels switched off (NUMERAS_NUMBA=0)")
    fused, optimizer = _train(name, True, dtype)
    plain, _ = _train(name, False, dtype)
    assert optimizer._kernels is not None
    for a, b in zip(fused, plain):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == "float32" else 1e-13, atol=0)


@pytest.mark.parametrize(
    "name, options",
    [("RMSprop", {"centered": True}), ("RMSprop", {"momentum": 0.5}), ("Adam", {"amsgrad": True})],
)
def test_variants_without_a_kernel_still_update(name, options):
    # These variants always take the NumPy code; it must still agree with itself with kernels on.
    with_kernels, _ = _train(name, True, "float32", **options)
    without, _ = _train(name, False, "float32", **options)
    for a, b in zip(with_kernels, without):
        np.testing.assert_array_equal(a, b)


def test_usable_requires_one_float_dtype_and_contiguous_arrays():
    a = np.zeros((3, 4), np.float32)
    assert _fused.usable(a, np.ones((3, 4), np.float32))
    assert not _fused.usable(a, np.ones((3, 4), np.float64))
    assert not _fused.usable(a, np.ones((4, 3), np.float32).T)
    assert not _fused.usable(np.zeros((), np.float32), np.zeros((), np.float32))
    assert not _fused.usable(np.zeros(3, np.int64), np.zeros(3, np.int64))


def test_disabled_with_the_shared_switch(monkeypatch):
    """NUMERAS_NUMBA=0 (read by _accelerated) switches the optimizer kernels off too."""
    from numeras.autodiff.ops import _accelerated

    monkeypatch.setattr(_fused, "_loaded", None)
    previous = _accelerated.set_enabled(False)
    try:
        assert _fused.kernels() is None
    finally:
        _accelerated.set_enabled(previous)
    monkeypatch.setattr(_fused, "_loaded", None)  # let the next caller load them again
    assert _fused.kernels() is not None
