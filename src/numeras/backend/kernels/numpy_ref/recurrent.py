"""NumPy reference of the recurrent kernels: the time loop of SimpleRNN, LSTM and GRU.

Each kernel runs the sequential part of a whole sequence, vectorised over the batch with one
Python iteration per time step; the ops in ``numeras.autodiff.ops.recurrent`` do everything that
is not sequential (the input projection of all steps, the weight gradients) as single products.

Shared conventions (the compiled kernels in ``numba_jit/recurrent.py`` take the same arguments):

- Time-major arrays in processing order (already reversed for ``go_backwards``): ``proj`` (T, B, G*U)
  is the input projection x_t @ kernel + input bias of every step, G the number of gate blocks.
- ``step_mask`` (T, B) bool or None: a False entry leaves that row's states unchanged at that step.
- ``recurrent_mask`` (G, B, U) or None: the recurrent dropout mask of each gate block; gate block g
  multiplies h_{t-1} by ``recurrent_mask[g]`` before its recurrent product (Keras's cells).
- ``hs`` (T+1, B, U) is written with h0 in row 0 and the state after step t in row t+1 (a masked
  step carries the previous row over). ``dhs`` (T+1, B, U) holds the gradient arriving from outside
  at each of those rows; the backward kernels return the gradients of the pre-activations
  (``dproj``, zero at masked steps) and of the initial states.
- Activations are Keras's defaults: sigmoid for the gates, tanh for candidates and outputs.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    """1 / (1 + e^-z), written through tanh so that it never overflows."""
    s = np.tanh(z * 0.5)
    s *= 0.5
    s += 0.5
    return s


def _recurrent_product(h, recurrent_kernel, recurrent_mask, units, blocks):
    """h @ recurrent_kernel[:, :blocks*units] with gate block g taking h * recurrent_mask[g]."""
    if recurrent_mask is None:
        return h @ recurrent_kernel[:, : blocks * units]
    return np.concatenate(
        [(h * recurrent_mask[g]) @ recurrent_kernel[:, g * units : (g + 1) * units] for g in range(blocks)],
        axis=1,
    )


def _recurrent_transpose(dz, recurrent_kernel, recurrent_mask, units, blocks):
    """The gradient w.r.t. h of ``_recurrent_product``: sum over g of (dz_g @ K_g^T) * mask_g."""
    if recurrent_mask is None:
        return dz @ recurrent_kernel[:, : blocks * units].T
    total = None
    for g in range(blocks):
        part = dz[:, g * units : (g + 1) * units] @ recurrent_kernel[:, g * units : (g + 1) * units].T
        part *= recurrent_mask[g]
        total = part if total is None else total + part
    return total


def simple_rnn_forward(proj, recurrent_kernel, h0, step_mask, recurrent_mask, hs):
    """h_t = tanh(proj_t + (h_{t-1} * recurrent_mask[0]) @ recurrent_kernel), into ``hs``."""
    steps, _, units = proj.shape
    hs[0] = h0
    for t in range(steps):
        h = np.tanh(proj[t] + _recurrent_product(hs[t], recurrent_kernel, recurrent_mask, units, 1))
        if step_mask is not None:
            h = np.where(step_mask[t][:, None], h, hs[t])
        hs[t + 1] = h


def simple_rnn_backward(dhs, recurrent_kernel, hs, step_mask, recurrent_mask, dproj, dh0):
    """Back-propagation through time of ``simple_rnn_forward``: da_t = dh_t * (1 - h_t^2),
    dh_{t-1} = (da_t @ recurrent_kernel^T) * recurrent_mask[0] (dh_t itself at a masked step)."""
    steps, _, units = dproj.shape
    carry = np.zeros_like(dhs[0])
    for t in range(steps - 1, -1, -1):
        dh = carry + dhs[t + 1]
        h = hs[t + 1]
        da = dh * (1 - h * h)
        if step_mask is not None:
            da *= step_mask[t][:, None]
        dproj[t] = da
        carry = _recurrent_transpose(da, recurrent_kernel, recurrent_mask, units, 1)
        if step_mask is not None:
            carry = np.where(step_mask[t][:, None], carry, dh)
    dh0[...] = carry + dhs[0]


def lstm_forward(proj, recurrent_kernel, h0, c0, step_mask, recurrent_mask, hs, cs, gates):
    """z = proj_t + h_{t-1} @ recurrent_kernel split into (i, f, g, o);
    i, f, o = sigmoid, g = tanh;  c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t).
    Writes ``hs``, ``cs`` (T+1, B, U) and the activations (i, f, g, o) into ``gates`` (T, B, 4U)."""
    steps, _, width = proj.shape
    units = width // 4
    hs[0] = h0
    cs[0] = c0
    for t in range(steps):
        z = proj[t] + _recurrent_product(hs[t], recurrent_kernel, recurrent_mask, units, 4)
        a = gates[t]
        a[:, : 2 * units] = _sigmoid(z[:, : 2 * units])
        a[:, 2 * units : 3 * units] = np.tanh(z[:, 2 * units : 3 * units])
        a[:, 3 * units :] = _sigmoid(z[:, 3 * units :])
        i, f, g, o = a[:, :units], a[:, units : 2 * units], a[:, 2 * units : 3 * units], a[:, 3 * units :]
        c = f * cs[t] + i * g
        h = o * np.tanh(c)
        if step_mask is not None:
            keep = step_mask[t][:, None]
            c = np.where(keep, c, cs[t])
            h = np.where(keep, h, hs[t])
        cs[t + 1] = c
        hs[t + 1] = h


def lstm_backward(dhs, dc_last, recurrent_kernel, hs, cs, gates, step_mask, recurrent_mask, dproj, dh0, dc0):
    """Back-propagation through time of ``lstm_forward``. With dc = dc_t + dh_t * o * (1 - tanh(c_t)^2):
    di = dc * g, df = dc * c_{t-1}, dg = dc * i, do = dh_t * tanh(c_t), each times its activation's
    derivative into ``dproj``;  dc_{t-1} = dc * f,  dh_{t-1} = dproj_t @ recurrent_kernel^T."""
    steps, _, width = dproj.shape
    units = width // 4
    dh_carry = np.zeros_like(dc_last)
    dc_carry = dc_last.copy()
    for t in range(steps - 1, -1, -1):
        dh = dh_carry + dhs[t + 1]
        a = gates[t]
        i, f, g, o = a[:, :units], a[:, units : 2 * units], a[:, 2 * units : 3 * units], a[:, 3 * units :]
        tanh_c = np.tanh(cs[t + 1])
        dc = dc_carry + dh * o * (1 - tanh_c * tanh_c)
        dz = dproj[t]
        dz[:, :units] = dc * g * i * (1 - i)
        dz[:, units : 2 * units] = dc * cs[t] * f * (1 - f)
        dz[:, 2 * units : 3 * units] = dc * i * (1 - g * g)
        dz[:, 3 * units :] = dh * tanh_c * o * (1 - o)
        dc_prev = dc * f
        if step_mask is not None:
            keep = step_mask[t][:, None]
            dz *= keep
            dc_prev = np.where(keep, dc_prev, dc_carry)
        dh_prev = _recurrent_transpose(dz, recurrent_kernel, recurrent_mask, units, 4)
        if step_mask is not None:
            dh_prev = np.where(keep, dh_prev, dh)
        dh_carry, dc_carry = dh_prev, dc_prev
    dh0[...] = dh_carry + dhs[0]
    dc0[...] = dc_carry


def gru_forward(proj, recurrent_kernel, recurrent_bias, h0, step_mask, recurrent_mask, reset_after, hs, gates, candidate_recurrent):
    """Keras's GRU step, gates (z, r, h). With m_g = h_{t-1} * recurrent_mask[g]:

    reset_after:  inner = m @ recurrent_kernel (per block) + recurrent_bias,
                  z = sigmoid(proj_z + inner_z), r = sigmoid(proj_r + inner_r),
                  hh = tanh(proj_h + r * inner_h)            (``candidate_recurrent`` <- inner_h)
    reset_before: z, r as above without recurrent bias,
                  hh = tanh(proj_h + (r * m_h) @ recurrent_kernel_h)  (``candidate_recurrent`` <- r * m_h)
    h_t = z * h_{t-1} + (1 - z) * hh.  Activations (z, r, hh) go into ``gates`` (T, B, 3U)."""
    steps, _, width = proj.shape
    units = width // 3
    hs[0] = h0
    for t in range(steps):
        h_prev = hs[t]
        a = gates[t]
        if reset_after:
            inner = _recurrent_product(h_prev, recurrent_kernel, recurrent_mask, units, 3)
            if recurrent_bias is not None:
                inner += recurrent_bias
            a[:, : 2 * units] = _sigmoid(proj[t, :, : 2 * units] + inner[:, : 2 * units])
            candidate_recurrent[t] = inner[:, 2 * units :]
            a[:, 2 * units :] = np.tanh(proj[t, :, 2 * units :] + a[:, units : 2 * units] * inner[:, 2 * units :])
        else:
            inner = _recurrent_product(h_prev, recurrent_kernel, recurrent_mask, units, 2)
            a[:, : 2 * units] = _sigmoid(proj[t, :, : 2 * units] + inner)
            reset_h = a[:, units : 2 * units] * h_prev
            if recurrent_mask is not None:
                reset_h *= recurrent_mask[2]
            candidate_recurrent[t] = reset_h
            a[:, 2 * units :] = np.tanh(proj[t, :, 2 * units :] + reset_h @ recurrent_kernel[:, 2 * units :])
        z, hh = a[:, :units], a[:, 2 * units :]
        h = z * h_prev + (1 - z) * hh
        if step_mask is not None:
            h = np.where(step_mask[t][:, None], h, h_prev)
        hs[t + 1] = h


def gru_backward(dhs, recurrent_kernel, hs, gates, candidate_recurrent, step_mask, recurrent_mask, reset_after, dproj, d_candidate, dh0):
    """Back-propagation through time of ``gru_forward``: with dh = dh_t,
    dz = dh * (h_{t-1} - hh) * z (1 - z),  dah = dh * (1 - z) * (1 - hh^2),  dh_{t-1} = dh * z + ...;
    reset_after:  d_candidate <- dah * r (gradient of inner_h),  dr = dah * inner_h;
    reset_before: d(r * m_h) = dah @ recurrent_kernel_h^T, dr = that * m_h.
    ``dproj`` gets (dz, dr * r (1 - r), dah); ``d_candidate`` is None for reset_before."""
    steps, _, width = dproj.shape
    units = width // 3
    carry = np.zeros_like(dh0)
    kernel_h = recurrent_kernel[:, 2 * units :]
    for t in range(steps - 1, -1, -1):
        dh = carry + dhs[t + 1]
        h_prev = hs[t]
        a = gates[t]
        z, r, hh = a[:, :units], a[:, units : 2 * units], a[:, 2 * units :]
        dz = dproj[t]
        dz[:, :units] = dh * (h_prev - hh) * z * (1 - z)
        dah = dh * (1 - z) * (1 - hh * hh)
        dz[:, 2 * units :] = dah
        dh_prev = dh * z
        if reset_after:
            d_inner_h = dah * r
            dz[:, units : 2 * units] = dah * candidate_recurrent[t] * r * (1 - r)
            if step_mask is not None:
                keep = step_mask[t][:, None]
                dz *= keep
                d_inner_h *= keep
            d_candidate[t] = d_inner_h
            rec = np.concatenate([dz[:, : 2 * units], d_inner_h], axis=1)
            dh_prev += _recurrent_transpose(rec, recurrent_kernel, recurrent_mask, units, 3)
        else:
            d_reset_h = dah @ kernel_h.T
            masked_h = h_prev if recurrent_mask is None else h_prev * recurrent_mask[2]
            dz[:, units : 2 * units] = d_reset_h * masked_h * r * (1 - r)
            if step_mask is not None:
                keep = step_mask[t][:, None]
                dz *= keep
            through_reset = d_reset_h * r
            if recurrent_mask is not None:
                through_reset *= recurrent_mask[2]
            dh_prev += through_reset
            dh_prev += _recurrent_transpose(dz[:, : 2 * units], recurrent_kernel, recurrent_mask, units, 2)
        if step_mask is not None:
            dh_prev = np.where(keep, dh_prev, dh)
        carry = dh_prev
    dh0[...] = carry + dhs[0]
