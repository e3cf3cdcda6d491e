"""Keras 3's file format: numeras objects to Keras 3 config dicts and back.

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

Everything here is about Keras's spelling of things (its module names, DTypePolicy dicts,
``keras.src.ops.numpy`` operator layers, Keras 2 argument names, the ``compile_config`` keys);
the value encoding and the lookups by name are ``serialization_lib``'s, and the classes come
from ``object_registration``, so this module imports no layer, model or optimizer.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from numeras.backend import config as settings
from numeras.saving import object_registration
from numeras.saving.errors import UnknownObjectError, UnsafeDeserializationError
from numeras.saving.serialization_lib import (
    NOT_ENCODED,
    NOT_SPECIAL,
    PLAIN_TYPES,
    DeserializationError,
    build_from_config,
    check_config_depth,
    construct,
    decode_special,
    encode_value,
    is_fully_built,
    is_numeras_builtin,
    is_object_config,
    label_of,
    lookup_builtin,
    lookup_function,
    plain_dtype,
    sublayers_by_name,
    to_shape,
)


def _builtin_layer(name: str) -> type:
    """numeras's layer class ``name`` (``Layer``, ``InputLayer``, ``Lambda``), from the registry."""
    return object_registration.builtin_objects("layers")[name]


def _function_families(module: Any) -> list[str]:
    """Where a function saved with ``module`` may be found among numeras's built-ins."""
    family = _family(module)
    return [family] if family not in (None, "custom") else ["activations", "losses", "metrics"]


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


_MODEL_IDENTITIES = {
    "Sequential": ("keras", "Sequential", None),
    "Functional": ("keras.src.models.functional", "Functional", "Functional"),
    "Model": ("keras", "Model", None),
}


_DTYPE_POLICY_CLASSES = ("DTypePolicy", "FloatDTypePolicy", "Policy")


def serialize_keras_object(obj: Any) -> Any:
    """The Keras 3 config of ``obj`` (a layer, model, optimizer, initializer, loss, metric,
    function, array or plain value), ready for ``json.dumps``."""
    encoded = encode_value(obj)
    if encoded is not NOT_ENCODED:
        return encoded
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(item) for item in obj]
    if isinstance(obj, Mapping):
        return {key: serialize_keras_object(value) for key, value in obj.items()}
    if isinstance(obj, _builtin_layer("Layer")):
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
    return object_registration.serialize_function(fn, "builtins")


def _serialize_layer(layer: Any) -> dict[str, Any]:
    module, class_name, registered_name = _identity(type(layer))
    result: dict[str, Any] = {
        "module": module,
        "class_name": class_name,
        "config": _layer_config_to_keras(layer, layer.get_config()),
        "registered_name": registered_name,
    }
    build_config = layer.get_build_config()
    if build_config is not None:
        result["build_config"] = build_config
    if hasattr(layer, "get_compile_config"):  # a model
        result["compile_config"] = compile_config_to_keras(layer)
    return result


def _shape_to_json(shape: Any) -> Any:
    if isinstance(shape, (list, tuple)):
        return [_shape_to_json(n) for n in shape]
    if isinstance(shape, Mapping):
        return {k: _shape_to_json(v) for k, v in shape.items()}
    return None if shape is None else int(shape)


def _layer_config_to_keras(layer: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A layer's numeras ``get_config()`` in the form Keras's ``from_config`` takes."""
    config = dict(config)
    if not isinstance(layer, _builtin_layer("InputLayer")) and isinstance(config.get("dtype"), str):
        config["dtype"] = dtype_policy_config(config["dtype"])
    # Keras 3 layers take no input shape argument: an InputLayer before them carries it.
    config.pop("batch_input_shape", None)
    if isinstance(layer, _builtin_layer("Lambda")):
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
    return _keras_value(config, sublayers_by_name(layer))


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
            build_config = layer.get_build_config()
            if build_config is not None:
                result["build_config"] = build_config
        return result
    if isinstance(result.get("module"), str):
        result["module"] = keras_module(result["module"])
    if isinstance(inner, Mapping):
        result["config"] = _keras_value(inner, sublayers)
    return result


def compile_config_to_keras(model: Any) -> dict[str, Any]:
    """``model.get_compile_config()`` as Keras 3's ``compile_config`` (``{}`` when the model was
    never compiled)."""
    arguments = model.get_compile_config()
    if not arguments:
        return {}
    config = {
        "optimizer": None,
        "loss": None,
        "loss_weights": None,
        "metrics": None,
        "weighted_metrics": None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        "jit_compile": "auto",
    }
    for key, value in arguments.items():  # already serialized, as Keras 3's get_compile_config gives it
        if key in ("metrics", "weighted_metrics") and not value:
            value = None
        config[key] = _keras_value(value, {})
    return config


class LoadContext:
    """What one deserialization needs: the names it may resolve, ``safe_mode``, whether to
    compile, and the nested layer configs a container's ``from_config`` will hand back."""

    def __init__(self, custom_objects: Mapping[str, Any] | None, safe_mode: bool, compile: bool) -> None:
        self.custom = object_registration.all_custom_objects(custom_objects)
        # numeras.config.enable_unsafe_deserialization() overrides each load's own argument, as in Keras.
        override = settings.in_safe_mode()
        self.safe_mode = bool(safe_mode if override is None else override)
        self.compile = bool(compile)
        self.nested: dict[int, dict[str, Any]] = {}
        self.factories: dict[str, _NestedLayerFactory] = {}


class _NestedLayerFactory:
    """Stands in for a layer class in the ``custom_objects`` handed to a container's
    ``from_config`` (``Sequential``, ``Functional``): when the container rebuilds a child from
    its config, the child goes through ``deserialize_keras_object`` with the same rules
    (registry, safe mode, build config) instead of a bare class lookup."""

    def __init__(self, context: LoadContext, class_name: str) -> None:
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
    context = LoadContext(custom_objects, safe_mode, compile)
    return _deserialize(config, context)


def _deserialize(config: Any, context: LoadContext) -> Any:
    if config is None or isinstance(config, PLAIN_TYPES):
        return config
    if isinstance(config, list):
        return [_deserialize(item, context) for item in config]
    if not isinstance(config, Mapping):
        raise DeserializationError(f"cannot interpret {config!r} of type {type(config).__name__} as a config.")
    if "class_name" not in config or "config" not in config:
        return {key: _deserialize(value, context) for key, value in config.items()}
    return _deserialize_object(config, context)


def _deserialize_object(full: Mapping[str, Any], context: LoadContext) -> Any:
    class_name = full.get("class_name")
    if not isinstance(class_name, str):
        raise DeserializationError(f"'class_name' must be a string, received {class_name!r}.")
    special = dtype_policy_name(full) if class_name in _DTYPE_POLICY_CLASSES else decode_special(full)
    if special is not NOT_SPECIAL:
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
    label = label_of(class_name, inner)
    if issubclass(found, _builtin_layer("Lambda")):
        inner = _lambda_config(inner, label, context)
    inner = _from_keras_config(found, dict(inner), label, context)
    obj = construct(found, inner, label, {**context.custom, **context.factories})
    if isinstance(obj, _builtin_layer("Layer")):
        build_config = full.get("build_config")
        if build_config and not is_fully_built(obj):
            build_from_config(obj, build_config, label)
        compile_config = full.get("compile_config")
        if compile_config and context.compile:
            compile_from_config(obj, compile_config, context)
    return obj


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
    return plain_dtype(name)


def resolve(full: Mapping[str, Any], context: LoadContext) -> Any:
    """The class or function a config names, found by name only."""
    class_name = full.get("class_name")
    module = full.get("module")
    registered_name = full.get("registered_name")
    custom = context.custom
    if class_name == "function":
        name = full.get("config")
        if not isinstance(name, str):
            raise DeserializationError(f"a function config needs the function's name as 'config', received {name!r}.")
        found = lookup_function(name, _function_families(module), custom)
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
    found = lookup_builtin(class_name, family)
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


def _from_keras_config(cls: type, config: dict[str, Any], label: str, context: LoadContext) -> dict[str, Any]:
    """Translate a Keras config into arguments for ``cls``: dtype policies become dtype names,
    nested objects are rebuilt (layers stay dicts for the container's ``from_config``), and
    Keras-only arguments are dropped or refused."""
    translated: dict[str, Any] = {}
    for key, value in config.items():
        if key == "dtype" and is_object_config(value):
            translated[key] = dtype_policy_name(value)
        else:
            translated[key] = _nested_value(value, context, key)
    for key in ("batch_shape", "batch_input_shape", "input_shape", "target_shape", "noise_shape"):
        if isinstance(translated.get(key), list):
            translated[key] = to_shape(translated[key], f"{label}: `{key}`")
    if is_numeras_builtin(cls) and issubclass(cls, _builtin_layer("Layer")) and cls.__name__ in ("Sequential", "Functional", "Model"):
        return translated
    if is_numeras_builtin(cls):
        translated = _drop_unsupported_arguments(cls, translated, label)
    return translated


def _nested_value(value: Any, context: LoadContext, key: str = "") -> Any:
    if isinstance(value, list):
        return [_nested_value(item, context) for item in value]
    if isinstance(value, Mapping):
        if not is_object_config(value):
            return {k: _nested_value(v, context, k) for k, v in value.items()}
        class_name = value.get("class_name")
        if _is_keras_operation(value):
            return value  # rebuilt by the functional model from its node's arguments
        if isinstance(class_name, str) and not class_name.startswith("__") and class_name not in _DTYPE_POLICY_CLASSES:
            found = resolve(value, context)
            if inspect.isclass(found) and issubclass(found, _builtin_layer("Layer")):
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
    name = f"{value.get('module')}>{value.get('class_name')}"
    return name in object_registration.builtin_objects("keras_operations")


def _register_nested_layer(value: Mapping[str, Any], found: type, context: LoadContext) -> Mapping[str, Any]:
    """Leave a child layer's config as a dict (its container's ``from_config`` wants dicts),
    remembering it so the container's lookup of its class comes back here."""
    inner = value.get("config")
    if isinstance(inner, Mapping):
        context.nested[id(inner)] = dict(value)
    class_name = value["class_name"]
    if class_name not in context.factories:
        context.factories[class_name] = _NestedLayerFactory(context, class_name)
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
        base_arguments = object_registration.base_class_arguments(klass)
        if base_arguments is not None:
            return names | base_arguments
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            return names
    return None


def _lambda_config(inner: Mapping[str, Any], label: str, context: LoadContext) -> dict[str, Any]:
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


def _lambda_function(value: Any, key: str, label: str, layer_name: str, context: LoadContext) -> Callable:
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
            found = lookup_function(name, _function_families(None), context.custom) if ">" in name else context.custom.get(name)
            if found is None and ">" not in name:
                found = lookup_function(name, _function_families(None), context.custom)
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


def compile_from_config(model: Any, compile_config: Any, context: LoadContext | None = None) -> None:
    """``model.compile_from_config(...)`` with the objects a file's ``compile_config`` names,
    resolved by the same rules as the model (Keras's ``compile_from_config``)."""
    if not isinstance(compile_config, Mapping):
        raise DeserializationError(f"'compile_config' must be a dict, received {type(compile_config).__name__}.")
    if context is None:
        context = LoadContext(None, True, True)
    arguments = {
        key: value if key == "loss_weights" else _nested_value(value, context)
        for key, value in compile_config.items()
    }
    try:
        model.compile_from_config(arguments)
    except (UnknownObjectError, UnsafeDeserializationError, DeserializationError):
        raise
    except Exception as error:  # noqa: BLE001
        raise DeserializationError(
            f"could not compile the model with the saved compile_config: {type(error).__name__}: {error}"
        ) from error
