"""Objects to Keras 3 config dicts and back.

Keras 3 describes every object as ``{"module", "class_name", "config", "registered_name"}``
(layers add ``"build_config"``, models ``"compile_config"``). ``serialize_keras_object`` writes
exactly that for numeras objects, translating what numeras's own ``get_config`` methods
produce into the form Keras expects (a dtype becomes a ``DTypePolicy`` dict, ``numeras.*``
modules become ``keras.*``, functions become ``{"module": "builtins", "class_name":
"function", ...}``), so that real Keras loads the result.

``deserialize_keras_object`` goes the other way, for configs written by Keras or numeras:

- a class or function is found only by name: in ``custom_objects``, a
  ``custom_object_scope``, the ``register_keras_serializable`` registry, or numeras's
  built-ins. Nothing named by a config is imported or executed;
- a ``Lambda`` layer (whose function is code the file chooses) is refused unless
  ``safe_mode=False``, and even then its function is only looked up by name: Keras's
  marshalled-bytecode lambdas are never decoded;
- Keras-only arguments numeras does not have are dropped when they hold their neutral value
  (``quantization_config=None``, ``ragged=False``, ...) and refused otherwise, with an error
  that names them.
"""

from __future__ import annotations

import inspect
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from numeras.backend import xp
from numeras.saving import object_registration
from numeras.saving.errors import UnknownObjectError, UnsafeDeserializationError

PLAIN_TYPES = (str, int, float, bool)

# Where numeras's built-in objects live in Keras's public API (longest prefix first).
_KERAS_MODULES = (
    ("numeras.optimizers.schedules", "keras.optimizers.schedules"),
    ("numeras.optimizers", "keras.optimizers"),
    ("numeras.initializers", "keras.initializers"),
    ("numeras.regularizers", "keras.regularizers"),
    ("numeras.constraints", "keras.constraints"),
    ("numeras.activations", "keras.activations"),
    ("numeras.losses", "keras.losses"),
    ("numeras.metrics", "keras.metrics"),
    ("numeras.layers", "keras.layers"),
    ("numeras.models", "keras"),
)
# How Keras names the model classes (Functional is not public API: Keras imports it by module).
_MODEL_IDENTITIES = {
    "Sequential": ("keras", "Sequential", None),
    "Functional": ("keras.src.models.functional", "Functional", "Functional"),
    "Model": ("keras", "Model", None),
}
_DTYPE_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy", "Policy")
_MAX_CONFIG_DEPTH = 256
_MAX_SHAPE_DIM = 2**31 - 1


class DeserializationError(ValueError):
    """A config that names known classes but cannot be turned back into objects (bad values,
    missing keys, a constructor that rejects its arguments)."""


# ---------------------------------------------------------------------------------------
# numeras -> Keras config
# ---------------------------------------------------------------------------------------
def serialize_keras_object(obj: Any) -> Any:
    """The Keras 3 config of ``obj`` (a layer, model, optimizer, initializer, loss, metric,
    function, array or plain value), ready for ``json.dumps``."""
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, Mapping):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, xp.generic):
        return obj.item()
    if isinstance(obj, xp.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    from numeras.autodiff import Tensor
    from numeras.layers.layer import Layer

    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__", "config": {"value": obj.data.tolist(), "dtype": obj.data.dtype.name}}
    if isinstance(obj, Layer):
        return _serialize_layer(obj)
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(
                f"The get_config() method of {obj!r} must return a dict, it returned {type(config).__name__}."
            )
        module, class_name, registered_name = _identity(type(obj))
        return {
            "module": module,
            "class_name": class_name,
            "config": _keras_value(config, {}),
            "registered_name": registered_name,
        }
    raise TypeError(
        f"Cannot serialize {obj!r} of type {type(obj).__name__}: numeras can save layers, models, "
        "optimizers, initializers, regularizers, losses, metrics, functions, arrays and plain "
        "values. Give the class a get_config() method returning its constructor arguments."
    )


def keras_module(module: str | None) -> str | None:
    """``numeras.layers.core`` -> ``keras.layers`` (other modules unchanged)."""
    if module is None:
        return None
    for prefix, keras_name in _KERAS_MODULES:
        if module == prefix or module.startswith(prefix + "."):
            return keras_name
    return module


def dtype_policy_config(dtype: str) -> dict[str, Any]:
    """Keras 3's config of the dtype policy of a layer computing in ``dtype``."""
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _identity(cls: type) -> tuple[str | None, str, str | None]:
    """``(module, class_name, registered_name)`` of a class, as Keras 3 writes them."""
    registered = object_registration.GLOBAL_CUSTOM_NAMES.get(cls)
    module = cls.__module__
    if registered is not None:
        return (None if module == "__main__" else module), cls.__name__, registered
    if module.startswith("numeras."):
        if module.startswith("numeras.models") and cls.__name__ in _MODEL_IDENTITIES:
            return _MODEL_IDENTITIES[cls.__name__]
        return keras_module(module), cls.__name__, None
    # An unregistered class of the user's: Keras records its module and plain name.
    return (None if module == "__main__" else module), cls.__name__, cls.__name__


def _serialize_function(fn: Callable) -> dict[str, Any]:
    """A function as Keras 3 writes it: looked up by (registered) name when loading."""
    name = object_registration.get_registered_name(fn)
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def _sublayers_by_name(layer: Any) -> dict[str, Any]:
    """Every layer tracked below ``layer``, by name (the nearest one wins a name clash)."""
    found: dict[str, Any] = {}
    queue = list(getattr(layer, "_tracked_layers", []))
    seen: set[int] = {id(layer)}
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.setdefault(current.name, current)
        queue.extend(getattr(current, "_tracked_layers", []))
    return found


def _serialize_layer(layer: Any) -> dict[str, Any]:
    module, class_name, registered_name = _identity(type(layer))
    result: dict[str, Any] = {
        "module": module,
        "class_name": class_name,
        "config": _layer_config_to_keras(layer, layer.get_config()),
        "registered_name": registered_name,
    }
    build_config = get_build_config(layer)
    if build_config is not None:
        result["build_config"] = build_config
    from numeras.models.model import Model

    if isinstance(layer, Model):
        result["compile_config"] = get_compile_config(layer)
    return result


def get_build_config(layer: Any) -> dict[str, Any] | None:
    """``{"input_shape": [...]}`` for a built layer whose input shape numeras recorded: a
    model, or a layer that defines ``build`` (it creates weights from the shape). Stateless
    layers such as ``Dropout`` have none, as in Keras.
    """
    if not getattr(layer, "built", False):
        return None
    if callable(getattr(layer, "get_build_config", None)):
        return layer.get_build_config()  # a layer built from several shapes (MultiHeadAttention)
    shape = getattr(layer, "_build_input_shape", None)
    from numeras.models.model import Model

    # A model records the shape it was first called with; a layer records it only when it
    # defines build() (others may carry a shape numeras never checked).
    if shape is None or not (isinstance(layer, Model) or _defines_build(type(layer))):
        return None
    return {"input_shape": _shape_to_json(shape)}


def _defines_build(cls: type) -> bool:
    from numeras.layers.layer import Layer

    for klass in cls.__mro__:
        if klass is Layer:
            return False
        if "build" in klass.__dict__:
            return True
    return False


def _shape_to_json(shape: Any) -> Any:
    if isinstance(shape, (list, tuple)):
        return [_shape_to_json(n) for n in shape]
    if isinstance(shape, Mapping):
        return {k: _shape_to_json(v) for k, v in shape.items()}
    return None if shape is None else int(shape)


def _layer_config_to_keras(layer: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A layer's numeras ``get_config()`` in the form Keras's ``from_config`` takes."""
    from numeras.layers.core import Lambda
    from numeras.layers.input_layer import InputLayer

    config = dict(config)
    if not isinstance(layer, InputLayer) and isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy_config(config["dtype"])
    # Keras 3 layers take no input shape argument: an InputLayer before them carries it.
    config.pop("batch_input_shape", None)
    if isinstance(layer, Lambda):
        config["function"] = _lambda_function_config(layer, layer.function, "function")
        output_shape = getattr(layer, "_output_shape_arg", None)
        if callable(output_shape):
            config["output_shape"] = _lambda_function_config(layer, output_shape, "output_shape")
    if type(layer).__name__ == "Sequential" and type(layer).__module__.startswith("numeras."):
        layers = config.get("layers") or []
        first = layers[0] if layers else None
        if isinstance(first, Mapping) and first.get("class_name") == "InputLayer":
            batch_shape = (first.get("config") or {}).get("batch_shape")
            if batch_shape is not None:
                config["build_input_shape"] = _shape_to_json(batch_shape)
    return _keras_value(config, _sublayers_by_name(layer))


def _lambda_function_config(layer: Any, fn: Any, argument: str) -> Any:
    if isinstance(fn, Mapping) or fn is None:
        return fn
    if getattr(fn, "__name__", "<lambda>") == "<lambda>" or not inspect.isfunction(fn):
        raise ValueError(
            f"Cannot save the Lambda layer '{layer.name}': its `{argument}` is an anonymous lambda "
            f"({fn!r}). numeras saves functions by name only (it never stores code in a file), so "
            "define it with `def`, e.g. `def double(x): return x * 2`, and when loading pass it in "
            "custom_objects={'double': double} with safe_mode=False (or register it with "
            "@numeras.saving.register_keras_serializable())."
        )
    return _serialize_function(fn)


def _keras_value(value: Any, sublayers: Mapping[str, Any]) -> Any:
    """Translate a config value written by numeras code into Keras's form."""
    if isinstance(value, Mapping):
        if "class_name" in value and "config" in value:
            return _keras_object_dict(value, sublayers)
        return {key: _keras_value(item, sublayers) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_keras_value(item, sublayers) for item in value]
    if value is None or isinstance(value, PLAIN_TYPES):
        return value
    return serialize_keras_object(value)


def _keras_object_dict(value: Mapping[str, Any], sublayers: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(value)
    class_name = result.get("class_name")
    if not isinstance(class_name, str) or class_name.startswith("__"):
        return result
    if class_name == "function":
        result["module"] = "builtins"
        result["registered_name"] = "function"
        return result
    inner = result.get("config")
    layer = sublayers.get(inner.get("name")) if isinstance(inner, Mapping) else None
    if layer is not None and type(layer).__name__ == class_name:
        module, class_name, registered_name = _identity(type(layer))
        result.update(module=module, class_name=class_name, registered_name=registered_name)
        result["config"] = _layer_config_to_keras(layer, inner)
        if "build_config" not in result:
            build_config = get_build_config(layer)
            if build_config is not None:
                result["build_config"] = build_config
        return result
    if isinstance(result.get("module"), str):
        result["module"] = keras_module(result["module"])
    if isinstance(inner, Mapping):
        result["config"] = _keras_value(inner, sublayers)
    return result


def get_compile_config(model: Any) -> dict[str, Any]:
    """What ``compile`` was called with, as Keras 3's ``compile_config`` (``{}`` when the model
    was never compiled): the model's own ``get_compile_config()``."""
    return model.get_compile_config() or {}


# ---------------------------------------------------------------------------------------
# Keras config -> numeras objects
# ---------------------------------------------------------------------------------------
class _LoadContext:
    """What one deserialization needs: the names it may resolve, ``safe_mode``, whether to
    compile, and the nested layer configs a container's ``from_config`` will hand back."""

    def __init__(self, custom_objects: Mapping[str, Any] | None, safe_mode: bool, compile: bool) -> None:
        self.custom = object_registration.all_custom_objects(custom_objects)
        from numeras import config

        # keras.config.enable_unsafe_deserialization() overrides each load's own argument.
        override = config.in_safe_mode()
        self.safe_mode = bool(safe_mode if override is None else override)
        self.compile = bool(compile)
        self.nested: dict[int, dict[str, Any]] = {}
        self.factories: dict[str, _NestedLayerFactory] = {}


class _NestedLayerFactory:
    """Stands in for a layer class in the ``custom_objects`` handed to a container's
    ``from_config`` (``Sequential``, ``Functional``): when the container rebuilds a child from
    its config, the child goes through ``deserialize_keras_object`` with the same rules
    (registry, safe mode, build config) instead of a bare class lookup."""

    def __init__(self, context: _LoadContext, class_name: str) -> None:
        self.context = context
        self.class_name = class_name
        self.__name__ = class_name

    def from_config(self, config: Any, custom_objects: Any = None) -> Any:
        full = self.context.nested.get(id(config))
        if full is None:
            full = {"class_name": self.class_name, "config": config}
        return _deserialize_object(full, self.context)


def deserialize_keras_object(
    config: Any,
    custom_objects: Mapping[str, Any] | None = None,
    safe_mode: bool = True,
    compile: bool = True,
) -> Any:
    """Rebuild the object a Keras 3 (or numeras, or Keras 2) config describes.

    Classes and functions are resolved by name only; see the module docstring for the rules.
    Raises ``UnknownObjectError`` for a name it cannot resolve, ``UnsafeDeserializationError``
    for a ``Lambda`` in safe mode, ``DeserializationError`` for values the class rejects.
    """
    check_config_depth(config)
    context = _LoadContext(custom_objects, safe_mode, compile)
    return _deserialize(config, context)


def check_config_depth(config: Any, limit: int = _MAX_CONFIG_DEPTH) -> None:
    """Refuse configs nested deeper than ``limit`` (no real model comes close; a hostile one
    would otherwise exhaust the recursion of the loader)."""
    stack = [(config, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            raise DeserializationError(f"the config is nested more than {limit} levels deep; no Keras model is.")
        if isinstance(value, Mapping):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _deserialize(config: Any, context: _LoadContext) -> Any:
    if config is None or isinstance(config, PLAIN_TYPES):
        return config
    if isinstance(config, list):
        return [_deserialize(item, context) for item in config]
    if not isinstance(config, Mapping):
        raise DeserializationError(f"cannot interpret {config!r} of type {type(config).__name__} as a config.")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, context) for key, value in config.items()}
    return _deserialize_object(config, context)


def _is_object_config(value: Any) -> bool:
    return isinstance(value, Mapping) and "class_name" in value and "config" in value


def _deserialize_object(full: Mapping[str, Any], context: _LoadContext) -> Any:
    class_name = full.get("class_name")
    if not isinstance(class_name, str):
        raise DeserializationError(f"'class_name' must be a string, received {class_name!r}.")
    special = _special_value(full, context)
    if special is not _NOT_SPECIAL:
        return special
    found = resolve(full, context)
    if not inspect.isclass(found):
        return found  # a function
    inner = full.get("config")
    if inner is None:
        inner = {}
    if not isinstance(inner, Mapping):
        raise DeserializationError(
            f"the config of {class_name} must be a dict of constructor arguments, received {type(inner).__name__}."
        )
    from numeras.layers.core import Lambda
    from numeras.layers.layer import Layer

    label = _label(class_name, inner)
    if issubclass(found, Lambda):
        inner = _lambda_config(inner, label, context)
    inner = _from_keras_config(found, dict(inner), label, context)
    obj = _construct(found, inner, label, context)
    if isinstance(obj, Layer):
        build_config = full.get("build_config")
        if build_config and not is_fully_built(obj):
            build_from_config(obj, build_config, label)
        compile_config = full.get("compile_config")
        if compile_config and context.compile:
            compile_from_config(obj, compile_config, context)
    return obj


_NOT_SPECIAL = object()


def _special_value(full: Mapping[str, Any], context: _LoadContext) -> Any:
    """The values Keras encodes with a ``__name__`` class (arrays, bytes, slices), or a dtype
    policy (numeras keeps only the dtype name)."""
    class_name = full["class_name"]
    inner = full.get("config")
    if class_name in _DTYPE_POLICY_CLASSES:
        return dtype_policy_name(full)
    if not class_name.startswith("__"):
        return _NOT_SPECIAL
    if class_name in ("__numpy__", "__tensor__"):
        if not isinstance(inner, Mapping) or "value" not in inner:
            raise DeserializationError(f"a {class_name} config needs a 'value', received {inner!r}.")
        dtype = _plain_dtype(inner.get("dtype"))
        try:
            return xp.asarray(inner["value"], dtype=dtype)
        except (TypeError, ValueError, OverflowError) as error:
            raise DeserializationError(f"invalid {class_name} value: {error}") from None
    if class_name == "__bytes__":
        value = inner.get("value") if isinstance(inner, Mapping) else None
        if not isinstance(value, str):
            raise DeserializationError(f"a __bytes__ config needs a string 'value', received {inner!r}.")
        return value.encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        if not isinstance(inner, Mapping):
            raise DeserializationError(f"a __slice__ config must be a dict, received {inner!r}.")
        parts = [_deserialize(inner.get(key), context) for key in ("start", "stop", "step")]
        if not all(p is None or isinstance(p, int) for p in parts):
            raise DeserializationError(f"a __slice__ takes integers or null, received {inner!r}.")
        return slice(*parts)
    if class_name == "__keras_tensor__":
        return dict(full)  # a functional model's from_config reads these itself
    if class_name == "__lambda__":
        raise UnsafeDeserializationError(
            "The config contains a Python lambda stored as marshalled bytecode. numeras never "
            "decodes or runs code stored in a file, in any safe_mode. Define the function with "
            "`def` in your program and pass it by name in custom_objects."
        )
    raise UnknownObjectError(f"numeras cannot load the special value {class_name!r} (config {dict(full)!r}).")


def dtype_policy_name(config: Mapping[str, Any]) -> str:
    """The dtype numeras uses for a Keras ``DTypePolicy`` config."""
    inner = config.get("config")
    name = inner.get("name") if isinstance(inner, Mapping) else None
    if not isinstance(name, str):
        raise DeserializationError(f"a {config.get('class_name')} config needs a 'name', received {inner!r}.")
    if name.startswith("mixed_"):
        warnings.warn(
            f"The file uses Keras's mixed-precision policy {name!r}; numeras computes in float32, "
            "so the model is loaded with dtype 'float32' (its weights were float32 already).",
            stacklevel=4,
        )
        return "float32"
    return _plain_dtype(name)


def _plain_dtype(name: Any) -> str:
    if name is None:
        from numeras import backend

        return backend.floatx()
    try:
        dtype = xp.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biuf":
        raise DeserializationError(f"{name!r} is not a numeric dtype numeras supports.")
    return dtype.name


def resolve(full: Mapping[str, Any], context: _LoadContext) -> Any:
    """The class or function a config names, found by name only."""
    class_name = full.get("class_name")
    module = full.get("module")
    registered_name = full.get("registered_name")
    custom = context.custom
    if class_name == "function":
        name = full.get("config")
        if not isinstance(name, str):
            raise DeserializationError(f"a function config needs the function's name as 'config', received {name!r}.")
        found = _lookup_function(name, module, custom)
        if found is None:
            raise UnknownObjectError(
                f"Could not locate the function {name!r}. numeras resolves functions by name only: "
                f"pass it in custom_objects={{'{name.split('>')[-1]}': your_function}} or decorate it with "
                "@numeras.saving.register_keras_serializable()."
            )
        return found
    for key in (registered_name, class_name):
        if isinstance(key, str) and key in custom:
            return custom[key]
    family = _family(module)
    found = _lookup_builtin(class_name, family)
    if found is not None:
        return found
    where = f" (module {module!r}" + (f", registered as {registered_name!r})" if registered_name else ")")
    keras_module_named = isinstance(module, str) and module.split(".")[0] in ("keras", "numeras", "tf_keras")
    if family != "custom" and (family is not None or keras_module_named):
        raise UnknownObjectError(
            f"numeras has no equivalent of the Keras class {class_name!r}{where}: "
            "this Keras feature is not implemented in numeras yet. If the file uses a class of "
            "your own with that name, pass it in custom_objects."
        )
    hint_name = registered_name if isinstance(registered_name, str) and ">" in registered_name else None
    raise UnknownObjectError(
        f"Could not locate the class {class_name!r}{where}. numeras never imports modules named "
        f"in a file: make the class available with custom_objects={{'{class_name}': {class_name}}}"
        + (
            f", or decorate it with @numeras.saving.register_keras_serializable(package='{hint_name.split('>')[0]}')"
            if hint_name
            else ", or decorate it with @numeras.saving.register_keras_serializable()"
        )
        + ", and make sure that code has run before loading."
    )


def _lookup_function(name: str, module: Any, custom: Mapping[str, Any]) -> Any:
    if name in custom:
        return custom[name]
    plain = name.split(">")[-1]
    for key, value in custom.items():
        if key.endswith(">" + plain):
            return value
    if plain in custom:
        return custom[plain]
    family = _family(module)
    families = [family] if family not in (None, "custom") else ["activations", "losses", "metrics"]
    for candidate in families:
        found = _builtin_table(candidate).get(plain)
        if found is not None and not inspect.isclass(found):
            return found
    return None


def _family(module: Any) -> str | None:
    """Which numeras module a Keras module names: ``keras.layers`` -> ``layers``. None for no
    module (Keras 2 configs, ``__main__``); ``custom`` for a user's module."""
    if not isinstance(module, str) or module in ("", "builtins", "__main__"):
        return None
    parts = module.split(".")
    if parts[0] not in ("keras", "numeras", "tf_keras"):
        return "custom"
    rest = [p for p in parts[1:] if p not in ("src", "api", "_tf_keras", "keras")]
    if not rest or rest[0] in ("models", "engine", "saving"):
        return "models"
    if rest[0] == "optimizers" and len(rest) > 1 and rest[1] == "schedules":
        return "schedules"
    if rest[0] in ("layers", "initializers", "regularizers", "constraints", "activations", "losses", "metrics", "optimizers"):
        return rest[0]
    return None  # another corner of Keras: search every built-in table


def _builtin_table(family: str) -> dict[str, Any]:
    if family == "layers" or family == "models":
        from numeras import layers as layers_module
        from numeras import models as models_module
        from numeras.layers.layer import Layer

        table = {
            name: obj
            for name in layers_module.__all__
            if inspect.isclass(obj := getattr(layers_module, name)) and issubclass(obj, Layer)
        }
        table.update(getattr(layers_module, "_REGISTRY", {}))
        for name in ("Sequential", "Functional", "Model"):
            model_class = getattr(models_module, name, None)
            if model_class is None:
                try:
                    from numeras.models import functional

                    model_class = getattr(functional, name, None)
                except ImportError:
                    model_class = None
            if model_class is not None:
                table[name] = model_class
        return table
    if family == "initializers":
        from numeras import initializers

        return dict(initializers.ALL_OBJECTS_DICT)
    if family == "regularizers":
        from numeras import regularizers

        return dict(regularizers.ALL_OBJECTS_DICT)
    if family == "activations":
        from numeras import activations

        return dict(activations.ALL_OBJECTS_DICT)
    if family == "losses":
        from numeras import losses

        return dict(losses.ALL_OBJECTS_DICT)
    if family == "metrics":
        from numeras import metrics

        return {**metrics.FUNCTIONS, **metrics.ALL_OBJECTS_DICT}
    if family == "optimizers":
        from numeras import optimizers

        return {cls.__name__: cls for cls in optimizers.ALL_OBJECTS_DICT.values()}
    if family == "constraints":
        from numeras import constraints

        return dict(constraints.ALL_OBJECTS_DICT)
    if family == "schedules":
        from numeras.optimizers.schedules import learning_rate_schedule

        return dict(learning_rate_schedule.ALL_OBJECTS)
    return {}


_SEARCH_ORDER = ("layers", "initializers", "regularizers", "constraints", "optimizers", "schedules", "losses", "metrics", "activations")


def _lookup_builtin(class_name: Any, family: str | None) -> Any:
    if not isinstance(class_name, str):
        return None
    if family == "custom":
        return None
    families = [family] if family is not None else list(_SEARCH_ORDER)
    for candidate in families:
        table = _builtin_table(candidate)
        found = table.get(class_name)
        if found is None and candidate == "optimizers":
            lowered = {name.lower(): cls for name, cls in table.items()}
            found = lowered.get(class_name.lower())
        if found is not None and inspect.isclass(found):
            return found
    return None


def _label(class_name: str, inner: Mapping[str, Any]) -> str:
    name = inner.get("name")
    return f"{class_name} '{name}'" if isinstance(name, str) else class_name


def _is_numeras_builtin(cls: type) -> bool:
    return cls.__module__.startswith("numeras.") and cls not in object_registration.GLOBAL_CUSTOM_NAMES


def _from_keras_config(cls: type, config: dict[str, Any], label: str, context: _LoadContext) -> dict[str, Any]:
    """Translate a Keras config into arguments for ``cls``: dtype policies become dtype names,
    nested objects are rebuilt (layers stay dicts for the container's ``from_config``), and
    Keras-only arguments are dropped or refused."""
    from numeras.layers.layer import Layer

    translated: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype" and _is_object_config(value):
            translated[key] = dtype_policy_name(value)
        else:
            translated[key] = _nested_value(value, context, key)
    for key in ("batch_shape", "batch_input_shape", "input_shape", "target_shape", "noise_shape"):
        if isinstance(translated.get(key), list):
            translated[key] = to_shape(translated[key], f"{label}: `{key}`")
    if _is_numeras_builtin(cls) and issubclass(cls, Layer) and cls.__name__ in ("Sequential", "Functional", "Model"):
        return translated
    if _is_numeras_builtin(cls):
        translated = _drop_unsupported_arguments(cls, translated, label)
    return translated


def _nested_value(value: Any, context: _LoadContext, key: str = "") -> Any:
    if isinstance(value, list):
        return [_nested_value(item, context) for item in value]
    if isinstance(value, Mapping):
        if not _is_object_config(value):
            return {k: _nested_value(v, context, k) for k, v in value.items()}
        class_name = value.get("class_name")
        if _is_keras_operation(value):
            return value  # rebuilt by the functional model from its node's arguments
        if isinstance(class_name, str) and not class_name.startswith("__") and class_name not in _DTYPE_POLICY_CLASSES:
            found = resolve(value, context)
            from numeras.layers.layer import Layer

            if inspect.isclass(found) and issubclass(found, Layer):
                return _register_nested_layer(value, found, context)
        return _deserialize_object(value, context)
    if isinstance(value, str) and key.endswith(("activation", "initializer", "regularizer", "constraint")):
        custom = context.custom.get(value)
        if custom is not None:
            return custom
    return value


def _is_keras_operation(value: Mapping[str, Any]) -> bool:
    """A Python operator on symbolic tensors (x + y, x[:, 0]) as Keras 3 saves it in a functional
    model: a layer entry whose module is keras.src.ops.numpy."""
    from numeras.symbolic.operators import KERAS_CLASSES, KERAS_MODULE

    return value.get("module") == KERAS_MODULE and value.get("class_name") in KERAS_CLASSES.values()


def _register_nested_layer(value: Mapping[str, Any], found: type, context: _LoadContext) -> Mapping[str, Any]:
    """Leave a child layer's config as a dict (its container's ``from_config`` wants dicts),
    remembering it so the container's lookup of its class comes back here."""
    inner = value.get("config")
    if isinstance(inner, Mapping):
        context.nested[id(inner)] = dict(value)
    class_name = value["class_name"]
    if class_name not in context.factories:
        context.factories[class_name] = _NestedLayerFactory(context, class_name)
    return value


def to_shape(value: Any, what: str) -> Any:
    """A JSON shape (lists, ints, nulls) as tuples, each dimension checked."""
    if isinstance(value, (list, tuple)):
        return tuple(to_shape(item, what) for item in value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= _MAX_SHAPE_DIM:
        raise DeserializationError(
            f"{what} must be a shape made of non-negative integers and nulls, received the dimension {value!r}."
        )
    return value


_NEUTRAL_VALUES = (None, False, "", (), [], {})


def _drop_unsupported_arguments(cls: type, config: dict[str, Any], label: str) -> dict[str, Any]:
    accepted = accepted_arguments(cls)
    if accepted is None:
        return config
    kept = {}
    refused = {}
    for key, value in config.items():
        if key in accepted:
            kept[key] = value
        elif any(value is neutral or (type(value) is type(neutral) and value == neutral) for neutral in _NEUTRAL_VALUES):
            continue  # a Keras argument left at its neutral value: nothing is lost
        else:
            refused[key] = value
    if refused:
        settings = ", ".join(f"{k}={v!r}" for k, v in refused.items())
        raise DeserializationError(
            f"{label}: the config sets {settings}, which numeras's {cls.__name__} does not support "
            f"(it accepts {', '.join(sorted(accepted))})."
        )
    return kept


def accepted_arguments(cls: type) -> set[str] | None:
    """The keyword arguments ``cls(...)`` accepts, following ``**kwargs`` up the class chain;
    None when some class accepts anything."""
    from numeras.layers import layer as layer_module
    from numeras.optimizers import base_optimizer

    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            return names
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            parameters = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(
            p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self"
        )
        if klass is layer_module.Layer:
            return names | set(layer_module._ALLOWED_KWARGS)
        if klass is base_optimizer.Optimizer:
            return names | set(base_optimizer._LEGACY_ARGUMENTS) | set(base_optimizer._IGNORED_CONFIG_KEYS)
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return names
    return None


def _lambda_config(inner: Mapping[str, Any], label: str, context: _LoadContext) -> dict[str, Any]:
    """A Lambda layer's config with its function(s) looked up by name, or a refusal."""
    inner = dict(inner)
    described = _describe_function(inner.get("function"))
    layer_name = inner.get("name") if isinstance(inner.get("name"), str) else "lambda"
    if context.safe_mode:
        raise UnsafeDeserializationError(
            f"The file contains the Lambda layer {label} (function: {described}). Rebuilding a "
            "Lambda layer means running a function chosen by the file, so numeras refuses it "
            "while safe_mode=True (the default). If you trust the file, load it with "
            "safe_mode=False and give the function by name, e.g. "
            f"custom_objects={{{_suggested_key(inner.get('function'), layer_name)!r}: your_function}}: "
            "numeras then looks the function up among custom_objects and registered functions "
            "only. It never executes code stored in the file (Keras's marshalled-bytecode "
            "lambdas are never decoded)."
        )
    for key in ("function", "output_shape", "mask"):
        value = inner.get(key)
        if key == "output_shape" and isinstance(value, list):
            inner[key] = to_shape(value, f"{label}: `output_shape`")
            continue
        if value is None or (key != "function" and not _is_function_reference(value)):
            continue
        inner[key] = _lambda_function(value, key, label, layer_name, context)
    return inner


def _is_function_reference(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, Mapping) and value.get("class_name") in ("function", "__lambda__"))


def _describe_function(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, Mapping):
        if value.get("class_name") == "__lambda__":
            return "a Python lambda stored as bytecode"
        if value.get("class_name") == "function":
            return repr(value.get("config"))
    return repr(value)


def _suggested_key(value: Any, layer_name: str) -> str:
    if isinstance(value, str):
        return value.split(">")[-1]
    if isinstance(value, Mapping) and value.get("class_name") == "function" and isinstance(value.get("config"), str):
        return value["config"].split(">")[-1]
    return layer_name


def _lambda_function(value: Any, key: str, label: str, layer_name: str, context: _LoadContext) -> Callable:
    if isinstance(value, Mapping) and value.get("class_name") == "__lambda__":
        names = [layer_name]
    elif isinstance(value, Mapping) and value.get("class_name") == "function":
        names = [value.get("config")]
    elif isinstance(value, str):
        names = [value]
    else:
        raise DeserializationError(f"{label}: cannot interpret its `{key}` {value!r}.")
    for name in names:
        if isinstance(name, str):
            found = _lookup_function(name, None, context.custom) if ">" in name else context.custom.get(name)
            if found is None and ">" not in name:
                found = _lookup_function(name, "custom", context.custom)
            if callable(found):
                return found
    wanted = names[0] if isinstance(names[0], str) else layer_name
    stored = (
        "a Python lambda stored as bytecode, which numeras never decodes; pass the function under the layer's name"
        if isinstance(value, Mapping) and value.get("class_name") == "__lambda__"
        else f"the function named {wanted!r}"
    )
    raise UnknownObjectError(
        f"{label}: its `{key}` is {stored}. Pass it as custom_objects={{{wanted.split('>')[-1]!r}: your_function}} "
        "(numeras looks Lambda functions up by name only and never runs code stored in a file)."
    )


def _construct(cls: type, config: dict[str, Any], label: str, context: _LoadContext) -> Any:
    from_config = getattr(cls, "from_config", None)
    try:
        if from_config is None:
            return cls(**config)
        try:
            parameters = inspect.signature(from_config).parameters
        except (TypeError, ValueError):
            parameters = {}
        if "custom_objects" in parameters:
            return from_config(config, custom_objects={**context.custom, **context.factories})
        return from_config(config)
    except (UnknownObjectError, UnsafeDeserializationError, DeserializationError):
        raise
    except MemoryError:
        raise DeserializationError(
            f"{label}: its config asks for more memory than is available (an absurd shape?)."
        ) from None
    except Exception as error:  # noqa: BLE001 - any constructor failure is reported with its layer
        raise DeserializationError(
            f"could not rebuild {label} from its config: {type(error).__name__}: {error}"
        ) from error


def is_fully_built(layer: Any) -> bool:
    if not layer.built:
        return False
    return all(sub.built for sub in _sublayers_by_name(layer).values())


def build_from_config(layer: Any, build_config: Any, label: str | None = None) -> None:
    """Create ``layer``'s weights from ``{"input_shape": ...}``, as Keras's
    ``build_from_config``; sublayers that are built only when called are built by calling the
    layer once on a zero batch of that shape."""
    label = label or f"{type(layer).__name__} '{layer.name}'"
    if not isinstance(build_config, Mapping):
        raise DeserializationError(f"{label}: 'build_config' must be a dict, received {build_config!r}.")
    if "input_shape" not in build_config:
        return
    raw = build_config["input_shape"]
    if raw is None:
        return
    shape = to_shape(raw, f"{label}: build_config input_shape")
    try:
        if not layer.built:
            if hasattr(layer, "_ensure_built"):
                layer._ensure_built(shape)
            else:
                layer.build(shape)
        if not is_fully_built(layer):
            _call_on_zeros(layer, shape)
        if getattr(layer, "_build_input_shape", None) is None:
            layer._build_input_shape = shape
    except (UnknownObjectError, UnsafeDeserializationError, DeserializationError):
        raise
    except MemoryError:
        raise DeserializationError(f"{label}: building it for input shape {shape} needs more memory than is available.") from None
    except Exception as error:  # noqa: BLE001
        raise DeserializationError(
            f"could not build {label} for input shape {shape}: {type(error).__name__}: {error}"
        ) from error


def _call_on_zeros(layer: Any, shape: Any) -> None:
    from numeras import backend
    from numeras.autodiff import no_grad

    def zeros(s: Any) -> Any:
        if isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s):
            return xp.zeros(tuple(1 if d is None else d for d in s), dtype=backend.floatx())
        if isinstance(s, (list, tuple)):
            return [zeros(item) for item in s]
        raise DeserializationError(f"cannot make a sample input of shape {s!r}.")

    with no_grad():
        layer(zeros(shape), training=False)


def compile_from_config(model: Any, compile_config: Any, context: _LoadContext | None = None) -> None:
    """``model.compile_from_config(compile_config)`` (Keras 3: compile with the recorded
    arguments, then build the optimizer so its saved state can be loaded), with the names of
    this load's ``custom_objects`` in scope."""
    if not isinstance(compile_config, Mapping):
        raise DeserializationError(f"'compile_config' must be a dict, received {type(compile_config).__name__}.")
    if context is None:
        context = _LoadContext(None, True, True)
    try:
        with object_registration.CustomObjectScope(context.custom):
            model.compile_from_config(compile_config)
    except (UnknownObjectError, UnsafeDeserializationError, DeserializationError):
        raise
    except Exception as error:  # noqa: BLE001
        raise DeserializationError(
            f"could not compile the model with the saved compile_config: {type(error).__name__}: {error}"
        ) from error


_SNAKE_STRIP = re.compile(r"\W+")
_SNAKE_1 = re.compile(r"(.)([A-Z][a-z]+)")
_SNAKE_2 = re.compile(r"([a-z])([A-Z])")


def to_snake_case(name: str) -> str:
    """Keras's ``to_snake_case``: ``BatchNormalization`` -> ``batch_normalization``."""
    name = _SNAKE_STRIP.sub("", name)
    name = _SNAKE_1.sub(r"\1_\2", name)
    return _SNAKE_2.sub(r"\1_\2", name).lower()
