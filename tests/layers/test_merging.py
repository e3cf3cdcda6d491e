import numpy as np
import pytest

import numeras
from numeras import layers
from numeras.testing import gradcheck

RNG = np.random.default_rng(0)


def _x(*shape):
    return RNG.normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    ("layer_class", "reference"),
    [
        (layers.Add, lambda a, b, c: a + b + c),
        (layers.Multiply, lambda a, b, c: a * b * c),
        (layers.Average, lambda a, b, c: (a + b + c) / 3),
        (layers.Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
        (layers.Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
    ],
)
def test_elementwise_merges_match_numpy_and_keep_float32(layer_class, reference):
    a, b, c = _x(4, 3), _x(4, 3), _x(4, 3)
    out = layer_class()([a, b, c])
    assert out.dtype == "float32"
    np.testing.assert_allclose(out.numpy(), reference(a, b, c), rtol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    a, b = _x(4, 3), _x(4, 3)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([a, b, a])


def test_broadcasting_and_lower_rank_inputs():
    a, b = _x(2, 5, 3), _x(2, 1, 3)
    np.testing.assert_allclose(layers.Add()([a, b]).numpy(), a + b, rtol=1e-6)
    # A rank-2 input gets an axis after the batch axis: (2, 3) -> (2, 1, 3).
    c = _x(2, 3)
    np.testing.assert_allclose(layers.Multiply()([a, c]).numpy(), a * c[:, None, :], rtol=1e-6)
    assert layers.Add().compute_output_shape([(None, 5, 3), (None, 1, 3)]) == (None, 5, 3)


def test_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"incompatible shapes.*\(None, 3\).*\(None, 4\)"):
        layers.Add()([layers.Input((3,)), layers.Input((4,))])
    with pytest.raises(ValueError, match="list of inputs"):
        layers.Add()(layers.Input((3,)))
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=1)([layers.Input((2, 3)), layers.Input((4, 5))])
    with pytest.raises(ValueError, match="same rank"):
        layers.concatenate([layers.Input((2, 3)), layers.Input((3,))])
    with pytest.raises(ValueError, match="batch axis"):
        layers.Concatenate(axis=0)([layers.Input((3,)), layers.Input((3,))])
    with pytest.raises(ValueError, match=r"axis values 3 \(at axis 1\) != 4"):
        layers.Dot(axes=1)([layers.Input((3,)), layers.Input((4,))])


def test_concatenate_shapes_and_values():
    a, b = _x(4, 2, 3), _x(4, 2, 5)
    np.testing.assert_array_equal(layers.Concatenate()([a, b]).numpy(), np.concatenate([a, b], -1))
    np.testing.assert_array_equal(layers.concatenate([a, a], axis=1).numpy(), np.concatenate([a, a], 1))
    layer = layers.Concatenate()
    assert layer.compute_output_shape([(None, 2, 3), (None, 2, 5)]) == (None, 2, 8)
    assert layer.compute_output_shape([(None, None, 3), (None, 2, 5)]) == (None, 2, 8)
    assert layers.Concatenate(axis=1).compute_output_shape([(None, None, 3), (None, 2, 3)]) == (None, None, 3)


def test_dot_matches_batched_einsum():
    a, b = _x(4, 6), _x(4, 6)
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]).numpy(), np.sum(a * b, 1, keepdims=True), rtol=1e-5)
    # Keras's docstring example: (1, 5, 2) . (1, 2, 5) over axes (1, 2) -> (1, 2, 2).
    x = np.arange(10, dtype="float32").reshape(1, 5, 2)
    y = np.arange(10, 20, dtype="float32").reshape(1, 2, 5)
    out = layers.Dot(axes=(1, 2))([x, y])
    np.testing.assert_allclose(out.numpy(), np.einsum("bij,bki->bjk", x, y))
    assert layers.Dot(axes=(1, 2)).compute_output_shape([(None, 5, 2), (None, 2, 5)]) == (None, 2, 2)
    c, d = _x(3, 20), _x(3, 30, 20)
    np.testing.assert_allclose(
        layers.dot([c, d], axes=(1, 2)).numpy(), np.einsum("bk,bjk->bj", c, d), rtol=1e-5, atol=1e-5
    )


def test_dot_normalize_gives_cosine_similarity():
    a, b = _x(5, 8), _x(5, 8)
    cosine = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    out = layers.Dot(axes=-1, normalize=True)([a, b]).numpy()
    np.testing.assert_allclose(out[:, 0], cosine, rtol=1e-5)


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: layers.Add(dtype="float64"),
        lambda: layers.Subtract(dtype="float64"),
        lambda: layers.Multiply(dtype="float64"),
        lambda: layers.Average(dtype="float64"),
        lambda: layers.Maximum(dtype="float64"),
        lambda: layers.Minimum(dtype="float64"),
        lambda: layers.Concatenate(dtype="float64"),
        lambda: layers.Dot(axes=1, dtype="float64"),
        lambda: layers.Dot(axes=1, normalize=True, dtype="float64"),
    ],
)
def test_merge_gradients_match_finite_differences(make_layer):
    layer = make_layer()
    rng = np.random.default_rng(1)
    # Distinct values keep maximum/minimum away from ties, where they are not differentiable.
    a = rng.permutation(12).reshape(3, 4) / 7.0 + 0.3
    b = rng.permutation(12).reshape(3, 4) / 7.0 - 0.2
    assert gradcheck(lambda x, y: layer([x, y]), [a, b])


def test_merge_gradient_with_broadcasting():
    layer = layers.Multiply(dtype="float64")
    rng = np.random.default_rng(2)
    assert gradcheck(lambda x, y: layer([x, y]), [rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 1, 4))])
    dot = layers.Dot(axes=(1, 2), dtype="float64")
    assert gradcheck(lambda x, y: dot([x, y]), [rng.normal(size=(2, 5)), rng.normal(size=(2, 3, 5))])


def test_merge_layers_in_a_functional_model_and_config_round_trip():
    x1, x2 = layers.Input((4,)), layers.Input((4,))
    outputs = [
        layers.add([x1, x2]),
        layers.subtract([x1, x2]),
        layers.multiply([x1, x2]),
        layers.average([x1, x2]),
        layers.maximum([x1, x2]),
        layers.minimum([x1, x2]),
        layers.concatenate([x1, x2]),
        layers.dot([x1, x2], axes=1),
    ]
    model = numeras.Model([x1, x2], outputs)
    a, b = _x(3, 4), _x(3, 4)
    results = model.predict([a, b], verbose=0)
    expected = [a + b, a - b, a * b, (a + b) / 2, np.maximum(a, b), np.minimum(a, b),
                np.concatenate([a, b], -1), np.sum(a * b, 1, keepdims=True)]
    for got, want in zip(results, expected):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    for layer in model.layers[2:]:
        clone = layers.deserialize(layers.serialize(layer))
        assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    assert layers.Dot(axes=(1, 2), normalize=True).get_config()["axes"] == [1, 2]
