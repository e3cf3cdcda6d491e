"""A table of every differentiable op, with the inputs on which each may be checked.

Each :class:`OpCase` is one op applied to inputs of given shapes (or a given axis, index,
broadcast pair, ...), with a :class:`Domain` per input so that the finite differences of
:func:`numeras.testing.gradcheck` never straddle a kink or leave an op's domain: positive values
for ``log`` and ``sqrt``, values away from 0 for ``abs`` and ``relu``, well separated values for
``max`` and ``maximum``, values away from the bounds for ``clip``.

The registries ``UNARY``, ``BINARY`` and ``REDUCTIONS`` hold the shape-polymorphic ops; each
domain also carries a smooth ``guard`` mapping any real tensor into it, so that random programs
can be composed from the same table (see tests/autodiff/test_random_programs.py).

``OP_CASES`` is the full table; ``check_case`` runs gradcheck on one case in float64 and
``check_case_dtype`` checks that float32 inputs stay float32 forward and backward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from numeras import ops
from numeras.autodiff import ops as primitives
from numeras.autodiff.tensor import Tensor
from numeras.backend import make_generator, xp
from numeras.testing.gradient_check import check_dtype_preserved, gradcheck


@dataclass(frozen=True)
class Domain:
    """Where an op's inputs may be sampled, and a smooth map from any real tensor into it."""

    name: str
    sample: Callable  # (rng, shape, position) -> float64 array
    guard: Callable[[Tensor], Tensor]

    def __repr__(self) -> str:
        return self.name


def _uniform(lo: float, hi: float) -> Callable:
    return lambda rng, shape, position: rng.uniform(lo, hi, size=shape)


def _away_from(point: float) -> Callable:
    """Values at distance 0.25 to 2 from ``point``, on either side."""

    def sample(rng, shape, position):
        sign = xp.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
        return point + sign * rng.uniform(0.25, 2.0, size=shape)

    return sample


def _distinct(rng, shape, position):
    """Entries 0.5 apart in random order, odd input positions shifted by 0.25, so no two entries of
    one input, nor of two inputs, tie (max, min, maximum and minimum are kinked at ties)."""
    size = 1
    for n in shape:
        size *= n
    values = (rng.permutation(size) - size // 2) * 0.5 + 0.25 * (position % 2)
    return values.reshape(shape).astype(xp.float64)


def _away_from_unit_bounds(rng, shape, position):
    """Values within 0.1 of neither -1 nor 1, for clip(x, -1, 1)."""
    magnitude = xp.where(rng.uniform(size=shape) < 0.5, rng.uniform(0.1, 0.9, size=shape), rng.uniform(1.1, 2.0, size=shape))
    return xp.where(rng.uniform(size=shape) < 0.5, -magnitude, magnitude)


def _identity(t: Tensor) -> Tensor:
    return t


REAL = Domain("real", _uniform(-2.0, 2.0), _identity)
# exp, square and powers grow quickly; composed programs squash their inputs first.
BOUNDED = Domain("bounded", _uniform(-2.0, 2.0), lambda t: ops.multiply(ops.tanh(t), 2.0))
POSITIVE = Domain("positive", _uniform(0.5, 2.0), lambda t: ops.add(ops.square(t), 0.5))
ABOVE_MINUS_ONE = Domain("above_minus_one", _uniform(-0.5, 2.0), lambda t: ops.square(t))
UNIT_INTERVAL = Domain("unit_interval", _uniform(0.1, 0.9), lambda t: ops.sigmoid(t))
# Kinks at 0 (abs, relu, elu, ...) or at ties have measure zero, so composed programs need no guard.
def _away_from_zero(t: Tensor) -> Tensor:
    """Composed programs can hand an exact 0 to cbrt or 1/x (log_softmax of one entry is 0): push
    every value 0.25 further from zero (a constant shift on each side, so gradients pass unchanged)."""
    return ops.add(t, ops.where(ops.greater_equal(t, 0.0), 0.25, -0.25))


AWAY_FROM_ZERO = Domain("away_from_zero", _away_from(0.0), _away_from_zero)
DISTINCT = Domain("distinct", _distinct, _identity)
AWAY_FROM_CLIP_BOUNDS = Domain("away_from_clip_bounds", _away_from_unit_bounds, _identity)
# arcsin, arccos, arctanh, erfinv (and tan, kept away from its poles) need |x| < 1.
OPEN_UNIT = Domain("open_unit", _uniform(-0.9, 0.9), lambda t: ops.multiply(ops.tanh(t), 0.9))
ABOVE_ONE = Domain("above_one", _uniform(1.5, 3.0), lambda t: ops.add(ops.square(t), 1.5))


@dataclass(frozen=True)
class OpCase:
    """One op on inputs of fixed shapes: ``fn(*tensors)`` must return a Tensor."""

    op: str
    label: str
    fn: Callable[..., Tensor]
    shapes: tuple
    domains: tuple
    rtol: float = 1e-5
    atol: float = 1e-8
    eps: float = 1e-6
    keeps_dtype: bool = True
    """False where the op changes dtype on purpose (cast), so the float32 check does not apply."""

    @property
    def id(self) -> str:
        return f"{self.op}[{self.label}]"

    def make_inputs(self, seed: int = 0, dtype: str = "float64") -> list:
        rng = make_generator(seed)
        return [
            domain.sample(rng, tuple(shape), position).astype(dtype)
            for position, (shape, domain) in enumerate(zip(self.shapes, self.domains))
        ]


def check_case(case: OpCase, seed: int = 0) -> bool:
    """gradcheck the case in float64 (raises GradcheckError on a mismatch)."""
    return gradcheck(
        case.fn, case.make_inputs(seed), eps=case.eps, rtol=case.rtol, atol=case.atol, seed=seed
    )


def check_case_dtype(case: OpCase, dtype: str = "float32", seed: int = 0) -> None:
    """Run the case on ``dtype`` inputs and check nothing in the graph or its gradients changes dtype."""
    check_dtype_preserved(case.fn, case.make_inputs(seed, dtype), dtype=dtype)


# -- the registries: shape-polymorphic ops ---------------------------------------------------
UNARY: dict[str, tuple[Callable[[Tensor], Tensor], Domain]] = {
    "negative": (ops.negative, REAL),
    "square": (ops.square, BOUNDED),
    "sqrt": (ops.sqrt, POSITIVE),
    "exp": (ops.exp, BOUNDED),
    "log": (ops.log, POSITIVE),
    "log1p": (ops.log1p, ABOVE_MINUS_ONE),
    "abs": (ops.abs, AWAY_FROM_ZERO),
    "relu": (ops.relu, AWAY_FROM_ZERO),
    "sigmoid": (ops.sigmoid, REAL),
    "tanh": (ops.tanh, REAL),
    "softplus": (ops.softplus, REAL),
    "softsign": (ops.softsign, REAL),
    "elu": (ops.elu, AWAY_FROM_ZERO),
    "selu": (ops.selu, AWAY_FROM_ZERO),
    "gelu": (ops.gelu, REAL),
    "gelu_exact": (lambda x: ops.gelu(x, approximate=False), REAL),
    "leaky_relu": (ops.leaky_relu, AWAY_FROM_ZERO),
    "silu": (ops.silu, REAL),
    "erf": (ops.erf, REAL),
    "power_int": (lambda x: ops.power(x, 3), BOUNDED),
    "power_float": (lambda x: ops.power(x, 1.5), POSITIVE),
    "rpow": (lambda x: ops.power(2.0, x), BOUNDED),
    "clip": (lambda x: ops.clip(x, -1.0, 1.0), AWAY_FROM_CLIP_BOUNDS),
    "relu6": (ops.relu6, AWAY_FROM_ZERO),  # kinks at 0 and 6; samples stay below 2
    "hard_sigmoid": (ops.hard_sigmoid, REAL),  # kinks at -3 and 3
    "hard_silu": (ops.hard_silu, REAL),
    "reciprocal": (ops.reciprocal, POSITIVE),
    "sin": (ops.sin, REAL),
    "cos": (ops.cos, REAL),
    "tan": (ops.tan, OPEN_UNIT),
    "arcsin": (ops.arcsin, OPEN_UNIT),
    "arccos": (ops.arccos, OPEN_UNIT),
    "arctan": (ops.arctan, REAL),
    "sinh": (ops.sinh, BOUNDED),
    "cosh": (ops.cosh, BOUNDED),
    "arcsinh": (ops.arcsinh, REAL),
    "arccosh": (ops.arccosh, ABOVE_ONE),
    "arctanh": (ops.arctanh, OPEN_UNIT),
    "expm1": (ops.expm1, BOUNDED),
    "log2": (ops.log2, POSITIVE),
    "log10": (ops.log10, POSITIVE),
    "cbrt": (ops.cbrt, AWAY_FROM_ZERO),
    "rsqrt": (ops.rsqrt, POSITIVE),
    "erfinv": (ops.erfinv, OPEN_UNIT),
    "operators": (lambda x: (2.0 - x) * 3.0 / 4.0 + 1.0, REAL),
}
"""Element-wise ops of one tensor: name -> (function, input domain)."""

BINARY: dict[str, tuple[Callable[[Tensor, Tensor], Tensor], tuple[Domain, Domain]]] = {
    "add": (ops.add, (REAL, REAL)),
    "subtract": (ops.subtract, (REAL, REAL)),
    "multiply": (ops.multiply, (REAL, REAL)),
    "divide": (ops.divide, (REAL, POSITIVE)),
    "power": (ops.power, (POSITIVE, BOUNDED)),
    "maximum": (ops.maximum, (DISTINCT, DISTINCT)),
    "minimum": (ops.minimum, (DISTINCT, DISTINCT)),
    "sigmoid_cross_entropy": (primitives.sigmoid_cross_entropy, (UNIT_INTERVAL, REAL)),
}
"""Element-wise ops of two broadcast tensors: name -> (function, input domains)."""

REDUCTIONS: dict[str, tuple[Callable, Domain]] = {
    "sum": (ops.sum, REAL),
    "mean": (ops.mean, REAL),
    "max": (ops.max, DISTINCT),
    "min": (ops.min, DISTINCT),
    "var": (ops.var, REAL),
    "std": (ops.std, REAL),
    "logsumexp": (ops.logsumexp, REAL),
    "prod": (ops.prod, REAL),
    "norm": (ops.norm, AWAY_FROM_ZERO),
}
"""Reductions ``f(x, axis=..., keepdims=...)``: name -> (function, input domain)."""

UNARY_SHAPES: tuple = ((), (4,), (3, 4))
BINARY_SHAPES: tuple = (
    ((), ()),
    ((4,), (4,)),
    ((3, 4), (3, 4)),
    ((3, 1), (1, 4)),
    ((2, 3), (3,)),
    ((3, 4), ()),
)
REDUCTION_SHAPES: tuple = ((), (4,), (3, 4), (2, 3, 4))


def _axes_for(ndim: int) -> list:
    if ndim == 0:
        return [None]
    axes = [None, 0, -1]
    if ndim >= 2:
        axes.append((0, -1))
    if ndim >= 3:
        axes.append((0, 2))
    return axes


def _fmt(shape) -> str:
    return "x".join(str(n) for n in shape) if shape else "scalar"


# Registry entries that exercise an op in a particular way, and the op they exercise.
_VARIANT_OF = {
    "gelu_exact": "gelu",
    "power_int": "power",
    "power_float": "power",
    "rpow": "power",
    "operators": "tensor operators",
}


def _unary_cases() -> list[OpCase]:
    return [
        OpCase(_VARIANT_OF.get(name, name), f"{name},{_fmt(shape)}", fn, (shape,), (domain,))
        for name, (fn, domain) in UNARY.items()
        for shape in UNARY_SHAPES
    ]


def _binary_cases() -> list[OpCase]:
    return [
        OpCase(name, f"{_fmt(a)}*{_fmt(b)}", fn, (a, b), domains)
        for name, (fn, domains) in BINARY.items()
        for a, b in BINARY_SHAPES
    ]


def _reduction_cases() -> list[OpCase]:
    cases = []
    for name, (fn, domain) in REDUCTIONS.items():
        for shape in REDUCTION_SHAPES:
            for axis in _axes_for(len(shape)):
                for keepdims in (False, True):
                    if name == "std" and shape == ():
                        continue  # std of one value is sqrt(0): no derivative
                    cases.append(
                        OpCase(
                            name,
                            f"{_fmt(shape)},axis={axis},keepdims={keepdims}",
                            lambda x, fn=fn, axis=axis, keepdims=keepdims: fn(x, axis=axis, keepdims=keepdims),
                            (shape,),
                            (domain,),
                        )
                    )
    return cases


def _case(op: str, label: str, fn: Callable, shapes: tuple, domains=None, **options) -> OpCase:
    domains = tuple(domains) if domains is not None else (REAL,) * len(shapes)
    return OpCase(op, label, fn, tuple(shapes), domains, **options)


_MASK_3x4 = make_generator(7).uniform(size=(3, 4)) < 0.5
_MASK_ROWS = xp.array([True, False, True])


def _linear_algebra_cases() -> list[OpCase]:
    cases = []
    for a, b in [
        ((3, 4), (4, 2)),
        ((4,), (4, 2)),
        ((3, 4), (4,)),
        ((4,), (4,)),
        ((2, 3, 4), (4, 2)),
        ((2, 3, 4), (2, 4, 2)),
        ((1, 3, 4), (2, 4, 2)),
        ((4,), (2, 4, 3)),
        ((2, 3, 4), (4,)),
    ]:
        cases.append(_case("matmul", f"{_fmt(a)}@{_fmt(b)}", ops.matmul, (a, b)))
    cases.append(_case("matmul", "operator", lambda a, b: a @ b, ((3, 4), (4, 2))))
    for a, b in [((3, 4), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((), (3, 4)), ((2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5))]:
        cases.append(_case("dot", f"{_fmt(a)}.{_fmt(b)}", ops.dot, (a, b)))
    for a, b, axes in [
        ((3, 4), (4, 2), 1),
        ((2, 3, 4), (3, 4, 2), 2),
        ((3, 4), (3, 4), 0),
        ((2, 3, 4), (4, 3), ([1, 2], [1, 0])),
        ((2, 3, 4), (2, 5), ([0], [0])),
    ]:
        cases.append(
            _case("tensordot", f"{_fmt(a)},{_fmt(b)},axes={axes}", lambda x, y, axes=axes: ops.tensordot(x, y, axes=axes), (a, b))
        )
    return cases


def _selection_cases() -> list[OpCase]:
    cases = [
        _case("clip", "bounds 0..1.5", lambda x: ops.clip(x, 0.0, 1.5), ((3, 4),), (AWAY_FROM_ZERO,)),
        _case("where", "3x4", lambda a, b: ops.where(_MASK_3x4, a, b), ((3, 4), (3, 4))),
        _case("where", "3x1*1x4", lambda a, b: ops.where(_MASK_3x4, a, b), ((3, 1), (1, 4))),
        _case("where", "scalar else", lambda a: ops.where(_MASK_3x4, a, 0.0), ((3, 4),)),
        _case("where", "tensor condition", lambda a, b: ops.where(a > 0, a, b), ((3, 4), (4,)), (AWAY_FROM_ZERO, REAL)),
    ]
    keys = {
        "int": 1,
        "negative int": -1,
        "slice": slice(1, 3),
        "step": slice(None, None, -2),
        "row,col": (1, 2),
        "col": (slice(None), 2),
        "ellipsis": (Ellipsis, 1),
        "newaxis": (None, slice(0, 2)),
        "int array with repeats": xp.array([2, 0, 2, 2]),
        "list with repeats": [0, 0, 1],
        "2-d int array": xp.array([[0, 2], [2, 1]]),
        "int arrays pair": (xp.array([0, 2, 0]), xp.array([1, 1, 1])),
        "mixed int array and slice": (slice(None), xp.array([3, 0, 3])),
        "bool mask": _MASK_3x4,
        "bool row mask": _MASK_ROWS,
        "bool rows and slice": (_MASK_ROWS, slice(1, None)),
        "numpy int": xp.int64(2),
    }
    for label, key in keys.items():
        cases.append(_case("getitem", label, lambda x, key=key: x[key], ((3, 4),)))
    cases.append(_case("getitem", "Tensor key", lambda x: x[Tensor(xp.array([1, 1, 0]))], ((3, 4),)))
    cases.append(_case("getitem", "vector int", lambda x: x[2], ((4,),)))
    cases.append(_case("getitem", "3-d mixed", lambda x: x[1, ..., xp.array([0, 0, 3])], ((2, 3, 4),)))
    for label, indices, axis in [
        ("axis 0", [[2, 0, 1, 2], [2, 2, 0, 0]], 0),
        ("axis -1 repeats", [[3, 3], [0, 1], [1, 1]], -1),
        ("axis None", [11, 0, 0], None),
    ]:
        cases.append(
            _case(
                "take_along_axis",
                label,
                lambda x, i=indices, a=axis: ops.take_along_axis(x, xp.array(i), axis=a),
                ((3, 4),),
            )
        )
    cases.append(_case("ravel", "3x4", ops.ravel, ((3, 4),)))
    for label, indices, axis in [
        ("axis None repeats", [0, 5, 5, 11], None),
        ("axis 0 repeats", [2, 0, 2], 0),
        ("axis 1 negative", [-1, 0, -1, 1], 1),
        ("axis -1 2-d indices", [[0, 1], [3, 3]], -1),
    ]:
        cases.append(_case("take", label, lambda x, i=indices, a=axis: ops.take(x, xp.array(i), axis=a), ((3, 4),)))
    return cases


def _shape_cases() -> list[OpCase]:
    def split_parts(parts):
        # Weight each piece differently so a gradient routed to the wrong piece shows.
        return ops.concatenate([ops.reshape(p, (-1,)) * float(i + 1) for i, p in enumerate(parts)], axis=0)

    return [
        _case("reshape", "3x4->2x6", lambda x: ops.reshape(x, (2, 6)), ((3, 4),)),
        _case("reshape", "3x4->-1", lambda x: ops.reshape(x, (-1,)), ((3, 4),)),
        _case("reshape", "scalar->1x1", lambda x: ops.reshape(x, (1, 1)), ((),)),
        _case("reshape", "method", lambda x: x.reshape(4, 3, 1), ((3, 4),)),
        _case("transpose", "2-d", ops.transpose, ((3, 4),)),
        _case("transpose", "3-d axes", lambda x: ops.transpose(x, (1, 0, 2)), ((2, 3, 4),)),
        _case("transpose", "3-d negative axes", lambda x: ops.transpose(x, (-1, 0, 1)), ((2, 3, 4),)),
        _case("transpose", ".T", lambda x: x.T, ((3, 4),)),
        _case("expand_dims", "axis 0", lambda x: ops.expand_dims(x, 0), ((3, 4),)),
        _case("expand_dims", "axis -1", lambda x: ops.expand_dims(x, -1), ((3, 4),)),
        _case("expand_dims", "scalar", lambda x: ops.expand_dims(x, 0), ((),)),
        _case("squeeze", "all", ops.squeeze, ((3, 1, 4, 1),)),
        _case("squeeze", "axis 1", lambda x: ops.squeeze(x, axis=1), ((3, 1, 4, 1),)),
        _case("concatenate", "axis 0", lambda a, b: ops.concatenate([a, b], axis=0), ((2, 3), (4, 3))),
        _case("concatenate", "axis -1 three", lambda a, b, c: ops.concatenate([a, b, c], axis=-1), ((2, 3), (2, 1), (2, 2))),
        _case("concatenate", "reused input", lambda a: ops.concatenate([a, a * 2.0], axis=0), ((2, 3),)),
        _case("stack", "axis 0", lambda a, b, c: ops.stack([a, b, c]), ((2, 3),) * 3),
        _case("stack", "axis -1", lambda a, b: ops.stack([a, b], axis=-1), ((2, 3),) * 2),
        _case("stack", "scalars", lambda a, b: ops.stack([a, b]), ((), ())),
        _case("split", "3 sections axis 0", lambda x: split_parts(ops.split(x, 3, axis=0)), ((6, 2),)),
        _case("split", "indices axis 1", lambda x: split_parts(ops.split(x, [1, 3], axis=1)), ((2, 5),)),
        _case("split", "axis -1", lambda x: split_parts(ops.split(x, 2, axis=-1)), ((3, 4),)),
        _case("tile", "int", lambda x: ops.tile(x, 2), ((3,),)),
        _case("tile", "2-d reps", lambda x: ops.tile(x, (2, 3)), ((2, 2),)),
        _case("tile", "more reps than axes", lambda x: ops.tile(x, (2, 1, 2)), ((2, 3),)),
        _case("repeat", "axis None", lambda x: ops.repeat(x, 2), ((2, 3),)),
        _case("repeat", "axis 0", lambda x: ops.repeat(x, 3, axis=0), ((2, 3),)),
        _case("repeat", "axis -1", lambda x: ops.repeat(x, 2, axis=-1), ((2, 3),)),
        _case("repeat", "per-entry counts", lambda x: ops.repeat(x, xp.array([1, 0, 3]), axis=1), ((2, 3),)),
        _case("broadcast_to", "vector to matrix", lambda x: ops.broadcast_to(x, (2, 3)), ((3,),)),
        _case("broadcast_to", "column", lambda x: ops.broadcast_to(x, (3, 4)), ((3, 1),)),
        _case("broadcast_to", "scalar", lambda x: ops.broadcast_to(x, (2, 2)), ((),)),
        _case("pad", "per axis", lambda x: ops.pad(x, ((1, 2), (0, 1))), ((3, 4),)),
        _case("pad", "int", lambda x: ops.pad(x, 1), ((3, 4),)),
        _case("pad", "one pair for all axes", lambda x: ops.pad(x, ((1, 2),)), ((3, 4),)),
        _case("pad", "constant value", lambda x: ops.pad(x, (2, 0), constant_values=1.5), ((4,),)),
        _case("cast", "to float32 and back", lambda x: ops.cast(ops.cast(x, "float32"), x.dtype) * 3.0, ((3, 4),), rtol=1e-4, eps=1e-2, keeps_dtype=False),
        _case("cast", "to same dtype", lambda x: ops.cast(x, x.dtype) * 2.0, ((3, 4),)),
        _case("cast", "to float64", lambda x: ops.cast(x, "float64"), ((3, 4),), keeps_dtype=False),
    ]


def _nn_cases() -> list[OpCase]:
    cases = []
    for name, fn in (("softmax", ops.softmax), ("log_softmax", ops.log_softmax)):
        for shape, axis in (((4,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)):
            cases.append(_case(name, f"{_fmt(shape)},axis={axis}", lambda x, fn=fn, axis=axis: fn(x, axis=axis), (shape,)))
    cases.append(_case("softmax", "large logits", lambda x: ops.softmax(x * 100.0), ((3, 4),)))
    probabilities = (UNIT_INTERVAL, REAL)
    for shape, axis in (((5,), -1), ((3, 4), -1), ((4, 3), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)):
        cases.append(
            _case(
                "softmax_cross_entropy",
                f"{_fmt(shape)},axis={axis}",
                lambda t, x, axis=axis: primitives.softmax_cross_entropy(t, x, axis=axis),
                (shape, shape),
                probabilities,
            )
        )
    for shape, labels, axis in (
        ((3, 4), [1, 3, 1], -1),
        ((4, 3), [0, 0, 2], 0),
        ((2, 3, 4), [[0, 1, 3], [3, 3, 2]], -1),
        ((4,), 2, -1),
    ):
        cases.append(
            _case(
                "sparse_softmax_cross_entropy",
                f"{_fmt(shape)},axis={axis}",
                lambda x, labels=xp.array(labels), axis=axis: primitives.sparse_softmax_cross_entropy(labels, x, axis=axis),
                (shape,),
            )
        )
    cases.append(_case("leaky_relu", "slope 0.3", lambda x: ops.leaky_relu(x, negative_slope=0.3), ((3, 4),), (AWAY_FROM_ZERO,)))
    cases.append(_case("elu", "alpha 0.5", lambda x: ops.elu(x, alpha=0.5), ((3, 4),), (AWAY_FROM_ZERO,)))
    cases.append(_case("softplus", "large magnitudes", lambda x: ops.softplus(x * 50.0), ((3, 4),)))
    cases.append(_case("sigmoid", "large magnitudes", lambda x: ops.sigmoid(x * 20.0), ((3, 4),)))
    cases.append(_case("logsumexp", "large logits", lambda x: ops.logsumexp(x * 300.0, axis=-1), ((3, 4),)))
    return cases


_ZERO_AT_1_2 = xp.ones((3, 4))
_ZERO_AT_1_2[1, 2] = 0.0


def _spd(t: Tensor) -> Tensor:
    """A symmetric positive-definite matrix (or batch) made from any square t: t t^T + 3 I."""
    return ops.matmul(t, ops.swapaxes(t, -1, -2)) + ops.eye(3, dtype=t.dtype) * 3.0


def _with_zero(t: Tensor) -> Tensor:
    """t (3 x 4) with entry (1, 2) set to exactly 0, where products lose a factor."""
    return t * _ZERO_AT_1_2.astype(t.dtype)


def _custom_softplus(x: Tensor) -> Tensor:
    """log(1 + e^x) with its gradient sigmoid(x) given by hand through ops.custom_gradient."""

    @ops.custom_gradient
    def softplus(t):
        def grad(upstream):
            return upstream * ops.sigmoid(t)

        return ops.log1p(ops.exp(t)), grad

    return softplus(x)


def _keras_ops_cases() -> list[OpCase]:
    """The ops numeras.ops added to match keras.ops: scans, sorting, structure, linear algebra,
    images and control flow."""
    weights = xp.arange(1.0, 13.0).reshape(3, 4)
    cases = [
        _case("cumsum", "axis 1", lambda x: ops.cumsum(x, axis=1), ((3, 4),)),
        _case("cumsum", "flattened", ops.cumsum, ((3, 4),)),
        _case("cumsum", "3-d axis 0", lambda x: ops.cumsum(x, axis=0), ((2, 3, 4),)),
        _case("cumprod", "axis 1", lambda x: ops.cumprod(x, axis=1), ((3, 4),)),
        _case("cumprod", "flattened", ops.cumprod, ((3, 4),)),
        _case("cumprod", "with a zero", lambda x: ops.cumprod(_with_zero(x), axis=1), ((3, 4),)),
        _case("prod", "with a zero", lambda x: ops.prod(_with_zero(x), axis=1), ((3, 4),)),
        _case("prod", "with a zero, all axes", lambda x: ops.prod(_with_zero(x)), ((3, 4),)),
        _case("arctan2", "3x4*3x1", ops.arctan2, ((3, 4), (3, 1)), (REAL, POSITIVE)),
        _case("arctan2", "every quadrant", ops.arctan2, ((3, 4), (3, 4)), (AWAY_FROM_ZERO, AWAY_FROM_ZERO)),
        _case("mod", "3x4*3x4", ops.mod, ((3, 4), (3, 4)), (UNIT_INTERVAL, ABOVE_ONE)),
        _case("mod", "by a number", lambda x: ops.mod(x, 2.5), ((3, 4),), (UNIT_INTERVAL,)),
        _case("sort", "last axis", ops.sort, ((3, 4),), (DISTINCT,)),
        _case("sort", "axis 0", lambda x: ops.sort(x, axis=0), ((3, 4),), (DISTINCT,)),
        _case("top_k", "values", lambda x: ops.top_k(x, 2)[0], ((3, 4),), (DISTINCT,)),
        _case("flip", "axis 1", lambda x: ops.flip(x, axis=1), ((3, 4),)),
        _case("flip", "all axes", ops.flip, ((2, 3, 4),)),
        _case("roll", "axis 1", lambda x: ops.roll(x, 1, axis=1), ((3, 4),)),
        _case("roll", "flattened", lambda x: ops.roll(x, -5), ((3, 4),)),
        _case("triu", "k=1", lambda x: ops.triu(x, k=1), ((3, 4),)),
        _case("tril", "batch", ops.tril, ((2, 3, 4),)),
        _case("diag", "extract k=1", lambda x: ops.diag(x, k=1), ((3, 4),)),
        _case("diag", "build k=-1", lambda x: ops.diag(x, k=-1), ((4,),)),
        _case("diagonal", "batch", lambda x: ops.diagonal(x, axis1=1, axis2=2), ((2, 3, 4),)),
        _case("trace", "offset 1", lambda x: ops.trace(x, offset=1), ((3, 4),)),
        _case("meshgrid", "xy", lambda a, b: ops.concatenate([ops.ravel(g) * float(i + 1) for i, g in enumerate(ops.meshgrid(a, b))], axis=0), ((3,), (2,))),
        _case("moveaxis", "0 to -1", lambda x: ops.moveaxis(x, 0, -1), ((2, 3, 4),)),
        _case("swapaxes", "0 and 2", lambda x: ops.swapaxes(x, 0, 2), ((2, 3, 4),)),
        _case("outer", "vectors", ops.outer, ((3,), (4,))),
        _case("einsum", "matmul", lambda a, b: ops.einsum("ij,jk->ik", a, b), ((3, 4), (4, 2))),
        _case("einsum", "batch", lambda a, b: ops.einsum("bij,bkj->bik", a, b), ((2, 3, 4), (2, 5, 4))),
        _case("einsum", "trace", lambda a: ops.einsum("ii", a), ((3, 3),)),
        _case("einsum", "diagonal", lambda a: ops.einsum("ii->i", a), ((3, 3),)),
        _case("einsum", "summed within one operand", lambda a, b: ops.einsum("ij,k->k", a, b), ((3, 4), (2,))),
        _case("einsum", "ellipsis broadcast", lambda a, b: ops.einsum("...j,...j->...", a, b), ((2, 1, 4), (3, 4))),
        _case("einsum", "three operands", lambda a, b, c: ops.einsum("ij,jk,kl->il", a, b, c), ((2, 3), (3, 4), (4, 2))),
        _case("pad", "reflect", lambda x: ops.pad(x, ((1, 2), (2, 1)), mode="reflect"), ((3, 4),)),
        _case("pad", "symmetric", lambda x: ops.pad(x, ((2, 1), (0, 3)), mode="symmetric"), ((3, 4),)),
        _case("pad", "edge", lambda x: ops.pad(x, 2, mode="edge"), ((3, 4),)),
        _case("pad", "wrap", lambda x: ops.pad(x, ((1, 1), (3, 0)), mode="wrap"), ((3, 4),)),
        _case("slice", "block", lambda x: ops.slice(x, (1, 0, 1), (1, 2, 3)), ((2, 3, 4),)),
        _case("slice_update", "block", lambda x, u: ops.slice_update(x, (1, 1), u), ((3, 4), (2, 2))),
        _case("scatter", "repeated positions", lambda v: ops.scatter(xp.array([[0, 1], [2, 3], [0, 1]]), v, (3, 4)), ((3,),)),
        _case("scatter", "rows", lambda v: ops.scatter(xp.array([[2], [0]]), v, (3, 4)), ((2, 4),)),
        _case("scatter_update", "entries", lambda x, u: ops.scatter_update(x, xp.array([[0, 0], [2, 3]]), u), ((3, 4), (2,))),
        _case("scatter_update", "rows", lambda x, u: ops.scatter_update(x, xp.array([[1]]), u), ((3, 4), (1, 4))),
        _case("segment_sum", "3 segments", lambda x: ops.segment_sum(x, xp.array([0, 0, 2]), num_segments=3), ((3, 4),)),
        _case("segment_max", "2 segments", lambda x: ops.segment_max(x, xp.array([1, 0, 1]), num_segments=2), ((3, 4),), (DISTINCT,)),
        _case("nan_to_num", "finite", ops.nan_to_num, ((3, 4),)),
        _case("logaddexp", "3x4*4", ops.logaddexp, ((3, 4), (4,))),
        _case("hypot", "3x4", ops.hypot, ((3, 4), (3, 4)), (AWAY_FROM_ZERO, AWAY_FROM_ZERO)),
        _case("average", "weighted axis 1", lambda x, w: ops.average(x, axis=1, weights=w), ((3, 4), (4,)), (REAL, POSITIVE)),
        _case("diff", "twice", lambda x: ops.diff(x, n=2), ((3, 5),)),
        _case("inner", "3x4.2x4", ops.inner, ((3, 4), (2, 4))),
        _case("unstack", "axis 1", lambda x: ops.stack(ops.unstack(x, axis=1)[::-1]), ((3, 4),)),
        _case("quantile", "linear, axis 1", lambda x: ops.quantile(x, xp.array([0.1, 0.5, 0.95]), axis=1), ((3, 4),), (DISTINCT,)),
        _case("quantile", "midpoint, all axes", lambda x: ops.quantile(x, 0.3, method="midpoint"), ((3, 4),), (DISTINCT,)),
        _case("median", "axis 0 keepdims", lambda x: ops.median(x, axis=0, keepdims=True), ((3, 4),), (DISTINCT,)),
        _case("ptp", "axis 1", lambda x: ops.ptp(x, axis=1), ((3, 4),), (DISTINCT,)),
        _case("kron", "2x2 and 3x3", ops.kron, ((2, 2), (3, 3))),
        _case("cross", "3-vectors", ops.cross, ((4, 3), (4, 3))),
        _case("rot90", "k=3", lambda x: ops.rot90(x, k=3), ((3, 4),)),
        _case("sinc", "away from 0", ops.sinc, ((3, 4),), (AWAY_FROM_ZERO,)),
        _case("divide_no_nan", "some zeros", lambda a, b: ops.divide_no_nan(a, _with_zero(b)), ((3, 4), (3, 4)), (REAL, POSITIVE)),
        _case("fmod", "3x4", ops.fmod, ((3, 4), (3, 4)), (UNIT_INTERVAL, ABOVE_ONE)),
        _case("logaddexp2", "3x4", ops.logaddexp2, ((3, 4), (3, 4))),
        _case("trapezoid", "samples at x", lambda y, x: ops.trapezoid(y, x=x), ((3, 4), (4,))),
        _case("vander", "3 columns", lambda x: ops.vander(x, 3), ((4,),)),
        _case("nanmean", "no NaN", lambda x: ops.nanmean(x, axis=0), ((3, 4),)),
        _case("select", "two conditions", lambda a, b: ops.select([a.data > 1, a.data < -1], [a, b], 0.5), ((3, 4), (3, 4)), (AWAY_FROM_CLIP_BOUNDS, REAL)),
        _case("log_sigmoid", "3x4", ops.log_sigmoid, ((3, 4),)),
        _case("celu", "alpha 0.7", lambda x: ops.celu(x, alpha=0.7), ((3, 4),), (AWAY_FROM_ZERO,)),
        _case("glu", "last axis", ops.glu, ((3, 4),)),
        _case("soft_shrink", "threshold 0.2", lambda x: ops.soft_shrink(x, 0.2), ((3, 4),), (AWAY_FROM_CLIP_BOUNDS,)),
        _case("squareplus", "3x4", ops.squareplus, ((3, 4),)),
        _case("sparse_plus", "3x4", ops.sparse_plus, ((3, 4),), (AWAY_FROM_CLIP_BOUNDS,)),
        _case("normalize", "axis 1", lambda x: ops.normalize(x, axis=1), ((3, 4),)),
        _case("rms_normalization", "scaled", lambda x, s: ops.rms_normalization(x, scale=s), ((3, 4), (4,))),
        _case("layer_normalization", "gamma and beta", lambda x, g, b: ops.layer_normalization(x, gamma=g, beta=b), ((3, 4), (4,), (4,))),
        _case("psnr", "3x4", lambda a, b: ops.psnr(a, b, 2.0), ((3, 4), (3, 4))),
        _case("fmax", "3x4", ops.fmax, ((3, 4), (3, 4)), (DISTINCT, DISTINCT)),
        _case("correlate", "same", lambda a, b: ops.correlate(a, b, mode="same"), ((6,), (3,))),
        _case("correlate", "full", lambda a, b: ops.correlate(a, b, mode="full"), ((5,), (3,))),
        _case("corrcoef", "3 variables", ops.corrcoef, ((3, 5),)),
        _case("vectorize", "elementwise function", lambda a, b: ops.vectorize(lambda u, v: ops.sin(u) * v)(a, b), ((3, 4), (4,))),
        _case("sparsemax", "last axis", lambda x: ops.sparsemax(x * 0.3), ((3, 4),), (DISTINCT,)),  # scaled: no support boundary
        _case("depth_to_space", "block 2", lambda x: ops.depth_to_space(x, 2), ((1, 2, 2, 8),)),
        _case("space_to_depth", "block 2, channels first", lambda x: ops.space_to_depth(x, 2, data_format="channels_first"), ((1, 2, 4, 4),)),
        _case("extract_sequences", "length 3 stride 2", lambda x: ops.extract_sequences(x, 3, 2), ((2, 7),)),
        _case("associative_scan", "products", lambda x: ops.associative_scan(lambda a, b: a * b, x, axis=1), ((3, 4),)),
        _case("custom_gradient", "softplus with its own gradient", lambda x: _custom_softplus(x), ((3, 4),)),
        _case("erfc", "3x4", ops.erfc, ((3, 4),)),
        _case("cdist", "batch", ops.cdist, ((2, 3, 4), (2, 5, 4))),
        # linear algebra
        _case("solve", "matrix", ops.solve, ((3, 3), (3, 2))),
        _case("solve", "vector", ops.solve, ((3, 3), (3,))),
        _case("solve", "batch", ops.solve, ((2, 3, 3), (2, 3, 2))),
        _case("inv", "3x3", ops.inv, ((3, 3),)),
        _case("det", "batch", ops.det, ((2, 3, 3),)),
        _case("slogdet", "log|det|", lambda x: ops.slogdet(x)[1], ((3, 3),)),
        _case("logdet", "positive definite", lambda x: ops.logdet(_spd(x)), ((3, 3),)),
        _case("cholesky", "lower", lambda x: ops.cholesky(_spd(x)), ((3, 3),)),
        _case("cholesky", "upper, batch", lambda x: ops.cholesky(_spd(x), upper=True), ((2, 3, 3),)),
        _case("cholesky_inverse", "lower", lambda x: ops.linalg.cholesky_inverse(ops.cholesky(_spd(x))), ((3, 3),)),
        _case("eigh", "eigenvalues", lambda x: ops.eigh(_spd(x))[0], ((3, 3),)),
        _case("eigh", "eigenvectors (sign-free)", lambda x: ops.square(ops.eigh(_spd(x))[1]) * weights[:, :3].astype(x.dtype), ((3, 3),)),
        _case("solve_triangular", "lower", lambda a, b: ops.solve_triangular(a + ops.eye(3, dtype=a.dtype) * 4.0, b, lower=True), ((3, 3), (3, 2))),
        _case("svd", "singular values", lambda x: ops.svd(x, compute_uv=False), ((3, 4),)),
        _case("norm", "ord 1 axis 0", lambda x: ops.norm(x, ord=1, axis=0), ((3, 4),), (AWAY_FROM_ZERO,)),
        _case("norm", "ord inf", lambda x: ops.norm(x, ord=float("inf"), axis=-1), ((3, 4),), (DISTINCT,)),
        _case("norm", "ord 3", lambda x: ops.norm(x, ord=3, axis=1, keepdims=True), ((3, 4),), (AWAY_FROM_ZERO,)),
        _case("norm", "fro", lambda x: ops.norm(x, ord="fro", axis=(1, 2)), ((2, 3, 4),)),
        _case("norm", "matrix 1", lambda x: ops.norm(x, ord=1, axis=(0, 1)), ((3, 4),), (DISTINCT,)),
        _case("norm", "nuclear", lambda x: ops.norm(x, ord="nuc", axis=(0, 1)), ((3, 4),)),
        _case("norm", "spectral, keepdims", lambda x: ops.norm(x, ord=2, axis=(0, 1), keepdims=True), ((3, 4),)),
        # images
        _case("image.resize", "bilinear up", lambda x: ops.image.resize(x, (5, 7)), ((2, 3, 4, 2),)),
        _case("image.resize", "bilinear down", lambda x: ops.image.resize(x, (2, 3)), ((1, 5, 6, 2),)),
        _case("image.resize", "nearest", lambda x: ops.image.resize(x, (5, 3), interpolation="nearest"), ((3, 4, 2),)),
        _case("image.resize", "bicubic channels first", lambda x: ops.image.resize(x, (4, 6), interpolation="bicubic", data_format="channels_first"), ((1, 2, 3, 4),)),
        _case("image.resize", "pad to aspect ratio", lambda x: ops.image.resize(x, (4, 4), pad_to_aspect_ratio=True, fill_value=0.5), ((1, 3, 5, 1),)),
        _case("image.affine_transform", "bilinear", lambda x: ops.image.affine_transform(x, xp.array([0.9, 0.2, 0.3, -0.1, 1.1, 0.4, 0.0, 0.0])), ((1, 4, 5, 2),)),
        _case("image.affine_transform", "bilinear reflect, per image", lambda x: ops.image.affine_transform(x, xp.array([[1, 0, 1.5, 0, 1, -0.5, 0, 0], [1.2, 0.1, -1.0, -0.2, 0.9, 0.5, 0, 0]]), fill_mode="reflect"), ((2, 4, 5, 1),)),
        _case("image.affine_transform", "nearest", lambda x: ops.image.affine_transform(x, xp.array([0.8, -0.6, 2.0, 0.6, 0.8, -1.0, 0, 0]), interpolation="nearest"), ((4, 5, 2),)),
        _case("image.extract_patches", "2x2", lambda x: ops.image.extract_patches(x, 2), ((1, 4, 5, 2),)),
        _case("image.extract_patches", "same, strided, dilated", lambda x: ops.image.extract_patches(x, (2, 3), strides=(1, 2), dilation_rate=(2, 1), padding="same"), ((1, 5, 6, 1),)),
        # control flow: differentiable through the ops the functions call
        _case("cond", "true branch", lambda x: ops.cond(True, lambda: ops.sin(x), lambda: ops.cos(x)), ((3, 4),)),
        _case("switch", "second branch", lambda x: ops.switch(1, [lambda v: v + 1.0, lambda v: v * v], x), ((3, 4),)),
        _case("while_loop", "5 steps", lambda x: ops.while_loop(lambda i, s: i < 5, lambda i, s: (i + 1, ops.sin(s) * 1.5), (0, x))[1], ((4,),)),
        _case("fori_loop", "4 steps", lambda x, y: ops.fori_loop(0, 4, lambda i, s: s * x + float(i), y), ((4,), (4,))),
        _case("scan", "carry and outputs", lambda c, xs: ops.concatenate([r for r in ops.scan(lambda a, b: (a * b + 1.0, a - b), c, xs)[0:1]] + [ops.ravel(ops.scan(lambda a, b: (a * b + 1.0, a - b), c, xs)[1])], axis=0), ((4,), (3, 4))),
        _case("scan", "reverse", lambda c, xs: ops.scan(lambda a, b: (a + b, a * b), c, xs, reverse=True)[1], ((4,), (3, 4))),
        _case("map", "rows", lambda x: ops.map(lambda row: ops.sum(row * row), x), ((3, 4),)),
        _case("vectorized_map", "rows", lambda x: ops.vectorized_map(lambda row: ops.exp(row) * 2.0, x), ((3, 4),), (BOUNDED,)),
    ]
    return cases


def _all_cases() -> list[OpCase]:
    return (
        _keras_ops_cases()
        +
        _unary_cases()
        + _binary_cases()
        + _reduction_cases()
        + _linear_algebra_cases()
        + _selection_cases()
        + _shape_cases()
        + _nn_cases()
    )


OP_CASES: list[OpCase] = _all_cases()
"""Every case of every differentiable op; ``case.id`` names it for test reports."""

DIFFERENTIABLE_OPS: tuple = (
    "add subtract multiply divide negative power square sqrt exp log log1p abs maximum minimum clip "
    "where matmul dot tensordot sum mean max min var std reshape transpose expand_dims squeeze "
    "concatenate stack split take tile repeat broadcast_to pad relu sigmoid tanh softplus softsign "
    "elu selu gelu leaky_relu silu softmax log_softmax logsumexp erf cast getitem "
    "softmax_cross_entropy sparse_softmax_cross_entropy sigmoid_cross_entropy "
    "relu6 hard_sigmoid hard_silu reciprocal take_along_axis ravel "
    "sin cos tan arcsin arccos arctan sinh cosh arcsinh arccosh arctanh expm1 log2 log10 cbrt rsqrt "
    "erfinv arctan2 mod cumsum cumprod prod sort top_k flip roll triu tril diag diagonal trace "
    "meshgrid moveaxis swapaxes outer einsum slice slice_update scatter scatter_update segment_sum "
    "segment_max nan_to_num logaddexp hypot average diff inner unstack solve inv det slogdet logdet "
    "cholesky cholesky_inverse eigh solve_triangular svd norm image.resize image.affine_transform "
    "image.extract_patches cond switch while_loop fori_loop scan map vectorized_map "
    "quantile median ptp kron cross rot90 sinc divide_no_nan fmod logaddexp2 trapezoid vander "
    "nanmean select log_sigmoid celu glu soft_shrink squareplus sparse_plus normalize "
    "rms_normalization layer_normalization psnr fmax correlate corrcoef vectorize sparsemax "
    "depth_to_space space_to_depth extract_sequences associative_scan custom_gradient erfc cdist"
).split()
"""The ops the table must cover (a test checks that each has at least one case)."""



def covered_ops() -> frozenset:
    """The names of the ops that have at least one case in ``OP_CASES``."""
    return frozenset(case.op for case in OP_CASES)
