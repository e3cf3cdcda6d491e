"""``numeras.preprocessing``: Keras's ``keras.preprocessing`` namespace. The dataset makers
(``image_dataset_from_directory``, ``text_dataset_from_directory``,
``timeseries_dataset_from_array``, also in ``numeras.utils``), and Keras 2's modules kept so programs
written for "Deep Learning with Python" (first edition) run: ``image.ImageDataGenerator``,
``sequence.pad_sequences`` and ``text.Tokenizer``, each warning with a DeprecationWarning that names
the Keras 3 spelling. Submodules are imported on first use."""

import importlib as _importlib
from typing import Any as _Any

_SUBMODULES = ("sequence", "text", "image")
_MAKERS = {
    "image_dataset_from_directory": "numeras.utils.image_dataset_utils",
    "text_dataset_from_directory": "numeras.utils.text_dataset_utils",
    "timeseries_dataset_from_array": "numeras.utils.timeseries_dataset_utils",
}


def __getattr__(name: str) -> _Any:
    if name in _SUBMODULES:
        module = _importlib.import_module(f"numeras.preprocessing.{name}")
    elif name in _MAKERS:
        module = getattr(_importlib.import_module(_MAKERS[name]), name)
    else:
        raise AttributeError(f"module 'numeras.preprocessing' has no attribute {name!r}")
    globals()[name] = module
    return module


__all__ = [*_SUBMODULES, *_MAKERS]
