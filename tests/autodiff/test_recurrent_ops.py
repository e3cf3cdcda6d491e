"""The fused recurrent primitives (simple_rnn, lstm, gru): gradients against float64 finite
differences, values and gradients against a cell-by-cell reference built from plain numeras ops,
and both against Keras 3 (fixtures written by Keras with the JAX backend). Every test runs on the
NumPy reference kernels and, when numba is installed, on the compiled ones."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os

import numpy as np
import pytest

from numeras import ops as F
from numeras.autodiff import GradientTape, Tensor
from numeras.autodiff.ops import recurrent
from numeras.backend import kernels
from numeras.testing import check_dtype_preserved, gradcheck

KERNEL_NAMES = (
    "simple_rnn_forward", "simple_rnn_backward", "lstm_forward", "lstm_backward", "gru_forward", "gru_backward",
)
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3, "gru_reset_before": 3}
FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures", "recurrent.npz")


@pytest.fixture(autouse=True, params=["numpy", "compiled"])
def kernel_choice(request, monkeypatch):
    """Point the dispatcher's recurrent kernels at the NumPy reference or the numba module."""
    if request.param == "compiled":
        if importlib.util.find_spec("numba") is None:
            pytest.skip("numba is not installed: the optional compiled kernels are not used")
        module = importlib.import_module("numeras.backend.kernels.numba_jit.recurrent")
    else:
        module = importlib.import_module("numeras.backend.kernels.numpy_ref.recurrent")
    for name in KERNEL_NAMES:
        monkeypatch.setattr(kernels, name, getattr(module, name), raising=False)
    return request.param


# -- the cell-by-cell reference: Keras's cells written with numeras ops, one step at a time ----------
def _gate(w, g, units):
    return w[..., g * units:(g + 1) * units]


def reference_step(kind, x_t, states, kernel, recurrent_kernel, bias, in_masks, rec_masks):
    """One step of Keras's cell; ``in_masks`` / ``rec_masks`` hold one dropout mask per gate (or None)."""
    gates = GATES[kind]
    units = recurrent_kernel.shape[0]
    h = states[0]
    xs = [x_t if in_masks is None else x_t * in_masks[g] for g in range(gates)]
    hs = [h if rec_masks is None else h * rec_masks[g] for g in range(gates)]
    if kind == "gru":
        input_bias = recurrent_bias = None
        if bias is not None:
            input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias = bias

    def projected(g):
        z = F.matmul(xs[g], _gate(kernel, g, units))
        return z if input_bias is None else z + _gate(input_bias, g, units)

    def inner(g, left):
        z = F.matmul(left, _gate(recurrent_kernel, g, units))
        if kind == "gru" and recurrent_bias is not None:
            z = z + _gate(recurrent_bias, g, units)
        return z

    if kind == "simple_rnn":
        new_h = F.tanh(projected(0) + inner(0, hs[0]))
        return new_h, [new_h]
    if kind == "lstm":
        i = F.sigmoid(projected(0) + inner(0, hs[0]))
        f = F.sigmoid(projected(1) + inner(1, hs[1]))
        c = f * states[1] + i * F.tanh(projected(2) + inner(2, hs[2]))
        o = F.sigmoid(projected(3) + inner(3, hs[3]))
        new_h = o * F.tanh(c)
        return new_h, [new_h, c]
    z = F.sigmoid(projected(0) + inner(0, hs[0]))
    r = F.sigmoid(projected(1) + inner(1, hs[1]))
    if kind == "gru":
        hh = F.tanh(projected(2) + r * inner(2, hs[2]))
    else:  # reset before the product
        hh = F.tanh(projected(2) + F.matmul(r * hs[2], _gate(recurrent_kernel, 2, units)))
    new_h = z * h + (1 - z) * hh
    return new_h, [new_h]


def reference_rnn(kind, x, kernel, recurrent_kernel, bias=None, states=None, mask=None, in_mask=None,
                  rec_mask=None, go_backwards=False, return_sequences=False, zero_output_for_mask=False):
    """Keras's RNN loop (JAX backend's ``rnn``) over ``reference_step``: masked steps carry the
    states and output the previous output (or zeros); go_backwards walks the steps in reverse."""
    gates = GATES[kind]
    batch, steps, _ = x.shape
    units = recurrent_kernel.shape[0]
    if states is None:
        states = [Tensor(np.zeros((batch, units), dtype=x.data.dtype)) for _ in range(2 if kind == "lstm" else 1)]
    in_masks = None if in_mask is None else (in_mask if in_mask.ndim == 3 else [in_mask] * gates)
    rec_masks = None if rec_mask is None else (rec_mask if rec_mask.ndim == 3 else [rec_mask] * gates)
    outputs = []
    for t in (reversed(range(steps)) if go_backwards else range(steps)):
        out, new_states = reference_step(kind, x[:, t, :], states, kernel, recurrent_kernel, bias, in_masks, rec_masks)
        if mask is not None:
            keep = mask[:, t:t + 1]
            previous = F.zeros_like(out) if zero_output_for_mask else states[0]
            out = F.where(keep, out, previous)
            new_states = [F.where(keep, new, old) for new, old in zip(new_states, states)]
        states = new_states
        outputs.append(out)
    output = F.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return (output, *states)


def fused(kind, *args, **kwargs):
    if kind == "gru_reset_before":
        return recurrent.gru(*args, reset_after=False, **kwargs)
    if kind == "gru":
        return recurrent.gru(*args, reset_after=True, **kwargs)
    return getattr(recurrent, kind)(*args, **kwargs)


# -- random problems ------------------------------------------------------------------------------
def make_problem(kind, rng, batch=3, steps=4, features=3, units=2, dtype="float64", bias=True,
                 initial=True, mask=False, dropout=None):
    """Inputs (x, kernel, recurrent_kernel, [bias], [states...]) and the constant options."""
    gates = GATES[kind]
    width = gates * units
    arrays = [rng.standard_normal((batch, steps, features)), rng.standard_normal((features, width)) * 0.6,
              rng.standard_normal((units, width)) * 0.6]
    if bias:
        arrays.append(rng.standard_normal((2, width) if kind == "gru" else (width,)) * 0.5)
    state_count = 2 if kind == "lstm" else 1
    if initial:
        arrays += [rng.standard_normal((batch, units)) for _ in range(state_count)]
    options = {}
    if mask:
        step_mask = np.ones((batch, steps), dtype=bool)
        step_mask[0, 1] = False  # a hole in the middle
        step_mask[1, -1] = False  # the last step
        step_mask[-1, :] = False  # a row masked throughout
        options["mask"] = step_mask
    if dropout == "shared":
        options["in_mask"] = (rng.random((batch, features)) > 0.3) / 0.7
        options["rec_mask"] = (rng.random((batch, units)) > 0.3) / 0.7
    elif dropout == "per_gate":
        options["in_mask"] = (rng.random((gates, batch, features)) > 0.3) / 0.7
        options["rec_mask"] = (rng.random((gates, batch, units)) > 0.3) / 0.7
    return [a.astype(dtype) for a in arrays], options


def split_inputs(kind, tensors, bias, initial):
    x, kernel, recurrent_kernel = tensors[:3]
    rest = list(tensors[3:])
    b = rest.pop(0) if bias else None
    states = rest if initial else None
    return x, kernel, recurrent_kernel, b, states


def call_fused(kind, tensors, options, bias, initial, **flags):
    x, kernel, recurrent_kernel, b, states = split_inputs(kind, tensors, bias, initial)
    initial_state = None if states is None else (tuple(states) if kind == "lstm" else states[0])
    return fused(kind, x, kernel, recurrent_kernel, b, initial_state, options.get("mask"),
                 input_dropout_mask=options.get("in_mask"), recurrent_dropout_mask=options.get("rec_mask"), **flags)


def call_reference(kind, tensors, options, bias, initial, **flags):
    x, kernel, recurrent_kernel, b, states = split_inputs(kind, tensors, bias, initial)
    return reference_rnn(kind, x, kernel, recurrent_kernel, b, states, options.get("mask"),
                         options.get("in_mask"), options.get("rec_mask"), **flags)


def weighted_sum(outputs, cotangents):
    total = None
    for out, cot in zip(outputs, cotangents):
        term = F.sum(out * cot)
        total = term if total is None else total + term
    return total


KINDS = ("simple_rnn", "lstm", "gru", "gru_reset_before")

# (mask, go_backwards, return_sequences, initial, dropout, zero_output_for_mask, bias)
COMBINATIONS = [
    (False, False, False, False, None, False, True),
    (True, False, True, True, None, False, True),
    (True, True, True, True, "per_gate", False, True),
    (True, True, False, False, "shared", True, False),
    (True, False, True, True, None, True, True),
    (False, True, True, True, "shared", False, True),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("combination", COMBINATIONS, ids=lambda c: "-".join(str(v) for v in c))
def test_fused_matches_cell_by_cell(kind, combination):
    """Outputs, final states and every gradient equal those of the step-by-step composite."""
    mask, go_backwards, return_sequences, initial, dropout, zero_output, bias = combination
    rng = np.random.default_rng(7)
    arrays, options = make_problem(kind, rng, mask=mask, dropout=dropout, initial=initial, bias=bias)
    flags = dict(go_backwards=go_backwards, return_sequences=return_sequences, zero_output_for_mask=zero_output)
    results = []
    for call in (call_fused, call_reference):
        tensors = [Tensor(a) for a in arrays]
        with GradientTape() as tape:
            tape.watch(tensors)
            outputs = call(kind, tensors, options, bias, initial, **flags)
            if not results:
                cotangents = [rng.standard_normal(o.shape) for o in outputs]
            loss = weighted_sum(outputs, cotangents)
        grads = tape.gradient(loss, tensors)
        results.append(([o.numpy() for o in outputs], [g.numpy() for g in grads]))
    (fused_outputs, fused_grads), (ref_outputs, ref_grads) = results
    assert len(fused_outputs) == len(ref_outputs) == (3 if kind == "lstm" else 2)
    for got, want in zip(fused_outputs, ref_outputs):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    for index, (got, want) in enumerate(zip(fused_grads, ref_grads)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12, err_msg=f"gradient of input {index}")


GRADCHECK_COMBINATIONS = [
    (True, False, True, True, None, False, True),
    (True, True, False, True, "per_gate", False, True),
    (True, True, True, False, "shared", True, True),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("combination", GRADCHECK_COMBINATIONS, ids=lambda c: "-".join(str(v) for v in c))
def test_gradcheck(kind, combination):
    """Every input's gradient (x, kernel, recurrent kernel, bias, initial states) against central
    differences, through the outputs and all final states at once."""
    mask, go_backwards, return_sequences, initial, dropout, zero_output, bias = combination
    rng = np.random.default_rng(11)
    arrays, options = make_problem(kind, rng, batch=3, steps=3, features=2, units=2, mask=mask, dropout=dropout,
                                   initial=initial, bias=bias)
    flags = dict(go_backwards=go_backwards, return_sequences=return_sequences, zero_output_for_mask=zero_output)
    shapes = None

    def f(*tensors):
        nonlocal shapes
        outputs = call_fused(kind, list(tensors), options, bias, initial, **flags)
        # Squared outputs and distinct weights, so that each output's gradient path is tested.
        total = F.sum(outputs[0] * outputs[0])
        for k, state in enumerate(outputs[1:]):
            total = total + F.sum(state) * (k + 2.0)
        return total

    assert gradcheck(f, arrays, max_elementwise=100)


@pytest.mark.parametrize("kind", KINDS)
def test_float32_end_to_end(kind):
    rng = np.random.default_rng(3)
    arrays, options = make_problem(kind, rng, mask=True, dropout="per_gate", dtype="float32")
    options = {k: v.astype("float32") if v.dtype.kind == "f" else v for k, v in options.items()}

    def f(*tensors):
        outputs = call_fused(kind, list(tensors), options, True, True, return_sequences=True)
        return F.sum(outputs[0]) + F.sum(outputs[1])

    check_dtype_preserved(f, arrays, "float32")


@pytest.mark.parametrize("kind", KINDS)
def test_masked_row_keeps_its_initial_state(kind):
    """A row masked at every step outputs its initial h everywhere and ends in its initial states;
    with zero_output_for_mask its outputs are zeros instead."""
    rng = np.random.default_rng(5)
    arrays, options = make_problem(kind, rng, mask=True, initial=True)
    initial = arrays[4:]
    for zero_output in (False, True):
        outputs = call_fused(kind, [Tensor(a) for a in arrays], options, True, True, return_sequences=True,
                             zero_output_for_mask=zero_output)
        sequence = outputs[0].numpy()
        expected = np.zeros_like(sequence[-1]) if zero_output else np.broadcast_to(initial[0][-1], sequence[-1].shape)
        np.testing.assert_array_equal(sequence[-1], expected)
        for state, start in zip(outputs[1:], initial):
            np.testing.assert_array_equal(state.numpy()[-1], start[-1])
        # The unmasked rows moved away from their initial states.
        assert not np.allclose(outputs[1].numpy()[0], initial[0][0])


def test_go_backwards_reverses_processing_not_output_order():
    """go_backwards equals running on the time-reversed input; the outputs stay in processing order."""
    rng = np.random.default_rng(9)
    arrays, _ = make_problem("lstm", rng, initial=False)
    forward = recurrent.lstm(arrays[0][:, ::-1].copy(), *arrays[1:4], return_sequences=True)
    backward = recurrent.lstm(arrays[0], *arrays[1:4], return_sequences=True, go_backwards=True)
    for a, b in zip(forward, backward):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)


def test_bad_arguments_name_what_is_wrong():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    kernel = np.zeros((4, 8), "float32")
    recurrent_kernel = np.zeros((2, 8), "float32")
    with pytest.raises(ValueError, match=r"lstm: `kernel` must have shape \(4, 8\), received \(3, 8\)"):
        recurrent.lstm(x, kernel[:3], recurrent_kernel)
    with pytest.raises(ValueError, match=r"`recurrent_kernel` must have shape \(units, 4 \* units\)"):
        recurrent.lstm(x, kernel, recurrent_kernel[:, :7])
    with pytest.raises(ValueError, match=r"`inputs` must have shape \(batch, timesteps, features\)"):
        recurrent.lstm(x[0], kernel, recurrent_kernel)
    with pytest.raises(ValueError, match=r"`mask` must have shape \(batch, timesteps\) = \(2, 3\), received \(3, 2\)"):
        recurrent.lstm(x, kernel, recurrent_kernel, mask=np.ones((3, 2), bool))
    with pytest.raises(ValueError, match=r"`initial_state` must hold 2 state\(s\)"):
        recurrent.lstm(x, kernel, recurrent_kernel, initial_state=np.zeros((2, 2), "float32"))
    with pytest.raises(ValueError, match=r"gru: `bias` must have shape \(2, 6\), received \(6,\)"):
        recurrent.gru(x, kernel[:, :6], recurrent_kernel[:, :6], np.zeros(6, "float32"))
    with pytest.raises(ValueError, match=r"`recurrent_dropout_mask` must have shape \(2, 2\)"):
        recurrent.gru(x, kernel[:, :6], recurrent_kernel[:, :6], recurrent_dropout_mask=np.ones((2, 3), "float32"))
    with pytest.raises(TypeError, match=r"`kernel` must have the dtype of `inputs` \(float32\), received float64"):
        recurrent.simple_rnn(x, np.zeros((4, 2)), recurrent_kernel[:, :2])
    with pytest.raises(ValueError, match=r"`activation` must be 'tanh'"):
        recurrent.simple_rnn(x, kernel[:, :2], recurrent_kernel[:, :2], activation="relu")


# -- Keras 3 fixtures -----------------------------------------------------------------------------
def _fixture_cases():
    with np.load(FIXTURES) as data:
        return sorted({key.split("/")[0] for key in data.files})


@pytest.mark.parametrize("case", _fixture_cases())
def test_matches_keras(case):
    """Outputs, final states and gradients equal Keras 3's (JAX backend) to float32 precision."""
    with np.load(FIXTURES) as data:
        stored = {key.split("/", 1)[1]: data[key] for key in data.files if key.startswith(case + "/")}
    options = json.loads(str(stored["options"]))
    kind = options["kind"]
    state_count = 2 if kind == "lstm" else 1
    tensors = [Tensor(stored[name]) for name in ("x", "kernel", "recurrent_kernel", "bias")]
    has_initial = "initial_state_0" in stored
    if has_initial:
        tensors += [Tensor(stored[f"initial_state_{k}"]) for k in range(state_count)]
    initial = None
    if has_initial:
        initial = tuple(tensors[4:]) if kind == "lstm" else tensors[4]
    kwargs = dict(
        mask=stored.get("mask"), go_backwards=options["go_backwards"], return_sequences=options["return_sequences"],
        input_dropout_mask=stored.get("input_dropout_mask"), recurrent_dropout_mask=stored.get("recurrent_dropout_mask"),
    )
    if kind == "gru":
        kwargs["reset_after"] = options["reset_after"]
    op = getattr(recurrent, kind)
    with GradientTape() as tape:
        tape.watch(tensors)
        outputs = op(*tensors[:4], initial, **kwargs)
        loss = weighted_sum(outputs, [stored[f"cotangent_{k}"] for k in range(len(outputs))])
    grads = tape.gradient(loss, tensors)
    assert len(outputs) == 1 + state_count
    for k, out in enumerate(outputs):
        np.testing.assert_allclose(out.numpy(), stored[f"output_{k}"], rtol=1e-5, atol=2e-6, err_msg=f"output {k}")
    names = ["x", "kernel", "recurrent_kernel", "bias"] + [f"initial_state_{k}" for k in range(state_count)]
    for name, grad in zip(names, grads):
        np.testing.assert_allclose(grad.numpy(), stored[f"grad_{name}"], rtol=1e-5, atol=1e-5, err_msg=f"gradient of {name}")


def test_fixture_covers_the_options():
    """The Keras fixture holds every layer kind with each option both ways (so the test above means something)."""
    with np.load(FIXTURES) as data:
        cases = _fixture_cases()
        seen = set()
        for case in cases:
            options = json.loads(str(data[f"{case}/options"]))
            seen.add((options["kind"], options["reset_after"]))
            for key in ("return_sequences", "go_backwards"):
                seen.add((key, options[key]))
            seen.add(("mask", f"{case}/mask" in data.files))
            seen.add(("initial", f"{case}/initial_state_0" in data.files))
            seen.add(("dropout", f"{case}/recurrent_dropout_mask" in data.files))
    expected = {("simple_rnn", False), ("lstm", False), ("gru", True), ("gru", False)}
    expected |= set(itertools.product(("return_sequences", "go_backwards", "mask", "initial", "dropout"), (False, True)))
    assert expected <= seen
