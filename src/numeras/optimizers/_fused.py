"""Optional one-pass update kernels, compiled with numba when it is installed.

An update rule written with NumPy ufuncs makes one pass over memory per operation: RMSprop's
nine ``out=`` ufuncs read and write each weight-sized array nine times. These kernels make
one pass, element by element, in the variable's dtype (``float32`` stays ``float32``): on the
seed MLP (407k weights) RMSprop's update drops from ~360-580 us to ~60-120 us per step
(the kernel alone ~50 us; measured on the project's 2-core AMD EPYC).

numba is optional: without it (or with the environment variable ``NUMERAS_NUMBA=0``, which also
switches off the convolution kernels of ``numeras.autodiff.ops._accelerated``)
``kernels()`` returns None and the optimizers use their NumPy code, which computes the same
formulas. numba is imported the first time an optimizer is built, never by ``import numeras``;
the compiled code is cached on disk (``cache=True``), so only the first run compiles (~0.3 s a
kernel).
"""

from __future__ import annotations

from typing import Any

from numeras.backend import xp

_loaded: Any = None  # None: not tried yet; False: unavailable; else the namespace of kernels


def kernels() -> Any:
    """The compiled kernels (``rmsprop``, ``adam``), or None when numba is unavailable or
    disabled with ``NUMERAS_NUMBA=0``."""
    global _loaded
    if _loaded is None:
        _loaded = _compile()
    return _loaded or None


def usable(*arrays: Any) -> bool:
    """True when every array is a C-contiguous NumPy array (not 0-d) of one float dtype
    (float32/64): the layout the kernels walk as flat vectors."""
    dtype = arrays[0].dtype
    if dtype.kind != "f" or dtype.itemsize not in (4, 8) or arrays[0].ndim == 0:
        return False
    return all(type(a) is xp.ndarray and a.dtype == dtype and a.flags.c_contiguous for a in arrays)


def _compile() -> Any:
    from numeras.autodiff.ops import _accelerated

    # One switch for every compiled kernel: numba installed and NUMERAS_NUMBA not 0.
    if not _accelerated.available() or xp.__name__ != "numpy":
        return False
    try:
        from numeras.optimizers import _fused_kernels
    except ImportError:  # numba is not installed (or cannot load): the NumPy code serves
        return False
    return _fused_kernels
