"""numeras.backend: the array module, floatx, epsilon, dtype names and the one random generator."""

import random

import numpy as np
import pytest

import numeras as nm
from numeras import backend


@pytest.fixture
def restore_floatx():
    previous = backend.floatx()
    yield
    backend.set_floatx(previous)


def test_xp_is_numpy():
    assert backend.xp is np


def test_floatx_defaults_to_float32_and_is_exported_at_top_level():
    assert backend.floatx() == "float32"
    assert nm.floatx is backend.floatx and nm.set_floatx is backend.set_floatx


def test_set_floatx_changes_python_number_conversion(restore_floatx):
    backend.set_floatx("float64")
    assert backend.floatx() == "float64"
    assert nm.Tensor(1.5).dtype == "float64"
    assert nm.Variable([1.0, 2.0]).dtype == "float64"
    assert backend.standardize_dtype(None) == "float64"
    backend.set_floatx("float16")
    assert nm.convert_to_tensor(0.5).dtype == "float16"


def test_set_floatx_rejects_unknown_types_naming_the_argument(restore_floatx):
    with pytest.raises(ValueError, match=r"set_floatx: `value` must be one of .*'float32'.*received 'int32'"):
        backend.set_floatx("int32")
    assert backend.floatx() == "float32"


def test_epsilon():
    assert backend.epsilon() == 1e-7
    backend.set_epsilon(1e-5)
    try:
        assert backend.epsilon() == 1e-5
    finally:
        backend.set_epsilon(1e-7)


@pytest.mark.parametrize(
    "dtype, name",
    [(None, "float32"), ("float64", "float64"), (np.float16, "float16"), (np.dtype("int32"), "int32"), ("bool", "bool")],
)
def test_standardize_dtype(dtype, name):
    assert backend.standardize_dtype(dtype) == name


def test_is_float_dtype():
    assert backend.is_float_dtype("float32") and backend.is_float_dtype(np.float64)
    assert not backend.is_float_dtype("int64") and not backend.is_float_dtype(bool)


def test_set_random_seed_gives_bit_identical_draws():
    def draws():
        return (
            backend.random_generator().standard_normal(5),
            backend.random_generator().uniform(size=(2, 2)),
            backend.make_generator(None).integers(0, 100, size=4),
            np.random.rand(3),
            random.random(),
        )

    backend.set_random_seed(1234)
    first = draws()
    backend.set_random_seed(1234)
    second = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    backend.set_random_seed(1235)
    assert not np.array_equal(draws()[0], first[0])


def test_random_generator_is_one_shared_generator():
    backend.set_random_seed(0)
    assert backend.random_generator() is backend.random_generator()
    assert backend.make_generator(None) is backend.random_generator()


def test_make_generator_with_a_seed_is_independent_and_reproducible():
    backend.set_random_seed(0)
    before = backend.random_generator().bit_generator.state
    a = backend.make_generator(42).standard_normal(3)
    b = backend.make_generator(42).standard_normal(3)
    np.testing.assert_array_equal(a, b)
    assert backend.random_generator().bit_generator.state == before  # the global one was not touched


@pytest.mark.parametrize("seed", [1.5, "3", None, True])
def test_set_random_seed_rejects_non_integers(seed):
    with pytest.raises(TypeError, match="set_random_seed: `seed` must be an int"):
        backend.set_random_seed(seed)


def test_set_random_seed_accepts_numpy_and_large_integers():
    backend.set_random_seed(np.int64(7))
    backend.set_random_seed(2**40)


def test_bernoulli_keep_has_the_asked_probability_and_is_seeded():
    import numpy as np

    from numeras import backend

    keep = backend.bernoulli_keep(backend.make_generator(7), (400, 500), 0.2)
    assert keep.shape == (400, 500) and keep.dtype == bool
    # 200,000 draws: the kept fraction is within 5 standard deviations (0.0045) of 0.8.
    assert abs(keep.mean() - 0.8) < 0.0045
    again = backend.bernoulli_keep(backend.make_generator(7), (400, 500), 0.2)
    np.testing.assert_array_equal(keep, again)
    assert backend.bernoulli_keep(backend.make_generator(1), (3, 5), 0.0).all()
    odd = backend.bernoulli_keep(backend.make_generator(2), (7,), 0.5)  # an odd count of 32-bit draws
    assert odd.shape == (7,)
