"""The numba-compiled kernels, one module per family; importing any of them imports numba.

Each module defines the public names of its ``numpy_ref`` twin that it compiles: a Python
function that checks the inputs fit the compiled loop (dtype, layout) and otherwise calls the
reference. The loops are serial on purpose: they run between OpenBLAS calls, whose threads keep
spinning for a while after each product, and a numba thread pool loses to them (a step of the
MNIST convnet took 1.5x longer with it). ``cache=True`` keeps the machine code on disk, so only
the first run compiles (~0.3-1 s a kernel).
"""

import importlib.util
import sys

import numba
import numpy


def _load_numba_numpy_support_without_scipy_blas() -> None:
    """Import numba's NumPy support (``numba.np.arraymath``) without letting it load SciPy's BLAS.

    At its import, ``arraymath`` imports ``scipy.linalg.cython_blas`` only to learn whether
    ``np.dot`` can be compiled. That loads a second OpenBLAS (SciPy's own copy, beside NumPy's)
    with its own thread pool, ~17 MB and ~0.5-1.5 s into the first training step, although no
    numeras kernel calls ``np.dot``. So ``scipy.linalg`` is hidden while ``arraymath`` is
    imported, then numba is told BLAS is there after all when SciPy is installed: its ``np.dot``
    imports SciPy's BLAS itself when a user's own numba code first needs it. Nothing is hidden
    when ``scipy.linalg`` is already loaded (its BLAS is in the process anyway)."""
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # makes `import scipy.linalg.cython_blas` raise ImportError
    try:
        from numba.np import arraymath
    finally:
        del sys.modules["scipy.linalg"]
    arraymath._HAVE_BLAS = importlib.util.find_spec("scipy") is not None


_load_numba_numpy_support_without_scipy_blas()

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
