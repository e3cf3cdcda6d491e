"""The Embedding backward pass: ways to scatter-add row gradients into the embedding table.

Times, at the size of a text model's batch (128 sequences x 500 tokens into a 10000 x 32 table,
float32), the strategies ``numeras.autodiff.ops.gather`` chose between, and numeras's
``take_rows`` forward + backward through the tape:

* ``np.add.at``: unbuffered scatter-add;
* sort + ``np.add.reduceat``: sort the indices, sum runs of equal indices, assign the sums;
* ``np.bincount`` per column (the NumPy reference kernel above a quarter of the table's rows);
* the compiled kernel (numba: one pass adding each row in place; what ``scatter_add_rows`` uses when
  numba is installed).

Run: ``python benchmarks/embedding_scatter.py [--repeat 5]``. Checks all three agree first.
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np

from numeras.autodiff import Tensor
from numeras.autodiff.ops.gather import take_rows
from numeras.backend import kernels


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rows, width = 10000, 32
    indices = rng.integers(0, rows, size=(128, 500))
    flat = indices.reshape(-1)
    grads = rng.standard_normal((flat.size, width)).astype(np.float32)

    def add_at():
        out = np.zeros((rows, width), np.float32)
        np.add.at(out, flat, grads)
        return out

    def sort_reduceat():
        order = np.argsort(flat, kind="stable")
        ordered = flat[order]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        out = np.zeros((rows, width), np.float32)
        out[ordered[starts]] = np.add.reduceat(grads[order], starts, axis=0)
        return out

    def bincount_columns():
        out = np.empty((rows, width), np.float32)
        kernels.reference("scatter_add_rows")(grads, flat, out)
        return out

    def compiled():
        out = np.empty((rows, width), np.float32)
        kernels.scatter_add_rows(grads, flat, out)
        return out

    table = Tensor(rng.standard_normal((rows, width)).astype(np.float32), requires_grad=True)
    seed = grads.reshape(128, 500, width)

    def take_rows_step():
        table.grad = None
        take_rows(table, indices).backward(seed)

    reference = add_at()
    for candidate in (sort_reduceat, bincount_columns, compiled):
        np.testing.assert_allclose(candidate(), reference, rtol=1e-4, atol=1e-4)
    for name, fn in [("np.add.at", add_at), ("sort + reduceat", sort_reduceat),
                     ("bincount per column", bincount_columns),
                     ("compiled" if kernels.compiled() else "compiled (numba absent: NumPy)", compiled),
                     ("take_rows fwd+bwd", take_rows_step)]:
        times = timeit.repeat(fn, number=3, repeat=args.repeat)
        print(f"{name:22s} {min(times) / 3 * 1e3:8.2f} ms (min of {args.repeat})")


if __name__ == "__main__":
    main()
