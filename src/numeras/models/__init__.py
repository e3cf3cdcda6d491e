"""Models: ``Sequential``, ``Model`` (subclassing now, functional next)."""

from numeras.models.model import Model
from numeras.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
