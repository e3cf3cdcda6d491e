"""Every loss function against a float64 NumPy reference of Keras's formula, and its gradient
against central differences."""

import warnings

import numpy as np
import pytest

import numeras as nr
from numeras import losses, ops
from numeras.losses import functions as F
from numeras.testing import check_dtype_preserved, gradcheck

EPS = 1e-7
RNG = np.random.default_rng(1234)


# -- float64 references (Keras 3's formulas) --------------------------------------------
def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z, axis=-1):
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        log_p = _log_softmax(p, axis)
    else:
        q = p / p.sum(axis=axis, keepdims=True)
        log_p = np.log(np.clip(q, EPS, 1 - EPS))
    return -(t * log_p).sum(axis=axis)


def ref_scce(labels, p, from_logits=False):
    log_p = _log_softmax(p) if from_logits else _log_softmax(np.log(np.clip(p, EPS, 1 - EPS)))
    return -np.take_along_axis(log_p, labels[..., None].astype(int), axis=-1)[..., 0]


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    if label_smoothing:
        t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        elementwise = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        q = np.clip(p, EPS, 1 - EPS)
        elementwise = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    return elementwise.mean(axis=-1)


def ref_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def ref_cosine(t, p, axis=-1):
    def norm(x):
        return x / np.sqrt(np.maximum((x * x).sum(axis=axis, keepdims=True), EPS**2))

    return -(norm(t) * norm(p)).sum(axis=axis)


REFERENCES = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error": lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error": lambda t, p: (
        (np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
    ).mean(-1),
    "huber": lambda t, p: np.where(np.abs(p - t) <= 1.0, 0.5 * (p - t) ** 2, np.abs(p - t) - 0.5).mean(-1),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "kl_divergence": lambda t, p: (
        np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))
    ).sum(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "hinge": lambda t, p: np.maximum(1 - ref_hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - ref_hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "cosine_similarity": ref_cosine,
    "binary_crossentropy": ref_bce,
    "categorical_crossentropy": ref_cce,
}


def _one_hot(labels, classes):
    return np.eye(classes)[labels]


def make_inputs(name, shape=(4, 5)):
    """float64 (y_true, y_pred) away from the kinks of each loss."""
    n, c = shape
    if name in ("categorical_crossentropy", "categorical_hinge"):
        t = _one_hot(RNG.integers(0, c, n), c)
        p = RNG.uniform(0.05, 1.0, shape)
        if name == "categorical_crossentropy":
            p = p / p.sum(-1, keepdims=True)
        else:
            p = RNG.normal(size=shape)
        return t, p
    if name == "binary_crossentropy":
        return RNG.integers(0, 2, shape).astype(float), RNG.uniform(0.05, 0.95, shape)
    if name == "kl_divergence":
        t, p = RNG.uniform(0.05, 1, shape), RNG.uniform(0.05, 1, shape)
        return t / t.sum(-1, keepdims=True), p / p.sum(-1, keepdims=True)
    if name in ("hinge", "squared_hinge"):
        return RNG.choice([-1.0, 1.0], shape), RNG.normal(size=shape) * 2
    if name in ("poisson", "mean_squared_logarithmic_error"):
        return RNG.uniform(0.1, 3, shape), RNG.uniform(0.1, 3, shape)
    if name == "mean_absolute_percentage_error":
        return RNG.uniform(0.5, 3, shape) * RNG.choice([-1, 1], shape), RNG.normal(size=shape)
    if name == "huber":
        t = RNG.normal(size=shape)
        e = RNG.uniform(0.05, 0.9, shape) * RNG.choice([-1, 1], shape)
        e[:, ::2] *= 3  # half the errors beyond delta = 1, none on it
        return t, t + e
    return RNG.normal(size=shape), RNG.normal(size=shape)


def check_gradient(fn, y_true, y_pred, rtol=1e-5, atol=1e-8):
    """d <r, fn(y_true, y_pred)> / d y_pred from the tape against float64 central differences."""
    target = nr.Tensor(np.asarray(y_true))
    gradcheck(lambda pred: fn(target, pred), [y_pred], rtol=rtol, atol=atol)


# -- values and gradients of every function --------------------------------------------------
@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_matches_float64_reference(name):
    t, p = make_inputs(name)
    out = getattr(losses, name)(t, p)
    assert out.dtype == "float64" and out.shape == (4,)
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](t, p), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_gradient_matches_central_differences(name):
    t, p = make_inputs(name, shape=(3, 4))
    check_gradient(getattr(losses, name), t, p)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_float32_in_float32_out(name):
    t, p = make_inputs(name)
    fn = getattr(losses, name)
    out = fn(t.astype("float32"), p.astype("float32"))
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), REFERENCES[name](t, p), rtol=2e-5, atol=1e-5)
    # every intermediate of the graph and the gradients stay float32 too
    check_dtype_preserved(lambda y, q: fn(y, q), [t, p])


def test_sparse_categorical_crossentropy_matches_reference_and_gradient():
    labels = RNG.integers(0, 5, 6)
    p = _softmax(RNG.normal(size=(6, 5)))
    out = losses.sparse_categorical_crossentropy(labels, p)
    np.testing.assert_allclose(out.numpy(), ref_scce(labels, p), rtol=1e-10)
    # (n, 1) labels and float labels mean the same thing
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels[:, None].astype(float), p).numpy(), out.numpy()
    )
    check_gradient(lambda t, q: losses.sparse_categorical_crossentropy(labels, q), labels, p)
    logits = RNG.normal(size=(6, 5))
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).numpy(),
        ref_scce(labels, logits, from_logits=True),
        rtol=1e-10,
    )
    check_gradient(lambda t, z: losses.sparse_categorical_crossentropy(labels, z, from_logits=True), labels, logits)


# -- cross-entropy options ----------------------------------------------------------------------
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_crossentropy_options(from_logits, label_smoothing):
    t = _one_hot(RNG.integers(0, 4, 5), 4)
    p = RNG.normal(size=(5, 4)) if from_logits else RNG.uniform(0.1, 1, (5, 4))  # unnormalised on purpose
    out = losses.categorical_crossentropy(t, p, from_logits=from_logits, label_smoothing=label_smoothing)
    np.testing.assert_allclose(out.numpy(), ref_cce(t, p, from_logits, label_smoothing), rtol=1e-10)
    check_gradient(
        lambda y, q: losses.categorical_crossentropy(y, q, from_logits=from_logits, label_smoothing=label_smoothing), t, p
    )


def test_categorical_crossentropy_axis():
    t = np.moveaxis(_one_hot(RNG.integers(0, 3, (2, 4)), 3), -1, 1)  # classes on axis 1
    p = RNG.uniform(0.1, 1, t.shape)
    out = losses.categorical_crossentropy(t, p, axis=1)
    assert out.shape == (2, 4)
    np.testing.assert_allclose(out.numpy(), ref_cce(t, p, axis=1), rtol=1e-10)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
@pytest.mark.parametrize("from_logits", [False, True])
def test_binary_crossentropy_options(from_logits, label_smoothing):
    t = RNG.integers(0, 2, (5, 3)).astype(float)
    p = RNG.normal(size=(5, 3)) * 3 if from_logits else RNG.uniform(0.05, 0.95, (5, 3))
    out = losses.binary_crossentropy(t, p, from_logits=from_logits, label_smoothing=label_smoothing)
    np.testing.assert_allclose(out.numpy(), ref_bce(t, p, from_logits, label_smoothing), rtol=1e-10)
    check_gradient(
        lambda y, q: losses.binary_crossentropy(y, q, from_logits=from_logits, label_smoothing=label_smoothing), t, p
    )


def test_cross_entropies_clip_probabilities_to_epsilon():
    t = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[1.0, 0.0, 0.0]])  # certain and wrong
    np.testing.assert_allclose(losses.categorical_crossentropy(t, p).numpy(), [-np.log(EPS)], rtol=1e-6)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy([1], p).numpy(), ref_scce(np.array([1]), p))
    assert np.isfinite(losses.sparse_categorical_crossentropy([1], p).numpy()).all()
    bce = losses.binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    np.testing.assert_allclose(bce.numpy(), [-np.log(EPS)], rtol=1e-6)


def test_binary_crossentropy_from_logits_is_stable_for_large_logits():
    out = losses.binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[-500.0, 500.0]]), from_logits=True)
    np.testing.assert_allclose(out.numpy(), [500.0])


def test_binary_crossentropy_accepts_labels_without_the_unit_axis():
    t = RNG.integers(0, 2, 6).astype(float)
    p = RNG.uniform(0.1, 0.9, (6, 1))
    np.testing.assert_allclose(losses.binary_crossentropy(t, p).numpy(), ref_bce(t[:, None], p), rtol=1e-10)


def test_sparse_ignore_class_zeroes_those_entries():
    labels = np.array([0, -1, 2, -1])
    p = _softmax(RNG.normal(size=(4, 3)))
    out = losses.sparse_categorical_crossentropy(labels, p, ignore_class=-1).numpy()
    assert out[1] == 0 and out[3] == 0
    np.testing.assert_allclose(out[[0, 2]], ref_scce(labels[[0, 2]], p[[0, 2]]), rtol=1e-10)


def test_sparse_label_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\[0, 3\).*label 3"):
        losses.sparse_categorical_crossentropy([0, 3], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="label -1"):
        losses.sparse_categorical_crossentropy([0, -1], np.full((2, 3), 1 / 3))


def test_categorical_crossentropy_with_integer_labels_suggests_the_fix():
    with pytest.raises(ValueError, match=r"to_categorical\(y, 10\).*sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(np.arange(4), np.full((4, 10), 0.1))


def test_sparse_with_one_hot_targets_suggests_argmax():
    with pytest.raises(ValueError, match=r"argmax.*categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(np.eye(3), np.full((3, 3), 1 / 3))


def test_categorical_crossentropy_warns_for_a_single_class():
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))


def test_axis_must_be_an_int():
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(np.eye(2), np.eye(2), axis=True)


def test_hinge_converts_binary_labels():
    p = RNG.normal(size=(3, 4))
    t01 = RNG.integers(0, 2, (3, 4)).astype(float)
    np.testing.assert_allclose(losses.hinge(t01, p).numpy(), losses.hinge(2 * t01 - 1, p).numpy())


def test_log_cosh_does_not_overflow():
    out = losses.log_cosh(np.zeros((1, 2)), np.array([[1000.0, -1000.0]]))
    np.testing.assert_allclose(out.numpy(), [1000.0 - np.log(2.0)])


def test_cosine_similarity_of_a_zero_vector_is_zero_with_finite_gradient():
    pred = nr.Tensor(np.zeros((1, 3)), requires_grad=True)
    out = losses.cosine_similarity(np.array([[1.0, 2.0, 3.0]]), pred)
    np.testing.assert_allclose(out.numpy(), [0.0])
    ops.sum(out).backward()
    assert np.isfinite(pred.grad).all()


def test_regression_losses_bring_labels_to_the_output_rank():
    t = RNG.normal(size=5)
    p = RNG.normal(size=(5, 1))
    np.testing.assert_allclose(losses.mean_squared_error(t, p).numpy(), (t - p[:, 0]) ** 2)


def test_elementwise_binary_crossentropy_is_not_reduced():
    t = RNG.integers(0, 2, (3, 2)).astype(float)
    p = RNG.uniform(0.1, 0.9, (3, 2))
    out = F.elementwise_binary_crossentropy(t, p)
    assert out.shape == (3, 2)
    np.testing.assert_allclose(out.numpy().mean(-1), ref_bce(t, p), rtol=1e-12)


# -- the fused path for softmax outputs -----------------------------------------------------------
def test_softmax_output_uses_the_fused_primitive():
    logits = nr.Tensor(RNG.normal(size=(4, 5)), requires_grad=True)
    t = _one_hot(RNG.integers(0, 5, 4), 5)
    out = losses.categorical_crossentropy(t, ops.softmax(logits))
    # One recorded node straight from the logits: the softmax is not differentiated through.
    assert out._parents[1] is logits and "softmax_cross_entropy" in out._vjp.__qualname__
    ops.sum(out).backward()
    np.testing.assert_allclose(logits.grad, _softmax(logits.numpy()) - t, rtol=1e-12, atol=1e-15)


def test_fused_and_unfused_values_agree():
    z = RNG.normal(size=(6, 4))
    t = _one_hot(RNG.integers(0, 4, 6), 4)
    probabilities = ops.softmax(nr.Tensor(z))
    fused = losses.categorical_crossentropy(t, probabilities).numpy()
    unfused = losses.categorical_crossentropy(t, nr.Tensor(probabilities.numpy())).numpy()
    np.testing.assert_allclose(fused, unfused, rtol=1e-12)
    np.testing.assert_allclose(fused, ref_cce(t, z, from_logits=True), rtol=1e-12)
    labels = t.argmax(-1)
    sparse_fused = losses.sparse_categorical_crossentropy(labels, probabilities).numpy()
    np.testing.assert_allclose(sparse_fused, fused, rtol=1e-12)
    np.testing.assert_allclose(
        sparse_fused, losses.sparse_categorical_crossentropy(labels, nr.Tensor(probabilities.numpy())).numpy(), rtol=1e-12
    )


def test_fused_path_is_exact_where_clipping_would_saturate():
    z = np.array([[100.0, 0.0, -100.0]])
    t = np.array([[0.0, 0.0, 1.0]])
    fused = losses.categorical_crossentropy(t, ops.softmax(nr.Tensor(z))).numpy()
    np.testing.assert_allclose(fused, [200.0], rtol=1e-12)  # the clipped probability would give 16.1
    sparse = losses.sparse_categorical_crossentropy([2], ops.softmax(nr.Tensor(z))).numpy()
    np.testing.assert_allclose(sparse, [200.0], rtol=1e-12)


def test_fused_path_gradient_matches_central_differences():
    z = RNG.normal(size=(3, 4))
    t = _one_hot(RNG.integers(0, 4, 3), 4)

    def loss_of_logits(y, logits):
        return losses.categorical_crossentropy(y, ops.softmax(logits), label_smoothing=0.1)

    check_gradient(loss_of_logits, t, z)
    check_gradient(lambda y, logits: losses.sparse_categorical_crossentropy(t.argmax(-1), ops.softmax(logits)), t, z)


def test_from_logits_on_a_softmax_output_warns_and_uses_the_logits():
    z = RNG.normal(size=(2, 3))
    t = np.eye(3)[:2]
    with pytest.warns(UserWarning, match="from_logits=True"):
        out = losses.categorical_crossentropy(t, ops.softmax(nr.Tensor(z)), from_logits=True)
    np.testing.assert_allclose(out.numpy(), ref_cce(t, z, from_logits=True), rtol=1e-12)


def test_binary_crossentropy_never_uses_softmax_logits():
    z = RNG.normal(size=(3, 2))
    t = np.eye(2)[[0, 1, 1]]
    probabilities = ops.softmax(nr.Tensor(z))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = losses.binary_crossentropy(t, probabilities)
    np.testing.assert_allclose(out.numpy(), ref_bce(t, _softmax(z)), rtol=1e-12)


def test_float32_softmax_path_stays_float32():
    logits = nr.Variable(RNG.normal(size=(8, 10)).astype("float32"))
    t = np.eye(10, dtype="float32")[RNG.integers(0, 10, 8)]
    out = losses.categorical_crossentropy(t, ops.softmax(logits))
    assert out.dtype == "float32"
    ops.sum(out).backward()
    assert logits.grad.dtype == np.float32


def test_float32_graphs_of_the_fused_and_sparse_paths():
    t = np.eye(10)[RNG.integers(0, 10, 8)]
    labels = t.argmax(-1)
    z = RNG.normal(size=(8, 10))
    check_dtype_preserved(lambda y, logits: losses.categorical_crossentropy(y, ops.softmax(logits), label_smoothing=0.1), [t, z])
    check_dtype_preserved(lambda logits: losses.sparse_categorical_crossentropy(labels, ops.softmax(logits)), [z])
    check_dtype_preserved(lambda q: losses.sparse_categorical_crossentropy(labels, q), [_softmax(z)])
    check_dtype_preserved(lambda q: losses.CategoricalCrossentropy()(t, q, sample_weight=np.arange(8.0)), [_softmax(z)])
