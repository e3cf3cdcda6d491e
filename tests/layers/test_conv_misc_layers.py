"""The other layers of convolutional networks: spatial reshaping (ZeroPadding, Cropping,
UpSampling), noise (GaussianNoise, GaussianDropout, SpatialDropout) and Rescaling."""

import numpy as np
import pytest
from conv_layer_checks import assert_config_round_trip, assert_output_shape, layer_gradcheck

import numeras
from numeras import layers
from numeras.autodiff import GradientTape

RESHAPING = [
    ("zero_padding1d", lambda: layers.ZeroPadding1D((1, 2), dtype="float64"), (2, 5, 3), (2, 8, 3)),
    ("zero_padding2d", lambda: layers.ZeroPadding2D(dtype="float64"), (2, 4, 5, 3), (2, 6, 7, 3)),
    ("zero_padding2d_pairs", lambda: layers.ZeroPadding2D(((1, 0), (2, 3)), dtype="float64"), (2, 4, 5, 3), (2, 5, 10, 3)),
    ("zero_padding2d_channels_first", lambda: layers.ZeroPadding2D((1, 2), data_format="channels_first", dtype="float64"),
     (2, 3, 4, 5), (2, 3, 6, 9)),
    ("zero_padding3d", lambda: layers.ZeroPadding3D(1, dtype="float64"), (1, 2, 3, 2, 2), (1, 4, 5, 4, 2)),
    ("cropping1d", lambda: layers.Cropping1D((1, 2), dtype="float64"), (2, 6, 3), (2, 3, 3)),
    ("cropping2d", lambda: layers.Cropping2D(((1, 0), (2, 1)), dtype="float64"), (2, 4, 5, 3), (2, 3, 2, 3)),
    ("cropping2d_int", lambda: layers.Cropping2D(1, dtype="float64"), (2, 4, 5, 3), (2, 2, 3, 3)),
    ("cropping3d", lambda: layers.Cropping3D(((1, 0), (0, 1), (1, 1)), dtype="float64"), (1, 3, 3, 4, 2), (1, 2, 2, 2, 2)),
    ("upsampling1d", lambda: layers.UpSampling1D(3, dtype="float64"), (2, 4, 3), (2, 12, 3)),
    ("upsampling2d", lambda: layers.UpSampling2D((2, 3), dtype="float64"), (2, 3, 2, 3), (2, 6, 6, 3)),
    ("upsampling2d_channels_first", lambda: layers.UpSampling2D(2, data_format="channels_first", dtype="float64"),
     (2, 3, 2, 2), (2, 3, 4, 4)),
    ("upsampling3d", lambda: layers.UpSampling3D(dtype="float64"), (1, 2, 2, 1, 2), (1, 4, 4, 2, 2)),
]


@pytest.mark.parametrize("factory, shape, expected", [c[1:] for c in RESHAPING], ids=[c[0] for c in RESHAPING])
def test_spatial_reshaping_layers(factory, shape, expected):
    x = np.random.default_rng(0).normal(size=shape)
    layer = factory()
    out = assert_output_shape(layer, x)
    assert out.shape == expected and layer.count_params() == 0
    assert layer_gradcheck(layer, x)
    assert_config_round_trip(layer)


def test_reshaping_values():
    x = np.arange(6, dtype="float32").reshape(1, 2, 3, 1)
    padded = layers.ZeroPadding2D(((1, 0), (0, 1)))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(padded, [[0, 0, 0, 0], [0, 1, 2, 0], [3, 4, 5, 0]])
    cropped = layers.Cropping2D(((0, 1), (1, 0)))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(cropped, [[1, 2]])
    up = layers.UpSampling2D(2)(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(up[:2, :4], [[0, 0, 1, 1], [0, 0, 1, 1]])
    assert up.shape == (4, 6)


def test_reshaping_errors():
    with pytest.raises(ValueError, match="`padding` must be an int, a tuple of 2 ints"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="removes all 2 entries"):
        layers.Cropping2D(1)(np.zeros((1, 2, 4, 1), dtype="float32"))
    with pytest.raises(ValueError, match="`interpolation` must be one of"):
        layers.UpSampling2D(interpolation="trilinear")


def test_gaussian_noise_only_while_training():
    numeras.backend.set_random_seed(0)
    x = np.zeros((200, 50), dtype="float32")
    layer = layers.GaussianNoise(0.5)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    noisy = layer(x, training=True).numpy()
    assert noisy.dtype == np.float32
    assert abs(noisy.std() - 0.5) < 0.02 and abs(noisy.mean()) < 0.02
    variable = numeras.Variable(x)
    with GradientTape() as tape:
        total = layer(variable, training=True).sum()
    np.testing.assert_array_equal(tape.gradient(total, variable).numpy(), np.ones_like(x))
    assert_config_round_trip(layer)
    assert layers.GaussianNoise(0.1, seed=3).get_config()["seed"] == 3


def test_gaussian_dropout_mean_one_noise():
    numeras.backend.set_random_seed(0)
    x = np.ones((400, 50), dtype="float32")
    layer = layers.GaussianDropout(0.2)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    noisy = layer(x, training=True).numpy()
    assert abs(noisy.mean() - 1) < 0.02 and abs(noisy.std() - 0.5) < 0.02  # sqrt(0.2 / 0.8)
    assert_config_round_trip(layer)
    with pytest.raises(ValueError, match="`rate` must be a probability"):
        layers.GaussianDropout(1.0)


@pytest.mark.parametrize(
    "factory, shape, channel_axis",
    [
        (lambda: layers.SpatialDropout1D(0.5), (8, 10, 16), 2),
        (lambda: layers.SpatialDropout2D(0.5), (8, 5, 6, 16), 3),
        (lambda: layers.SpatialDropout2D(0.5, data_format="channels_first"), (8, 16, 5, 6), 1),
        (lambda: layers.SpatialDropout3D(0.5), (4, 3, 3, 3, 16), 4),
    ],
)
def test_spatial_dropout_drops_whole_channels(factory, shape, channel_axis):
    numeras.backend.set_random_seed(0)
    layer = factory()
    x = np.ones(shape, dtype="float32")
    np.testing.assert_array_equal(layer(x).numpy(), x)
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    spatial = tuple(i for i in range(1, len(shape)) if i != channel_axis)
    # Within one (sample, channel) every position shares the draw.
    assert np.all(y.min(axis=spatial) == y.max(axis=spatial))
    assert 0.3 < (y == 0).mean() < 0.7
    config = assert_config_round_trip(layer).get_config()
    assert "noise_shape" not in config and config["rate"] == 0.5


def test_rescaling():
    pixels = np.array([[0, 51, 255]], dtype="uint8")
    layer = layers.Rescaling(1.0 / 255)
    out = layer(pixels).numpy()
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 0.2, 1.0]], rtol=1e-6)
    centred = layers.Rescaling(2.0, offset=-1.0)(np.array([[0.0, 0.5, 1.0]], dtype="float32")).numpy()
    np.testing.assert_allclose(centred, [[-1.0, 0.0, 1.0]])
    per_channel = layers.Rescaling([1.0, 10.0])(np.ones((1, 2, 2), dtype="float32")).numpy()
    np.testing.assert_allclose(per_channel[0, 0], [1.0, 10.0])
    assert_config_round_trip(layer)
    assert layer.get_config()["scale"] == pytest.approx(1 / 255)
    assert layer_gradcheck(layers.Rescaling(0.5, offset=0.1, dtype="float64"), np.random.default_rng(1).normal(size=(2, 3)))
    with pytest.raises(ValueError, match="`scale` must be a number"):
        layers.Rescaling("big")


def test_training_step_through_every_weightless_convnet_layer_lowers_the_loss():
    """Pooling, padding, cropping, upsampling, noise and rescaling layers pass gradients to the
    convolutions around them: one SGD step on a small model lowers its loss."""
    numeras.backend.set_random_seed(0)
    rng = np.random.default_rng(3)
    x = rng.random((8, 12, 12, 2)).astype("float32") * 255
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 8)]
    model = numeras.models.Sequential(
        [
            layers.Input((12, 12, 2)),
            layers.Rescaling(1.0 / 255),
            layers.ZeroPadding2D(1),
            layers.Conv2D(6, 3, activation="relu"),
            layers.GaussianNoise(0.01),
            layers.MaxPooling2D(2),
            layers.SpatialDropout2D(0.1),
            layers.UpSampling2D(2),
            layers.Cropping2D(1),
            layers.AveragePooling2D(2, padding="same"),
            layers.Conv2D(4, 3, padding="same", activation="tanh"),
            layers.GlobalMaxPooling2D(),
            layers.Dense(3, activation="softmax"),
        ]
    )
    loss_fn = numeras.losses.CategoricalCrossentropy()
    weights = model.trainable_weights
    before = float(loss_fn(y, model(x)))
    with GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    for weight, grad in zip(weights, tape.gradient(loss, weights)):
        assert grad is not None and np.isfinite(grad.numpy()).all()
        weight.assign_sub(0.5 * grad.numpy())
    assert float(loss_fn(y, model(x))) < before
