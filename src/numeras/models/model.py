"""``Model``: what a model is. Construction (subclassing, or ``Model(inputs, outputs)`` for the
functional API), ``summary``, ``get_layer``, ``from_config`` and the saving methods live here;
how it is trained (``compile``, ``fit``, ``evaluate``, ``predict``...) is ``Trainer``'s
(``numeras/trainers/trainer.py``), as Keras 3 splits ``Model`` into ``Trainer`` and ``Layer``."""

from __future__ import annotations

import sys
from typing import Any

from numeras import saving
from numeras.layers.layer import Layer
from numeras.saving import object_registration
from numeras.symbolic import SymbolicTensor
from numeras.trainers.trainer import Trainer
from numeras.utils.tree import flatten


class Model(Trainer, Layer):
    """A trainable stack of layers. Subclass it and write ``call`` (Keras's subclassing API), or
    use ``Sequential``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Model:
        # Model(inputs, outputs) is a functional model; so is CustomModel(inputs, outputs) for a
        # subclass, which keeps its own train_step/metrics (Keras injects Functional likewise).
        if args or kwargs:
            if is_functional_init(args, kwargs) and not issubclass(cls, _functional_class()):
                functional = _functional_module()
                return super().__new__(functional.Functional if cls is Model else functional.functional_subclass(cls))
        return super().__new__(cls)

    def __init__(self, *args: Any, trainable: bool = True, name: str | None = None, **kwargs: Any) -> None:
        if args or "inputs" in kwargs:
            if is_functional_init(args, kwargs):
                # A subclass's __init__ called super().__init__(inputs=..., outputs=...).
                functional = _functional_module()
                if not isinstance(self, functional.Functional):
                    self.__class__ = functional.functional_subclass(type(self))
                functional.Functional.__init__(self, *args, trainable=trainable, name=name, **kwargs)
                return
        Layer.__init__(self, trainable=trainable, name=name, **kwargs)
        Trainer.__init__(self)

    # -- inspection ---------------------------------------------------------------------
    def summary(
        self,
        line_length: int | None = None,
        positions: Any = None,
        print_fn: Any = None,
        expand_nested: bool = False,
        show_trainable: bool = False,
        layer_range: Any = None,
    ) -> None:
        """Print the layers, their output shapes and parameter counts, in Keras 3's layout."""
        from numeras.models.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      show_trainable=show_trainable, expand_nested=expand_nested, layer_range=layer_range)

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> Model:
        """A model from its config: a functional config (``layers``, ``input_layers``,
        ``output_layers``) rebuilds the graph; any other is passed to the constructor."""
        functional_keys = ("name", "layers", "input_layers", "output_layers")
        if all(key in config for key in functional_keys):
            return _functional_module().functional_from_config(cls, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as error:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from config: {error}. When overriding "
                "get_config(), make sure the config holds every argument of the constructor, or "
                "override from_config() too."
            ) from None

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by ``name`` or by position ``index`` in ``layers``."""
        if index is not None and name is not None:
            raise ValueError("get_layer: pass either `name` or `index`, not both.")
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(
                    f"get_layer: `index` {index} is out of range: the model has {len(self.layers)} layers."
                )
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"get_layer: no layer named {name!r}. Layers: {[layer.name for layer in self.layers]}."
            )
        raise ValueError("get_layer: pass `name` or `index`.")

    # -- saving (numeras.saving) --------------------------------------------------------
    def to_json(self, **kwargs: Any) -> str:
        """The model's architecture (no weights) as Keras 3's JSON: the ``config.json`` of a
        ``.keras`` file, which ``models.model_from_json`` (numeras's or Keras's) rebuilds.
        ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        import json

        return json.dumps(saving.serialize_keras_object(self), **kwargs)

    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the model (architecture, weights, compile arguments, optimizer state) to a
        ``.keras`` file, Keras 3's format (or a legacy ``.h5`` file). Atomic: a crash mid-save
        leaves any previous file intact."""
        saving.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the weights (and optimizer state) to a ``.weights.h5`` file."""
        saving.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights from a ``.weights.h5``, ``.keras`` or legacy ``.h5`` file; nothing is
        loaded unless every weight fits (``skip_mismatch=True`` skips those that do not)."""
        saving.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)


def _functional_module() -> Any:
    """``numeras.models.functional``, which builds on this module (``Functional`` is a ``Model``):
    found through the registry of built-in objects, so the two modules do not import each other."""
    return sys.modules[object_registration.builtin_objects("models")["Functional"].__module__]


def _functional_class() -> type:
    return object_registration.builtin_objects("models")["Functional"]


def is_functional_init(args: tuple, kwargs: dict) -> bool:
    """Whether constructor arguments are ``(inputs, outputs)`` as Keras decides, with symbolic
    tensors as inputs (so that e.g. ``Sequential(layers, name)`` is not mistaken for one)."""
    shaped = (
        len(args) == 2
        or (len(args) == 1 and "outputs" in kwargs)
        or ("inputs" in kwargs and "outputs" in kwargs)
    )
    if not shaped:
        return False
    inputs = kwargs["inputs"] if "inputs" in kwargs else args[0]
    return any(isinstance(t, SymbolicTensor) for t in flatten(inputs))
