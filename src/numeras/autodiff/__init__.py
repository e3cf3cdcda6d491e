"""Reverse-mode automatic differentiation over ``backend.xp`` arrays."""

from numeras.autodiff import operators, ops  # noqa: F401  (operators binds a + b, a[i]... onto Tensor)
from numeras.autodiff.grad_mode import enable_grad, is_grad_enabled, no_grad
from numeras.autodiff.tape import GradientTape
from numeras.autodiff.tensor import Tensor, convert_to_tensor
from numeras.autodiff.variable import Variable

__all__ = [
    "GradientTape",
    "Tensor",
    "Variable",
    "convert_to_tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "ops",
]
