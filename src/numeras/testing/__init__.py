"""Tools for testing numeras and code built on it.

- :func:`gradcheck`: the tape's gradients against float64 central differences.
- :func:`check_dtype_preserved`: float32 in gives float32 out and float32 gradients.
- :mod:`numeras.testing.op_harness`: a table of every differentiable op with safe input domains.
"""

from numeras.testing.gradient_check import GradcheckError, check_dtype_preserved, gradcheck

__all__ = ["GradcheckError", "check_dtype_preserved", "gradcheck"]
