"""Initializers: Keras 3 formulas, statistics, dtypes, seeding, names and configs."""

import math
import tracemalloc

import numpy as np
import pytest

from numeras import backend, initializers
from numeras.initializers import (
    Constant,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    Identity,
    LecunNormal,
    LecunUniform,
    Ones,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    Zeros,
    compute_fans,
)
from numeras.utils import set_random_seed

BIG = (1000, 1000)  # 1M draws: sample std is within ~0.1% of the true one


@pytest.fixture(autouse=True)
def _seeded():
    set_random_seed(1234)


# -- fans and exact Keras limits -----------------------------------------------------


@pytest.mark.parametrize(
    "shape, fans",
    [((), (1, 1)), ((7,), (7, 7)), ((784, 512), (784, 512)), ((3, 3, 16, 32), (144, 288)), ((5, 4, 8), (20, 40))],
)
def test_compute_fans_matches_keras(shape, fans):
    assert compute_fans(shape) == fans


@pytest.mark.parametrize(
    "initializer, shape, limit",
    [
        (GlorotUniform(), BIG, math.sqrt(6 / (BIG[0] + BIG[1]))),
        (GlorotUniform(), (784, 512), math.sqrt(6 / (784 + 512))),
        (GlorotUniform(), (3, 3, 32, 64), math.sqrt(6 / (9 * 32 + 9 * 64))),
        (HeUniform(), (784, 512), math.sqrt(6 / 784)),
        (LecunUniform(), (784, 512), math.sqrt(3 / 784)),
        (VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform"), (300, 200), math.sqrt(6 / 200)),
    ],
)
def test_uniform_variance_scaling_limits(initializer, shape, limit):
    values = initializer(shape)
    assert values.shape == shape
    assert values.dtype == np.float32
    assert np.abs(values).max() <= np.float32(limit)
    # With this many draws the extremes come within 1% of the limit on both sides.
    assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize(
    "initializer, stddev",
    [
        (GlorotNormal(), math.sqrt(2 / (BIG[0] + BIG[1]))),
        (HeNormal(), math.sqrt(2 / BIG[0])),
        (LecunNormal(), math.sqrt(1 / BIG[0])),
        (VarianceScaling(scale=3.0, mode="fan_avg"), math.sqrt(3.0 / 1000)),
    ],
)
def test_truncated_variance_scaling_has_requested_stddev_after_truncation(initializer, stddev):
    values = initializer(BIG)
    assert values.dtype == np.float32
    # Keras divides by 0.8796... so the *truncated* values have the requested stddev.
    assert values.std() == pytest.approx(stddev, rel=0.01)
    assert abs(values.mean()) < 0.01 * stddev
    assert np.abs(values).max() <= 2 * stddev / 0.87962566103423978 * (1 + 1e-6)


def test_untruncated_normal_variance_scaling():
    values = VarianceScaling(scale=2.0, mode="fan_in", distribution="untruncated_normal")(BIG)
    stddev = math.sqrt(2.0 / BIG[0])
    assert values.std() == pytest.approx(stddev, rel=0.01)
    assert np.abs(values).max() > 4 * stddev  # not truncated


def test_variance_scaling_accepts_normal_as_truncated_and_validates():
    assert VarianceScaling(distribution="normal").distribution == "truncated_normal"
    with pytest.raises(ValueError, match="scale"):
        VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution"):
        VarianceScaling(distribution="cauchy")


def test_random_normal_uniform_truncated_defaults_and_statistics():
    normal = RandomNormal()(BIG)
    assert normal.mean() == pytest.approx(0.0, abs=2e-4)
    assert normal.std() == pytest.approx(0.05, rel=0.01)

    uniform = RandomUniform()(BIG)
    assert uniform.min() >= -0.05 and uniform.max() < 0.05
    assert uniform.std() == pytest.approx(0.1 / math.sqrt(12), rel=0.01)

    truncated = TruncatedNormal()(BIG)
    assert np.abs(truncated).max() <= 0.1 + 1e-7
    assert truncated.std() == pytest.approx(0.05 * 0.87962566103423978, rel=0.01)

    shifted = TruncatedNormal(mean=1.0, stddev=0.5)((200, 200))
    assert shifted.min() >= 0.0 and shifted.max() <= 2.0
    assert shifted.mean() == pytest.approx(1.0, abs=0.01)


def test_random_draws_do_not_go_through_float64():
    shape = (512, 512)
    output_bytes = 512 * 512 * 4
    for initializer, allowance in ((RandomUniform(), 1.25), (RandomNormal(), 1.25), (GlorotNormal(), 2.0)):
        tracemalloc.start()
        values = initializer(shape)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert values.dtype == np.float32
        # A float64 draw followed by a cast would peak at 3x the output.
        assert peak < allowance * output_bytes, (type(initializer).__name__, peak / output_bytes)


# -- dtypes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "initializer",
    [GlorotUniform(), GlorotNormal(), HeNormal(), RandomNormal(), RandomUniform(), TruncatedNormal(),
     Orthogonal(), Zeros(), Ones(), Constant(3.0), Identity()],
)
def test_default_dtype_is_float32_and_dtype_argument_is_honoured(initializer):
    assert initializer((6, 4)).dtype == np.float32
    assert initializer((6, 4), dtype="float64").dtype == np.float64
    assert initializer((6, 4), dtype="float16").dtype == np.float16


def test_default_dtype_follows_floatx():
    backend.set_floatx("float64")
    try:
        assert GlorotUniform()((3, 2)).dtype == np.float64
        assert Zeros()((3,)).dtype == np.float64
    finally:
        backend.set_floatx("float32")


def test_random_initializer_rejects_integer_dtype_but_constants_accept_it():
    with pytest.raises(ValueError, match="float"):
        GlorotUniform()((3, 3), dtype="int32")
    assert Zeros()((2,), dtype="int32").dtype == np.int32
    np.testing.assert_array_equal(Constant(7)((2,), dtype="int64"), [7, 7])


def test_shape_validation():
    with pytest.raises(TypeError, match="shape"):
        GlorotUniform()("784x512")
    with pytest.raises(ValueError, match="negative"):
        Zeros()((3, -1))
    assert Ones()(4).shape == (4,)


# -- seeding -------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [GlorotUniform, GlorotNormal, HeNormal, RandomNormal, RandomUniform, TruncatedNormal, Orthogonal])
def test_set_random_seed_makes_draws_bit_identical(cls):
    set_random_seed(42)
    first, second = cls()((64, 32)), cls()((64, 32))
    set_random_seed(42)
    again_first, again_second = cls()((64, 32)), cls()((64, 32))
    np.testing.assert_array_equal(first, again_first)
    np.testing.assert_array_equal(second, again_second)
    # Unseeded initializers keep drawing: two layers never get the same weights.
    assert not np.array_equal(first, second)


def test_explicit_seed_repeats_and_ignores_global_generator():
    initializer = GlorotUniform(seed=7)
    first = initializer((20, 10))
    set_random_seed(999)
    np.testing.assert_array_equal(initializer((20, 10)), first)
    np.testing.assert_array_equal(GlorotUniform(seed=7)((20, 10)), first)
    assert not np.array_equal(GlorotUniform(seed=8)((20, 10)), first)


def test_seed_must_be_an_int():
    with pytest.raises(ValueError, match="seed"):
        RandomNormal(seed="abc")
    with pytest.raises(ValueError, match="seed"):
        HeUniform(seed=True)
    assert RandomNormal(seed=np.int64(3)).seed == 3


# -- orthogonal, identity, constants ---------------------------------------------------


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (40, 40), (3, 3, 8, 16)])
def test_orthogonal_is_orthogonal(shape):
    values = Orthogonal(gain=2.0)(shape)
    assert values.shape == shape and values.dtype == np.float32
    matrix = values.reshape(-1, shape[-1]).astype(np.float64) / 2.0
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-5)


def test_orthogonal_needs_two_dimensions():
    with pytest.raises(ValueError, match="2-D"):
        Orthogonal()((5,))


def test_identity_and_constants():
    np.testing.assert_array_equal(Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    with pytest.raises(ValueError, match="2-D"):
        Identity()((2, 2, 2))
    np.testing.assert_array_equal(Zeros()((2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(Ones()((3,)), np.ones(3))
    np.testing.assert_array_equal(Constant(0.5)((2,)), [0.5, 0.5])
    np.testing.assert_array_equal(Constant([1.0, 2.0])((2, 2)), [[1, 2], [1, 2]])
    with pytest.raises(ValueError, match="broadcast"):
        Constant([1.0, 2.0, 3.0])((2, 2))


# -- names, get, configs ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, cls",
    [("glorot_uniform", GlorotUniform), ("GlorotUniform", GlorotUniform), ("glorot_normal", GlorotNormal),
     ("he_normal", HeNormal), ("he_uniform", HeUniform), ("lecun_normal", LecunNormal),
     ("lecun_uniform", LecunUniform), ("zeros", Zeros), ("zero", Zeros), ("ones", Ones), ("one", Ones),
     ("random_normal", RandomNormal), ("normal", RandomNormal), ("random_uniform", RandomUniform),
     ("uniform", RandomUniform), ("truncated_normal", TruncatedNormal), ("orthogonal", Orthogonal),
     ("identity", Identity), ("constant", Constant), ("variance_scaling", VarianceScaling)],
)
def test_get_by_name_builds_keras_defaults(name, cls):
    initializer = initializers.get(name)
    assert type(initializer) is cls


def test_get_other_identifiers():
    assert initializers.get(None) is None
    instance = HeNormal(seed=1)
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(HeNormal), HeNormal)

    def custom(shape, dtype=None):
        return np.full(shape, 2.0, dtype=dtype)

    assert initializers.get(custom) is custom
    built = initializers.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 1.0, "seed": 3}})
    assert (built.minval, built.maxval, built.seed) == (0.0, 1.0, 3)
    assert initializers.glorot_uniform is GlorotUniform


def test_get_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(ValueError) as info:
        initializers.get("glorot_unifrom")
    message = str(info.value)
    assert "Did you mean 'glorot_uniform'?" in message
    assert "he_normal" in message and "zeros" in message
    with pytest.raises(ValueError, match="Could not interpret"):
        initializers.get(3)


def test_serialize_deserialize_round_trip_reproduces_values():
    original = VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=5)
    config = initializers.serialize(original)
    assert config["class_name"] == "VarianceScaling"
    assert config["config"] == {
        "seed": 5, "scale": 2.0, "mode": "fan_out", "distribution": "uniform", "input_axes": None, "output_axes": None,
    }
    rebuilt = initializers.deserialize(config)
    np.testing.assert_array_equal(rebuilt((30, 20)), original((30, 20)))

    assert GlorotUniform(seed=2).get_config() == {"seed": 2, "input_axes": None, "output_axes": None}
    # Keras 3.15's explicit fan axes: a (4, 3, 5) kernel with inputs on axis 0 and outputs on axes 1, 2.
    axes = initializers.VarianceScaling(scale=1.0, mode="fan_out", distribution="uniform", input_axes=[0], output_axes=[1, 2], seed=0)
    limit = np.sqrt(3.0 / 15)
    values = axes((4, 3, 5))
    assert np.abs(values).max() <= limit and np.abs(values).max() > np.sqrt(3.0 / 20)  # beyond the default fans
    assert type(initializers.deserialize("he_normal")) is HeNormal
    clone = Constant(np.array([1.0, 2.0])).clone()
    np.testing.assert_array_equal(clone((2,)), [1.0, 2.0])
    assert Orthogonal(gain=0.5, seed=1).get_config() == {"seed": 1, "gain": 0.5}
