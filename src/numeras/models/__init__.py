"""Models: ``Sequential``, ``Model`` (subclass it, or call it as ``Model(inputs, outputs)`` for the
functional API, which gives a ``Functional``)."""

from typing import Any as _Any

from numeras import saving as _saving
from numeras.models.functional import Functional
from numeras.models.model import Model
from numeras.models.sequential import Sequential


def load_model(
    filepath: _Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> _Any:
    """Load a model saved with ``model.save()`` (``.keras`` or legacy ``.h5``), by numeras or
    Keras 3; see ``numeras.saving.load_model``."""
    return _saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


__all__ = ["Functional", "Model", "Sequential", "load_model"]
