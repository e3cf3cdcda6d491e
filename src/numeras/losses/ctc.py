"""Connectionist Temporal Classification (Graves et al., 2006): the ``ctc_loss`` primitive and
Keras 3's ``ctc`` loss function and ``CTC`` loss class.

``ctc_loss`` runs the forward-backward algorithm in log space over the extended label sequence
(blank, l1, blank, l2, ..., blank): vectorised over the batch and the label states, one NumPy
step per time step. Its gradient with respect to the logits is the softmax minus the posterior
occupancy of each class, computed from the same alphas and betas, so the backward pass costs
one batched matrix product.
"""

from __future__ import annotations

from typing import Any

from numeras.autodiff.ops._core import as_tensor, record
from numeras.autodiff.tensor import Tensor
from numeras.backend import kernels, xp
from numeras.losses.loss import Loss, LossFunctionWrapper

__all__ = ["CTC", "ctc", "ctc_loss"]


def _raw_ints(x: Any, name: str):
    array = x.data if isinstance(x, Tensor) else xp.asarray(x)
    if array.dtype.kind == "f":
        array = array.astype(xp.int64)
    elif array.dtype.kind not in "iu":
        raise ValueError(f"ctc_loss: `{name}` must hold integers, received dtype {array.dtype}.")
    return array.astype(xp.intp, copy=False)


def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Tensor:
    """Negative log-likelihood of each label sequence under per-step class logits (Keras's
    ``keras.ops.ctc_loss``).

    Args:
        target: integer labels, shape ``(batch, max_label_length)``; entries past
            ``target_length`` are ignored.
        output: logits (not probabilities), shape ``(batch, max_time, num_classes)``.
        target_length: the number of labels of each sequence, shape ``(batch,)``.
        output_length: the number of valid time steps of each sequence, shape ``(batch,)``.
        mask_index: the class id of the blank.

    loss_b = -log sum over the alignments pi of l_b of prod_t softmax(output_b[t])[pi_t];
    d loss_b / d output_b[t, k] = softmax(output_b[t])[k] - sum_{s : l'_s = k} exp(alpha_t(s)
    + beta_t(s) - log y_t(l'_s) + loss_b) for t < output_length_b, 0 afterwards (alpha, beta
    in log space, both including the emission at t).
    """
    logits = as_tensor(output)
    x = logits.data
    if x.ndim != 3:
        raise ValueError(
            f"ctc_loss: `output` must be logits of shape (batch, max_time, num_classes), received shape {x.shape}."
        )
    labels = _raw_ints(target, "target")
    if labels.ndim != 2 or labels.shape[0] != x.shape[0]:
        raise ValueError(
            f"ctc_loss: `target` must have shape (batch, max_label_length) with batch={x.shape[0]}, "
            f"received shape {labels.shape}."
        )
    batch, max_time, num_classes = x.shape
    label_lengths = _raw_ints(target_length, "target_length").reshape(batch)
    input_lengths = _raw_ints(output_length, "output_length").reshape(batch)
    if (input_lengths < 1).any() or (input_lengths > max_time).any():
        raise ValueError(
            f"ctc_loss: every `output_length` must lie in [1, {max_time}], received {input_lengths.tolist()}."
        )
    if (label_lengths < 0).any() or (label_lengths > labels.shape[1]).any():
        raise ValueError(
            f"ctc_loss: every `target_length` must lie in [0, {labels.shape[1]}], received {label_lengths.tolist()}."
        )

    log_probs = kernels.log_softmax(x, -1)
    dtype = log_probs.dtype
    neg_inf = dtype.type(-xp.inf)

    # Extended labels: blank, l1, blank, l2, ..., blank  (S = 2 L + 1 states).
    num_states = 2 * labels.shape[1] + 1
    extended = xp.full((batch, num_states), mask_index, dtype=xp.intp)
    extended[:, 1::2] = xp.clip(labels, 0, num_classes - 1)
    state_index = xp.arange(num_states)
    valid_state = state_index[None, :] < (2 * label_lengths + 1)[:, None]
    # A state may be entered from two states back when it is a label differing from that one.
    can_skip = xp.zeros((batch, num_states), dtype=bool)
    can_skip[:, 2:] = (extended[:, 2:] != mask_index) & (extended[:, 2:] != extended[:, :-2])
    # Added to the two-back term: 0 where the skip is allowed, -inf where it is not.
    skip_penalty = xp.where(can_skip, dtype.type(0), neg_inf)[:, 2:]

    emissions = xp.take_along_axis(log_probs, extended[:, None, :], axis=2)  # (B, T, S)
    emissions = xp.where(valid_state[:, None, :], emissions, neg_inf)

    alphas = xp.full((max_time, batch, num_states), neg_inf, dtype=dtype)
    alphas[0, :, :2] = emissions[:, 0, :2]
    alphas[0] = xp.where(valid_state, alphas[0], neg_inf)
    previous = xp.empty((batch, num_states), dtype=dtype)
    skipped = xp.empty((batch, max(num_states - 2, 0)), dtype=dtype)
    with xp.errstate(invalid="ignore"):
        for t in range(1, max_time):
            a = alphas[t - 1]
            previous[:] = a
            xp.logaddexp(previous[:, 1:], a[:, :-1], out=previous[:, 1:])
            xp.add(a[:, :-2], skip_penalty, out=skipped)
            xp.logaddexp(previous[:, 2:], skipped, out=previous[:, 2:])
            xp.add(previous, emissions[:, t], out=alphas[t])

        rows = xp.arange(batch)
        last_alpha = alphas[input_lengths - 1, rows]  # (B, S)
        end = 2 * label_lengths
        log_likelihood = xp.logaddexp(
            last_alpha[rows, end], xp.where(label_lengths > 0, last_alpha[rows, xp.maximum(end - 1, 0)], neg_inf)
        )
        loss = -log_likelihood

    need_grad = logits.requires_grad

    def vjp(g):
        final = xp.full((batch, num_states), neg_inf, dtype=dtype)
        final[rows, end] = 0.0
        final[rows[label_lengths > 0], (end - 1)[label_lengths > 0]] = 0.0
        betas = xp.full((max_time, batch, num_states), neg_inf, dtype=dtype)
        following = xp.empty((batch, num_states), dtype=dtype)
        last_step = input_lengths - 1
        with xp.errstate(invalid="ignore"):
            for t in range(max_time - 1, -1, -1):
                if t + 1 < max_time:
                    b = betas[t + 1]
                    following[:] = b
                    xp.logaddexp(following[:, :-1], b[:, 1:], out=following[:, :-1])
                    xp.add(b[:, 2:], skip_penalty, out=skipped)
                    xp.logaddexp(following[:, :-2], skipped, out=following[:, :-2])
                else:
                    following.fill(neg_inf)
                # Each sequence's backward pass starts at its own last step; later steps stay -inf.
                starting = last_step == t
                if starting.any():
                    following[starting] = final[starting]
                following[last_step < t] = neg_inf
                xp.add(following, emissions[:, t], out=betas[t])
            # Posterior of being in state s at time t, then summed per class.
            occupancy = alphas + betas - xp.moveaxis(emissions, 1, 0) - log_likelihood[None, :, None]
            occupancy = xp.exp(xp.where(xp.isfinite(occupancy), occupancy, neg_inf))  # (T, B, S)
        one_hot = xp.zeros((batch, num_states, num_classes), dtype=dtype)
        xp.put_along_axis(one_hot, extended[:, :, None], 1.0, axis=2)
        class_occupancy = xp.matmul(xp.moveaxis(occupancy, 0, 1), one_hot)  # (B, T, C)
        in_sequence = (xp.arange(max_time)[None, :] < input_lengths[:, None])[:, :, None]
        grad = xp.where(in_sequence, xp.exp(log_probs) - class_occupancy, 0.0).astype(dtype, copy=False)
        return (grad * g[:, None, None],)

    return record(loss.astype(dtype, copy=False), (logits,), vjp if need_grad else (lambda g: (None,)))


def ctc(y_true: Any, y_pred: Any) -> Tensor:
    """Keras's CTC loss: ``y_true`` integer labels of shape ``(batch, max_length)`` padded with
    0, the blank; ``y_pred`` logits of shape ``(batch, max_time, num_classes)``. Every sequence
    uses all ``max_time`` steps and as many labels as it has non-zero entries."""
    labels = y_true.data if isinstance(y_true, Tensor) else xp.asarray(y_true)
    y_pred = as_tensor(y_pred)
    if labels.ndim != 2:
        raise ValueError(
            "ctc: targets `y_true` are expected to be a tensor of shape (batch_size, max_length) in "
            f"integer format, received y_true.shape={labels.shape}."
        )
    if y_pred.ndim != 3:
        raise ValueError(
            "ctc: logits `y_pred` are expected to be a tensor of shape (batch_size, max_length, "
            f"num_classes), received y_pred.shape={y_pred.shape}."
        )
    mask_index = 0
    batch, max_time = y_pred.shape[0], y_pred.shape[1]
    label_length = (labels != mask_index).sum(axis=-1)
    input_length = xp.full((batch,), max_time, dtype=xp.intp)
    return ctc_loss(labels, y_pred, label_length, input_length, mask_index=mask_index)


class CTC(LossFunctionWrapper):
    """CTC (Connectionist Temporal Classification) loss; see ``ctc``.

    Args:
        reduction, name, dtype: as for every ``Loss``.
    """

    def __init__(self, reduction: str | None = "sum_over_batch_size", name: str = "ctc", dtype: Any = None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        # Labels and logits differ in rank by design: no squeezing to the same rank here.
        return ctc(y_true, y_pred)

    def get_config(self) -> dict:
        return Loss.get_config(self)
