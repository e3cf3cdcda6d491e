"""What a Python operator on symbolic tensors means, apart from computing it: its name, the
class Keras 3 records for it, the shape of its result and, for ``x[key]``, the index in Keras's
JSON form.

The operation that computes an operator is a layer (``numeras.layers.operators.TensorOperator``),
so it appears in a model's ``layers``, summary and saved files like any layer; this package sits
below the layers and only knows it through :func:`set_operation_factory`, which
``numeras.layers.operators`` calls when it is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numeras.backend import xp

SYMBOLS = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**", "matmul": "@"}
KERAS_CLASSES = {
    "add": "Add",
    "subtract": "Subtract",
    "multiply": "Multiply",
    "divide": "TrueDivide",
    "power": "Power",
    "matmul": "Matmul",
    "negative": "Negative",
    "absolute": "Absolute",
    "getitem": "GetItem",
    "not_equal": "NotEqual",  # Keras writes the mask of Embedding(mask_zero=True) as `tokens != 0`
}
"""numeras's operator names and the classes Keras 3 records for them (module keras.src.ops.numpy)."""
KERAS_MODULE = "keras.src.ops.numpy"

_operation_factory: Callable[..., Any] | None = None


def set_operation_factory(factory: Callable[..., Any]) -> None:
    """Make ``factory(operator, operand=..., operand_first=..., key=...)`` the operation that
    symbolic tensors' Python operators call (numeras.layers.operators registers its layer)."""
    global _operation_factory
    _operation_factory = factory


def operation_for(operator: str, **config: Any) -> Any:
    """A new operation computing ``operator`` (with ``config``: a number operand or an index)."""
    if _operation_factory is None:
        raise RuntimeError(
            f"The Python operator `{SYMBOLS.get(operator, operator)}` on a symbolic tensor needs the "
            "layers that compute operators: import numeras.layers first."
        )
    return _operation_factory(operator, **config)


def broadcast_shapes(first: tuple, second: tuple, owner: str = "") -> tuple:
    """NumPy's broadcasting of two shapes in which ``None`` is an unknown size: an axis of size 1
    takes the other's size, and an unknown one takes the other's known size (it must equal it, or
    be 1, when the model runs)."""
    rank = max(len(first), len(second))
    a = (1,) * (rank - len(first)) + tuple(first)
    b = (1,) * (rank - len(second)) + tuple(second)
    out = []
    for m, n in zip(a, b):
        if m == 1:
            out.append(n)
        elif n == 1 or m == n:
            out.append(m)
        elif m is None or n is None:
            out.append(n if m is None else m)
        else:
            raise ValueError(
                f"{owner}: the shapes {tuple(first)} and {tuple(second)} do not broadcast together "
                f"(sizes {m} and {n} on one axis). Reshape one operand, e.g. with layers.Reshape."
            )
    return tuple(out)


def matmul_shape(first: tuple, second: tuple) -> tuple:
    """The shape of ``a @ b`` for operands of shapes ``first`` and ``second`` (NumPy's rules)."""
    a, b = tuple(first), tuple(second)
    if not a or not b:
        raise ValueError("`@`: both operands need at least one axis, received scalar shapes.")
    left = a if len(a) > 1 else (1, *a)
    right = b if len(b) > 1 else (*b, 1)
    if left[-1] is not None and right[-2] is not None and left[-1] != right[-2]:
        raise ValueError(
            f"`@`: the last axis of the left operand ({left[-1]}) must equal the second-to-last of "
            f"the right one ({right[-2]}); received shapes {a} and {b}."
        )
    batch = broadcast_shapes(left[:-2], right[:-2], "`@`")
    out = (*batch, left[-2], right[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def getitem_shape(shape: tuple, key: tuple, owner: str) -> tuple:
    """The shape of ``x[key]`` for ``x`` of ``shape``, whose batch axis (``None``) the index must
    keep whole; ``owner`` names the operation in errors."""
    # Index an array of zeros of that shape; the unknown batch axis stands in as size 1.
    first = key[0] if key else slice(None)
    if shape and shape[0] is None and not (first is Ellipsis or first == slice(None)):
        raise ValueError(
            f"{owner}: indexing a symbolic tensor must keep the batch axis whole (start "
            f"with `:` or `...`), received the index {key!r}."
        )
    if any(n is None for n in shape[1:]):
        raise ValueError(
            f"{owner}: cannot index a symbolic tensor with unknown sizes after the batch "
            f"axis (shape {shape}). Give Input a full shape, or slice inside a layer."
        )
    sample = xp.zeros(tuple(1 if n is None else n for n in shape), dtype=xp.int8)
    try:
        result = sample[key]
    except IndexError as error:
        raise ValueError(f"{owner}: the index {key!r} does not fit the shape {shape}: {error}") from None
    out = list(result.shape)
    if shape and shape[0] is None and out:
        out[0] = None
    return tuple(out)


# -- indices, in Keras's JSON form ----------------------------------------------------------
def encode_key(key: Any) -> list:
    """``x[key]``'s index as Keras 3 saves it: a list of ints, ``None`` (a new axis),
    ``{"class_name": "__ellipsis__"}`` and ``{"class_name": "__slice__", "config": {start, stop,
    step}}``; anything else (arrays, tensors, booleans) is refused."""
    entries = key if isinstance(key, tuple) else (key,)
    encoded: list[Any] = []
    for entry in entries:
        if entry is None:
            encoded.append(None)
        elif entry is Ellipsis:
            encoded.append({"class_name": "__ellipsis__", "config": {}})
        elif isinstance(entry, slice):
            parts = {"start": entry.start, "stop": entry.stop, "step": entry.step}
            if not all(p is None or is_int(p) for p in parts.values()):
                raise TypeError(f"Slicing a symbolic tensor: slice bounds must be ints or None, received {entry!r}.")
            encoded.append({"class_name": "__slice__", "config": {k: None if p is None else int(p) for k, p in parts.items()}})
        elif is_int(entry):
            encoded.append(int(entry))
        else:
            raise TypeError(
                "Indexing a symbolic tensor takes ints, slices, None and ..., received "
                f"{type(entry).__name__}. For a gather by index arrays, use a layer "
                "(layers.Lambda(lambda t: numeras.ops.take(t, indices, axis))(x))."
            )
    return encoded


def decode_key(encoded: Any) -> tuple:
    """The index :func:`encode_key` encoded (a single entry, as Keras writes ``x[0]``, too)."""
    entries = encoded if isinstance(encoded, (list, tuple)) else [encoded]
    decoded: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict):
            kind = entry.get("class_name")
            if kind == "__ellipsis__":
                decoded.append(Ellipsis)
            elif kind == "__slice__":
                config = entry.get("config", {})
                decoded.append(slice(config.get("start"), config.get("stop"), config.get("step")))
            else:
                raise ValueError(f"An index entry of unknown kind {kind!r}: {entry!r}.")
        elif entry is None or entry is Ellipsis or isinstance(entry, slice) or is_int(entry):
            decoded.append(entry)  # (a config revived by the loader already holds slices)
        else:
            raise ValueError(f"An index entry must be an int, None, a slice or ..., received {entry!r}.")
    return tuple(decoded)


def is_int(value: Any) -> bool:
    """A Python or NumPy integer (not a bool)."""
    return isinstance(value, (int, xp.integer)) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A Python or NumPy integer or float (not a bool): what an operator takes besides tensors."""
    return isinstance(value, (int, float, xp.integer, xp.floating)) and not isinstance(value, bool)
