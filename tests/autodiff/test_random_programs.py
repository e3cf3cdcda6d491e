"""Programs you have not seen: random composite expressions built from the op harness table.

Hypothesis draws a base shape, one to three inputs broadcastable to it, and a sequence of steps
(element-wise ops, broadcast binary ops, reductions over random axes, shape moves, products,
softmaxes and cross-entropies). Each step feeds on the latest value, binary steps also on an earlier
one, and each op's input passes through its domain's guard (e.g. x^2 + 0.5 before a log) so that
every program is smooth at almost every point. The tape's gradient of the whole program must match
float64 central differences with rtol 1e-5, and float32 inputs must stay float32 throughout.

Set NUMERAS_RANDOM_PROGRAMS=5000 to explore longer than the default 50 examples.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import numeras as nm
from numeras import ops
from numeras.autodiff import ops as primitives
from numeras.testing import check_dtype_preserved, gradcheck
from numeras.testing.op_harness import BINARY, REDUCTIONS, UNARY, UNIT_INTERVAL

MAX_EXAMPLES = int(os.environ.get("NUMERAS_RANDOM_PROGRAMS", "50"))

# std at zero variance (a reduced axis of length 1, or broadcast copies) has an infinite derivative.
PROGRAM_REDUCTIONS = sorted(name for name in REDUCTIONS if name != "std")


@dataclass
class Step:
    text: str
    apply: Callable  # (values) -> Tensor
    shape: tuple


@dataclass
class Program:
    input_shapes: list
    steps: list = field(default_factory=list)

    def __call__(self, *inputs):
        values = list(inputs)
        for step in self.steps:
            values.append(step.apply(values))
        return values[-1]

    def __repr__(self) -> str:
        lines = [f"v{i} = input{shape}" for i, shape in enumerate(self.input_shapes)]
        first = len(self.input_shapes)
        lines += [f"v{first + i} = {step.text}  # {step.shape}" for i, step in enumerate(self.steps)]
        return "\n".join(lines)


def broadcastable(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


@st.composite
def broadcast_variant(draw, base: tuple) -> tuple:
    """``base`` with some leading axes dropped and some lengths set to 1."""
    dropped = draw(st.integers(0, len(base)))
    return tuple(1 if draw(st.booleans()) and draw(st.booleans()) else n for n in base[dropped:])


def unary_step(draw, shapes):
    i = len(shapes) - 1
    name = draw(st.sampled_from(sorted(UNARY)))
    fn, domain = UNARY[name]
    return Step(f"{name}({domain.name}_guard(v{i}))", lambda v: fn(domain.guard(v[i])), shapes[i])


def binary_step(draw, shapes):
    i = len(shapes) - 1
    partners = [j for j, s in enumerate(shapes) if broadcastable(s, shapes[i])]
    j = draw(st.sampled_from(partners))
    if draw(st.booleans()):
        i, j = j, i
    name = draw(st.sampled_from(sorted(BINARY)))
    fn, (domain_a, domain_b) = BINARY[name]
    shape = np.broadcast_shapes(shapes[i], shapes[j])
    return Step(
        f"{name}({domain_a.name}_guard(v{i}), {domain_b.name}_guard(v{j}))",
        lambda v: fn(domain_a.guard(v[i]), domain_b.guard(v[j])),
        shape,
    )


def reduction_step(draw, shapes):
    i = len(shapes) - 1
    ndim = len(shapes[i])
    name = draw(st.sampled_from(PROGRAM_REDUCTIONS))
    fn, domain = REDUCTIONS[name]
    choices = [None] + list(range(-ndim, ndim)) + ([(0, ndim - 1)] if ndim >= 2 else [])
    axis = draw(st.sampled_from(choices))
    keepdims = draw(st.booleans())
    shape = np.sum(np.zeros(shapes[i]), axis=axis, keepdims=keepdims).shape
    return Step(
        f"{name}(v{i}, axis={axis}, keepdims={keepdims})",
        lambda v: fn(domain.guard(v[i]), axis=axis, keepdims=keepdims),
        shape,
    )


def shape_step(draw, shapes):
    i = len(shapes) - 1
    shape = shapes[i]
    moves = ["transpose", "flatten", "expand_dims", "broadcast_to", "tile"]
    if shape:
        moves += ["reverse", "take_repeats", "pad", "getitem_mask", "concatenate_self"]
    move = draw(st.sampled_from(moves))
    if move == "transpose":
        return Step(f"transpose(v{i})", lambda v: ops.transpose(v[i]), shape[::-1])
    if move == "flatten":
        return Step(f"reshape(v{i}, (-1,))", lambda v: ops.reshape(v[i], (-1,)), (int(np.prod(shape)),))
    if move == "expand_dims":
        return Step(f"expand_dims(v{i}, 0)", lambda v: ops.expand_dims(v[i], 0), (1, *shape))
    if move == "broadcast_to":
        return Step(f"broadcast_to(v{i}, (2, *shape))", lambda v: ops.broadcast_to(v[i], (2, *shape)), (2, *shape))
    if move == "tile":
        return Step(f"tile(v{i}, 2)", lambda v: ops.tile(v[i], 2), np.tile(np.zeros(shape), 2).shape)
    if move == "reverse":
        return Step(f"v{i}[::-1]", lambda v: v[i][::-1], shape)
    if move == "pad":
        return Step(f"pad(v{i}, 1)", lambda v: ops.pad(v[i], 1), tuple(n + 2 for n in shape))
    if move == "concatenate_self":
        return Step(
            f"concatenate([v{i}, 2 * v{i}], axis=-1)",
            lambda v: ops.concatenate([v[i], v[i] * 2.0], axis=-1),
            (*shape[:-1], 2 * shape[-1]),
        )
    if move == "getitem_mask":
        mask = np.array(draw(st.lists(st.booleans(), min_size=shape[0], max_size=shape[0])))
        mask[draw(st.integers(0, shape[0] - 1))] = True  # never empty: max of nothing is undefined
        return Step(f"v{i}[{mask.tolist()}]", lambda v: v[i][mask], (int(mask.sum()), *shape[1:]))
    indices = np.array(draw(st.lists(st.integers(0, shape[-1] - 1), min_size=1, max_size=5)))
    return Step(
        f"take(v{i}, {indices.tolist()}, axis=-1)",
        lambda v: ops.take(v[i], indices, axis=-1),
        (*shape[:-1], len(indices)),
    )


def matmul_shape(a: tuple, b: tuple):
    try:
        return np.matmul(np.zeros(a), np.zeros(b)).shape
    except ValueError:
        return None


def product_step(draw, shapes):
    i = len(shapes) - 1
    shape = shapes[i]
    partners = [j for j, s in enumerate(shapes) if shape and s and matmul_shape(shape, s) is not None]
    if partners and draw(st.booleans()):
        j = draw(st.sampled_from(partners))
        return Step(f"matmul(v{i}, v{j})", lambda v: ops.matmul(v[i], v[j]), matmul_shape(shape, shapes[j]))
    if len(shape) >= 2:
        perm = (*range(len(shape) - 2), len(shape) - 1, len(shape) - 2)
        out = (*shape[:-1], shape[-2])
        return Step(f"v{i} @ swapaxes(v{i})", lambda v: ops.matmul(v[i], ops.transpose(v[i], perm)), out)
    if len(shape) == 1:
        return Step(f"dot(v{i}, v{i})", lambda v: ops.dot(v[i], v[i]), ())
    return Step(f"v{i} * v{i}", lambda v: v[i] * v[i], shape)


def nn_step(draw, shapes):
    i = len(shapes) - 1
    shape = shapes[i]
    if not shape:
        return Step(f"sigmoid(v{i})", lambda v: ops.sigmoid(v[i]), shape)
    kind = draw(st.sampled_from(["softmax", "log_softmax", "softmax_cross_entropy", "sparse_softmax_cross_entropy"]))
    if kind == "softmax":
        return Step(f"softmax(v{i})", lambda v: ops.softmax(v[i]), shape)
    if kind == "log_softmax":
        return Step(f"log_softmax(v{i})", lambda v: ops.log_softmax(v[i]), shape)
    if kind == "softmax_cross_entropy":
        same = [j for j, s in enumerate(shapes) if s == shape]
        j = draw(st.sampled_from(same))
        return Step(
            f"softmax_cross_entropy(unit_guard(v{j}), v{i})",
            lambda v: primitives.softmax_cross_entropy(UNIT_INTERVAL.guard(v[j]), v[i]),
            shape[:-1],
        )
    labels = np.array(draw(st.lists(st.integers(0, shape[-1] - 1), min_size=1, max_size=1))[0])
    labels = np.broadcast_to(labels, shape[:-1])
    return Step(
        f"sparse_softmax_cross_entropy({labels.tolist()}, v{i})",
        lambda v: primitives.sparse_softmax_cross_entropy(labels, v[i]),
        shape[:-1],
    )


BUILDERS = {
    "unary": unary_step,
    "binary": binary_step,
    "reduction": reduction_step,
    "shape": shape_step,
    "product": product_step,
    "nn": nn_step,
}


@st.composite
def programs(draw) -> Program:
    base = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    input_shapes = [draw(broadcast_variant(base)) for _ in range(draw(st.integers(1, 3)))]
    program = Program(input_shapes)
    shapes = list(input_shapes)
    for _ in range(draw(st.integers(2, 8))):
        kind = draw(st.sampled_from(sorted(BUILDERS)))
        step = BUILDERS[kind](draw, shapes)
        if int(np.prod(step.shape)) > 64:  # keep every value small enough to check element by element
            continue
        program.steps.append(step)
        shapes.append(tuple(step.shape))
    if not program.steps:
        program.steps.append(unary_step(draw, shapes))
    return program


@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_random_programs_match_finite_differences(program, seed):
    note(repr(program))
    rng = np.random.default_rng(seed)
    inputs = [rng.uniform(-2.0, 2.0, size=shape) for shape in program.input_shapes]
    output = program(*[nm.Tensor(x) for x in inputs])
    # Central differences cannot resolve less than the rounding of the objective itself
    # (~1e-16 * |output| / eps): the absolute tolerance follows the output's magnitude.
    atol = 1e-8 * max(1.0, float(np.abs(output.numpy()).sum()))
    assert gradcheck(program, inputs, rtol=1e-5, atol=atol, seed=seed, max_elementwise=64)
    with np.errstate(over="ignore", invalid="ignore"):  # float32 may overflow where float64 did not
        check_dtype_preserved(program, inputs, "float32")
