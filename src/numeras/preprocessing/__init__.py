"""``numeras.preprocessing``: Keras 2's preprocessing modules, kept so programs written for
"Deep Learning with Python" (first edition) run: ``preprocessing.sequence.pad_sequences`` and
``preprocessing.text.Tokenizer``. Each warns with a DeprecationWarning naming the Keras 3
spelling. Submodules are imported on first use."""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("sequence", "text", "image")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"numeras.preprocessing.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'numeras.preprocessing' has no attribute {name!r}")
