"""Every differentiable op, on every case of the harness table: gradients against float64 finite
differences, and float32 kept end to end (forward values, every VJP, the tape's gradients)."""

import pytest

from numeras.testing import op_harness
from numeras.testing.op_harness import OP_CASES, check_case, check_case_dtype

DTYPE_CASES = [case for case in OP_CASES if case.keeps_dtype]


@pytest.mark.parametrize("case", OP_CASES, ids=lambda case: case.id)
def test_gradient_matches_finite_differences(case):
    assert check_case(case)


@pytest.mark.parametrize("case", DTYPE_CASES, ids=lambda case: case.id)
def test_float32_in_float32_out_and_float32_gradients(case):
    check_case_dtype(case, "float32")


@pytest.mark.parametrize("case", DTYPE_CASES, ids=lambda case: case.id)
def test_float64_in_float64_out_and_float64_gradients(case):
    check_case_dtype(case, "float64")


def test_table_covers_every_differentiable_op():
    missing = set(op_harness.DIFFERENTIABLE_OPS) - op_harness.covered_ops()
    assert not missing, f"ops without a gradcheck case: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(op_harness.REDUCTIONS))
def test_reductions_cover_axis_and_keepdims_variants(name):
    labels = [case.label for case in OP_CASES if case.op == name]
    for fragment in ("axis=None", "axis=0", "axis=-1", "axis=(0, -1)", "keepdims=True", "keepdims=False"):
        assert any(fragment in label for label in labels), (name, fragment)


@pytest.mark.parametrize("name", sorted(op_harness.BINARY))
def test_binary_ops_cover_broadcast_pairs(name):
    labels = {case.label for case in OP_CASES if case.op == name}
    assert {"3x1*1x4", "2x3*3", "scalar*scalar", "4*4", "3x4*3x4"} <= labels
