"""The compute kernels behind the fast primitives and optimizer updates, chosen once.

Each kernel exists twice with the same name, signature and results (to float tolerance):

- ``numpy_ref/<family>.py``: the NumPy reference, always there;
- ``numba_jit/<family>.py``: the same computation compiled with numba, one pass over memory.

Callers write ``from numeras.backend import kernels`` and ``kernels.col2im(...)``: there are no
``if numba`` branches anywhere else. The module-level :func:`__getattr__` resolves a name on first
use from ``numba_jit.<family>`` when compiled kernels are on and that family defines it, else from
``numpy_ref.<family>``, and keeps it as a module global so later look-ups cost one dict access.

Compiled kernels are on when numba is installed, NumPy is the array module and the environment
variable ``NUMERAS_NUMBA`` is not ``"0"``. numba is imported on the first use of a compiled kernel,
never by ``import numeras``. A compiled kernel handles the layouts it was written for
(C-contiguous float32/float64 arrays, mostly) and hands any other input to its NumPy reference.

Adding a family means adding its name to :data:`FAMILIES` and its two modules.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from numeras.backend import xp

FAMILIES = ("elementwise", "convolution", "pooling", "softmax", "optimizers", "recurrent", "gather")
"""The kernel families: each has a ``numpy_ref`` module and (for what it compiles) a ``numba_jit`` one."""


def _numba_installed() -> bool:
    return importlib.util.find_spec("numba") is not None and xp.__name__ == "numpy"


_compiled = os.environ.get("NUMERAS_NUMBA", "1") != "0" and _numba_installed()
_resolved: set[str] = set()


def compiled() -> bool:
    """True when kernels resolve to their compiled (numba) versions."""
    return _compiled


def set_enabled(enabled: bool) -> bool:
    """Switch the compiled kernels on or off (on only if numba is installed); returns the old state.

    Kernels already looked up are forgotten, so the next ``kernels.<name>`` resolves again.
    Meant for tests that run both versions and for users who want the NumPy code alone."""
    global _compiled
    previous = _compiled
    _compiled = bool(enabled) and _numba_installed()
    for name in _resolved:
        globals().pop(name, None)
    _resolved.clear()
    return previous


def reference(name: str):
    """The NumPy reference of kernel ``name``, whatever :func:`compiled` says."""
    return _find(name)[1]


def _find(name: str):
    """(family, NumPy reference) of kernel ``name``."""
    for family in FAMILIES:
        module = importlib.import_module(f"{__name__}.numpy_ref.{family}")
        function = getattr(module, name, None)
        if function is not None and not name.startswith("_"):
            return family, function
    raise AttributeError(
        f"numeras.backend.kernels has no kernel named {name!r}: the families {FAMILIES} define none. "
        f"Define it in numpy_ref/<family>.py (and optionally numba_jit/<family>.py)."
    )


def __getattr__(name: str):
    global _compiled
    if name.startswith("__"):
        raise AttributeError(name)
    family, function = _find(name)
    if _compiled:
        try:
            module = importlib.import_module(f"{__name__}.numba_jit.{family}")
        except (ImportError, OSError):  # numba present but unloadable (or llvmlite's library): NumPy serves
            _compiled = False
        else:
            function = getattr(module, name, function)
    globals()[name] = function
    _resolved.add(name)
    return function


__all__ = ["FAMILIES", "compiled", "set_enabled", "reference"]
