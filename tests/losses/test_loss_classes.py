"""Loss classes: reductions, sample weights, dtype, configs, the name registry and ``resolve``."""

import numpy as np
import pytest

import numeras as nr
from numeras import losses, ops

RNG = np.random.default_rng(7)

CLASS_TO_FUNCTION = {
    losses.MeanSquaredError: losses.mean_squared_error,
    losses.MeanAbsoluteError: losses.mean_absolute_error,
    losses.MeanAbsolutePercentageError: losses.mean_absolute_percentage_error,
    losses.MeanSquaredLogarithmicError: losses.mean_squared_logarithmic_error,
    losses.CosineSimilarity: losses.cosine_similarity,
    losses.Huber: losses.huber,
    losses.LogCosh: losses.log_cosh,
    losses.Hinge: losses.hinge,
    losses.SquaredHinge: losses.squared_hinge,
    losses.CategoricalHinge: losses.categorical_hinge,
    losses.KLDivergence: losses.kl_divergence,
    losses.Poisson: losses.poisson,
    losses.BinaryCrossentropy: losses.binary_crossentropy,
    losses.CategoricalCrossentropy: losses.categorical_crossentropy,
}

KERAS_NAMES = {
    losses.MeanSquaredError: "mean_squared_error",
    losses.MeanAbsoluteError: "mean_absolute_error",
    losses.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
    losses.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error",
    losses.CosineSimilarity: "cosine_similarity",
    losses.Huber: "huber_loss",
    losses.LogCosh: "log_cosh",
    losses.Hinge: "hinge",
    losses.SquaredHinge: "squared_hinge",
    losses.CategoricalHinge: "categorical_hinge",
    losses.KLDivergence: "kl_divergence",
    losses.Poisson: "poisson",
    losses.BinaryCrossentropy: "binary_crossentropy",
    losses.CategoricalCrossentropy: "categorical_crossentropy",
    losses.SparseCategoricalCrossentropy: "sparse_categorical_crossentropy",
}


def _probabilities(n, c):
    p = RNG.uniform(0.1, 1, (n, c))
    return p / p.sum(-1, keepdims=True)


@pytest.mark.parametrize("cls", list(CLASS_TO_FUNCTION), ids=lambda c: c.__name__)
def test_class_is_the_batch_mean_of_its_function(cls):
    t = np.eye(4)[RNG.integers(0, 4, 6)]
    p = _probabilities(6, 4)
    per_sample = CLASS_TO_FUNCTION[cls](t, p).numpy()
    loss = cls()
    assert loss.name == KERAS_NAMES[cls]
    out = loss(t, p)
    assert out.shape == () and out.dtype == "float32"
    np.testing.assert_allclose(float(out), per_sample.mean(), rtol=1e-5)


def test_keras_docstring_examples():
    y_true = np.array([[0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    cce = losses.CategoricalCrossentropy()
    np.testing.assert_allclose(float(cce(y_true, y_pred)), 1.177, atol=1e-3)
    np.testing.assert_allclose(float(cce(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))), 0.814, atol=1e-3)
    np.testing.assert_allclose(float(losses.CategoricalCrossentropy(reduction="sum")(y_true, y_pred)), 2.354, atol=1e-3)
    np.testing.assert_allclose(losses.CategoricalCrossentropy(reduction=None)(y_true, y_pred).numpy(), [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(float(losses.SparseCategoricalCrossentropy()([1, 2], y_pred)), 1.177, atol=1e-3)
    logits = np.array([[-18.6, 0.51], [2.94, -12.8]])
    bce = losses.BinaryCrossentropy(from_logits=True)
    np.testing.assert_allclose(float(bce([[0, 1], [0, 0]], logits)), 0.8654, atol=1e-3)
    np.testing.assert_allclose(float(bce([[0, 1], [0, 0]], logits, sample_weight=[0.8, 0.2])), 0.243, atol=1e-3)
    np.testing.assert_allclose(float(losses.Huber()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])), 0.155, atol=1e-3)


# -- reductions and sample weights ------------------------------------------------------
def _values_and_loss(reduction, dtype="float64"):
    t = RNG.normal(size=(5, 3))
    p = RNG.normal(size=(5, 3))
    values = ((t - p) ** 2).mean(-1)
    return t, p, values, losses.MeanSquaredError(reduction=reduction, dtype=dtype)


def test_reductions():
    w = RNG.uniform(0.1, 2, 5)
    t, p, values, _ = _values_and_loss(None)
    expected = {
        "sum_over_batch_size": (values * w).sum() / 5,
        "mean": (values * w).sum() / 5,
        "sum": (values * w).sum(),
        "mean_with_sample_weight": (values * w).sum() / w.sum(),
    }
    for reduction, value in expected.items():
        loss = losses.MeanSquaredError(reduction=reduction, dtype="float64")
        np.testing.assert_allclose(float(loss(t, p, sample_weight=w)), value, rtol=1e-12, err_msg=reduction)
    for reduction in (None, "none"):
        loss = losses.MeanSquaredError(reduction=reduction, dtype="float64")
        np.testing.assert_allclose(loss(t, p, sample_weight=w).numpy(), values * w, rtol=1e-12)
    # Without weights, the mean over the batch.
    np.testing.assert_allclose(float(losses.MeanSquaredError(dtype="float64")(t, p)), values.mean(), rtol=1e-12)


def test_sum_over_batch_size_divides_by_the_number_of_elements_not_the_weights():
    t, p, values, loss = _values_and_loss("sum_over_batch_size")
    w = np.array([1.0, 0, 0, 0, 0])
    np.testing.assert_allclose(float(loss(t, p, sample_weight=w)), values[0] / 5, rtol=1e-12)


@pytest.mark.parametrize("weight_shape", [(), (5,), (5, 1)])
def test_sample_weight_shapes_broadcast_per_sample(weight_shape):
    t, p, values, loss = _values_and_loss("sum")
    w = RNG.uniform(0.5, 2, weight_shape)
    np.testing.assert_allclose(float(loss(t, p, sample_weight=w)), (values * np.reshape(w, -1 if w.ndim else ())).sum(), rtol=1e-12)


def test_per_sample_weights_of_a_per_timestep_loss():
    t = RNG.normal(size=(4, 6, 3))
    p = RNG.normal(size=(4, 6, 3))
    values = ((t - p) ** 2).mean(-1)  # (4, 6)
    w = RNG.uniform(0.5, 2, 4)
    loss = losses.MeanSquaredError(dtype="float64")
    np.testing.assert_allclose(float(loss(t, p, sample_weight=w)), (values * w[:, None]).mean(), rtol=1e-12)
    w_full = RNG.uniform(0.5, 2, (4, 6))
    np.testing.assert_allclose(float(loss(t, p, sample_weight=w_full)), (values * w_full).mean(), rtol=1e-12)


def test_invalid_reduction_is_rejected():
    with pytest.raises(ValueError, match="reduction.*sum_over_batch_size"):
        losses.MeanSquaredError(reduction="average")


def test_ignore_class_averages_over_the_valid_entries_only():
    labels = np.array([0, 255, 2, 1, 255])
    p = _probabilities(5, 3)
    valid = labels != 255
    per_sample = losses.sparse_categorical_crossentropy(labels[valid], p[valid]).numpy()
    loss = losses.SparseCategoricalCrossentropy(ignore_class=255, dtype="float64")
    np.testing.assert_allclose(float(loss(labels, p)), per_sample.mean(), rtol=1e-12)
    total = losses.SparseCategoricalCrossentropy(ignore_class=255, reduction="sum", dtype="float64")(labels, p)
    np.testing.assert_allclose(float(total), per_sample.sum(), rtol=1e-12)


def test_float32_loss_and_gradient():
    logits = nr.Variable(RNG.normal(size=(8, 10)).astype("float32"))
    t = np.eye(10)[RNG.integers(0, 10, 8)]  # float64 targets are cast to the loss dtype
    loss = losses.CategoricalCrossentropy()(t, ops.softmax(logits))
    assert loss.dtype == "float32" and loss.shape == ()
    loss.backward()
    assert logits.grad.dtype == np.float32
    probabilities = np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (probabilities - t) / 8, rtol=1e-5, atol=1e-7)


def test_sample_weighted_gradient_flows():
    pred = nr.Tensor(RNG.normal(size=(4, 2)), requires_grad=True)
    t = RNG.normal(size=(4, 2))
    w = np.array([1.0, 2.0, 0.0, 1.0])
    losses.MeanSquaredError(dtype="float64")(t, pred, sample_weight=w).backward()
    expected = 2 * (pred.numpy() - t) / 2 * w[:, None] / 4
    np.testing.assert_allclose(pred.grad, expected, rtol=1e-12)


def test_custom_loss_subclass():
    class Cubic(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(y_pred - y_true) ** 3, axis=-1)

    loss = Cubic(dtype="float64")
    assert loss.name == "cubic"
    t, p = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    np.testing.assert_allclose(float(loss(t, p)), (np.abs(p - t) ** 3).mean(), rtol=1e-12)


# -- configs, registry, serialization ---------------------------------------------------
CONFIGURED = [
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=-1, name="cce"),
    losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction="sum"),
    losses.BinaryCrossentropy(label_smoothing=0.2, reduction=None),
    losses.Huber(delta=2.5),
    losses.CosineSimilarity(axis=1),
    losses.MeanSquaredError(name="my_mse"),
]


@pytest.mark.parametrize("loss", CONFIGURED, ids=lambda loss: type(loss).__name__)
def test_config_round_trip(loss):
    config = loss.get_config()
    clone = type(loss).from_config(config)
    assert clone.get_config() == config
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is type(loss) and restored.get_config() == config


def test_config_contents_match_keras():
    assert losses.CategoricalCrossentropy().get_config() == {
        "name": "categorical_crossentropy",
        "reduction": "sum_over_batch_size",
        "from_logits": False,
        "label_smoothing": 0.0,
        "axis": -1,
    }
    assert losses.MeanSquaredError().get_config() == {"name": "mean_squared_error", "reduction": "sum_over_batch_size"}


def test_loss_function_wrapper_round_trip():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=3.0)
    config = wrapper.get_config()
    assert config["fn"]["config"] == "huber" and config["delta"] == 3.0
    clone = losses.LossFunctionWrapper.from_config(config)
    t, p = RNG.normal(size=(3, 2)), RNG.normal(size=(3, 2))
    np.testing.assert_allclose(float(clone(t, p)), float(wrapper(t, p)))
    assert clone.fn is losses.huber


@pytest.mark.parametrize(
    "name, expected",
    [
        ("mse", losses.mean_squared_error),
        ("MSE", losses.mean_squared_error),
        ("mae", losses.mean_absolute_error),
        ("mape", losses.mean_absolute_percentage_error),
        ("msle", losses.mean_squared_logarithmic_error),
        ("kld", losses.kl_divergence),
        ("kullback_leibler_divergence", losses.kl_divergence),
        ("logcosh", losses.log_cosh),
        ("huber_loss", losses.huber),
        ("bce", losses.binary_crossentropy),
        ("categorical_crossentropy", losses.categorical_crossentropy),
        ("sparse_categorical_crossentropy", losses.sparse_categorical_crossentropy),
    ],
)
def test_get_function_names(name, expected):
    assert losses.get(name) is expected


def test_get_other_identifiers():
    assert losses.get(None) is None
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Huber()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return y_pred

    assert losses.get(custom) is custom
    from_dict = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(from_dict, losses.CategoricalCrossentropy) and from_dict.from_logits


def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown loss 'categorical_crosentropy'\. Did you mean 'categorical_crossentropy'\?.*'mse'"):
        losses.get("categorical_crosentropy")
    with pytest.raises(ValueError, match="Did you mean 'mse'"):
        losses.get("mes")
    with pytest.raises(ValueError, match="Could not interpret"):
        losses.get(42)


def test_shape_dependent_names_need_resolve():
    with pytest.raises(ValueError, match="resolve"):
        losses.get("ce")


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8, 1), (8, 1), losses.binary_crossentropy),
        ((8,), (8, 1), losses.binary_crossentropy),
        ((8,), (8, 10), losses.sparse_categorical_crossentropy),
        ((8, 1), (8, 10), losses.sparse_categorical_crossentropy),
        ((8, 10), (8, 10), losses.categorical_crossentropy),
    ],
)
def test_resolve_crossentropy_by_shapes(y_true_shape, y_pred_shape, expected):
    loss = losses.resolve("crossentropy", np.zeros(y_true_shape), np.zeros(y_pred_shape))
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.fn is expected and loss.name == "crossentropy"
    assert losses.resolve("ce", y_true_shape, y_pred_shape).fn is expected


def test_resolve_wraps_functions_and_keeps_instances():
    wrapped = losses.resolve("mse", None, None)
    assert isinstance(wrapped, losses.LossFunctionWrapper) and wrapped.name == "mse"
    assert wrapped.fn is losses.mean_squared_error
    instance = losses.CategoricalCrossentropy(from_logits=True)
    assert losses.resolve(instance, None, None) is instance

    def my_loss(y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)

    assert losses.resolve(my_loss, None, None).name == "my_loss"
    assert losses.resolve(None, None, None) is None
