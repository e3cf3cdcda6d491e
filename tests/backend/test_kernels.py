"""Every compiled kernel computes what its NumPy reference computes, both through the ops and
optimizers that call them and kernel against kernel; the switch (``set_enabled``,
``NUMERAS_NUMBA=0``) picks one or the other, and ``import numeras`` never imports numba."""

import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

import numeras as nm
from numeras import Variable, ops, optimizers
from numeras.autodiff.ops import dense
from numeras.backend import kernels

SHAPES = [(7, 5), (5,), (3, 2, 4)]


def _require_compiled():
    pytest.importorskip("numba")
    if not kernels.compiled():
        pytest.skip("compiled kernels switched off (NUMERAS_NUMBA=0)")


def leaf(values, dtype="float64"):
    return nm.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def _both(function):
    """``function()`` run with the compiled kernels, then with the NumPy references."""
    compiled = function()
    previous = kernels.set_enabled(False)
    try:
        plain = function()
    finally:
        kernels.set_enabled(previous)
    return compiled, plain


# -- the dispatcher ------------------------------------------------------------------------------
def test_import_numeras_does_not_import_numba():
    code = "import sys, numeras; print('numba' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "False"


def test_environment_switch_turns_compiled_kernels_off():
    code = (
        "from numeras.backend import kernels; from numeras.backend.kernels.numpy_ref import optimizers; "
        "print(kernels.compiled(), kernels.adam_update is optimizers.adam_update)"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), NUMERAS_NUMBA="0")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.split() == ["False", "True"]


def test_set_enabled_switches_every_resolved_kernel():
    _require_compiled()
    from numeras.backend.kernels.numba_jit import optimizers as compiled_optimizers
    from numeras.backend.kernels.numpy_ref import optimizers as reference_optimizers

    assert kernels.adam_update is compiled_optimizers.adam_update
    previous = kernels.set_enabled(False)
    try:
        assert kernels.adam_update is reference_optimizers.adam_update
        assert not kernels.compiled()
    finally:
        kernels.set_enabled(previous)
    assert kernels.adam_update is compiled_optimizers.adam_update


def test_unknown_kernel_names_the_families():
    with pytest.raises(AttributeError, match="no kernel named 'no_such_kernel'"):
        kernels.no_such_kernel  # noqa: B018


@pytest.mark.parametrize("family", kernels.FAMILIES)
def test_each_compiled_kernel_has_a_reference_with_its_signature(family):
    pytest.importorskip("numba")
    import importlib

    reference = importlib.import_module(f"numeras.backend.kernels.numpy_ref.{family}")
    compiled = importlib.import_module(f"numeras.backend.kernels.numba_jit.{family}")
    # A compiled kernel is a Python wrapper around numba code, or a numba dispatcher itself (py_func).
    python_functions = {n: getattr(f, "py_func", f) for n, f in vars(compiled).items() if not n.startswith("_")}
    public = [n for n, f in python_functions.items() if inspect.isfunction(f) and f.__module__ == compiled.__name__]
    assert public, f"numba_jit.{family} compiles nothing"
    for name in public:
        assert inspect.signature(python_functions[name]) == inspect.signature(getattr(reference, name)), name


def test_flat_floats_requires_one_float_dtype_and_contiguous_arrays():
    pytest.importorskip("numba")
    from numeras.backend.kernels.numba_jit import flat_floats

    a = np.zeros((3, 4), np.float32)
    assert flat_floats(a, np.ones((3, 4), np.float32))
    assert not flat_floats(a, np.ones((3, 4), np.float64))
    assert not flat_floats(a, np.ones((4, 3), np.float32).T)
    assert not flat_floats(np.zeros((), np.float32), np.zeros((), np.float32))
    assert not flat_floats(np.zeros(3, np.int64), np.zeros(3, np.int64))


# -- kernel against kernel -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("geometry", [(3, 3, 1, 1, 1, 1), (2, 3, 2, 1, 1, 2), (3, 2, 2, 2, 2, 1)])
def test_col2im_compiled_matches_reference(geometry, dtype):
    _require_compiled()
    from numeras.backend.kernels.numba_jit import convolution as compiled
    from numeras.backend.kernels.numpy_ref import convolution as reference

    kh, kw, sh, sw, dh, dw = geometry
    rng = np.random.default_rng(3)
    batch, oh, ow, channels = 2, 4, 3, 5
    height, width = (oh - 1) * sh + (kh - 1) * dh + 1, (ow - 1) * sw + (kw - 1) * dw + 1
    d_cols = rng.standard_normal((batch * oh * ow, kh * kw * channels)).astype(dtype)
    grids = [np.full((batch, height, width, channels), np.nan, dtype) for _ in range(2)]
    compiled.col2im(d_cols, grids[0], kh, kw, sh, sw, dh, dw, oh, ow)
    reference.col2im(d_cols, grids[1], kh, kw, sh, sw, dh, dw, oh, ow)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(grids[0], grids[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("window", [(2, 2, 2, 2), (3, 3, 2, 2), (2, 3, 1, 3)])
def test_max_pool_compiled_matches_reference(window, dtype):
    _require_compiled()
    from numeras.backend.kernels.numba_jit import pooling as compiled
    from numeras.backend.kernels.numpy_ref import pooling as reference

    ph, pw, sh, sw = window
    rng = np.random.default_rng(4)
    oh, ow = 3, 4
    x = rng.integers(0, 3, (2, (oh - 1) * sh + ph + 1, (ow - 1) * sw + pw, 3)).astype(dtype)  # ties
    x[0, 0, 0, 0] = np.nan
    g = rng.standard_normal((2, oh, ow, 3)).astype(dtype)
    results = []
    for module in (compiled, reference):
        out, winner = np.empty((2, oh, ow, 3), dtype), np.empty((2, oh, ow, 3), np.uint8)
        module.max_pool_2d_forward(x, out, winner, ph, pw, sh, sw)
        grid = np.full(x.shape, np.nan, dtype)
        module.max_pool_2d_backward(g, winner, grid, ph, pw, sh, sw)
        results.append((out, winner, grid))
    for got, expected in zip(*results):
        np.testing.assert_array_equal(got, expected)


# -- through the ops -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_relu_compiled_and_numpy_paths_agree(dtype):
    _require_compiled()
    rng = np.random.default_rng(8)
    x = rng.standard_normal((6, 5)).astype(dtype)
    x[0, :3] = [0.0, -0.0, np.nan]
    w, b = rng.standard_normal((5, 4)).astype(dtype), rng.standard_normal(4).astype(dtype)
    seed = rng.standard_normal((6, 4)).astype(dtype)

    def run():
        xs, ws, bs = leaf(x, dtype), leaf(w, dtype), leaf(b, dtype)
        with nm.GradientTape() as tape:
            hidden = ops.relu(xs)
            y = dense(hidden[1:], ws, bs, activation="relu")
        grads = tape.gradient(y, [xs, ws, bs], output_gradients=seed[1:])
        return [hidden.numpy(), y.numpy()] + [g.numpy() for g in grads]

    compiled, plain = _both(run)
    for a, e in zip(compiled, plain):
        np.testing.assert_array_equal(a, e)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_and_cross_entropy_compiled_and_numpy_paths_agree(dtype):
    from numeras.autodiff.ops import nn

    _require_compiled()
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((7, 5)) * 30).astype(dtype)  # large logits: the shift by the max matters
    x[2] = [np.nan, 0, 1, 2, 3]
    target = rng.dirichlet(np.ones(5), size=7).astype(dtype)  # soft targets: sum(t) enters the VJP
    weights = rng.standard_normal(7).astype(dtype)

    def run():
        logits = leaf(x, dtype)
        with nm.GradientTape() as tape:
            probabilities = nn.softmax(logits)
            losses = nn.softmax_cross_entropy(target, logits)
            y = ops.sum(losses * weights) + ops.sum(probabilities * probabilities)
        return [probabilities.numpy(), losses.numpy(), tape.gradient(y, logits).numpy()]

    compiled, plain = _both(run)
    rtol = 2e-5 if dtype == "float32" else 1e-12
    for a, e in zip(compiled, plain):
        assert np.array_equal(np.isnan(a), np.isnan(e))
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("length", [1, 7, 37], ids=lambda n: f"rows-of-{n}")
def test_attention_softmax_compiled_and_numpy_paths_agree(dtype, length):
    """Attention's masked softmax over the last axis of 4-D scores (rows of odd lengths, a padded
    key, a fully masked row, very negative scores): values and gradients, compiled vs NumPy."""
    from numeras.autodiff.ops import attention

    _require_compiled()
    rng = np.random.default_rng(length)
    x = (rng.standard_normal((2, 3, 4, length)) * 20).astype(dtype)
    x[0, 0, 0] = -1e4  # exp underflows for every entry but the row's max
    mask = np.ones((2, 1, 4, length), bool)
    mask[1, 0, :, -1] = False  # a padded key
    mask[0, 0, 1] = False  # a fully masked row: zeros
    cotangent = rng.standard_normal(x.shape).astype(dtype)

    def run():
        scores = leaf(x, dtype)
        with nm.GradientTape() as tape:
            masked = attention.masked_softmax(scores, mask)
            plain = attention.masked_softmax(scores)
            y = ops.sum(masked * cotangent) + ops.sum(plain * plain)
        return [masked.numpy(), plain.numpy(), tape.gradient(y, scores).numpy()]

    compiled, reference = _both(run)
    rtol = 2e-5 if dtype == "float32" else 1e-12
    for a, e in zip(compiled, reference):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=rtol)
    assert not compiled[0][0, 0, 1].any()


# -- through the optimizers ------------------------------------------------------------------------
def _train(name: str, dtype: str, steps: int = 20, **options):
    rng = np.random.default_rng(0)
    variables = [Variable(rng.standard_normal(s).astype(dtype)) for s in SHAPES]
    optimizer = optimizers.get({"class_name": name, "config": options}) if options else optimizers.get(name)
    optimizer.build(variables)
    for _ in range(steps):
        grads = [rng.standard_normal(s).astype(dtype) * 0.1 for s in SHAPES]
        optimizer.apply(grads, variables)
    return [v.numpy() for v in variables], optimizer


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["rmsprop", "adam", "adamw"])
def test_fused_update_matches_the_numpy_update(name, dtype):
    _require_compiled()
    fused, plain = _both(lambda: _train(name, dtype)[0])
    for a, b in zip(fused, plain):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, b, rtol=1e-6 if dtype == "float32" else 1e-13, atol=0)


@pytest.mark.parametrize(
    "name, options",
    [("RMSprop", {"centered": True}), ("RMSprop", {"momentum": 0.5}), ("Adam", {"amsgrad": True})],
)
def test_variants_without_a_kernel_still_update(name, options):
    # These variants always take the NumPy code; it must still agree with itself with kernels on.
    with_kernels, without = _both(lambda: _train(name, "float32", **options)[0])
    for a, b in zip(with_kernels, without):
        np.testing.assert_array_equal(a, b)


def test_reference_gives_the_numpy_kernel_whatever_the_switch():
    from numeras.backend.kernels.numpy_ref import softmax

    assert kernels.reference("softmax") is softmax.softmax
    assert kernels.reference("log_softmax") is kernels.log_softmax  # no compiled twin: always NumPy
