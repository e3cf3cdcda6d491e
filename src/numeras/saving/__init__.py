"""``numeras.saving``: save models and weights in Keras 3's formats, and load Keras's files.

``model.save("m.keras")`` / ``numeras.models.load_model("m.keras")`` round-trip a model with
its compile arguments and optimizer state, in the same ``.keras`` archive real Keras 3 reads
and writes; ``model.save_weights("m.weights.h5")`` / ``model.load_weights(...)`` the weights
alone; legacy Keras 2 ``.h5`` files load too. See ``saving_lib`` for the layout, ``file_io``
for the crash safety of writes, ``keras_format`` and ``serialization_lib`` for what loading
will and will not run, and ``object_registration`` for how names are resolved.
"""

from numeras.saving.errors import SavedFileError, UnknownObjectError, UnsafeDeserializationError
from numeras.saving.keras_format import deserialize_keras_object, serialize_keras_object
from numeras.saving.object_registration import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from numeras.saving.serialization_lib import DeserializationError

# The file API (saving_api and the formats below it) is imported on first use: the registry and
# the codec above serve the low layers (layers, losses, optimizers register their classes here),
# and must not pull in what sits above them.
_FILE_API = ("load_model", "load_weights", "save_model", "save_weights")


def __getattr__(name: str):
    if name in _FILE_API:
        import importlib

        value = getattr(importlib.import_module("numeras.saving.saving_api"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'numeras.saving' has no attribute {name!r}")

__all__ = [
    "CustomObjectScope",
    "DeserializationError",
    "SavedFileError",
    "UnknownObjectError",
    "UnsafeDeserializationError",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
