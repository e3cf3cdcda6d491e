"""Looking objects up by name, and turning them into configs and back.

``initializers``, ``activations`` and ``regularizers`` (and any other module with a Keras-style
``get``/``serialize``/``deserialize``) share these helpers so every unknown name fails the same
way: with the valid names and the closest one.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterable, Mapping
from typing import Any


def unknown_name_error(kind: str, name: str, valid_names: Iterable[str], argument: str = "identifier") -> ValueError:
    """A ValueError for an unknown ``name`` that lists ``valid_names`` and suggests the closest."""
    valid = sorted(set(valid_names))
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    article = "an" if kind[:1].lower() in "aeiou" else "a"
    return ValueError(
        f"Unknown {kind} {name!r} passed as `{argument}`.{hint} "
        f"Valid names are: {', '.join(valid)}. "
        f"You can also pass {article} {kind} object (or a callable) instead of a name."
    )


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
