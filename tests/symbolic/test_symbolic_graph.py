"""Building (ordering nodes from inputs to outputs) and replaying symbolic graphs, with bare
Operations: numeras.symbolic works without layers or models."""

import numpy as np
import pytest
from symbolic_helpers import Concat, Scale, Split, placeholder

from numeras.symbolic import Function, Node, Operation, SymbolicTensor, symbolic_call
from numeras.symbolic.graph import map_graph, replay_on_new_inputs
from numeras.symbolic.node import node_index


def _data(shape, seed):
    return np.random.default_rng(seed).normal(size=shape)


def test_calling_an_operation_on_symbolic_tensors_records_a_node():
    a = placeholder((3,), "a")
    scale = Scale(2.0)
    out = scale(a, offset=1.0)
    assert isinstance(out, SymbolicTensor) and out.shape == (None, 3)
    assert out._keras_history == (scale, 0, 0)
    (node,) = scale._inbound_nodes
    assert node.inputs is a and node.kwargs == {"offset": 1.0}
    assert node.input_tensors == [a] and node.output_tensors == [out]
    assert not node.is_input and node.parent_nodes == [a._keras_history[0]._inbound[0]]
    assert scale.input is a and scale.output is out
    assert scale.calls == 0  # nothing computed while recording


def test_symbolic_call_drops_the_default_training_flag_and_keeps_a_set_one():
    a = placeholder((3,), "a")
    scale = Scale(1.0)
    symbolic_call(scale, a, training=None)
    symbolic_call(scale, a, training=True)
    assert scale._inbound[0].kwargs == {}
    assert scale._inbound[1].kwargs == {"training": True}
    assert [node_index(node) for node in scale._inbound] == [0, 1]


def test_outputs_of_a_call_are_numbered_in_flatten_order():
    a = placeholder((5,), "a")
    split = Split(2)
    parts = split(a)
    assert list(parts) == ["tail", "head"]  # the structure compute_output_shape gave
    assert parts["head"].shape == (None, 2) and parts["tail"].shape == (None, 3)
    # flatten visits dict keys sorted: "head" before "tail".
    assert parts["head"]._keras_history[2] == 0 and parts["tail"]._keras_history[2] == 1


def test_a_bad_output_shape_is_reported_with_the_operation_name():
    class Broken(Scale):
        def compute_output_shape(self, input_shape):
            return "wide"

    with pytest.raises(ValueError, match=r"Layer 'broken' \(Broken\).*compute_output_shape returned 'wide'"):
        Broken(1.0)(placeholder((3,), "a"))


def test_an_operation_never_called_symbolically_has_no_input():
    with pytest.raises(AttributeError, match="never been called on a symbolic input"):
        _ = Scale(1.0).output


def test_node_fill_in_replaces_every_symbolic_tensor_by_its_value():
    a, b = placeholder((2,), "a"), placeholder((2,), "b")
    node = Node(Scale(1.0), [a, 3], [], (b, "text"), {"offset": a})
    values = {id(a): "A", id(b): "B"}
    assert node.fill_in(values) == (["A", 3], ("B", "text"), {"offset": "A"})
    assert node.input_tensors == [a, b, a]
    assert node.kwargs == {"offset": a}  # the node keeps its symbolic arguments


def test_function_orders_operations_by_depth_then_by_walk_from_the_outputs():
    a, b = placeholder((3,), "a"), placeholder((2,), "b")
    hidden = Scale(2.0, name="double")(a)
    joined = Concat(name="join")([hidden, b])
    out = Scale(-1.0, name="negate")(joined)
    function = Function([a, b], out)
    # Depths from the outputs: negate 0, join 1, double and b 2, a 3; at one depth, the order in
    # which a depth-first walk from the outputs meets them (double before b).
    assert [op.name for op in function.operations] == ["a", "double", "b", "join", "negate"]
    assert sorted(function._nodes_by_depth) == [0, 1, 2, 3]
    assert [node.layer.name for node in function._execution_order] == ["double", "join", "negate"]


def test_function_replays_the_graph_on_values():
    a, b = placeholder((3,), "a"), placeholder((2,), "b")
    out = Scale(-1.0)(Concat()([Scale(2.0)(a), b]), offset=0.5)
    function = Function({"a": a, "b": b}, out)
    xa, xb = _data((4, 3), 0), _data((4, 2), 1)
    expected = -np.concatenate([2 * xa, xb], axis=-1) + 0.5
    np.testing.assert_allclose(function.run([xa, xb]), expected)
    np.testing.assert_allclose(function.run({"b": xb, "a": xa}), expected)
    assert function.compute_output_shape([(None, 3), (None, 2)]) == (None, 5)
    assert function.compute_output_shape({"a": (7, 3), "b": (7, 2)}) == (7, 5)


def test_function_returns_outputs_in_their_structure():
    a = placeholder((5,), "a")
    parts = Split(2)(a)
    function = Function(a, {"first": parts["head"], "rest": [parts["tail"], Scale(3.0)(parts["tail"])]})
    x = _data((2, 5), 2)
    result = function.run(x)
    assert list(result) == ["first", "rest"]
    np.testing.assert_allclose(result["first"], x[:, :2])
    np.testing.assert_allclose(result["rest"][0], x[:, 2:])
    np.testing.assert_allclose(result["rest"][1], 3 * x[:, 2:])
    assert function.compute_output_shape((None, 5)) == {"first": (None, 2), "rest": [(None, 3), (None, 3)]}


def test_a_shared_operation_runs_once_per_node_and_takes_its_deepest_depth():
    a = placeholder((2,), "a")
    shared = Scale(3.0, name="shared")
    out = Scale(1.0, name="between")(shared(a))
    out = shared(out)
    function = Function(a, out)
    assert [op.name for op in function.operations] == ["a", "shared", "between"]
    x = _data((3, 2), 3)
    np.testing.assert_allclose(function.run(x), 9 * x)
    assert shared.calls == 2


def test_call_kwargs_reach_every_node_that_did_not_set_them():
    a = placeholder((2,), "a")
    out = Scale(1.0)(Scale(1.0)(a), offset=10.0)
    function = Function(a, out)
    x = np.zeros((1, 2))
    np.testing.assert_allclose(function._replay([x], offset=1.0), np.full((1, 2), 11.0))


def test_an_input_no_output_depends_on_still_belongs_to_the_graph():
    a, unused = placeholder((2,), "a"), placeholder((2,), "unused")
    function = Function([a, unused], Scale(2.0)(a))
    assert "unused" in [op.name for op in function.operations]
    np.testing.assert_allclose(function.run([np.ones((1, 2)), np.zeros((1, 2))]), np.full((1, 2), 2.0))


def test_outputs_that_need_an_input_not_given_are_refused():
    a, b = placeholder((2,), "a"), placeholder((2,), "b")
    out = Concat()([a, b])
    with pytest.raises(ValueError, match="Graph disconnected.*'b'"):
        Function(a, out)


def test_two_operations_with_one_name_are_refused():
    a = placeholder((2,), "a")
    out = Scale(1.0, name="twin")(Scale(1.0, name="twin")(a))
    with pytest.raises(ValueError, match='The name "twin" is used 2 times'):
        map_graph([a], [out])


def test_inputs_and_outputs_must_be_symbolic_tensors():
    a = placeholder((2,), "a")
    with pytest.raises(ValueError, match="`outputs` values must be KerasTensors.*ndarray"):
        Function(a, np.zeros(2))
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        Function([], a)


def test_function_needs_input_tensors_as_inputs():
    a = placeholder((2,), "a")
    hidden = Scale(2.0)(a)
    with pytest.raises(ValueError, match="every input must be the output of an Input"):
        Function(hidden, Scale(3.0)(hidden))


def test_replay_on_new_inputs_makes_the_calls_again_on_the_same_operations():
    a = placeholder((2,), "a")
    first, second = Scale(2.0, name="first"), Scale(3.0, name="second")
    hidden = first(a)
    out = second(hidden)
    new_inputs, new_outputs = replay_on_new_inputs(hidden, out, lambda t: placeholder(t.shape[1:], "fresh"))
    assert new_inputs.name == "fresh" and new_outputs is not out
    assert len(first._inbound) == 1 and len(second._inbound) == 2  # only the calls after `hidden`
    function = Function(new_inputs, new_outputs)
    x = _data((2, 2), 4)
    np.testing.assert_allclose(function.run(x), 3 * x)


def test_a_bare_operation_must_say_how_it_computes():
    with pytest.raises(NotImplementedError, match="compute_output_shape"):
        Operation()(placeholder((2,), "a"))
    with pytest.raises(NotImplementedError, match="call"):
        Operation()(np.zeros(2))
