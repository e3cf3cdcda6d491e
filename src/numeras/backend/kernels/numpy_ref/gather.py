"""NumPy reference of the row scatter-add: the backward pass of an embedding lookup.

``scatter_add_rows(updates, indices, out)``: ``out`` (rows, width) becomes zero with ``updates[i]``
added to row ``indices[i]`` for every i (repeated indices accumulate); ``updates`` is (n, width),
``indices`` (n,) integers in [0, rows). No one-hot matrix: for 128 x 500 indices into a 10000 x 32
table, one ``np.bincount`` per column takes ~6 ms where ``np.add.at`` takes ~20 ms and a sort +
``np.add.reduceat`` ~25 ms (benchmarks/embedding_scatter.py); ``np.add.at`` is kept for lookups
much smaller than the table, where ``bincount``'s full-length output would cost more than the
scatter itself.
"""

from __future__ import annotations

import numpy as np


def scatter_add_rows(updates, indices, out):
    rows, width = out.shape
    if indices.size * 4 < rows:
        out[...] = 0
        np.add.at(out, indices, updates)
        return
    for j in range(width):  # one vectorised pass per column (width is the embedding's)
        out[:, j] = np.bincount(indices, weights=updates[:, j], minlength=rows)
