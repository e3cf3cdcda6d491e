"""The recorded graph and the reverse pass: depth, sharing, accumulation, recording switches."""

import gc
import weakref

import numpy as np
import pytest

import numeras as nm
from numeras import ops
from numeras.autodiff import graph


def leaf(values, dtype="float64"):
    return nm.Tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_ten_thousand_op_chain_differentiates_without_recursion():
    x = leaf([0.5, -0.25])
    with nm.GradientTape() as tape:
        y = x
        for _ in range(10_000):
            y = y * 1.0001 + 0.0
    expected = np.full(2, 1.0001**10_000)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, rtol=1e-10)
    y.backward()
    np.testing.assert_allclose(x.grad, expected, rtol=1e-10)


def test_deep_graph_is_freed_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(20_000):
        y = ops.tanh(y)
    probe = weakref.ref(y)
    del y
    gc.collect()
    assert probe() is None


def test_reused_tensor_receives_the_sum_of_its_gradients():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x + 3.0 * x + ops.exp(x)
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * x.numpy() + 3.0 + np.exp(x.numpy()))


def test_same_tensor_as_both_operands():
    x = leaf([1.5, -2.0])
    for make, expected in [
        (lambda: x * x, 2 * x.numpy()),
        (lambda: x + x, np.full(2, 2.0)),
        (lambda: x - x, np.zeros(2)),
        (lambda: x / x, np.zeros(2)),
        (lambda: ops.maximum(x, x), np.ones(2)),
    ]:
        with nm.GradientTape() as tape:
            y = make()
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), expected, atol=1e-12)


def test_diamond_graph():
    # x feeds a and b, both feed z: dz/dx = da/dx * b + a * db/dx.
    x = leaf([0.3, -0.7])
    a = ops.tanh(x)
    b = ops.exp(x)
    z = a * b
    z.backward()
    xv = x.numpy()
    np.testing.assert_allclose(x.grad, (1 - np.tanh(xv) ** 2) * np.exp(xv) + np.tanh(xv) * np.exp(xv))


def test_nested_diamonds_visit_each_node_once():
    x = leaf([2.0])
    y = x
    for _ in range(30):  # 2^30 paths: visiting per path instead of per node would never finish
        y = y * 0.5 + y * 0.5
    y.backward()
    np.testing.assert_allclose(x.grad, [1.0])


def test_backward_accumulates_into_grad_and_zero_grad_resets():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad, [6.0, 6.0])
    x.zero_grad()
    assert x.grad is None


def test_backward_with_explicit_gradient_and_shape_check():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2.0
    y.backward(np.array([[1.0, 0.0], [0.0, 10.0]]))
    np.testing.assert_allclose(x.grad, [[2.0, 0.0], [0.0, 20.0]])
    with pytest.raises(ValueError, match=r"must have the output's shape \(2, 2\)"):
        y.backward(np.ones(3))


def test_backward_on_a_tensor_without_gradient_says_why():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        nm.Tensor([1.0, 2.0]).sum().backward()


def test_backward_on_a_leaf_sets_ones():
    x = leaf([1.0, 2.0])
    x.backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0])


def test_backward_and_tape_agree_on_the_same_graph():
    w = leaf(np.arange(6.0).reshape(2, 3) / 10)
    v = leaf([0.5, -1.0, 2.0])
    with nm.GradientTape(persistent=True) as tape:
        y = ops.sum(ops.tanh(w @ v) ** 2)
    gw, gv = tape.gradient(y, [w, v])
    y.backward()
    np.testing.assert_allclose(w.grad, gw.numpy())
    np.testing.assert_allclose(v.grad, gv.numpy())


def test_gradients_do_not_alias_each_other_or_graph_buffers():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    with nm.GradientTape() as tape:
        y = a + b
    ga, gb = tape.gradient(y, [a, b])
    assert not np.shares_memory(ga.numpy(), gb.numpy())
    ga.numpy()[:] = 100.0
    np.testing.assert_allclose(gb.numpy(), [1.0, 1.0])
    (a + b).backward()
    assert not np.shares_memory(a.grad, b.grad)


def test_output_gradients_array_is_not_returned_as_a_gradient():
    x = leaf([1.0, 2.0])
    seed = np.array([3.0, 4.0])
    with nm.GradientTape() as tape:
        y = x + 1.0
    g = tape.gradient(y, x, output_gradients=seed)
    np.testing.assert_allclose(g.numpy(), seed)
    assert not np.shares_memory(g.numpy(), seed)


def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with nm.no_grad():
        assert not nm.is_grad_enabled()
        y = ops.exp(x) * x
        v = nm.Variable([1.0, 2.0])
        z = v * 2.0
    assert nm.is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad
        assert t._parents == () and t._vjp is None


def test_enable_grad_inside_no_grad_and_tape_inside_no_grad():
    x = leaf([1.0, 2.0])
    with nm.no_grad():
        with nm.enable_grad():
            assert (x * 2.0).requires_grad
        with nm.GradientTape() as tape:
            y = x * 2.0
        assert not (x * 2.0).requires_grad
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 2.0])


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(KeyError):
        with nm.no_grad():
            raise KeyError
    assert nm.is_grad_enabled()


def test_constants_do_not_join_the_graph():
    c = nm.Tensor([1.0, 2.0])
    y = ops.exp(c) * 3.0
    assert not y.requires_grad and y._vjp is None


def test_stop_gradient_blocks_the_gradient():
    x = leaf([2.0])
    with nm.GradientTape() as tape:
        y = x * ops.stop_gradient(x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0])


def test_detach_cuts_the_graph():
    x = leaf([2.0])
    d = (x * 3.0).detach()
    assert not d.requires_grad and d._vjp is None
    np.testing.assert_allclose(d.numpy(), [6.0])


def test_topological_order_puts_parents_first():
    x = leaf([1.0])
    a = x * 2.0
    b = a + x
    c = a * b
    order = graph.topological_order(c)
    position = {id(t): i for i, t in enumerate(order)}
    assert position[id(a)] < position[id(b)] < position[id(c)]
    assert id(x) not in position  # leaves are not interior nodes


def test_unbroadcast_sums_stretched_and_leading_axes():
    g = np.ones((2, 3, 4))
    np.testing.assert_allclose(graph.unbroadcast(g, (3, 1)), np.full((3, 1), 8.0))
    np.testing.assert_allclose(graph.unbroadcast(g, ()), 24.0)
    assert graph.unbroadcast(g, (2, 3, 4)) is g
    with pytest.raises(ValueError, match="cannot belong"):
        graph.unbroadcast(np.ones(3), (2, 3))


def test_broadcast_operand_gradient_is_summed_to_its_shape():
    col, row = leaf(np.ones((3, 1))), leaf(np.ones((1, 4)))
    (col * row * 2.0).backward()
    np.testing.assert_allclose(col.grad, np.full((3, 1), 8.0))
    np.testing.assert_allclose(row.grad, np.full((1, 4), 6.0))


def test_integer_tensors_get_no_gradient():
    idx = nm.Tensor(np.array([0, 1]))
    x = leaf([1.0, 2.0])
    with nm.GradientTape() as tape:
        tape.watch(idx)  # ignored: integers are not differentiable
        y = x * ops.cast(idx, "float64")
    gx, gi = tape.gradient(y, [x, idx])
    np.testing.assert_allclose(gx.numpy(), [0.0, 1.0])
    assert gi is None
    assert not idx.requires_grad
