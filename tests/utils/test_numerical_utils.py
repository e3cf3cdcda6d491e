"""numeras.utils: to_categorical, normalize, set_random_seed, Progbar re-export."""

import importlib.util

import numpy as np
import pytest

import numeras
from numeras import backend, utils
from numeras.utils import normalize, set_random_seed, to_categorical


def test_to_categorical_matches_keras():
    encoded = to_categorical([0, 1, 2, 3], num_classes=4)
    np.testing.assert_array_equal(encoded, np.eye(4))
    assert encoded.dtype == np.float32
    assert isinstance(encoded, np.ndarray)


def test_to_categorical_infers_classes_and_squeezes_trailing_one():
    labels = np.array([[2], [0], [1]], dtype=np.uint8)
    encoded = to_categorical(labels)
    assert encoded.shape == (3, 3)
    np.testing.assert_array_equal(encoded.argmax(axis=-1), [2, 0, 1])
    assert to_categorical(np.zeros((2, 3), dtype=int), 5).shape == (2, 3, 5)
    assert to_categorical(np.array(4), 6).shape == (6,)


def test_to_categorical_accepts_integral_floats_and_rejects_bad_labels():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match="integer"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        to_categorical([-1, 2], num_classes=3)
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([])
    assert to_categorical([], num_classes=3).shape == (0, 3)


def test_to_categorical_on_tensor_gives_tensor():
    encoded = to_categorical(numeras.Tensor(np.array([1, 0])), 3)
    assert isinstance(encoded, numeras.Tensor)
    np.testing.assert_array_equal(encoded.numpy(), [[0, 1, 0], [1, 0, 0]])


def test_to_categorical_mnist_sized_is_vectorised():
    labels = np.random.default_rng(0).integers(0, 10, size=60000)
    encoded = to_categorical(labels)
    assert encoded.shape == (60000, 10)
    np.testing.assert_array_equal(encoded.argmax(axis=1), labels)
    assert encoded.sum() == 60000


def test_normalize_array():
    x = np.array([[3.0, 4.0], [0.0, 0.0]], dtype=np.float32)
    out = normalize(x)
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32
    np.testing.assert_allclose(normalize(x, axis=0), [[1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize([[1.0, 3.0]], order=1), [[0.25, 0.75]])
    assert normalize(np.array([[1, 1]])).dtype == np.float32
    with pytest.raises(ValueError, match="order"):
        normalize(x, order=0)


def test_normalize_tensor_matches_keras_and_is_differentiable():
    data = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32)
    out = normalize(numeras.Tensor(data))
    assert isinstance(out, numeras.Tensor) and out.dtype == "float32"
    # keras.ops.normalize's docstring example.
    np.testing.assert_allclose(
        out.numpy(), [[0.26726124, 0.5345225, 0.8017837], [0.45584232, 0.5698029, 0.68376344]], rtol=1e-6
    )
    np.testing.assert_allclose(normalize(numeras.Tensor(data), order=3).numpy(),
                               data / np.cbrt((data**3).sum(axis=1, keepdims=True)), rtol=1e-6)

    variable = numeras.Variable(np.array([[0.0, 0.0], [3.0, 4.0]], dtype=np.float32))
    with numeras.GradientTape() as tape:
        total = numeras.ops.sum(normalize(variable) * np.array([[1.0, 1.0], [1.0, 0.0]], dtype=np.float32))
    gradient = tape.gradient(total, variable).numpy()
    assert np.all(np.isfinite(gradient))
    # d/dx (x / ||x||) for row (3, 4), weighted by (1, 0): (1/5 - 9/125, -12/125).
    np.testing.assert_allclose(gradient[1], [1 / 5 - 9 / 125, -12 / 125], rtol=1e-5)


def test_set_random_seed_is_the_backend_one_and_reproduces_draws():
    assert utils.set_random_seed is backend.set_random_seed
    set_random_seed(3)
    first = backend.random_generator().random(5)
    set_random_seed(3)
    np.testing.assert_array_equal(backend.random_generator().random(5), first)


def test_progbar_is_reexported_when_its_module_exists():
    if importlib.util.find_spec("numeras.utils.progbar") is None:
        with pytest.raises(AttributeError, match="progbar"):
            utils.Progbar  # noqa: B018
    else:
        from numeras.utils.progbar import Progbar

        assert utils.Progbar is Progbar
    with pytest.raises(AttributeError, match="no attribute"):
        utils.does_not_exist  # noqa: B018
