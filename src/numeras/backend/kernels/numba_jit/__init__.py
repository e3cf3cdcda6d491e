"""The numba-compiled kernels, one module per family; importing any of them imports numba.

Each module defines the public names of its ``numpy_ref`` twin that it compiles: a Python
function that checks the inputs fit the compiled loop (dtype, layout) and otherwise calls the
reference. The loops are serial on purpose: they run between OpenBLAS calls, whose threads keep
spinning for a while after each product, and a numba thread pool loses to them (a step of the
MNIST convnet took 1.5x longer with it). ``cache=True`` keeps the machine code on disk, so only
the first run compiles (~0.3-1 s a kernel).
"""

import numba
import numpy

jit = numba.njit(cache=True, nogil=True, error_model="numpy")
"""The decorator for every kernel: no Python-style zero-division checks (the loops vectorise) and
no fastmath, so results stay those of the written formulas."""



def compiled_float(dtype) -> bool:
    """True for float32 and float64, the dtypes the loops are compiled for. (Read from ``kind``
    and ``itemsize``: ``dtype.name`` costs ~1.5 us, more than a small kernel.)"""
    return dtype.kind == "f" and dtype.itemsize in (4, 8)


def flat_floats(*arrays) -> bool:
    """True when every array is a C-contiguous NumPy array (not 0-d) of the first one's shape and
    dtype, float32 or float64: the layout the element-wise loops walk as flat vectors."""
    first = arrays[0]
    dtype, shape = first.dtype, first.shape
    if not (dtype.kind == "f" and dtype.itemsize in (4, 8)) or not shape:
        return False
    for a in arrays:  # a loop, not all(...): this runs per variable per step
        if type(a) is not numpy.ndarray or a.dtype != dtype or a.shape != shape or not a.flags.c_contiguous:
            return False
    return True
