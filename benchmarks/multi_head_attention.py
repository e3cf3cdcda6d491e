"""MultiHeadAttention forward + backward: numeras next to the BLAS floor of the same products.

Self-attention at a text model's size (batch 32, 100 tokens, d_model 64, 4 heads of key_dim 16,
float32), through the tape (gradients w.r.t. the input and all eight weights), against:

* ``blas``: only the matrix products one step needs, on preallocated arrays: the four
  projections (forward, and input and kernel gradients), the scores and the weighted sum
  (forward and both operand gradients), batched over (batch, heads);
* ``numpy forward``: the forward pass written by hand in NumPy (projections, transposes, scaled
  scores, softmax, weighted sum, output projection), with no autodiff.

Run: ``python benchmarks/multi_head_attention.py [--repeat 5]``. Checks numeras's forward
against the NumPy one first. Prints milliseconds per step (min and median of the runs).
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

from numeras import layers, ops
from numeras.autodiff import GradientTape, Tensor

BATCH, TOKENS, MODEL, HEADS, KEY = 32, 100, 64, 4, 16


def numpy_forward(x, weights):
    qk, qb, kk, kb, vk, vb, ok, ob = weights
    q = (x @ qk.reshape(MODEL, -1) + qb.reshape(-1)).reshape(BATCH, TOKENS, HEADS, KEY).transpose(0, 2, 1, 3)
    k = (x @ kk.reshape(MODEL, -1) + kb.reshape(-1)).reshape(BATCH, TOKENS, HEADS, KEY).transpose(0, 2, 1, 3)
    v = (x @ vk.reshape(MODEL, -1) + vb.reshape(-1)).reshape(BATCH, TOKENS, HEADS, KEY).transpose(0, 2, 1, 3)
    scores = (q * np.float32(1 / np.sqrt(KEY))) @ k.transpose(0, 1, 3, 2)
    scores -= scores.max(-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(-1, keepdims=True)
    attended = (scores @ v).transpose(0, 2, 1, 3).reshape(BATCH, TOKENS, HEADS * KEY)
    return attended @ ok.reshape(HEADS * KEY, MODEL) + ob


def blas_step(buffers):
    x2, w, g2, out2, dx2, dw, heads_a, heads_b, heads_s, d_a, d_b = buffers
    for _ in range(4):  # projections: forward, input gradient, kernel gradient
        np.matmul(x2, w, out=out2)
        np.matmul(g2, w.T, out=dx2)
        np.matmul(x2.T, g2, out=dw)
    # scores q @ k^T and the weighted sum s @ v, each forward and both operand gradients
    for _ in range(2):
        np.matmul(heads_a, heads_b.transpose(0, 1, 3, 2), out=heads_s)
        np.matmul(heads_s, heads_b, out=d_a)
        np.matmul(heads_s.transpose(0, 1, 3, 2), heads_a, out=d_b)


def report(name, seconds, steps):
    per_step = np.asarray(seconds) / steps * 1e3
    print(f"{name:<16} {per_step.min():8.2f} ms  (median {np.median(per_step):.2f})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, TOKENS, MODEL)).astype(np.float32)
    layer = layers.MultiHeadAttention(num_heads=HEADS, key_dim=KEY)
    layer.build(x.shape, x.shape)
    for weight in layer.weights:
        weight.assign(rng.standard_normal(weight.shape).astype(np.float32) * 0.1)
    arrays = [w.numpy() for w in layer.weights]
    np.testing.assert_allclose(layer(x, x).numpy(), numpy_forward(x, arrays), rtol=1e-4, atol=1e-4)

    cotangent = rng.standard_normal(x.shape).astype(np.float32)
    inputs = Tensor(x)

    def numeras_step():
        with GradientTape() as tape:
            tape.watch(inputs)
            loss = ops.sum(layer(inputs, inputs) * cotangent)
        tape.gradient(loss, [inputs, *layer.trainable_weights])

    rows = BATCH * TOKENS
    heads_shape = (BATCH, HEADS, TOKENS, KEY)
    buffers = (
        x.reshape(-1, MODEL).copy(), rng.standard_normal((MODEL, MODEL)).astype(np.float32),
        rng.standard_normal((rows, MODEL)).astype(np.float32), np.empty((rows, MODEL), np.float32),
        np.empty((rows, MODEL), np.float32), np.empty((MODEL, MODEL), np.float32),
        rng.standard_normal(heads_shape).astype(np.float32), rng.standard_normal(heads_shape).astype(np.float32),
        np.empty((BATCH, HEADS, TOKENS, TOKENS), np.float32),
        np.empty(heads_shape, np.float32), np.empty(heads_shape, np.float32),
    )
    print(f"MultiHeadAttention self-attention, batch {BATCH} x {TOKENS} tokens x {MODEL}, {HEADS} heads of {KEY}")
    for name, step in (
        ("numeras fwd+bwd", numeras_step),
        ("numpy forward", lambda: numpy_forward(x, arrays)),
        ("blas fwd+bwd", lambda: blas_step(buffers)),
    ):
        step()  # warm up
        report(name, timeit.repeat(step, number=args.steps, repeat=args.repeat), args.steps)


if __name__ == "__main__":
    main()
