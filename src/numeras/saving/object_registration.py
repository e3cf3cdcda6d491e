"""Every class and function that can be named in a config, in one registry (Keras 3's
``object_registration``), and the ``get``/``serialize``/``deserialize`` helpers that each
package (layers, losses, metrics, optimizers and their schedules, initializers, activations,
regularizers) builds its own on.

- Your own objects: ``@register_keras_serializable``, ``custom_object_scope``,
  ``get_custom_objects``, as in Keras.
- numeras's built-ins, by family (``"layers"``, ``"losses"``, ...): each package registers its
  table with ``register_builtins`` when it is imported; ``builtin_objects(family)`` imports the
  package first if nobody has yet (the one place saving reaches the packages it sits above).

A saved file names every object by ``module``, ``class_name`` and ``registered_name``; loading
looks the name up, in this order, in the ``custom_objects`` given to ``load_model``, in an
active ``custom_object_scope``, among the objects registered with
``@register_keras_serializable``, then among numeras's built-ins. Nothing is ever imported
or executed because a file names it.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import threading
from collections.abc import Callable, Iterable, Mapping
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


# ---------------------------------------------------------------------------------------
# numeras's built-in objects, by family
# ---------------------------------------------------------------------------------------
_BUILTINS: dict[str, dict[str, Any]] = {}
_FAMILY_PACKAGES = {
    "layers": "numeras.layers",
    "models": "numeras.models",
    "initializers": "numeras.initializers",
    "regularizers": "numeras.regularizers",
    "constraints": "numeras.constraints",
    "activations": "numeras.activations",
    "losses": "numeras.losses",
    "metrics": "numeras.metrics",
    "optimizers": "numeras.optimizers",
    "schedules": "numeras.optimizers.schedules",
    "keras_operations": "numeras.layers",
}
"""Which package registers each family's built-ins when it is imported (``keras_operations``:
``"<Keras module>><Keras class>"`` of the Python operators on symbolic tensors)."""

_BASE_CLASS_ARGUMENTS: dict[type, frozenset[str]] = {}


def register_base_class_arguments(base_class: type, names: Iterable[str]) -> None:
    """The keyword arguments ``base_class.__init__`` takes through ``**kwargs`` (Keras's legacy
    ``input_shape`` for layers, ``lr`` for optimizers, ...), so a config's arguments can be
    checked against what its class accepts."""
    _BASE_CLASS_ARGUMENTS[base_class] = frozenset(names)


def base_class_arguments(cls: type) -> set[str] | None:
    """``cls``'s own keyword arguments plus those registered for it, if ``cls`` is a
    registered base class; else None."""
    extra = _BASE_CLASS_ARGUMENTS.get(cls)
    if extra is None:
        return None
    init = cls.__dict__.get("__init__")
    names = set()
    if init is not None:
        parameters = inspect.signature(init).parameters.values()
        names = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"}
    return names | extra


def register_builtins(family: str, objects: Mapping[str, Any]) -> None:
    """Add ``objects`` (name -> class or function) to the built-ins of ``family``."""
    _BUILTINS.setdefault(family, {}).update(objects)


def builtin_objects(family: str) -> dict[str, Any]:
    """The built-in objects of ``family`` by name (a live dict: do not modify it)."""
    if family not in _BUILTINS:
        package = _FAMILY_PACKAGES.get(family)
        if package is None:
            raise ValueError(f"Unknown family of objects {family!r}; known: {sorted(_FAMILY_PACKAGES)}.")
        module = importlib.import_module(package)
        if family not in _BUILTINS:
            # A package that registers nothing itself: its public classes.
            register_builtins(
                family,
                {name: obj for name in getattr(module, "__all__", ()) if inspect.isclass(obj := getattr(module, name))},
            )
    return _BUILTINS[family]


# ---------------------------------------------------------------------------------------
# what every package's get / serialize / deserialize shares
# ---------------------------------------------------------------------------------------
def unknown_name_error(
    kind: str,
    name: Any,
    valid_names: Iterable[str],
    argument: str | None = None,
    class_example: str | None = None,
) -> ValueError:
    """A ValueError for an unknown ``name`` of a ``kind`` of object: the closest valid name
    and the valid names.

    With ``class_example`` (losses, metrics, optimizers: whose names are mostly snake_case
    function names) names are compared case-insensitively and only the snake_case ones are
    listed, quoted, with a note that class names work too; otherwise every name is listed. ``argument`` names the argument that held it.
    """
    names = sorted(set(valid_names))
    if class_example is None:
        spellings = {valid: valid for valid in names}
        wanted = str(name)
    else:  # "MSE" and "mse" both exist: compare lower-cased, suggest the lower-case spelling
        spellings = {}
        for valid in names:
            if valid.lower() not in spellings or valid == valid.lower():
                spellings[valid.lower()] = valid
        wanted = str(name).lower()
    close = difflib.get_close_matches(wanted, list(spellings), n=1, cutoff=0.5)
    hint = f" Did you mean {spellings[close[0]]!r}?" if close else ""
    passed = f" passed as `{argument}`" if argument else ""
    if class_example is None:
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        return ValueError(
            f"Unknown {kind} {name!r}{passed}.{hint} Valid names are: {', '.join(names)}. "
            f"You can also pass {article} {kind} object (or a callable) instead of a name."
        )
    snake_case = [valid for valid in names if not valid[:1].isupper()]
    listed = ", ".join(repr(valid) for valid in (snake_case or names))
    note = f" Class names such as {class_example!r} are accepted too." if snake_case else ""
    return ValueError(f"Unknown {kind} {name!r}{passed}.{hint} Valid {kind} names: {listed}.{note}")


def serialize_object(obj: Any, module: str) -> dict[str, Any]:
    """The Keras 3 config dict of an object with ``get_config``:
    ``{"module", "class_name", "config", "registered_name"}``."""
    if not hasattr(obj, "get_config"):
        raise TypeError(
            f"Cannot serialize {obj!r}: it has no `get_config()` method. Give its class a "
            "`get_config()` returning its constructor arguments as a dict."
        )
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": None,
    }


def serialize_function(fn: Callable, module: str) -> dict[str, Any]:
    """Keras's form for a function: looked up by (registered) name when loading."""
    return {"module": module, "class_name": "function", "config": get_registered_name(fn), "registered_name": "function"}


def deserialize_object(
    config: Any,
    table: Mapping[str, Any],
    kind: str,
    custom_objects: Mapping[str, Any] | None = None,
) -> Any:
    """An object from a name or a ``{"class_name": ..., "config": {...}}`` dict.

    A class found in ``table`` (or ``custom_objects``, which take precedence) is built with
    ``from_config(config)`` when it has one, else ``cls(**config)``. A name without a config
    builds the class with its defaults; a function is returned as is.
    """
    lookup = {**table, **(custom_objects or {})}
    if isinstance(config, str):
        class_name, inner = config, None
    elif isinstance(config, Mapping):
        if "class_name" not in config:
            raise ValueError(
                f"Cannot deserialize a {kind} from {dict(config)!r}: a config dict needs a "
                "'class_name' key (and optionally 'config'), e.g. "
                "{'class_name': 'GlorotUniform', 'config': {'seed': None}}."
            )
        class_name, inner = config["class_name"], config.get("config")
        if class_name == "function" and isinstance(inner, str):
            # Keras writes plain functions as {"class_name": "function", "config": "<name>"}.
            class_name, inner = inner, None
    else:
        raise TypeError(
            f"Cannot deserialize a {kind} from {config!r} of type {type(config).__name__}: "
            "expected a name (str) or a config dict."
        )
    if class_name not in lookup:
        raise unknown_name_error(kind, class_name, table.keys(), argument="config")
    found = lookup[class_name]
    if not inspect.isclass(found):
        return found
    inner = dict(inner or {})
    if hasattr(found, "from_config"):
        return found.from_config(inner)
    return found(**inner)
