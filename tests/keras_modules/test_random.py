"""numeras.random: Keras 3.15's dtypes and shapes, seed semantics, distributions and errors."""

import numpy as np
import pytest

import numeras
from numeras import random as nrandom


def test_dtypes_and_shapes_match_keras(keras_expected):
    for name, case in keras_expected["random"].items():
        if "function" not in case:
            continue
        kwargs = dict(case["kwargs"])
        kwargs["shape"] = tuple(kwargs["shape"])
        value = getattr(nrandom, case["function"])(seed=1, **kwargs)
        assert isinstance(value, numeras.Tensor), name
        assert (value.dtype, list(value.shape)) == (case["dtype"], case["shape"]), name
    expected = keras_expected["random"]
    logits = np.log(np.array([[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]], dtype="float32"))
    value = nrandom.categorical(logits, 7, seed=1)
    assert (value.dtype, list(value.shape)) == (expected["categorical"]["dtype"], expected["categorical"]["shape"])
    value = nrandom.dropout(np.ones((3, 4), "float32"), 0.5, seed=1)
    assert (value.dtype, list(value.shape)) == (expected["dropout"]["dtype"], expected["dropout"]["shape"])
    value = nrandom.shuffle(np.arange(12).reshape(4, 3).astype("float32"), seed=1)
    assert (value.dtype, list(value.shape)) == (expected["shuffle"]["dtype"], expected["shuffle"]["shape"])


def test_float_ops_follow_floatx():
    numeras.config.set_floatx("float64")
    try:
        for value in (nrandom.normal((2,)), nrandom.uniform((2,)), nrandom.truncated_normal((2,)), nrandom.gamma((2,), 1.0)):
            assert value.dtype == "float64"
    finally:
        numeras.config.set_floatx("float32")


def test_seed_generator_matches_keras(keras_expected):
    generator = nrandom.SeedGenerator(7)
    assert generator.get_config() == keras_expected["random"]["seed_generator_config"]
    state = keras_expected["random"]["seed_generator_state"]
    assert (generator.state.dtype, generator.state.name, generator.state.trainable) == (state["dtype"], state["name"], False)
    assert nrandom.SeedGenerator.from_config(generator.get_config()).get_config() == generator.get_config()


def test_int_seed_repeats_and_seed_generator_advances():
    a = nrandom.normal((3, 2), seed=42).data
    np.testing.assert_array_equal(a, nrandom.normal((3, 2), seed=42).data)
    assert not np.array_equal(a, nrandom.normal((3, 2), seed=43).data)
    generator = nrandom.SeedGenerator(42)
    first = nrandom.normal((3, 2), seed=generator).data
    second = nrandom.normal((3, 2), seed=generator).data
    np.testing.assert_array_equal(first, a)  # the first draw of SeedGenerator(42) is seed=42's
    assert not np.array_equal(first, second)
    again = nrandom.SeedGenerator(42)
    nrandom.normal((3, 2), seed=again)
    np.testing.assert_array_equal(nrandom.normal((3, 2), seed=again).data, second)


def test_unseeded_draws_follow_set_random_seed():
    numeras.utils.set_random_seed(3)
    first = [nrandom.uniform((4,)).data, nrandom.randint((4,), 0, 100).data]
    numeras.utils.set_random_seed(3)
    second = [nrandom.uniform((4,)).data, nrandom.randint((4,), 0, 100).data]
    for x, y in zip(first, second):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(nrandom.uniform((4,)).data, first[0])


def test_distributions():
    normal = nrandom.normal((200_000,), mean=2.0, stddev=3.0, seed=0).data
    assert abs(normal.mean() - 2.0) < 0.05 and abs(normal.std() - 3.0) < 0.05
    uniform = nrandom.uniform((200_000,), minval=-1.0, maxval=3.0, seed=0).data
    assert uniform.min() >= -1.0 and uniform.max() < 3.0 and abs(uniform.mean() - 1.0) < 0.02
    truncated = nrandom.truncated_normal((100_000,), mean=1.0, stddev=0.5, seed=0).data
    assert truncated.min() >= 0.0 and truncated.max() <= 2.0
    assert abs(truncated.std() - 0.5 * 0.8796) < 0.01  # the std of N(0,1) truncated to [-2, 2]
    integers = nrandom.randint((100_000,), -3, 4, seed=0).data
    assert integers.min() == -3 and integers.max() == 3
    gamma = nrandom.gamma((100_000,), 3.0, seed=0).data
    assert abs(gamma.mean() - 3.0) < 0.05
    binomial = nrandom.binomial((100_000,), 10, 0.3, seed=0).data
    assert binomial.dtype == np.float32 and abs(binomial.mean() - 3.0) < 0.05
    beta = nrandom.beta((100_000,), 2.0, 6.0, seed=0).data
    assert abs(beta.mean() - 0.25) < 0.005


def test_categorical_samples_follow_the_logits():
    probabilities = np.array([[0.1, 0.6, 0.3], [0.8, 0.1, 0.1]])
    samples = nrandom.categorical(np.log(probabilities), 50_000, seed=0).data
    assert samples.shape == (2, 50_000) and samples.dtype == np.int32
    for row in range(2):
        frequencies = np.bincount(samples[row], minlength=3) / samples.shape[1]
        np.testing.assert_allclose(frequencies, probabilities[row], atol=0.01)
    with pytest.raises(ValueError, match="2-D"):
        nrandom.categorical(np.zeros(3), 2)


def test_dropout_scales_kept_entries_and_is_differentiable():
    x = numeras.Variable(np.ones((200, 100), "float32"))
    with numeras.GradientTape() as tape:
        y = nrandom.dropout(x, 0.25, seed=0)
        total = numeras.ops.sum(y)
    values = y.data
    assert set(np.unique(values)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((values == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(tape.gradient(total, x).data, values)
    shared = nrandom.dropout(np.ones((4, 5, 6), "float32"), 0.5, noise_shape=(None, 1, 6), seed=0).data
    assert (shared == shared[:, :1, :]).all()
    with pytest.raises(ValueError, match="rate"):
        nrandom.dropout(np.ones(3), 1.5)


def test_shuffle_permutes_whole_slices():
    x = np.arange(30).reshape(10, 3)
    shuffled = nrandom.shuffle(x, seed=0).data
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, x)) and not np.array_equal(shuffled, x)
    columns = nrandom.shuffle(x, axis=1, seed=0).data
    permutation = columns[0]  # row 0 of x is [0, 1, 2], so it shows where each column went
    assert sorted(permutation) == [0, 1, 2]
    np.testing.assert_array_equal(columns, x[:, permutation])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="floating point `dtype`"):
        nrandom.uniform((2,), dtype="int32")
    with pytest.raises(ValueError, match="integer `dtype`"):
        nrandom.randint((2,), 0, 3, dtype="float32")
    with pytest.raises(ValueError, match="SeedGenerator"):
        nrandom.normal((2,), seed="abc")
    with pytest.raises(ValueError, match="must be an integer"):
        nrandom.SeedGenerator(1.5)
    with pytest.raises(ValueError, match="shape"):
        nrandom.normal((2, -1))
