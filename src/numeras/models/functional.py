"""The functional API, ``Model(inputs, outputs)``: not implemented yet (the next issue)."""

from __future__ import annotations

from typing import Any

from numeras.models.model import Model


class Functional(Model):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            "Model(inputs, outputs) (the functional API) is not available in this version of "
            "numeras yet. Use Sequential, or subclass Model and write call()."
        )
