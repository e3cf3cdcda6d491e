"""numeras.testing.gradcheck and check_dtype_preserved: they pass correct code and catch wrong code."""

import numpy as np
import pytest

import numeras as nm
from numeras import ops
from numeras.autodiff.ops import record
from numeras.testing import GradcheckError, check_dtype_preserved, gradcheck


def wrong_square(x):
    """x^2 whose VJP forgets the factor 2."""
    a = x.data
    return record(a * a, (x,), lambda g: (g * a,))


def test_passes_on_correct_gradients_of_several_inputs():
    assert gradcheck(lambda a, b: ops.sum(ops.tanh(a @ b)), [np.ones((2, 3)) * 0.1, np.arange(3.0) / 3])


def test_accepts_a_single_array_a_tensor_and_python_lists():
    assert gradcheck(ops.exp, np.array([0.1, 0.2]))
    assert gradcheck(ops.exp, nm.Tensor(np.array([0.1, 0.2], dtype="float32")))
    assert gradcheck(lambda a, b: a * b, [[1.0, 2.0], [3.0, 4.0]])  # a list holds the inputs


def test_f_sees_float64_tensors_even_for_float32_inputs():
    seen = []

    def f(x):
        seen.append(x.dtype)
        return x * 2.0

    gradcheck(f, np.ones(3, dtype="float32"))
    assert set(seen) == {"float64"}


def test_does_not_modify_the_callers_arrays():
    x = np.array([0.5, 1.5])
    gradcheck(ops.square, x)
    np.testing.assert_array_equal(x, [0.5, 1.5])


def test_reports_the_input_errors_and_worst_element():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, b: wrong_square(a) + b, [x, np.zeros((2, 2))])
    message = str(info.value)
    assert "input 0" in message and "input 1" not in message
    assert "checked element by element" in message
    assert "max abs error" in message and "max rel error" in message
    assert "worst element (1, 0)" in message  # |x| is largest there, so is the missing x


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


def test_large_inputs_are_checked_along_a_random_direction():
    x = np.linspace(0.5, 2.0, 200)
    assert gradcheck(ops.square, x, max_elementwise=10)
    with pytest.raises(GradcheckError, match="input 0 .*checked along a random direction.*directional derivative"):
        gradcheck(wrong_square, x, max_elementwise=10)


def test_directional_mode_makes_two_evaluations_per_input():
    calls = []

    def f(x):
        calls.append(1)
        return ops.sum(ops.square(x))

    gradcheck(f, np.ones(1000), max_elementwise=10)
    assert len(calls) == 1 + 2


def test_non_scalar_outputs_are_projected_on_a_random_cotangent():
    # d/dx of sum(f) alone would not see a VJP that swaps the gradients of two outputs.
    def swapped(x):
        a = x.data
        return record(a * np.array([1.0, 3.0]), (x,), lambda g: (g[::-1] * np.array([1.0, 3.0]),))

    assert gradcheck(swapped, np.ones(2), raise_exception=False) is False
    assert gradcheck(lambda x: x * np.array([1.0, 3.0]), np.ones(2))


def test_raise_exception_false_returns_false():
    assert gradcheck(wrong_square, np.array([1.0, 2.0]), raise_exception=False) is False


def test_tolerances_are_honoured():
    def slightly_wrong(x):
        a = x.data
        return record(a * a, (x,), lambda g: (g * 2 * a * (1 + 1e-4),))

    x = np.array([1.0, 2.0])
    assert not gradcheck(slightly_wrong, x, raise_exception=False)
    assert gradcheck(slightly_wrong, x, rtol=1e-3)


def test_unconnected_inputs_must_have_zero_finite_differences():
    assert gradcheck(lambda a, b: a * 2.0, [np.ones(2), np.ones(3)])


def test_seed_makes_the_check_reproducible():
    def describe(seed):
        try:
            gradcheck(wrong_square, np.linspace(1, 2, 50), max_elementwise=1, seed=seed)
        except GradcheckError as error:
            return str(error)

    assert describe(3) == describe(3)
    assert describe(3) != describe(4)


def test_f_must_return_a_float_tensor():
    with pytest.raises(TypeError, match="must return a numeras Tensor"):
        gradcheck(lambda x: x.numpy() * 2, np.ones(2))
    with pytest.raises(TypeError, match="float tensor"):
        gradcheck(lambda x: ops.argmax(x), np.ones(2))
    with pytest.raises(ValueError, match="at least one"):
        gradcheck(ops.exp, [])


def test_nan_gradient_fails():
    def nan_grad(x):
        return record(x.data * 1.0, (x,), lambda g: (g * np.nan,))

    assert not gradcheck(nan_grad, np.ones(2), raise_exception=False)


# -- check_dtype_preserved --------------------------------------------------------------
def test_dtype_check_passes_float32_code():
    check_dtype_preserved(lambda x, y: ops.sum(ops.softmax(x @ y) * 2.0), [np.ones((2, 3)), np.ones((3, 4))])


def test_dtype_check_catches_a_float64_constant_in_the_forward_pass():
    with pytest.raises(AssertionError, match="float64 output"):
        check_dtype_preserved(lambda x: x * np.array([2.0]), np.ones(3))


def test_dtype_check_catches_a_float64_intermediate():
    # The output is cast back to float32, but the multiply in between ran in float64.
    with pytest.raises(AssertionError, match="op multiply produced a float64 tensor"):
        check_dtype_preserved(lambda x: ops.cast(x * np.ones(3), "float32"), np.ones(3))


def test_dtype_check_catches_a_vjp_that_promotes():
    def promoting(x):
        return record(x.data * 2, (x,), lambda g: (g.astype("float64") * 2,))

    with pytest.raises(AssertionError, match=r"VJP of op promoting returned a float64 gradient for its float32 input 0"):
        check_dtype_preserved(promoting, np.ones(3))


def test_dtype_check_works_for_float64():
    check_dtype_preserved(lambda x: ops.gelu(x), np.ones(3), dtype="float64")
    with pytest.raises(AssertionError):
        check_dtype_preserved(lambda x: ops.cast(x, "float32"), np.ones(3), dtype="float64")
