"""GradientTape: TensorFlow's API for asking for gradients."""

import numpy as np
import pytest

import numeras as nm
from numeras import ops


def test_watch_a_plain_tensor():
    x = nm.Tensor(np.array([1.0, 2.0, 3.0]))
    with nm.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_unwatched_plain_tensor_gets_none():
    x = nm.Tensor(np.array([1.0, 2.0]))
    with nm.GradientTape() as tape:
        y = ops.sum(x * x)
    assert tape.gradient(y, x) is None


def test_watch_accepts_lists_and_dicts_and_rejects_non_tensors():
    a, b = nm.Tensor([1.0]), nm.Tensor([2.0])
    with nm.GradientTape() as tape:
        tape.watch([a, {"b": b}])
        y = a * b
    grads = tape.gradient(y, {"first": a, "second": [b]})
    np.testing.assert_allclose(grads["first"].numpy(), [2.0])
    np.testing.assert_allclose(grads["second"][0].numpy(), [1.0])
    with nm.GradientTape() as tape:
        with pytest.raises(TypeError, match="convert_to_tensor"):
            tape.watch(np.ones(2))


def test_sources_structure_is_preserved():
    a, b, c = nm.Variable([1.0]), nm.Variable([2.0]), nm.Variable([3.0])
    with nm.GradientTape(persistent=True) as tape:
        y = a * b * c
    single = tape.gradient(y, a)
    assert isinstance(single, nm.Tensor)
    listed = tape.gradient(y, [a, b])
    assert isinstance(listed, list) and len(listed) == 2
    as_tuple = tape.gradient(y, (a, b))
    assert isinstance(as_tuple, tuple)
    as_dict = tape.gradient(y, {"a": a, "rest": [b, c]})
    assert set(as_dict) == {"a", "rest"}
    np.testing.assert_allclose(as_dict["a"].numpy(), [6.0])
    np.testing.assert_allclose(as_dict["rest"][0].numpy(), [3.0])
    np.testing.assert_allclose(as_dict["rest"][1].numpy(), [2.0])


def test_non_persistent_tape_answers_once():
    x = nm.Variable([1.0])
    with nm.GradientTape() as tape:
        y = x * 2.0
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, x)


def test_persistent_tape_answers_repeatedly():
    x = nm.Variable([3.0])
    with nm.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [6.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [27.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [27.0])


def test_trainable_variables_are_watched_automatically_non_trainable_are_not():
    w = nm.Variable(np.array([1.0, 2.0]), name="w")
    frozen = nm.Variable(np.array([3.0, 4.0]), trainable=False, name="frozen")
    with nm.GradientTape() as tape:
        y = ops.sum(w * frozen)
    gw, gf = tape.gradient(y, [w, frozen])
    np.testing.assert_allclose(gw.numpy(), [3.0, 4.0])
    assert gf is None


def test_watching_a_non_trainable_variable_differentiates_it():
    frozen = nm.Variable(np.array([3.0, 4.0]), trainable=False)
    with nm.GradientTape() as tape:
        tape.watch(frozen)
        y = ops.sum(frozen * frozen)
    np.testing.assert_allclose(tape.gradient(y, frozen).numpy(), [6.0, 8.0])


def test_unconnected_gradients_none_or_zero():
    x, unused = nm.Variable([1.0, 2.0]), nm.Variable(np.ones((2, 2)))
    with nm.GradientTape(persistent=True) as tape:
        y = ops.sum(x * 2.0)
    assert tape.gradient(y, [x, unused])[1] is None
    zero = tape.gradient(y, [x, unused], unconnected_gradients="zero")[1]
    assert zero.shape == (2, 2) and zero.dtype == unused.dtype
    np.testing.assert_array_equal(zero.numpy(), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="'none' or 'zero'"):
        tape.gradient(y, x, unconnected_gradients="nothing")


def test_target_independent_of_everything():
    x = nm.Variable([1.0])
    with nm.GradientTape() as tape:
        y = nm.Tensor([5.0]) * 2.0
    assert tape.gradient(y, x) is None


def test_output_gradients_weight_a_non_scalar_target():
    x = nm.Variable([1.0, 2.0, 3.0])
    with nm.GradientTape(persistent=True) as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])  # summed by default
    weights = nm.Tensor(np.array([1.0, 0.0, -1.0], dtype="float32"))
    np.testing.assert_allclose(tape.gradient(y, x, output_gradients=weights).numpy(), [2.0, 0.0, -6.0])
    with pytest.raises(ValueError, match=r"output_gradients.*\(3,\).*\(2,\)"):
        tape.gradient(y, x, output_gradients=np.ones(2))


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = nm.Variable([1.0, 2.0])
    with nm.GradientTape() as tape:
        h = x * 3.0
        y = ops.sum(h * h)
    gh, gx = tape.gradient(y, [h, x])
    np.testing.assert_allclose(gh.numpy(), 2 * h.numpy())
    np.testing.assert_allclose(gx.numpy(), 18 * x.numpy())


def test_gradient_of_a_source_with_respect_to_itself():
    x = nm.Variable([1.0, 2.0])
    with nm.GradientTape() as tape:
        pass
    np.testing.assert_allclose(tape.gradient(x, x).numpy(), [1.0, 1.0])


def test_same_source_listed_twice_gets_independent_arrays():
    x = nm.Variable([1.0, 2.0])
    with nm.GradientTape() as tape:
        y = ops.sum(x * 2.0)
    g1, g2 = tape.gradient(y, [x, x])
    np.testing.assert_allclose(g1.numpy(), [2.0, 2.0])
    assert not np.shares_memory(g1.numpy(), g2.numpy())


def test_sources_must_be_tensors():
    x = nm.Variable([1.0])
    with nm.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(TypeError, match="every source must be a Tensor"):
        tape.gradient(y, [x, np.ones(1)])


def test_gradient_can_be_asked_inside_or_after_the_block():
    x = nm.Variable([2.0])
    with nm.GradientTape() as tape:
        y = x * x
        inside = tape.gradient(y, x)
    np.testing.assert_allclose(inside.numpy(), [4.0])
    with nm.GradientTape() as tape:
        y = x * x
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [4.0])


def test_nested_tapes_both_see_the_operations():
    x = nm.Variable([3.0])
    with nm.GradientTape() as outer:
        with nm.GradientTape() as inner:
            y = x * x * x
        g_inner = inner.gradient(y, x)
    np.testing.assert_allclose(g_inner.numpy(), [27.0])
    np.testing.assert_allclose(outer.gradient(y, x).numpy(), [27.0])


def test_gradients_have_the_variables_dtype():
    w = nm.Variable(np.ones((2, 3), dtype="float32"))
    x = np.ones((3,), dtype="float64")  # a float64 operand must not leak into w's gradient
    with nm.GradientTape() as tape:
        y = ops.sum(ops.matmul(w, x))
    g = tape.gradient(y, w)
    assert g.dtype == "float32" and g.shape == (2, 3)


def test_tape_gradient_is_a_fresh_owned_array():
    x = nm.Variable([[1.0, 2.0], [3.0, 4.0]])
    with nm.GradientTape() as tape:
        y = ops.sum(ops.transpose(x))  # the raw gradient is a transposed (non-contiguous) view
    g = tape.gradient(y, x).numpy()
    assert g.flags.c_contiguous and g.flags.writeable and g.base is None


def test_watch_lasts_only_while_the_tape_records():
    x = nm.Tensor(np.array([1.0, 2.0, 3.0]))
    with nm.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * x)
    assert not x.requires_grad
    # The graph recorded inside the block still answers after it.
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])
    later = x * 2.0
    assert not later.requires_grad and later._vjp is None


def test_watching_a_frozen_variable_does_not_unfreeze_it():
    frozen = nm.Variable(np.array([2.0]), trainable=False)
    with nm.GradientTape() as tape:
        tape.watch(frozen)
        y = ops.sum(frozen * frozen)
    assert not frozen.requires_grad and not frozen.trainable
    np.testing.assert_allclose(tape.gradient(y, frozen).numpy(), [4.0])


def test_watch_accessed_variables_false_differentiates_only_what_is_watched():
    a = nm.Variable(np.array([3.0]))
    b = nm.Variable(np.array([5.0]))
    with nm.GradientTape(watch_accessed_variables=False, persistent=True) as tape:
        tape.watch(a)
        y = ops.sum(a * b)
    grad_a, grad_b = tape.gradient(y, [a, b])
    np.testing.assert_allclose(grad_a.numpy(), [5.0])
    assert grad_b is None
    zeros = tape.gradient(y, [a, b], unconnected_gradients="zero")[1]
    np.testing.assert_array_equal(zeros.numpy(), [0.0])
    # The default tape watches both.
    with nm.GradientTape() as tape:
        y = ops.sum(a * b)
    np.testing.assert_allclose(tape.gradient(y, b).numpy(), [3.0])
