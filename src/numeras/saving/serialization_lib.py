"""The codec under numeras's saving: configs (JSON-ready dicts) to values and back, with no
knowledge of any file format or of the classes it rebuilds.

- values that JSON lacks travel as ``{"class_name": "__numpy__" | "__tensor__" | "__bytes__"
  | "__slice__" | "__ellipsis__", "config": ...}`` (``encode_value``/``decode_special``);
- classes and functions are found by name only, among the ``custom_objects`` of a load and
  the built-ins of ``object_registration`` (``lookup_builtin``, ``lookup_function``): nothing
  named by a config is imported, and a Python lambda stored as bytecode is never decoded;
- objects are rebuilt with ``from_config`` (``construct``) and built from their
  ``build_config`` (``build_from_config``), every failure a ``DeserializationError`` that
  names the object.

``keras_format`` builds Keras 3's file format on top of it.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from numeras import backend
from numeras.autodiff import Tensor
from numeras.backend import xp
from numeras.saving import object_registration
from numeras.saving.errors import UnknownObjectError, UnsafeDeserializationError

PLAIN_TYPES = (str, int, float, bool)


_MAX_CONFIG_DEPTH = 256


_MAX_SHAPE_DIM = 2**31 - 1


class DeserializationError(ValueError):
    """A config that names known classes but cannot be turned back into objects (bad values,
    missing keys, a constructor that rejects its arguments)."""


NOT_ENCODED = object()


def encode_value(obj: Any) -> Any:
    """``obj`` as JSON can hold it when it is a plain value, bytes, a NumPy scalar or array, or
    a tensor; ``NOT_ENCODED`` for anything else (objects, functions, containers)."""
    if obj is None or isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, xp.generic):
        return obj.item()
    if isinstance(obj, xp.ndarray):
        if obj.ndim == 0:
            return obj.item()
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, Tensor):
        return {"class_name": "__tensor__", "config": {"value": obj.data.tolist(), "dtype": obj.data.dtype.name}}
    return NOT_ENCODED



def sublayers_by_name(layer: Any) -> dict[str, Any]:
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


def is_object_config(value: Any) -> bool:
    return isinstance(value, Mapping) and "class_name" in value and "config" in value


NOT_SPECIAL = object()


def decode_special(full: Mapping[str, Any]) -> Any:
    """The value of a config whose class is a ``__name__`` (arrays, tensors, bytes, slices,
    Ellipsis), or ``NOT_SPECIAL``. A stored lambda is refused: code in a file never runs."""
    class_name = full["class_name"]
    inner = full.get("config")
    if not class_name.startswith("__"):
        return NOT_SPECIAL
    if class_name in ("__numpy__", "__tensor__"):
        if not isinstance(inner, Mapping) or "value" not in inner:
            raise DeserializationError(f"a {class_name} config needs a 'value', received {inner!r}.")
        dtype = plain_dtype(inner.get("dtype"))
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
        parts = [inner.get(key) for key in ("start", "stop", "step")]
        if not all(p is None or (isinstance(p, int) and not isinstance(p, bool)) for p in parts):
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


def plain_dtype(name: Any) -> str:
    if name is None:
        return backend.floatx()
    try:
        dtype = xp.dtype(name) if isinstance(name, str) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biuf":
        raise DeserializationError(f"{name!r} is not a numeric dtype numeras supports.")
    return dtype.name


def lookup_function(name: str, families: list[str], custom: Mapping[str, Any]) -> Any:
    """The function named ``name`` (``"package>name"`` or plain) among ``custom`` objects, then
    the built-in functions of ``families``; None if there is none."""
    if name in custom:
        return custom[name]
    plain = name.split(">")[-1]
    for key, value in custom.items():
        if key.endswith(">" + plain):
            return value
    if plain in custom:
        return custom[plain]
    for candidate in families:
        found = builtin_table(candidate).get(plain)
        if found is not None and not inspect.isclass(found):
            return found
    return None


def builtin_table(family: str) -> dict[str, Any]:
    """numeras's built-in objects a config of ``family`` may name (models count as layers)."""
    if family in ("layers", "models"):
        return {**object_registration.builtin_objects("layers"), **object_registration.builtin_objects("models")}
    return object_registration.builtin_objects(family)


_SEARCH_ORDER = ("layers", "initializers", "regularizers", "constraints", "optimizers", "schedules", "losses", "metrics", "activations")


def lookup_builtin(class_name: Any, family: str | None) -> Any:
    if not isinstance(class_name, str):
        return None
    if family == "custom":
        return None
    families = [family] if family is not None else list(_SEARCH_ORDER)
    for candidate in families:
        table = builtin_table(candidate)
        found = table.get(class_name)
        if found is None and candidate == "optimizers":
            lowered = {name.lower(): cls for name, cls in table.items()}
            found = lowered.get(class_name.lower())
        if found is not None and inspect.isclass(found):
            return found
    return None


def label_of(class_name: str, inner: Mapping[str, Any]) -> str:
    name = inner.get("name")
    return f"{class_name} '{name}'" if isinstance(name, str) else class_name


def is_numeras_builtin(cls: type) -> bool:
    return cls.__module__.startswith("numeras.") and cls not in object_registration.GLOBAL_CUSTOM_NAMES


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


def construct(cls: type, config: dict[str, Any], label: str, custom_objects: Mapping[str, Any]) -> Any:
    """``cls.from_config(config)`` (given ``custom_objects`` when it takes them), any failure
    reported as a ``DeserializationError`` naming ``label``."""
    from_config = getattr(cls, "from_config", None)
    try:
        if from_config is None:
            return cls(**config)
        try:
            parameters = inspect.signature(from_config).parameters
        except (TypeError, ValueError):
            parameters = {}
        if "custom_objects" in parameters:
            return from_config(config, custom_objects=dict(custom_objects))
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
    return all(sub.built for sub in sublayers_by_name(layer).values())


def build_from_config(layer: Any, build_config: Any, label: str | None = None) -> None:
    """``layer.build_from_config(build_config)`` with the shape checked first and any failure
    reported as a ``DeserializationError`` naming the layer."""
    label = label or f"{type(layer).__name__} '{layer.name}'"
    if not isinstance(build_config, Mapping):
        raise DeserializationError(f"{label}: 'build_config' must be a dict, received {build_config!r}.")
    if build_config.get("input_shape") is None:
        return
    shape = to_shape(build_config["input_shape"], f"{label}: build_config input_shape")
    try:
        layer.build_from_config({**build_config, "input_shape": shape})
    except (UnknownObjectError, UnsafeDeserializationError, DeserializationError):
        raise
    except MemoryError:
        raise DeserializationError(f"{label}: building it for input shape {shape} needs more memory than is available.") from None
    except Exception as error:  # noqa: BLE001
        raise DeserializationError(
            f"could not build {label} for input shape {shape}: {type(error).__name__}: {error}"
        ) from error
