"""Whole-sequence recurrent primitives: Keras's SimpleRNN, LSTM and GRU layers' computation.

Each op runs a whole sequence as one recorded operation:

1. the input projection of every time step in one product, (B*T, F) @ (F, G*units) + input bias;
2. the recurrence, by a kernel (``numeras.backend.kernels``: compiled with numba when available);
3. in the VJP, back-propagation through time by the matching kernel, then the weight and input
   gradients, each as one product over all steps.

Semantics follow Keras 3 (``keras.src.layers.rnn`` with the JAX backend's ``rnn``):

- Gate order LSTM (i, f, c, o), GRU (z, r, h); gates use sigmoid, candidates and outputs tanh.
- ``mask`` (B, T): at a False step a row's states are carried over unchanged and its output is the
  previous output (``zero_output_for_mask=False``, Keras's default) or zeros (True).
- ``go_backwards``: the sequence is processed from the last step; with ``return_sequences`` the
  outputs stay in processing (reversed) order, as Keras returns them.
- Dropout masks are inputs (drawing them is the layer's job), fixed over time as in Keras's cells:
  ``input_dropout_mask`` (B, F) shared by every gate or (G, B, F) one per gate (Keras's
  ``implementation=1``), multiplying x_t; ``recurrent_dropout_mask`` (B, units) or (G, B, units),
  multiplying h_{t-1} before each gate's recurrent product.

Steps 1-3 run with NumPy's BLAS on one thread (when ``threadpoolctl`` is installed; see
``_on_one_blas_thread``); the big products of steps 1 and 3 are split by rows over the cores
instead (``numeras.backend.split_products``).

Each op returns ``(output, *final_states)``: ``output`` is (B, T, units) with ``return_sequences``,
else the last output (B, units). All are differentiable with respect to the inputs, kernel,
recurrent kernel, bias and initial states. Internally the outputs and states are read out of one
recorded node that holds the state sequence (S, T+1, B, units) (S = 2 for the LSTM's h and c); the
readers are views or small copies whose VJPs put their gradient back in place.
"""

from __future__ import annotations

import functools

from numeras.autodiff.ops._core import as_tensor, constant, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, split_products, xp
from numeras.backend.blas_threads import blas_controllers

_GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}


def simple_rnn(
    inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
    input_dropout_mask=None, recurrent_dropout_mask=None, go_backwards: bool = False,
    return_sequences: bool = False, zero_output_for_mask: bool = False,
    activation: str = "tanh",
) -> tuple[Tensor, Tensor]:
    """Keras's SimpleRNN over a whole sequence; returns ``(output, h_T)``.

    h_t = tanh(x_t @ kernel + bias + h_{t-1} @ recurrent_kernel) (x_t, h_{t-1} times their dropout
    masks). VJP, with da_t = dh_t * (1 - h_t^2) (zero at masked steps):
    dh_{t-1} = da_t @ recurrent_kernel^T (+ dh_t carried at masked steps),
    dkernel = sum_t x_t^T da_t, drecurrent_kernel = sum_t h_{t-1}^T da_t, dbias = sum_t da_t,
    dx_t = da_t @ kernel^T.
    """
    _check_activations("simple_rnn", activation, "sigmoid")
    return _run("simple_rnn", inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                input_dropout_mask, recurrent_dropout_mask, go_backwards, return_sequences,
                zero_output_for_mask, reset_after=False)


def lstm(
    inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
    input_dropout_mask=None, recurrent_dropout_mask=None, go_backwards: bool = False,
    return_sequences: bool = False, zero_output_for_mask: bool = False,
    activation: str = "tanh", recurrent_activation: str = "sigmoid",
) -> tuple[Tensor, Tensor, Tensor]:
    """Keras's LSTM over a whole sequence; returns ``(output, h_T, c_T)``. ``initial_state`` is
    ``(h0, c0)`` or None (zeros).

    z = x_t @ kernel + bias + h_{t-1} @ recurrent_kernel, split into gates (i, f, c, o);
    i, f, o = sigmoid, g = tanh;  c_t = f * c_{t-1} + i * g;  h_t = o * tanh(c_t).
    VJP (BPTT): dc = dc_t + dh_t * o * (1 - tanh(c_t)^2);  dz = (dc g i(1-i), dc c_{t-1} f(1-f),
    dc i (1-g^2), dh_t tanh(c_t) o(1-o));  dc_{t-1} = dc * f;  dh_{t-1} = dz @ recurrent_kernel^T;
    dkernel = sum_t x_t^T dz_t, drecurrent_kernel = sum_t h_{t-1}^T dz_t, dbias = sum_t dz_t,
    dx_t = dz_t @ kernel^T (masked steps: dz = 0 and dh, dc carried over).
    """
    _check_activations("lstm", activation, recurrent_activation)
    return _run("lstm", inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                input_dropout_mask, recurrent_dropout_mask, go_backwards, return_sequences,
                zero_output_for_mask, reset_after=False)


def gru(
    inputs, kernel, recurrent_kernel, bias=None, initial_state=None, mask=None, *,
    reset_after: bool = True, input_dropout_mask=None, recurrent_dropout_mask=None,
    go_backwards: bool = False, return_sequences: bool = False, zero_output_for_mask: bool = False,
    activation: str = "tanh", recurrent_activation: str = "sigmoid",
) -> tuple[Tensor, Tensor]:
    """Keras's GRU over a whole sequence; returns ``(output, h_T)``. ``bias`` is (2, 3*units)
    (input bias, recurrent bias) with ``reset_after`` (Keras's default), else (3*units,).

    x = x_t @ kernel + input_bias split (x_z, x_r, x_h); gates (z, r, h):
    reset_after:  inner = h_{t-1} @ recurrent_kernel + recurrent_bias;  z = sigmoid(x_z + inner_z),
                  r = sigmoid(x_r + inner_r),  hh = tanh(x_h + r * inner_h);
    reset_before: z, r likewise without recurrent bias;  hh = tanh(x_h + (r * h_{t-1}) @ recurrent_kernel_h);
    h_t = z * h_{t-1} + (1 - z) * hh.
    VJP (BPTT): dz = dh (h_{t-1} - hh) z(1-z);  dah = dh (1-z)(1-hh^2);
    reset_after: d inner_h = dah * r, dr = dah * inner_h * r(1-r);
    reset_before: d(r h) = dah @ recurrent_kernel_h^T, dr = d(r h) * h_{t-1} * r(1-r);
    dh_{t-1} = dh * z + (dz, dr, d inner_h) @ recurrent_kernel^T (reset_before: + d(r h) * r);
    weight gradients as sums over t of (input)^T (gradient), input gradient dx_t = (dz, dr, dah) @ kernel^T.
    """
    _check_activations("gru", activation, recurrent_activation)
    return _run("gru", inputs, kernel, recurrent_kernel, bias, initial_state, mask,
                input_dropout_mask, recurrent_dropout_mask, go_backwards, return_sequences,
                zero_output_for_mask, reset_after=bool(reset_after))


def _check_activations(op: str, activation, recurrent_activation) -> None:
    if activation != "tanh":
        raise ValueError(
            f"{op}: `activation` must be 'tanh' (the fused op's activation), received {activation!r}. "
            "Run other activations cell by cell."
        )
    if recurrent_activation != "sigmoid":
        raise ValueError(
            f"{op}: `recurrent_activation` must be 'sigmoid' (the fused op's gate activation), "
            f"received {recurrent_activation!r}. Run other activations cell by cell."
        )


def _float_tensor(op: str, name: str, value, dtype=None) -> Tensor:
    tensor = as_tensor(value)
    if tensor.data.dtype.kind != "f":
        if dtype is None:
            raise TypeError(f"{op}: `{name}` must be a float tensor, received dtype {tensor.data.dtype}. Cast it first.")
        tensor = constant(tensor.data.astype(dtype))
    if dtype is not None and tensor.data.dtype != dtype:
        raise TypeError(
            f"{op}: `{name}` must have the dtype of `inputs` ({dtype}), received {tensor.data.dtype}. "
            "Cast the weights and states to one float type."
        )
    return tensor


def _check_shape(op: str, name: str, array, expected: tuple, hint: str = "") -> None:
    if tuple(array.shape) != tuple(expected):
        raise ValueError(f"{op}: `{name}` must have shape {tuple(expected)}, received {tuple(array.shape)}.{hint}")


def _dropout_mask(op: str, name: str, mask, gates: int, batch: int, width: int, dtype):
    """A dropout mask as a (gates, B, width) array of ``dtype`` (a shared one repeated), or None."""
    if mask is None:
        return None, False
    array = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.shape == (batch, width):
        return xp.ascontiguousarray(xp.broadcast_to(array.astype(dtype, copy=False), (gates, batch, width))), True
    if array.shape == (gates, batch, width):
        return xp.ascontiguousarray(array, dtype=dtype), False
    raise ValueError(
        f"{op}: `{name}` must have shape {(batch, width)} (one mask for every gate) or "
        f"{(gates, batch, width)} (one per gate), received {tuple(array.shape)}."
    )


def _on_one_blas_thread(function):
    """``function`` running with NumPy's BLAS on one thread, then back to the count it had.

    The op's products are tall and thin ((T*B, F) by (F, G*units)), the NumPy reference's per-step
    products small: OpenBLAS's second thread gains little on them, and after each product it keeps
    spinning for a while (~0.1 s), running against the kernel that follows. On the project's
    2-core machine (busy) an LSTM forward+backward at 128 x 500 x 32 with the compiled kernels
    took ~480 ms of CPU with two BLAS threads and ~110 with one; the NumPy reference's, whose
    500 per-step products each woke the second thread, ~2.5 s. Without ``threadpoolctl`` the
    function runs as it is."""

    @functools.wraps(function)
    def run(*args, **kwargs):
        libraries = blas_controllers()
        counts = [library.num_threads for library in libraries]
        for library, count in zip(libraries, counts):
            if count > 1:
                library.set_num_threads(1)
        try:
            return function(*args, **kwargs)
        finally:
            for library, count in zip(libraries, counts):
                if count > 1:
                    library.set_num_threads(count)

    return run




@_on_one_blas_thread
def _run(op, inputs, kernel, recurrent_kernel, bias, initial_state, mask,
         input_dropout_mask, recurrent_dropout_mask, go_backwards, return_sequences,
         zero_output_for_mask, reset_after):
    gates = _GATES[op]
    x = _float_tensor(op, "inputs", inputs)
    if x.data.ndim != 3:
        raise ValueError(f"{op}: `inputs` must have shape (batch, timesteps, features), received {tuple(x.data.shape)}.")
    dtype = x.data.dtype
    batch, steps, features = x.data.shape
    if steps == 0:
        raise ValueError(f"{op}: `inputs` must have at least one time step, received shape {tuple(x.data.shape)}.")
    kernel = _float_tensor(op, "kernel", kernel, dtype)
    recurrent_kernel = _float_tensor(op, "recurrent_kernel", recurrent_kernel, dtype)
    if recurrent_kernel.data.ndim != 2 or recurrent_kernel.data.shape[1] % gates:
        raise ValueError(
            f"{op}: `recurrent_kernel` must have shape (units, {gates} * units), received "
            f"{tuple(recurrent_kernel.data.shape)}."
        )
    units = recurrent_kernel.data.shape[0]
    width = gates * units
    _check_shape(op, "recurrent_kernel", recurrent_kernel.data, (units, width))
    _check_shape(op, "kernel", kernel.data, (features, width))
    if bias is not None:
        bias = _float_tensor(op, "bias", bias, dtype)
        if op == "gru" and reset_after:
            _check_shape(op, "bias", bias.data, (2, width), " With reset_after=True the GRU bias holds (input bias, recurrent bias).")
        else:
            _check_shape(op, "bias", bias.data, (width,))
    state_count = 2 if op == "lstm" else 1
    states = _initial_states(op, initial_state, state_count, batch, units, dtype)
    step_mask = _step_mask(op, mask, batch, steps, go_backwards)
    in_mask, in_mask_shared = _dropout_mask(op, "input_dropout_mask", input_dropout_mask, gates, batch, features, dtype)
    rec_mask, _ = _dropout_mask(op, "recurrent_dropout_mask", recurrent_dropout_mask, gates, batch, units, dtype)

    # Time-major, in processing order: one copy of x, read contiguously by every step.
    x_time = x.data.transpose(1, 0, 2)
    if go_backwards:
        x_time = x_time[::-1]
    x_time = xp.ascontiguousarray(x_time)
    x_rows = x_time.reshape(steps * batch, features)
    w = kernel.data
    b = bias.data if bias is not None else None
    input_bias = None if b is None else (b[0] if b.ndim == 2 else b)
    recurrent_bias = b[1] if b is not None and b.ndim == 2 else None

    # 1. The input projection of every step.
    if in_mask is None:
        projected_rows = x_rows
        proj = split_products.matmul(x_rows, w)
    elif in_mask_shared:
        projected_rows = (x_time * in_mask[0]).reshape(steps * batch, features)
        proj = split_products.matmul(projected_rows, w)
    else:
        projected_rows = (x_time[None] * in_mask[:, None]).reshape(gates, steps * batch, features)
        per_gate = xp.matmul(projected_rows, w.reshape(features, gates, units).transpose(1, 0, 2))
        proj = per_gate.transpose(1, 0, 2).reshape(steps * batch, width)
    if input_bias is not None:
        proj += input_bias
    proj = proj.reshape(steps, batch, width)

    # 2. The recurrence.
    sequence = xp.empty((state_count, steps + 1, batch, units), dtype=dtype)
    hs = sequence[0]
    activations = None
    candidate = None
    if op == "simple_rnn":
        kernels.simple_rnn_forward(proj, recurrent_kernel.data, _contiguous(states[0]), step_mask, rec_mask, hs)
    elif op == "lstm":
        activations = xp.empty((steps, batch, width), dtype=dtype)
        kernels.lstm_forward(proj, recurrent_kernel.data, _contiguous(states[0]), _contiguous(states[1]), step_mask, rec_mask,
                             hs, sequence[1], activations)
    else:
        activations = xp.empty((steps, batch, width), dtype=dtype)
        candidate = xp.empty((steps, batch, units), dtype=dtype)
        kernels.gru_forward(proj, recurrent_kernel.data, recurrent_bias, _contiguous(states[0]), step_mask, rec_mask,
                            reset_after, hs, activations, candidate)
    del proj

    parents = (x, kernel, recurrent_kernel) + ((bias,) if bias is not None else ()) + tuple(states)
    need = [p.requires_grad for p in parents]
    rk = recurrent_kernel.data

    def vjp(g):
        # 3. Back-propagation through time, then every weight gradient as one product.
        dproj = xp.empty((steps, batch, width), dtype=dtype)
        dh0 = xp.empty((batch, units), dtype=dtype)
        dhs = xp.ascontiguousarray(g[0])
        rec_dz = dproj
        if op == "simple_rnn":
            kernels.simple_rnn_backward(dhs, rk, hs, step_mask, rec_mask, dproj, dh0)
            state_grads = [dh0]
        elif op == "lstm":
            dc0 = xp.empty((batch, units), dtype=dtype)
            kernels.lstm_backward(dhs, xp.ascontiguousarray(g[1, steps]), rk, hs, sequence[1], activations,
                                  step_mask, rec_mask, dproj, dh0, dc0)
            state_grads = [dh0, dc0]
        else:
            d_candidate = xp.empty((steps, batch, units), dtype=dtype) if reset_after else None
            kernels.gru_backward(dhs, rk, hs, activations, candidate, step_mask, rec_mask, reset_after,
                                 dproj, d_candidate, dh0)
            state_grads = [dh0]
            if reset_after:
                rec_dz = dproj.copy()
                rec_dz[:, :, 2 * units:] = d_candidate
        dproj_rows = dproj.reshape(steps * batch, width)
        dx = dkernel = drec = dbias = None
        if need[0]:
            if in_mask is None or in_mask_shared:
                dx_time = split_products.matmul(dproj_rows, w.T).reshape(steps, batch, features)
                if in_mask is not None:
                    dx_time *= in_mask[0]
            else:
                dx_time = None
                for gate in range(gates):
                    part = (dproj_rows[:, gate * units:(gate + 1) * units] @ w[:, gate * units:(gate + 1) * units].T)
                    part = part.reshape(steps, batch, features) * in_mask[gate]
                    dx_time = part if dx_time is None else dx_time + part
            if go_backwards:
                dx_time = dx_time[::-1]
            dx = xp.ascontiguousarray(dx_time.transpose(1, 0, 2))
        if need[1]:
            if projected_rows.ndim == 2:
                dkernel = split_products.matmul_transposed(projected_rows, dproj_rows)
            else:
                blocks = dproj_rows.reshape(steps * batch, gates, units).transpose(1, 0, 2)
                dkernel = xp.matmul(projected_rows.transpose(0, 2, 1), blocks).transpose(1, 0, 2).reshape(features, width)
        if need[2]:
            drec = _recurrent_kernel_grad(op, hs, rec_dz, rec_mask, candidate, reset_after, gates, units)
        if bias is not None and need[3]:
            dbias = dproj_rows.sum(axis=0)
            if b.ndim == 2:
                dbias = xp.stack([dbias, rec_dz.reshape(steps * batch, width).sum(axis=0)])
        grads = [dx, dkernel, drec] + ([dbias] if bias is not None else [])
        return tuple(grads) + tuple(sg if n else None for sg, n in zip(state_grads, need[-state_count:]))

    node = record(sequence, parents, _on_one_blas_thread(vjp))
    keep = None
    if step_mask is not None and zero_output_for_mask:
        keep = step_mask[:, :, None].astype(dtype)
    if return_sequences:
        output = _read_sequence(node, keep)
    else:
        output = _read_last(node, 0, steps, None if keep is None else keep[-1])
    finals = tuple(_read_last(node, k, steps, None) for k in range(state_count))
    return (output, *finals)


def _recurrent_kernel_grad(op, hs, rec_dz, rec_mask, candidate, reset_after, gates, units):
    """sum_t (h_{t-1} * mask_g)^T dz_t,g per gate block g, as products over all steps at once."""
    steps, batch, width = rec_dz.shape
    previous = hs[:-1].reshape(steps * batch, units)
    dz_rows = rec_dz.reshape(steps * batch, width)
    blocks = gates if not (op == "gru" and not reset_after) else 2
    if rec_mask is None:
        grad = split_products.matmul_transposed(previous, dz_rows[:, : blocks * units])
    else:
        grad = xp.concatenate([
            split_products.matmul_transposed(
                (hs[:-1] * rec_mask[g]).reshape(steps * batch, units), dz_rows[:, g * units:(g + 1) * units]
            )
            for g in range(blocks)
        ], axis=1)
    if blocks == gates:
        return grad
    # GRU with the reset gate before the product: the candidate block multiplies r * h_{t-1}.
    candidate_grad = candidate.reshape(steps * batch, units).T @ dz_rows[:, blocks * units:]
    return xp.concatenate([grad, candidate_grad], axis=1)


def _initial_states(op, initial_state, count, batch, units, dtype):
    if initial_state is None:
        return [constant(xp.zeros((batch, units), dtype=dtype)) for _ in range(count)]
    given = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    if len(given) != count:
        raise ValueError(
            f"{op}: `initial_state` must hold {count} state(s) of shape {(batch, units)}"
            f"{' (h0, c0)' if count == 2 else ''}, received {len(given)}."
        )
    states = []
    for k, state in enumerate(given):
        tensor = _float_tensor(op, f"initial_state[{k}]", state, dtype)
        _check_shape(op, f"initial_state[{k}]", tensor.data, (batch, units))
        states.append(tensor)
    return states


def _contiguous(tensor: Tensor):
    return xp.ascontiguousarray(tensor.data)


def _step_mask(op, mask, batch, steps, go_backwards):
    """The (B, T) mask as a contiguous (T, B) bool array in processing order, or None when it
    masks nothing (so the kernels skip the test)."""
    if mask is None:
        return None
    array = xp.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.shape != (batch, steps):
        raise ValueError(f"{op}: `mask` must have shape (batch, timesteps) = {(batch, steps)}, received {tuple(array.shape)}.")
    array = array.astype(bool, copy=False)
    if array.all():
        return None
    time_major = array.T
    if go_backwards:
        time_major = time_major[::-1]
    return xp.ascontiguousarray(time_major)


def _read_sequence(node: Tensor, keep) -> Tensor:
    """The outputs (B, T, units) from the state sequence's h rows 1..T (times ``keep`` (T, B, 1))."""
    hs = node.data[0, 1:]
    data = hs * keep if keep is not None else hs
    data = xp.ascontiguousarray(data.transpose(1, 0, 2))

    def vjp(g):
        full = xp.zeros_like(node.data)
        rows = full[0, 1:]
        rows[...] = g.transpose(1, 0, 2)
        if keep is not None:
            rows *= keep
        return (full,)

    return record(data, (node,), vjp)


def _read_last(node: Tensor, state: int, steps: int, keep) -> Tensor:
    """Row ``steps`` (the final value) of state ``state`` (B, units), times ``keep`` (B, 1)."""
    last = node.data[state, steps]
    data = last * keep if keep is not None else last.copy()

    def vjp(g):
        full = xp.zeros_like(node.data)
        full[state, steps] = g if keep is None else g * keep
        return (full,)

    return record(data, (node,), vjp)
