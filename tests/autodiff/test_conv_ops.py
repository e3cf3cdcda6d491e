"""Convolution and pooling primitives: values against a direct (loop) definition, gradients
against float64 finite differences, float32 kept end to end, first-maximum routing on ties."""

import importlib.util
import itertools

import numpy as np
import pytest

from numeras import ops
from numeras.autodiff import GradientTape, Tensor
from numeras.autodiff.ops.convolution import conv_bias_activation
from numeras.backend import kernels as kernel_switch
from numeras.testing import check_dtype_preserved, gradcheck


@pytest.fixture(autouse=True, params=["numpy", "compiled"])
def kernels(request):
    """Every test runs on the NumPy code and, when numba is installed, on the compiled kernels."""
    if request.param == "compiled" and importlib.util.find_spec("numba") is None:
        pytest.skip("numba is not installed: the optional compiled kernels are not used")
    previous = kernel_switch.set_enabled(request.param == "compiled")
    yield request.param
    kernel_switch.set_enabled(previous)


# -- direct definitions (loops over output positions; small inputs only) ---------------------------
def _same_pads(length, k, s, d):
    out = -(-length // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - length, 0)
    return total // 2, total - total // 2


def reference_conv(x, w, strides, padding, dilation):
    """y[n, o, f] = sum_{k, c} x_pad[n, o*s + k*d, group(f) * Cg + c] * w[k, c, f], channels last."""
    rank = w.ndim - 2
    spatial = x.shape[1:-1]
    if padding == "same":
        pads = [_same_pads(n, k, s, d) for n, k, s, d in zip(spatial, w.shape[:rank], strides, dilation)]
    elif padding == "causal":
        pads = [((w.shape[0] - 1) * dilation[0], 0)]
    else:
        pads = [(0, 0)] * rank
    xp_ = np.pad(x, [(0, 0), *pads, (0, 0)])
    cg, filters = w.shape[-2], w.shape[-1]
    groups = x.shape[-1] // cg
    fg = filters // groups
    out_size = [
        (p - (k - 1) * d - 1) // s + 1 for p, k, s, d in zip(xp_.shape[1:-1], w.shape[:rank], strides, dilation)
    ]
    y = np.zeros((x.shape[0], *out_size, filters))
    for o in itertools.product(*(range(n) for n in out_size)):
        for k in itertools.product(*(range(n) for n in w.shape[:rank])):
            patch = xp_[(slice(None), *(oi * s + ki * d for oi, ki, s, d in zip(o, k, strides, dilation)))]
            for g in range(groups):
                y[(slice(None), *o, slice(g * fg, (g + 1) * fg))] += (
                    patch[:, g * cg : (g + 1) * cg] @ w[k][:, g * fg : (g + 1) * fg]
                )
    return y


def reference_pool(x, pool, strides, padding, mode):
    rank = len(pool)
    spatial = x.shape[1:-1]
    pads = [_same_pads(n, k, s, 1) for n, k, s in zip(spatial, pool, strides)] if padding == "same" else [(0, 0)] * rank
    fill = -np.inf if mode == "max" else np.nan
    xp_ = np.pad(x.astype(float), [(0, 0), *pads, (0, 0)], constant_values=fill)
    out_size = [(p - k) // s + 1 for p, k, s in zip(xp_.shape[1:-1], pool, strides)]
    y = np.zeros((x.shape[0], *out_size, x.shape[-1]))
    for o in itertools.product(*(range(n) for n in out_size)):
        index = (slice(None), *(slice(oi * s, oi * s + k) for oi, s, k in zip(o, strides, pool)), slice(None))
        window = xp_[index].reshape(x.shape[0], -1, x.shape[-1])
        y[(slice(None), *o)] = window.max(axis=1) if mode == "max" else np.nanmean(window, axis=1)
    return y


CONV_CASES = [
    # rank, spatial, channels, filters, kernel, strides, padding, dilation
    (1, (9,), 3, 4, (3,), (1,), "valid", (1,)),
    (1, (9,), 3, 4, (3,), (2,), "same", (1,)),
    (1, (8,), 2, 3, (3,), (1,), "causal", (2,)),
    (2, (6, 7), 3, 4, (3, 3), (1, 1), "valid", (1, 1)),
    (2, (6, 7), 3, 4, (3, 2), (2, 1), "same", (1, 1)),
    (2, (7, 7), 2, 3, (3, 3), (1, 1), "same", (2, 2)),
    (2, (6, 6), 20, 5, (2, 2), (2, 2), "valid", (1, 1)),
    (2, (7, 7), 5, 3, (3, 3), (1, 1), "same", (2, 2)),
    (2, (8, 7), 6, 4, (3, 3), (2, 2), "same", (1, 1)),
    (2, (5, 5), 4, 6, (1, 1), (1, 1), "valid", (1, 1)),
    (3, (4, 5, 4), 2, 3, (2, 3, 2), (1, 2, 1), "same", (1, 1, 1)),
    # A first layer: fewer columns than filters; chunked below, its columns fit whole and are kept.
    (2, (6, 6), 1, 32, (3, 3), (1, 1), "valid", (1, 1)),
]


def _case_id(case):
    rank, spatial, c, f, k, s, p, d = case
    return f"{rank}d-{'x'.join(map(str, spatial))}c{c}f{f}-k{k}-s{s}-{p}-d{d}"


@pytest.mark.parametrize("case", CONV_CASES, ids=_case_id)
def test_conv_matches_the_direct_definition(case):
    rank, spatial, c, f, k, s, p, d = case
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, *spatial, c))
    w = rng.normal(size=(*k, c, f))
    got = ops.conv(x, w, strides=s, padding=p, dilation_rate=d).numpy()
    np.testing.assert_allclose(got, reference_conv(x, w, s, p, d), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("groups", [2, 4])
def test_grouped_conv_matches_the_direct_definition(groups):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 5, 8))
    w = rng.normal(size=(3, 3, 8 // groups, 4))
    got = ops.conv(x, w, padding="same").numpy()
    np.testing.assert_allclose(got, reference_conv(x, w, (1, 1), "same", (1, 1)), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("case", CONV_CASES, ids=_case_id)
def test_conv_gradients_match_finite_differences(case):
    rank, spatial, c, f, k, s, p, d = case
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, *spatial, c))
    w = rng.normal(size=(*k, c, f))
    assert gradcheck(lambda a, b: ops.conv(a, b, strides=s, padding=p, dilation_rate=d), [x, w])


@pytest.mark.parametrize("case", [CONV_CASES[i] for i in (1, 4, 7, 8, 11)], ids=_case_id)
def test_columns_built_a_few_samples_at_a_time_give_the_same_values_and_gradients(case, monkeypatch):
    from numeras.autodiff.ops import convolution

    rank, spatial, c, f, k, s, p, d = case
    rng = np.random.default_rng(13)
    x = rng.normal(size=(5, *spatial, c))
    w = rng.normal(size=(*k, c, f))
    b = rng.normal(size=(f,))

    def fused(a, kernel, bias):
        return conv_bias_activation(a, kernel, bias, strides=s, padding=p, dilation_rate=d, activation="relu")

    whole = fused(x, w, b).numpy()
    # Two samples (then one) per chunk: 5 samples take 3 chunks, the last one short. A chunk's
    # size is the larger of its columns and its output block.
    bytes_per_sample = int(np.prod(whole.shape[1:-1])) * max(int(np.prod(k)) * c + 1, f) * 8
    monkeypatch.setattr(convolution, "CHUNK_BYTES", 2 * bytes_per_sample)
    np.testing.assert_allclose(fused(x, w, b).numpy(), whole, rtol=1e-12, atol=1e-12)
    assert gradcheck(fused, [x, w, b])
    monkeypatch.setattr(convolution, "CHUNK_BYTES", 1)
    assert gradcheck(lambda a, kernel: ops.conv(a, kernel, strides=s, padding=p, dilation_rate=d), [x, w])


def test_grouped_conv_gradients():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 5, 6))
    w = rng.normal(size=(3, 3, 2, 9))
    assert gradcheck(lambda a, b: ops.conv(a, b, strides=2, padding="same"), [x, w])


def test_fused_bias_relu_gradients_and_values():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 6, 6, 3))
    w = rng.normal(size=(3, 3, 3, 4))
    b = rng.normal(size=(4,))
    pre = reference_conv(x, w, (1, 1), "valid", (1, 1)) + b
    # Finite differences must not straddle relu's kink at 0.
    assert np.abs(pre).min() > 1e-4
    got = conv_bias_activation(x, w, b, activation="relu").numpy()
    np.testing.assert_allclose(got, np.maximum(pre, 0), rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, k, c: conv_bias_activation(a, k, c, activation="relu"), [x, w, b])
    assert gradcheck(lambda a, k, c: conv_bias_activation(a, k, c, padding="same", strides=2), [x, w, b])


def test_fused_bias_relu_with_groups_composes():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(2, 5, 5, 4))
    w = rng.normal(size=(3, 3, 2, 6))
    b = rng.normal(size=(6,))
    got = conv_bias_activation(x, w, b, activation="relu").numpy()
    np.testing.assert_allclose(got, np.maximum(reference_conv(x, w, (1, 1), "valid", (1, 1)) + b, 0), atol=1e-12)


def test_channels_first_matches_channels_last():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 7, 6, 3))
    w = rng.normal(size=(3, 3, 3, 5))
    last = ops.conv(x, w, strides=2, padding="same").numpy()
    first = ops.conv(np.moveaxis(x, -1, 1), w, strides=2, padding="same", data_format="channels_first").numpy()
    np.testing.assert_allclose(np.moveaxis(first, 1, -1), last, rtol=1e-12)
    pooled = ops.max_pool(np.moveaxis(x, -1, 1), 2, data_format="channels_first").numpy()
    np.testing.assert_array_equal(np.moveaxis(pooled, 1, -1), ops.max_pool(x, 2).numpy())


def test_depthwise_and_separable_conv():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 6, 6, 3))
    depthwise = rng.normal(size=(3, 3, 3, 2))
    pointwise = rng.normal(size=(1, 1, 6, 4))
    got = ops.depthwise_conv(x, depthwise, padding="same").numpy()
    expected = np.concatenate(
        [reference_conv(x[..., c : c + 1], depthwise[:, :, c : c + 1, :], (1, 1), "same", (1, 1)) for c in range(3)],
        axis=-1,
    )
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)
    separable = ops.separable_conv(x, depthwise, pointwise, padding="same").numpy()
    np.testing.assert_allclose(separable, expected @ pointwise[0, 0], rtol=1e-10, atol=1e-12)
    assert gradcheck(lambda a, d, p: ops.separable_conv(a, d, p, strides=2), [x, depthwise, pointwise])


@pytest.mark.parametrize(
    "kernel, strides, padding, output_padding",
    [(3, 1, "valid", None), (3, 2, "same", None), (4, 2, "same", None), (3, 2, "valid", 1), (2, 3, "valid", None), (3, 2, "same", 0)],
)
def test_conv_transpose_gradients(kernel, strides, padding, output_padding):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 4, 3, 3))
    w = rng.normal(size=(kernel, kernel, 2, 3))
    assert gradcheck(
        lambda a, b: ops.conv_transpose(a, b, strides=strides, padding=padding, output_padding=output_padding), [x, w]
    )


@pytest.mark.parametrize("kernel, strides, dilation", [(3, 1, 1), (3, 2, 1), (4, 2, 1), (3, 1, 2)])
def test_conv_transpose_is_the_adjoint_of_conv(kernel, strides, dilation):
    """<conv_transpose(y, w), x> = <y, conv(x, w)> for 'same' padding and inputs whose size is a
    multiple of the stride: the transposed convolution is the convolution's input gradient."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 8, 6, 3))
    w = rng.normal(size=(kernel, kernel, 3, 4))
    y = ops.conv(x, w, strides=strides, padding="same", dilation_rate=dilation).numpy()
    probe = rng.normal(size=y.shape)
    back = ops.conv_transpose(probe, w, strides=strides, padding="same", dilation_rate=dilation).numpy()
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(back * x), np.sum(probe * y), rtol=1e-10)


@pytest.mark.parametrize(
    "rank, pool, strides, padding",
    [(1, (2,), (2,), "valid"), (1, (3,), (2,), "same"), (2, (2, 2), (2, 2), "valid"), (2, (3, 3), (2, 2), "same"),
     (2, (2, 3), (1, 2), "valid"), (3, (2, 2, 2), (2, 1, 2), "same")],
)
@pytest.mark.parametrize("mode", ["max", "average"])
def test_pooling_values_and_gradients(rank, pool, strides, padding, mode):
    rng = np.random.default_rng(10)
    shape = (2, *(7, 6, 5)[:rank], 3)
    # Distinct values: max pooling is differentiable away from ties.
    x = (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1)
    op = ops.max_pool if mode == "max" else ops.average_pool
    got = op(x, pool, strides=strides, padding=padding).numpy()
    np.testing.assert_allclose(got, reference_pool(x, pool, strides, padding, mode), rtol=1e-12)
    assert gradcheck(lambda a: op(a, pool, strides=strides, padding=padding), [x])


def test_max_pool_sends_the_gradient_of_a_tie_to_the_first_maximum_only():
    # MNIST-like: a blank background (ties everywhere) and a few strokes, including tied strokes.
    x = np.zeros((1, 4, 4, 1), dtype=np.float32)
    x[0, 1, 1, 0] = 1.0  # window (0, 0): one maximum at its last entry
    x[0, 0, 3, 0] = x[0, 1, 2, 0] = 2.0  # window (0, 1): two tied maxima
    t = Tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        y = ops.max_pool(t, 2)
        total = ops.sum(y * np.array([1.0, 10.0, 100.0, 1000.0], dtype=np.float32).reshape(1, 2, 2, 1))
    grad = tape.gradient(total, t).numpy()[0, :, :, 0]
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[1, 1] = 1.0  # the lone maximum
    expected[0, 3] = 10.0  # the first (row-major) of the tied pair, not (1, 2)
    expected[2, 0] = 100.0  # all-zero window: its first entry only
    expected[2, 2] = 1000.0
    np.testing.assert_array_equal(grad, expected)
    assert grad.sum() == 1111.0  # each output's gradient is counted once, never once per tie


@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 2)])
def test_max_pool_propagates_nan_like_numpy_maximum(pool, strides):
    x = np.arange(36, dtype="float32").reshape(1, 6, 6, 1)
    x[0, 1, 1, 0] = np.nan
    y = ops.max_pool(x, pool, strides=strides).numpy()[0, :, :, 0]
    assert np.isnan(y[0, 0]) and not np.isnan(y[-1, -1])


def test_max_pool_ties_with_overlapping_windows_accumulate_once_per_window():
    x = np.ones((1, 3, 1), dtype=np.float64)
    t = Tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        total = ops.sum(ops.max_pool(t, 2, strides=1))
    # Windows [0, 1] and [1, 2]: each sends its gradient to its first entry.
    np.testing.assert_array_equal(tape.gradient(total, t).numpy()[0, :, 0], [1.0, 1.0, 0.0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda x, w: ops.conv(x, w, padding="same"),
        lambda x, w: conv_bias_activation(x, w, w[0, 0, 0], activation="relu"),
        lambda x, w: ops.conv_transpose(x, w[..., :3], strides=2, padding="same"),
        lambda x, w: ops.depthwise_conv(x, w[..., :2]),
        lambda x, w: ops.max_pool(x, 2) + ops.average_pool(x, 3, strides=2, padding="same")[:, :2, :2],
    ],
    ids=["conv", "fused", "conv_transpose", "depthwise", "pools"],
)
def test_float32_stays_float32_forward_and_backward(fn):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(2, 5, 5, 3))
    w = rng.normal(size=(3, 3, 3, 3))
    check_dtype_preserved(fn, [x, w])


def test_integer_inputs_become_floatx():
    x = np.arange(2 * 5 * 5).reshape(2, 5, 5, 1)
    assert ops.conv(x, np.ones((3, 3, 1, 2), dtype="float32")).dtype == "float32"
    assert ops.max_pool(x, 2).dtype == "float32"


def test_input_gradient_is_skipped_for_constant_inputs():
    x = Tensor(np.ones((1, 5, 5, 1), dtype="float32"))
    w = Tensor(np.ones((3, 3, 1, 2), dtype="float32"), requires_grad=True)
    y = ops.conv(x, w)
    dx, dw = y._vjp(np.ones(y.shape, dtype="float32"))
    assert dx is None and dw.shape == (3, 3, 1, 2)


def test_errors_name_the_argument_and_the_fix():
    x = np.zeros((1, 5, 5, 3), dtype="float32")
    with pytest.raises(ValueError, match="not a multiple of the kernel's input channels"):
        ops.conv(x, np.zeros((3, 3, 2, 4), dtype="float32"))
    with pytest.raises(ValueError, match="convolves inputs of rank 4"):
        ops.conv(x[0], np.zeros((3, 3, 3, 4), dtype="float32"))
    with pytest.raises(ValueError, match="`padding` must be one of"):
        ops.conv(x, np.zeros((3, 3, 3, 4), dtype="float32"), padding="full")
    with pytest.raises(ValueError, match="causal"):
        ops.conv(x, np.zeros((3, 3, 3, 4), dtype="float32"), padding="causal")
    with pytest.raises(ValueError, match="`strides` must be an int or a tuple of 2 ints"):
        ops.conv(x, np.zeros((3, 3, 3, 4), dtype="float32"), strides=(1, 1, 1))
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.conv(x, np.zeros((7, 7, 3, 4), dtype="float32"))
    with pytest.raises(ValueError, match="`data_format` must be"):
        ops.max_pool(x, 2, data_format="NHWC")
    with pytest.raises(ValueError, match="`pool_size`"):
        ops.max_pool(x, 0)
    with pytest.raises(ValueError, match="larger than the input's spatial size"):
        ops.average_pool(x, 6)
    with pytest.raises(ValueError, match="inputs have 3 channels but the kernel .* expects 2 input channels"):
        ops.conv_transpose(x, np.zeros((3, 3, 4, 2), dtype="float32"))


def test_compiled_kernels_and_numpy_agree_on_a_convnet_step(kernels):
    """Listing 5.1's first layers on MNIST-like input (blank background, ties everywhere): values and
    gradients from the compiled kernels and from NumPy are the same."""
    if kernels != "compiled":
        pytest.skip("compares the two paths once")
    rng = np.random.default_rng(12)
    x = np.zeros((4, 28, 28, 1), dtype="float32")
    x[:, 8:20, 10:14] = rng.random((4, 12, 4, 1), dtype=np.float32)
    w1 = rng.normal(scale=0.3, size=(3, 3, 1, 8)).astype("float32")
    b1 = rng.normal(scale=0.1, size=(8,)).astype("float32")
    w2 = rng.normal(scale=0.3, size=(3, 3, 8, 16)).astype("float32")
    probe = rng.normal(size=(4, 6, 6, 16)).astype("float32")

    def run():
        params = [Tensor(v, requires_grad=True) for v in (x, w1, b1, w2)]
        with GradientTape() as tape:
            h = ops.max_pool(conv_bias_activation(params[0], params[1], params[2], activation="relu"), 2)
            y = ops.max_pool(conv_bias_activation(h, params[3], None, padding="same", activation="relu"), 2)
            total = ops.sum(y * probe)
        return [y.numpy()] + [g.numpy() for g in tape.gradient(total, params)]

    compiled = run()
    kernel_switch.set_enabled(False)
    reference = run()
    for got, expected in zip(compiled, reference):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
