"""The errors saving and loading raise: each names the file and what is wrong with it."""

from __future__ import annotations

import os
from typing import Any


class SavedFileError(ValueError):
    """A file that cannot be loaded: not a Keras file, truncated, corrupted, or inconsistent
    with itself (e.g. weights whose shapes do not match the architecture it describes).

    ``path`` is the file, ``problem`` says what is wrong with it. A ``ValueError``, as Keras
    raises for invalid files.
    """

    def __init__(self, path: Any, problem: str) -> None:
        self.path = os.fspath(path) if isinstance(path, (str, os.PathLike)) else repr(path)
        self.problem = problem
        super().__init__(f"Cannot load '{self.path}': {problem}")


class UnsafeDeserializationError(ValueError):
    """Loading would run code chosen by the file (a ``Lambda`` layer), and ``safe_mode`` is on."""


class UnknownObjectError(ValueError, TypeError):
    """The config names a class or function that is neither built into numeras nor given in
    ``custom_objects`` nor registered. A ``TypeError`` too, as Keras raises one there."""
