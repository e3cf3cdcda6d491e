"""Your own classes and functions, made loadable by name (Keras 3's ``object_registration``).

A saved file names every object by ``module``, ``class_name`` and ``registered_name``; loading
looks the name up, in this order, in the ``custom_objects`` given to ``load_model``, in an
active ``custom_object_scope``, among the objects registered with
``@register_keras_serializable``, then among numeras's built-ins. Nothing is ever imported
or executed because a file names it.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any

GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}
"""``"package>name"`` -> the registered class or function."""

GLOBAL_CUSTOM_NAMES: dict[Any, str] = {}
"""The registered class or function -> its ``"package>name"``."""

_scope = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function under ``"package>name"`` (``name`` defaults to
    its ``__name__``), so saved models that use it load without ``custom_objects``.

    Classes must have ``get_config()`` (their constructor arguments, as a dict)::

        @numeras.saving.register_keras_serializable(package="my_package")
        class Scale(numeras.layers.Layer):
            def __init__(self, factor=2.0, **kwargs):
                super().__init__(**kwargs)
                self.factor = factor

            def call(self, x):
                return x * self.factor

            def get_config(self):
                return {**super().get_config(), "factor": self.factor}
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(
            f"register_keras_serializable: `package` must be a non-empty string without '>', received {package!r}."
        )

    def decorator(arg: Any) -> Any:
        class_name = name if name is not None else getattr(arg, "__name__", None)
        if not class_name:
            raise ValueError(
                f"register_keras_serializable: cannot register {arg!r}: it has no __name__; pass `name=`."
            )
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError(
                f"Cannot register the class {arg.__name__}: it has no get_config() method. Add one "
                "returning the constructor arguments as a dict, so the class can be saved."
            )
        registered_name = f"{package}>{class_name}"
        GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """``"package>name"`` for a registered class or function, else its ``__name__``."""
    try:
        registered = GLOBAL_CUSTOM_NAMES.get(obj)
    except TypeError:  # unhashable objects are never registered
        registered = None
    return registered if registered is not None else obj.__name__


def get_registered_object(
    name: str, custom_objects: Mapping[str, Any] | None = None, module_objects: Mapping[str, Any] | None = None
) -> Any:
    """The object registered (or given in a scope or ``custom_objects``) under ``name``, or None."""
    scoped = _scope_objects()
    if name in scoped:
        return scoped[name]
    if name in GLOBAL_CUSTOM_OBJECTS:
        return GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


def get_custom_objects() -> dict[str, Any]:
    """The live dict of registered objects (``"package>name"`` -> object)."""
    return GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """``with custom_object_scope({"Scale": Scale}):`` makes those names loadable inside the block."""

    def __init__(self, custom_objects: Mapping[str, Any] | None) -> None:
        if custom_objects is not None and not isinstance(custom_objects, Mapping):
            raise TypeError(
                "custom_object_scope: expected a dict mapping names to classes or functions, "
                f"received {type(custom_objects).__name__}."
            )
        self.custom_objects = dict(custom_objects or {})
        self._backup: dict[str, Any] | None = None

    def __enter__(self) -> CustomObjectScope:
        self._backup = _scope_objects()
        _scope.objects = {**self._backup, **self.custom_objects}
        return self

    def __exit__(self, *exc_info: Any) -> None:
        _scope.objects = self._backup or {}


custom_object_scope = CustomObjectScope


def _scope_objects() -> dict[str, Any]:
    return dict(getattr(_scope, "objects", {}))


def all_custom_objects(custom_objects: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every name a load may resolve besides the built-ins: the ``custom_objects`` argument,
    the active scope, then the registered objects (later entries win, as in Keras 3's
    ``deserialize_keras_object``)."""
    if custom_objects is not None and not isinstance(custom_objects, Mapping):
        raise TypeError(
            "`custom_objects` must be a dict mapping names to your classes or functions, e.g. "
            f"{{'Scale': Scale}}; received {type(custom_objects).__name__}."
        )
    return {**dict(custom_objects or {}), **_scope_objects(), **GLOBAL_CUSTOM_OBJECTS}
