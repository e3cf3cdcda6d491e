"""The extra Keras 3 layers (ReLU, LeakyReLU, PReLU, ELU, Softmax, GroupNormalization,
UnitNormalization, Permute, ActivityRegularization, AlphaDropout, UpSampling2D's interpolations,
Flatten's data_format, Wrapper, SpectralNormalization) against Keras 3.15.1: configs key for key
both ways, weight names, outputs and gradients (fixtures/more_layers_*.json/npz, written by
fixtures/make_more_layers_fixtures.py with the JAX backend); their primitives gradient-checked in
float64; a training step with each trainable layer lowers the loss."""

from __future__ import annotations

import json
import os
import warnings

import numpy as np
import pytest
from conv_layer_checks import assert_config_round_trip, assert_training_step_lowers_loss, layer_gradcheck

import numeras
from numeras import layers, models, ops
from numeras.autodiff import GradientTape, Tensor
from numeras.autodiff.ops.activation_ops import celu, elu, prelu, sparsemax
from numeras.autodiff.ops.group_normalization import group_norm
from numeras.autodiff.ops.resize import INTERPOLATIONS, interpolation_weights, resize
from numeras.layers.wrappers import _divide_by_spectral_norm
from numeras.testing import gradcheck
from numeras.utils import image_utils

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "fixtures", "more_layers_cases.json"), encoding="utf-8") as _f:
    FIXTURE = json.load(_f)
EXPECTED = np.load(os.path.join(HERE, "fixtures", "more_layers_expected.npz"))
LAYER_CASES = FIXTURE["layers"]


def _plain(value):
    """A config in one vocabulary for Keras and numeras: dtype policies by name, serialized
    objects as (class_name, config), tuples as lists, nested layers by class and name."""
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            if value["class_name"] == "DTypePolicy":
                return value["config"]["name"]
            inner = value["config"]
            if isinstance(inner, dict) and "trainable" in inner and "name" in inner:  # a layer
                return ("layer", value["class_name"], inner["name"])
            return (value["class_name"], _plain(inner))
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _case_layer(case):
    cls = getattr(layers, case["class_name"])
    return cls.from_config(json.loads(json.dumps(case["config"])))


def _call(layer, case, x):
    options = case["options"]
    kwargs = {"training": options.get("training", False)}
    if options.get("mask") == "keep":
        kwargs["mask"] = EXPECTED[f"{case['id']}/mask"]
    return layer(x, **kwargs)


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c["id"])
def test_config_matches_keras_both_ways(case):
    layer = _case_layer(case)
    assert _plain(layer.get_config()) == _plain(case["config"])
    layer.build(tuple(case["shape"]))
    assert [w.name for w in layer.weights] == case["weight_names"]
    assert [w.name for w in layer.trainable_weights] == case["trainable_weight_names"]
    rebuilt = type(layer).from_config(layer.get_config())
    assert rebuilt.get_config() == layer.get_config()


@pytest.mark.parametrize("case", LAYER_CASES, ids=lambda c: c["id"])
def test_outputs_and_gradients_match_keras(case):
    key = case["id"]
    layer = _case_layer(case)
    x = EXPECTED[f"{key}/x"]
    layer.build(x.shape)
    layer.set_weights([EXPECTED[f"{key}/w{i}"] for i in range(len(layer.weights))])
    inputs = Tensor(x)
    trainable = layer.trainable_weights
    with GradientTape() as tape:
        tape.watch(inputs)
        y = _call(layer, case, inputs)
        objective = ops.sum(y * EXPECTED[f"{key}/cotangent"])
    np.testing.assert_allclose(y.numpy(), EXPECTED[f"{key}/y"], rtol=2e-5, atol=2e-6)
    grads = tape.gradient(objective, [inputs, *trainable])
    np.testing.assert_allclose(grads[0].numpy(), EXPECTED[f"{key}/dx"], rtol=2e-4, atol=2e-5)
    for i, grad in enumerate(grads[1:]):
        np.testing.assert_allclose(grad.numpy(), EXPECTED[f"{key}/dw{i}"], rtol=2e-4, atol=2e-5)
    for i, weight in enumerate(layer.weights):  # SpectralNormalization's training call updates state
        np.testing.assert_allclose(weight.numpy(), EXPECTED[f"{key}/after{i}"], rtol=2e-5, atol=2e-6)


def test_every_new_layer_round_trips_through_the_registry():
    made = [
        layers.ReLU(max_value=3.0, negative_slope=0.1, threshold=0.2),
        layers.LeakyReLU(0.1),
        layers.PReLU(alpha_regularizer="l2", shared_axes=[1]),
        layers.ELU(0.7),
        layers.Softmax(axis=[1, 2]),
        layers.GroupNormalization(4, gamma_regularizer="l1", beta_constraint="non_neg"),
        layers.UnitNormalization([1, 2]),
        layers.Permute((2, 1)),
        layers.ActivityRegularization(0.1, 0.2),
        layers.AlphaDropout(0.3, noise_shape=(None, 1), seed=2),
        layers.UpSampling2D((2, 3), interpolation="lanczos5"),
        layers.Flatten(data_format="channels_first"),
        layers.SpectralNormalization(layers.Dense(3), power_iterations=2),
    ]
    for layer in made:
        if isinstance(layer, layers.Wrapper):
            rebuilt = layers.deserialize(layers.serialize(layer))
            assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()
            assert rebuilt.layer is not layer.layer and rebuilt.layer.units == 3
        else:
            assert_config_round_trip(layer)


def test_keras_only_configs():
    extra = FIXTURE["extra_configs"]
    wrapper = layers.Wrapper.from_config(json.loads(json.dumps(extra["Wrapper"])))
    assert isinstance(wrapper.layer, layers.Dense) and wrapper.layer.name == "inner"
    assert _plain(wrapper.get_config()) == _plain(extra["Wrapper"])
    with pytest.warns(UserWarning, match="alpha"):
        legacy = layers.LeakyReLU(alpha=0.2, name=extra["LeakyReLU_alpha"]["name"])
    assert _plain(legacy.get_config()) == _plain(extra["LeakyReLU_alpha"])
    assert layers.ELU.from_config(layers.ELU(0.5).get_config()).alpha == 0.5


def test_activity_regularization_adds_the_l1_l2_penalty():
    x = EXPECTED["activity_regularization/x"][:1]  # one sample: Keras divides by the batch size
    layer = layers.ActivityRegularization(l1=0.01, l2=0.02)
    out = layer(x)
    assert out.numpy() is x or np.array_equal(out.numpy(), x)
    expected = 0.01 * np.abs(x).sum() + 0.02 * np.square(x).sum()
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(layer.losses[0]), expected, rtol=1e-6)


def test_activity_regularization_loss_is_divided_by_the_batch_size_as_keras():
    case = next(c for c in LAYER_CASES if c["id"] == "activity_regularization")
    layer = layers.ActivityRegularization(l1=0.01, l2=0.02)
    layer(EXPECTED["activity_regularization/x"])
    np.testing.assert_allclose([float(v) for v in layer.losses], case["losses"], rtol=1e-5)


# -- primitives, float64 -------------------------------------------------------------------
def _points(shape, seed=0, avoid=(0.0,), margin=0.05):
    """Random values at least ``margin`` away from each kink in ``avoid``."""
    values = np.random.default_rng(seed).normal(size=shape) * 2.0
    for kink in avoid:
        close = np.abs(values - kink) < margin
        values[close] = kink + np.where(values[close] >= kink, margin, -margin) * 2
    return values


def test_elu_celu_prelu_gradcheck():
    x = _points((3, 7))
    assert gradcheck(lambda v: elu(v, 0.7), x)
    assert gradcheck(lambda v: celu(v, 0.5), x)
    alpha = np.random.default_rng(1).normal(size=(1, 7))
    assert gradcheck(prelu, [x, alpha])
    assert gradcheck(prelu, [_points((2, 3, 4)), np.random.default_rng(2).normal(size=(3, 1))])


def test_prelu_values_and_kink_gradient():
    x = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])
    alpha = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    x_t, a_t = Tensor(x), Tensor(alpha)
    with GradientTape() as tape:
        tape.watch([x_t, a_t])
        z = prelu(x_t, a_t)
    np.testing.assert_allclose(z.numpy(), [[-0.2, -0.1, 0.0, 0.5, 3.0]])
    dx, dalpha = tape.gradient(ops.sum(z), [x_t, a_t])
    np.testing.assert_allclose(dx.numpy(), [[0.1, 0.2, 0.0, 1.0, 1.0]])  # 0 at 0, as JAX's relu
    np.testing.assert_allclose(dalpha.numpy(), [-2.0, -0.5, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sparsemax_gradcheck(axis):
    x = np.random.default_rng(axis + 5).normal(size=(4, 5)) * 0.6
    assert gradcheck(lambda v: sparsemax(v, axis=axis), x)


@pytest.mark.parametrize(("groups", "axis", "shape"), [(2, -1, (3, 4, 6)), (3, 1, (2, 6, 2, 2)), (1, -1, (2, 5)), (4, 2, (2, 3, 4))])
def test_group_norm_gradcheck(groups, axis, shape):
    rng = np.random.default_rng(groups)
    channels = shape[axis]
    x = rng.normal(size=shape) * 2 + 1
    gamma, beta = rng.normal(size=channels), rng.normal(size=channels)
    assert gradcheck(lambda v, g, b: group_norm(v, g, b, groups=groups, axis=axis, epsilon=1e-3), [x, gamma, beta])
    assert gradcheck(lambda v: group_norm(v, None, None, groups=groups, axis=axis), x)


def test_group_norm_matches_a_numpy_reference():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 6)).astype("float32")
    gamma, beta = rng.normal(size=6).astype("float32"), rng.normal(size=6).astype("float32")
    grouped = x.reshape(2, 5, 3, 2).astype(np.float64)
    mean = grouped.mean(axis=(1, 3), keepdims=True)
    var = grouped.var(axis=(1, 3), keepdims=True)
    expected = ((grouped - mean) / np.sqrt(var + 1e-3)).reshape(2, 5, 6) * gamma + beta
    out = group_norm(x, gamma, beta, groups=3, axis=-1, epsilon=1e-3)
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_resize_gradcheck(interpolation):
    x = np.random.default_rng(0).normal(size=(2, 3, 4, 2))
    assert gradcheck(lambda v: resize(v, (7, 6), interpolation), x)


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_banded_resize_equals_the_dense_product_and_gradchecks(interpolation):
    # Inputs wide enough that the few-tap band (not the dense matrix) is used, forward and backward.
    x = np.random.default_rng(1).normal(size=(2, 45, 47, 2))
    rows, cols = interpolation_weights(45, 90, interpolation), interpolation_weights(47, 141, interpolation)
    expected = np.einsum("ih,bhwc,jw->bijc", rows, x, cols, optimize=True)
    np.testing.assert_allclose(resize(x, (90, 141), interpolation).numpy(), expected, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda v: resize(v, (90, 141), interpolation), x)


@pytest.mark.parametrize("interpolation", ["bilinear", "area", "gaussian", "mitchellcubic", "lanczos3", "lanczos5", "bicubic"])
def test_resize_matches_image_utils_at_factor_two(interpolation):
    # At a factor of 2 the sample positions are exact in TensorFlow's bicubic table too, so the
    # NumPy resize that matches tf.image.resize and this primitive must agree for every method.
    image = np.random.default_rng(4).normal(size=(5, 6, 3)).astype("float32")
    expected = image_utils.resize_image(image, (10, 12), interpolation)
    out = resize(image[None], (10, 12), interpolation).numpy()[0]
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_interpolation_rows_sum_to_one_and_bad_names_are_refused():
    for method in INTERPOLATIONS:
        weights = interpolation_weights(4, 11, method)
        np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="interpolation"):
        interpolation_weights(4, 8, "cubic")
    with pytest.raises(ValueError, match="interpolation"):
        layers.UpSampling2D(interpolation="trilinear")


def test_spectral_divide_gradcheck():
    rng = np.random.default_rng(6)
    kernel = rng.normal(size=(3, 2, 4))
    u = rng.normal(size=(1, 4))
    u /= np.linalg.norm(u)
    v = rng.normal(size=(1, 6))
    v /= np.linalg.norm(v)
    assert gradcheck(lambda w: _divide_by_spectral_norm(w, u, v), kernel)


# -- layers in float64: gradients w.r.t. inputs and weights --------------------------------
def test_layer_gradchecks_float64():
    rng = np.random.default_rng(8)
    x = _points((2, 3, 4, 6), seed=9)
    prelu_layer = layers.PReLU(alpha_initializer="random_normal", shared_axes=[1], dtype="float64")
    assert layer_gradcheck(prelu_layer, x)
    group = layers.GroupNormalization(3, gamma_initializer="random_normal", beta_initializer="random_normal", dtype="float64")
    assert layer_gradcheck(group, x)
    assert layer_gradcheck(layers.UnitNormalization(axis=[1, 3], dtype="float64"), x)
    assert layer_gradcheck(layers.UpSampling2D((2, 3), interpolation="bicubic", dtype="float64"), x)
    assert layer_gradcheck(layers.Softmax(axis=[2, 3], dtype="float64"), x)
    mask = rng.random(size=(2, 3, 4, 6)) > 0.4
    mask[..., 0] = True
    assert gradcheck(lambda v: layers.Softmax(dtype="float64")(v, mask=mask), x)
    assert layer_gradcheck(layers.ReLU(max_value=2.0, negative_slope=0.1, threshold=0.3, dtype="float64"), _points((3, 5), avoid=(0.3, 2.0)))
    assert layer_gradcheck(layers.ELU(0.4, dtype="float64"), x)


def test_unit_normalization_keeps_zero_slices_at_zero_without_warnings():
    x = np.zeros((2, 3), dtype="float32")
    x[1] = [3.0, 0.0, 4.0]
    inputs = Tensor(x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with GradientTape() as tape:
            tape.watch(inputs)
            out = layers.UnitNormalization()(inputs)
        grad = tape.gradient(ops.sum(out * np.arange(6.0).reshape(2, 3)), inputs)
    np.testing.assert_allclose(out.numpy(), [[0, 0, 0], [0.6, 0, 0.8]], atol=1e-7)
    np.testing.assert_allclose(grad.numpy()[0], np.arange(3.0) * 1e12, rtol=1e-6)


def test_masked_softmax_gives_no_probability_to_masked_entries():
    x = np.random.default_rng(10).normal(size=(2, 5)).astype("float32")
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], dtype="float32")
    out = layers.Softmax()(x, mask=mask).numpy()
    assert np.all(out[mask == 0] == 0)
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="mask"):
        layers.Softmax()(x, mask=np.ones((3, 5)))


# -- training ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.PReLU(alpha_initializer=numeras.initializers.Constant(0.25)),
        lambda: layers.PReLU(shared_axes=[1, 2]),
        lambda: layers.GroupNormalization(2),
        lambda: layers.GroupNormalization(-1, axis=1, center=False),
        lambda: layers.SpectralNormalization(layers.Conv2D(4, 2)),
        lambda: layers.SpectralNormalization(layers.Dense(5)),
    ],
    ids=["prelu", "prelu_shared", "group_norm", "instance_norm", "spectral_conv", "spectral_dense"],
)
def test_training_step_lowers_the_loss(make):
    x = np.random.default_rng(11).normal(size=(4, 5, 5, 4)).astype("float32")
    assert_training_step_lowers_loss(make(), x, learning_rate=0.05)


def test_spectral_normalization_keeps_the_kernel_at_spectral_norm_one():
    layer = layers.SpectralNormalization(layers.Dense(6), power_iterations=1)
    x = np.random.default_rng(12).normal(size=(8, 5)).astype("float32")
    layer(x)
    layer.layer.kernel.assign(layer.layer.kernel.numpy() * 7.0)
    before = layer.layer.kernel.numpy().copy()
    for _ in range(20):  # the power iteration converges over training calls
        layer(x, training=True)
    np.testing.assert_allclose(np.linalg.svd(layer.layer.kernel.numpy(), compute_uv=False)[0], 1.0, rtol=1e-3)
    out = layer(x)  # inference uses the kernel as it is
    np.testing.assert_allclose(out.numpy(), x @ layer.layer.kernel.numpy() + layer.layer.bias.numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(before, layer.layer.kernel.numpy())


def test_model_with_new_layers_trains_saves_and_loads(tmp_path):
    inputs = numeras.Input((6, 6, 2))
    x = layers.UpSampling2D(interpolation="bilinear")(inputs)
    x = layers.SpectralNormalization(layers.Conv2D(4, 3))(x)
    x = layers.GroupNormalization(2)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    x = layers.Permute((3, 1, 2))(x)
    x = layers.Flatten(data_format="channels_first")(x)
    x = layers.UnitNormalization()(x)
    x = layers.ActivityRegularization(l2=1e-3)(x)
    x = layers.AlphaDropout(0.1)(x)
    x = layers.ReLU(max_value=4.0)(x)
    x = layers.LeakyReLU()(x)
    outputs = layers.Softmax()(layers.Dense(3)(layers.ELU()(x)))
    model = models.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(13)
    data, labels = rng.normal(size=(16, 6, 6, 2)).astype("float32"), rng.integers(0, 3, size=16)
    history = model.fit(data, labels, epochs=3, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    path = str(tmp_path / "more_layers.keras")
    model.save(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded = models.load_model(path)
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-5, atol=1e-6)


# -- bad arguments -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: layers.ReLU(max_value=-1.0), "max_value"),
        (lambda: layers.ReLU(negative_slope=-0.1), "negative_slope"),
        (lambda: layers.ReLU(threshold=None), "threshold"),
        (lambda: layers.LeakyReLU(negative_slope=-1), "negative_slope"),
        (lambda: layers.GroupNormalization(groups=0), "groups"),
        (lambda: layers.UnitNormalization(axis="last"), "axis"),
        (lambda: layers.Permute((1, 3)), "dims"),
        (lambda: layers.AlphaDropout(1.5), "rate"),
        (lambda: layers.SpectralNormalization(layers.Dense(2), power_iterations=0), "power_iterations"),
        (lambda: layers.Wrapper("dense"), "layer"),
    ],
)
def test_bad_arguments_are_refused_by_name(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_bad_shapes_are_refused_by_name():
    x = np.zeros((2, 4, 6), dtype="float32")
    with pytest.raises(ValueError, match="groups"):
        layers.GroupNormalization(4)(x)
    with pytest.raises(ValueError, match="more than the number"):
        layers.GroupNormalization(8)(x)
    with pytest.raises(ValueError, match="rank"):
        layers.Permute((2, 1))(np.zeros((2, 3, 4, 5), dtype="float32"))
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU(shared_axes=[3])(x)
    with pytest.raises(ValueError, match="kernel"):
        layers.SpectralNormalization(layers.ReLU())(x)


def test_alpha_dropout_keeps_selu_statistics_and_is_identity_at_inference():
    x = np.random.default_rng(14).normal(size=(400, 500)).astype("float32")
    layer = layers.AlphaDropout(0.2, seed=1)
    assert layer(x).numpy() is x or np.array_equal(layer(x).numpy(), x)
    out = layer(x, training=True).numpy()
    assert abs(out.mean()) < 0.01 and abs(out.std() - 1.0) < 0.01
    saturation = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * saturation**2)) ** -0.5
    dropped = np.isclose(out, a * saturation - a * saturation * 0.2, atol=1e-6)
    assert 0.18 < dropped.mean() < 0.22
    shared = layers.AlphaDropout(0.5, noise_shape=(None, 1), seed=2)(x[:6, :4], training=True).numpy()
    kept = np.isclose(shared, x[:6, :4] * ((1 - 0.5) * (1 + 0.5 * saturation**2)) ** -0.5 + 0.5 * -((1 - 0.5) * (1 + 0.5 * saturation**2)) ** -0.5 * saturation, atol=1e-5)
    assert np.all(kept.all(axis=1) | ~kept.any(axis=1))  # one draw per row


def test_keras_saved_model_of_the_new_layers_loads_and_predicts_as_keras(tmp_path):
    model = models.load_model(os.path.join(HERE, "fixtures", "more_layers_model.keras"))
    names = [type(layer).__name__ for layer in model.layers]
    for expected in ("UpSampling2D", "SpectralNormalization", "GroupNormalization", "PReLU", "Permute", "Flatten",
                     "UnitNormalization", "ActivityRegularization", "AlphaDropout", "ReLU", "LeakyReLU", "ELU", "Softmax"):
        assert expected in names
    x = EXPECTED["model/x"]
    np.testing.assert_allclose(model.predict(x, verbose=0), EXPECTED["model/y"], rtol=1e-5, atol=1e-6)
    spectral = model.get_layer("spectral")
    assert spectral.layer.name == "conv" and spectral.power_iterations == 1
    assert model.get_layer("elu").alpha == 0.5
    path = str(tmp_path / "resaved.keras")
    model.save(path)
    np.testing.assert_allclose(models.load_model(path).predict(x, verbose=0), EXPECTED["model/y"], rtol=1e-5, atol=1e-6)
