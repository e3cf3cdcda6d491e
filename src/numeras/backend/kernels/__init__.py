"""Kernels: the loops NumPy cannot vectorise, as a NumPy reference and, when numba is there, compiled.

Callers write ``from numeras.backend import kernels`` and then ``kernels.lstm_forward(...)``; the
choice between ``numba_jit.<family>`` and ``numpy_ref.<family>`` is made here once, lazily: numba
is imported on the first use of a compiled kernel, never by ``import numeras``. Compiled kernels
are used when numba is importable and the environment variable ``NUMERAS_NUMBA`` is not ``"0"``;
a name the compiled family does not define falls back to the reference.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

FAMILIES = ("recurrent",)
"""Kernel families; each has ``numpy_ref/<family>.py`` and may have ``numba_jit/<family>.py``."""

COMPILED = os.environ.get("NUMERAS_NUMBA", "1") != "0" and importlib.util.find_spec("numba") is not None
"""True when compiled kernels are used (numba importable and NUMERAS_NUMBA != "0")."""


def reference(family: str):
    """The NumPy reference module of ``family`` (tests compare it with the compiled one)."""
    return importlib.import_module(f"{__name__}.numpy_ref.{family}")


def compiled(family: str):
    """The compiled module of ``family`` (imports numba)."""
    return importlib.import_module(f"{__name__}.numba_jit.{family}")


def __getattr__(name: str):
    for family in FAMILIES:
        if COMPILED:
            module = compiled(family)
            if hasattr(module, name):
                value = getattr(module, name)
                globals()[name] = value  # resolved once; later lookups skip __getattr__
                return value
        module = reference(family)
        if hasattr(module, name):
            value = getattr(module, name)
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no kernel {name!r} (families: {', '.join(FAMILIES)})")
