"""The op harness table: coverage, reproducible inputs, and domains that keep gradcheck honest."""

import numpy as np
import pytest

import numeras as nm
from numeras.testing import op_harness
from numeras.testing.op_harness import OP_CASES


def test_case_ids_are_unique():
    ids = [case.id for case in OP_CASES]
    assert len(ids) == len(set(ids))


def test_every_listed_op_has_cases_and_shapes_include_scalar_vector_matrix():
    assert set(op_harness.DIFFERENTIABLE_OPS) <= op_harness.covered_ops()
    for name in op_harness.UNARY:
        shapes = {case.shapes[0] for case in OP_CASES if case.label.startswith(name + ",")}
        assert {(), (4,), (3, 4)} <= shapes, name


def test_inputs_are_reproducible_and_follow_the_dtype():
    case = next(c for c in OP_CASES if c.op == "matmul")
    a = case.make_inputs(seed=5)
    b = case.make_inputs(seed=5)
    c = case.make_inputs(seed=6)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a[0], c[0])
    assert all(x.dtype == np.float32 for x in case.make_inputs(dtype="float32"))
    assert [x.shape for x in a] == [tuple(s) for s in case.shapes]


def sample(domain, shape=(200,), position=0, seed=0):
    return domain.sample(np.random.default_rng(seed), shape, position)


def test_domains_keep_away_from_trouble():
    assert sample(op_harness.POSITIVE).min() >= 0.5
    assert sample(op_harness.ABOVE_MINUS_ONE).min() > -1
    assert np.abs(sample(op_harness.AWAY_FROM_ZERO)).min() >= 0.25
    unit = sample(op_harness.UNIT_INTERVAL)
    assert unit.min() > 0 and unit.max() < 1
    clip = sample(op_harness.AWAY_FROM_CLIP_BOUNDS)
    assert np.abs(np.abs(clip) - 1.0).min() >= 0.1


@pytest.mark.parametrize("shapes", [((3, 1), (1, 4)), ((3, 4), ()), ((7,), (5,)), ((2, 3), (3,))])
def test_distinct_domain_never_ties_within_or_between_inputs(shapes):
    x = sample(op_harness.DISTINCT, shapes[0], position=0)
    y = sample(op_harness.DISTINCT, shapes[1], position=1)
    assert len(np.unique(x)) == x.size and len(np.unique(y)) == y.size
    assert np.abs(np.subtract.outer(x, y)).min() >= 0.25
    if x.size > 1:
        gaps = np.diff(np.sort(x.ravel()))
        assert gaps.min() >= 0.5


def test_guards_map_any_real_tensor_into_the_domain():
    t = nm.Tensor(np.linspace(-50, 50, 101))
    assert op_harness.POSITIVE.guard(t).numpy().min() >= 0.5
    assert op_harness.ABOVE_MINUS_ONE.guard(t).numpy().min() > -1
    unit = op_harness.UNIT_INTERVAL.guard(t).numpy()
    assert unit.min() >= 0 and unit.max() <= 1
    assert np.abs(op_harness.BOUNDED.guard(t).numpy()).max() <= 2


def test_cases_of_a_reduction_cover_each_axis_of_each_shape():
    labels = {case.label for case in OP_CASES if case.op == "sum"}
    assert "2x3x4,axis=(0, 2),keepdims=True" in labels
    assert "scalar,axis=None,keepdims=False" in labels
