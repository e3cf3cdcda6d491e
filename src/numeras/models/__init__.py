"""Models: ``Sequential``, ``Model`` (subclass it, or call it as ``Model(inputs, outputs)`` for the
functional API, which gives a ``Functional``)."""

from typing import Any as _Any

from numeras import saving as _saving
from numeras.models.cloning import clone_model
from numeras.models.functional import Functional
from numeras.models.model import Model
from numeras.models.sequential import Sequential


def load_model(
    filepath: _Any, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True
) -> _Any:
    """Load a model saved with ``model.save()`` (``.keras`` or legacy ``.h5``), by numeras or
    Keras 3; see ``numeras.saving.load_model``."""
    return _saving.load_model(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string: str, custom_objects: dict | None = None) -> _Any:
    """Rebuild a model (newly initialised weights) from ``model.to_json()``'s text, written by
    numeras or by Keras 3. Classes are found by name only (built-ins, registered classes and
    ``custom_objects``); a ``Lambda`` layer is refused unless unsafe deserialization is enabled
    (``numeras.config.enable_unsafe_deserialization()``), as in Keras."""
    import json as _json

    try:
        config = _json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"model_from_json: `json_string` must be the JSON text of model.to_json(), but it could not be "
            f"parsed ({error}); received {str(json_string)[:80]!r}."
        ) from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(
            "model_from_json: the JSON must describe a model ({\"class_name\": ..., \"config\": ...}), "
            f"received {str(json_string)[:80]!r}."
        )
    return _saving.deserialize_keras_object(config, custom_objects=custom_objects)


__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json"]
