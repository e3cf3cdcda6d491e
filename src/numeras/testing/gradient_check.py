"""Check gradients against finite differences, and dtypes against silent promotion.

``gradcheck`` compares what ``numeras.GradientTape`` computes with central differences in float64:

    d/dx_j <r, f(x)>  ~=  (<r, f(x + eps e_j)> - <r, f(x - eps e_j)>) / (2 eps)

where ``r`` is a fixed random cotangent (``1`` for a scalar output), so a vector-valued ``f`` is
checked through one vector-Jacobian product. Small inputs are checked element by element;
for large ones (more than ``max_elementwise`` entries) the derivative is taken along one random
direction ``d``, as Chainer's ``gradient_check`` does: the finite difference of
``g(delta) = <r, f(x + delta d)>`` at 0 must equal ``<grad, d>``, which costs two evaluations of
``f`` instead of two per element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from numeras.autodiff import graph
from numeras.autodiff.tape import GradientTape
from numeras.autodiff.tensor import Tensor
from numeras.backend import make_generator, xp


class GradcheckError(AssertionError):
    """The gradient from the tape and the finite-difference gradient disagree."""


def _as_input_list(inputs: Any) -> list:
    """``inputs`` as a list of inputs: a Tensor or array alone is one input, a list/tuple holds several."""
    if isinstance(inputs, (list, tuple)):
        return list(inputs)
    return [inputs]


def _raw(value: Any):
    return value.data if isinstance(value, Tensor) else value


def _call(f: Callable[..., Any], arrays: Sequence, name: str = "f") -> Tensor:
    out = f(*[Tensor(a) for a in arrays])
    if not isinstance(out, Tensor):
        raise TypeError(
            f"gradcheck: `{name}` must return a numeras Tensor, received {type(out).__name__}. "
            "Wrap its result with numeras.convert_to_tensor or return an op's output."
        )
    return out


def _objective(f: Callable[..., Any], arrays: Sequence, cotangent) -> float:
    """<cotangent, f(*arrays)> in float64, without recording a graph."""
    with graph.no_grad():
        out = _call(f, arrays)
    return float(xp.sum(out.data.astype(xp.float64) * cotangent))


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Any,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    seed: int = 0,
    max_elementwise: int = 64,
    raise_exception: bool = True,
) -> bool:
    """True if the tape's gradient of ``f`` at ``inputs`` matches central differences.

    Args:
        f: called as ``f(*tensors)`` with one float64 Tensor per input; returns a Tensor. It must
            be a pure function of its arguments (it is called many times). Constants such as
            integer labels belong in a closure.
        inputs: one array-like or Tensor, or a list/tuple of them; each is copied to float64.
        eps: the finite-difference step.
        rtol, atol: a gradient entry passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.
        seed: seeds the random cotangent (for a non-scalar output) and the random directions.
        max_elementwise: inputs with more entries than this are checked along one random direction.
        raise_exception: raise ``GradcheckError`` on a mismatch (default) instead of returning False.

    Raises:
        GradcheckError: naming the input, the largest absolute and relative errors and the worst
            element (with both values) when the gradients disagree and ``raise_exception`` is set.
    """
    arrays = [xp.array(_raw(x), dtype=xp.float64, copy=True) for x in _as_input_list(inputs)]
    if not arrays:
        raise ValueError("gradcheck: `inputs` must hold at least one array, received an empty sequence.")
    rng = make_generator(seed)

    tensors = [Tensor(a) for a in arrays]
    with GradientTape() as tape:
        tape.watch(tensors)
        out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: `f` must return a numeras Tensor, received {type(out).__name__}.")
    if out.data.dtype.kind != "f":
        raise TypeError(f"gradcheck: `f` must return a float tensor, received dtype {out.dtype}.")
    cotangent = xp.ones(()) if out.ndim == 0 else rng.standard_normal(out.shape)
    grads = tape.gradient(
        out, tensors, output_gradients=cotangent.astype(out.data.dtype), unconnected_gradients="zero"
    )

    failures = []
    for index, (x, grad) in enumerate(zip(arrays, grads)):
        if grad.shape != x.shape:
            failures.append(
                f"input {index}: the gradient has shape {grad.shape}, the input has shape {x.shape}."
            )
            continue
        analytic = grad.data.astype(xp.float64)
        if x.size <= max_elementwise:
            numeric = _elementwise_differences(f, arrays, index, cotangent, eps)
            message = _compare(analytic, numeric, rtol, atol)
            if message:
                failures.append(f"input {index} (shape {x.shape}, checked element by element): {message}")
        else:
            direction = rng.standard_normal(x.shape)
            numeric = _directional_difference(f, arrays, index, direction, cotangent, eps)
            along = float(xp.sum(analytic * direction))
            error = abs(along - numeric)
            if not error <= atol + rtol * abs(numeric):
                failures.append(
                    f"input {index} (shape {x.shape}, checked along a random direction): "
                    f"directional derivative from the tape {along!r}, finite difference {numeric!r}, "
                    f"abs error {error:.3g}, rel error {error / max(abs(numeric), 1e-300):.3g}."
                )
    if failures:
        if raise_exception:
            raise GradcheckError(
                f"gradcheck failed for {getattr(f, '__name__', 'f')} "
                f"(eps={eps}, rtol={rtol}, atol={atol}):\n  " + "\n  ".join(failures)
            )
        return False
    return True


def _elementwise_differences(f, arrays: list, index: int, cotangent, eps: float):
    """The central difference of <cotangent, f> for every entry of input ``index``, one at a time."""
    x = arrays[index]
    numeric = xp.empty(x.shape, dtype=xp.float64)
    flat_x, flat_numeric = x.reshape(-1), numeric.reshape(-1)
    for j in range(x.size):
        original = float(flat_x[j])
        flat_x[j] = original + eps
        plus = _objective(f, arrays, cotangent)
        flat_x[j] = original - eps
        minus = _objective(f, arrays, cotangent)
        flat_x[j] = original
        flat_numeric[j] = (plus - minus) / (2 * eps)
    return numeric


def _directional_difference(f, arrays: list, index: int, direction, cotangent, eps: float) -> float:
    x = arrays[index]
    shifted = list(arrays)
    shifted[index] = x + eps * direction
    plus = _objective(f, shifted, cotangent)
    shifted[index] = x - eps * direction
    minus = _objective(f, shifted, cotangent)
    return (plus - minus) / (2 * eps)


def _compare(analytic, numeric, rtol: float, atol: float) -> str | None:
    """None when every entry is close, else a description of the largest errors and the worst entry."""
    error = xp.abs(analytic - numeric)
    bad = ~(error <= atol + rtol * xp.abs(numeric))  # `~(<=)` also flags NaN
    if not bad.any():
        return None
    relative = error / xp.maximum(xp.abs(numeric), 1e-300)
    # The worst element is the one that misses its tolerance by the widest margin.
    excess = xp.where(xp.isnan(error), xp.inf, error - rtol * xp.abs(numeric))
    worst = tuple(int(i) for i in xp.unravel_index(int(xp.argmax(excess)), numeric.shape))
    return (
        f"{int(bad.sum())} of {bad.size} entries differ; max abs error {float(xp.max(error)):.3g}, "
        f"max rel error {float(xp.max(relative)):.3g}; worst element {worst}: "
        f"tape {float(analytic[worst])!r}, finite difference {float(numeric[worst])!r}."
    )


def check_dtype_preserved(f: Callable[..., Tensor], inputs: Any, dtype: str = "float32") -> None:
    """Assert that ``f`` keeps ``dtype`` end to end, forward and backward.

    The inputs are cast to ``dtype`` (a float type) and watched. Then every float tensor in the
    recorded graph, the output included, must have ``dtype`` (catching a silent float64 from a
    Python number or a NumPy promotion), every VJP must return gradients of its parents' dtype
    before the backward pass casts them, and the tape's gradients must have ``dtype``.

    Raises:
        AssertionError: naming the op (its VJP's function) and the dtype found.
    """
    tensors = [Tensor(xp.asarray(_raw(x)).astype(dtype)) for x in _as_input_list(inputs)]
    with GradientTape() as tape:
        tape.watch(tensors)
        out = f(*tensors)
    if not isinstance(out, Tensor):
        raise TypeError(f"check_dtype_preserved: `f` must return a Tensor, received {type(out).__name__}.")
    if out.dtype != dtype:
        raise AssertionError(f"check_dtype_preserved: {dtype} inputs gave a {out.dtype} output.")
    problems = []
    watched = {id(t) for t in tensors}  # their requires_grad ended with the tape's block
    if out._vjp is not None:
        for node in graph.topological_order(out):
            op = _op_name(node._vjp)
            if node.data.dtype.kind == "f" and node.dtype != dtype:
                problems.append(f"op {op} produced a {node.dtype} tensor")
            parent_grads = node._vjp(xp.ones_like(node.data))
            for position, (parent, g) in enumerate(zip(node._parents, parent_grads)):
                if g is None or not (parent.requires_grad or id(parent) in watched):
                    continue
                if xp.asarray(g).dtype != parent.data.dtype:
                    problems.append(
                        f"the VJP of op {op} returned a {xp.asarray(g).dtype.name} gradient for its "
                        f"{parent.dtype} input {position}"
                    )
    grads = tape.gradient(out, tensors)
    for index, g in enumerate(grads):
        if g is not None and g.dtype != dtype:
            problems.append(f"the gradient of input {index} is {g.dtype}")
    if problems:
        raise AssertionError(
            f"check_dtype_preserved: {dtype} did not survive end to end: " + "; ".join(problems) + "."
        )


def _op_name(vjp) -> str:
    """The function that made ``vjp``: 'multiply' for the closure 'multiply.<locals>.vjp'."""
    scopes = getattr(vjp, "__qualname__", "?").split(".<locals>.")
    return scopes[-2] if len(scopes) > 1 else scopes[0]
