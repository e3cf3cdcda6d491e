"""Tall matrix products split by rows over a few threads, each thread's BLAS call on one thread.

The recurrent ops keep NumPy's BLAS on one thread (an OpenBLAS thread spins for ~0.1 s after each
product, against the compiled recurrence that follows; ``autodiff/ops/recurrent.py``), so their
big products, (T*B, F) @ (F, G*units) and the weight gradients (T*B, F)^T @ (T*B, G*units), ran
on one core. Split into row blocks, one per thread, with the calling thread taking the first,
they use every core and nothing spins: a Python worker waits on a lock. On the project's 2-core
machine the IMDB LSTM's four products (64000 rows) took 3.7-5.2 ms each on one thread and
2.0-2.8 ms split in two (NumPy releases the GIL inside BLAS).

``threads()`` is how many: the CPUs this process may run on, at most ``OMP_NUM_THREADS`` when
that is set (as OpenBLAS and numba read it) and at most ``MAX_THREADS``. Products under
``MIN_WORK`` multiply-adds run as one call: handing work to a thread costs ~50 us.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from numeras.backend import xp

MIN_WORK = 1 << 22
"""Multiply-adds below which a product is not split."""

MAX_THREADS = 8

_pool: ThreadPoolExecutor | None = None
_pool_pid: int | None = None
_pool_workers = 0


def threads() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if limit.isdigit() and int(limit) > 0:
        count = min(count, int(limit))
    return max(1, min(count, MAX_THREADS))


def _executor(workers: int) -> ThreadPoolExecutor:
    """The shared pool, made again in a forked child (a parent's worker threads do not exist there)."""
    global _pool, _pool_pid, _pool_workers
    if _pool is None or _pool_pid != os.getpid() or _pool_workers < workers:
        if _pool is not None and _pool_pid == os.getpid():
            _pool.shutdown(wait=False)  # a smaller pool of this process: its threads end when idle
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="numeras-product")
        _pool_pid, _pool_workers = os.getpid(), workers
    return _pool


def _row_blocks(rows: int, count: int) -> list[tuple[int, int]]:
    size = -(-rows // count)
    return [(start, min(rows, start + size)) for start in range(0, rows, size)]


def _split_count(rows: int, work: int) -> int:
    if work < MIN_WORK:
        return 1
    return min(threads(), rows)


def matmul(left, right):
    """left @ right for a 2-D ``left`` with many rows: row blocks of ``left`` on separate threads."""
    rows = left.shape[0]
    count = _split_count(rows, rows * left.shape[1] * right.shape[1])
    if count <= 1:
        return left @ right
    out = xp.empty((rows, right.shape[1]), dtype=xp.result_type(left, right))
    blocks = _row_blocks(rows, count)
    pool = _executor(count - 1)
    pending = [pool.submit(xp.matmul, left[lo:hi], right, out=out[lo:hi]) for lo, hi in blocks[1:]]
    lo, hi = blocks[0]
    xp.matmul(left[lo:hi], right, out=out[lo:hi])
    for future in pending:
        future.result()
    return out


def matmul_transposed(left, right):
    """left.T @ right for 2-D arrays with the same many rows (a weight gradient summed over every
    sample and step): each thread multiplies one block of rows, then the partial products add."""
    rows = left.shape[0]
    count = _split_count(rows, rows * left.shape[1] * right.shape[1])
    if count <= 1:
        return left.T @ right
    blocks = _row_blocks(rows, count)
    pool = _executor(count - 1)
    pending = [pool.submit(xp.matmul, left[lo:hi].T, right[lo:hi]) for lo, hi in blocks[1:]]
    lo, hi = blocks[0]
    total = left[lo:hi].T @ right[lo:hi]
    for future in pending:
        total += future.result()
    return total
