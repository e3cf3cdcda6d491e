"""Nested structures of tensors (lists, tuples, dicts), flattened and rebuilt as Keras's ``tree``
module does: dicts are visited in **sorted key order**, lists and tuples in order, ``None`` is a
leaf. The symbolic graph and the functional API, layers, the gradient tape, the trainer's data
handling and the compiled losses all use these (no other flattener), so the n-th input of a model
is the n-th leaf of whatever structure the user passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple or dict (a container rather than a leaf)."""
    return isinstance(structure, (list, tuple, Mapping))


def _sorted_keys(mapping: Mapping) -> list:
    try:
        return sorted(mapping)
    except TypeError:  # keys of mixed types: keep insertion order rather than fail
        return list(mapping)


def flatten(structure: Any) -> list:
    """The leaves of ``structure`` in Keras order (dict values by sorted key)."""
    if isinstance(structure, Mapping):
        return [leaf for key in _sorted_keys(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def pack_sequence_as(structure: Any, flat: list) -> Any:
    """``flat`` (leaves in ``flatten`` order) rebuilt with the shape of ``structure``."""
    flat = list(flat)
    expected = len(flatten(structure))
    if len(flat) != expected:
        raise ValueError(
            f"Cannot pack {len(flat)} values into a structure with {expected} leaves: "
            f"{map_structure(lambda _: '*', structure)}."
        )
    iterator = iter(flat)
    return _pack(structure, iterator)


def _pack(structure: Any, iterator: Any) -> Any:
    if isinstance(structure, Mapping):
        packed = {key: _pack(structure[key], iterator) for key in _sorted_keys(structure)}
        return {key: packed[key] for key in structure}  # the caller's key order
    if isinstance(structure, (list, tuple)):
        items = [_pack(item, iterator) for item in structure]
        return type(structure)(items) if not hasattr(structure, "_fields") else type(structure)(*items)
    return next(iterator)


def map_structure(fn: Callable[[Any], Any], structure: Any) -> Any:
    """``structure`` with every leaf replaced by ``fn(leaf)``."""
    return pack_sequence_as(structure, [fn(leaf) for leaf in flatten(structure)])


def map_shape_structure(fn: Callable[[tuple], Any], shapes: Any) -> Any:
    """Like ``map_structure`` for structures of shapes, where a tuple of ints/None is a leaf."""
    if is_shape(shapes):
        return fn(tuple(shapes))
    if isinstance(shapes, Mapping):
        return {key: map_shape_structure(fn, value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(map_shape_structure(fn, s) for s in shapes)
    raise ValueError(f"Expected a shape (a tuple of ints or None) or a structure of shapes, received {shapes!r}.")


def flatten_shapes(shapes: Any) -> list[tuple]:
    """The shapes (tuples of ints/None) in a structure of shapes, in ``flatten`` order."""
    if is_shape(shapes):
        return [tuple(shapes)]
    if isinstance(shapes, Mapping):
        return [s for key in _sorted_keys(shapes) for s in flatten_shapes(shapes[key])]
    if isinstance(shapes, (list, tuple)):
        return [s for item in shapes for s in flatten_shapes(item)]
    raise ValueError(f"Expected a shape or a structure of shapes, received {shapes!r}.")


def is_shape(value: Any) -> bool:
    """A shape is a tuple (or list) of ints and ``None``: ``(None, 32)``; ``()`` is a scalar's."""
    return isinstance(value, (tuple, list)) and all(
        n is None or (isinstance(n, int) and not isinstance(n, bool)) for n in value
    ) and not (isinstance(value, list) and not value)


def same_structure(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` have the same nesting (list and tuple count as the same)."""
    if isinstance(a, Mapping) or isinstance(b, Mapping):
        return (
            isinstance(a, Mapping)
            and isinstance(b, Mapping)
            and set(a) == set(b)
            and all(same_structure(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same_structure(x, y) for x, y in zip(a, b))
        )
    return True


def unpack_singleton(value: Any) -> Any:
    """A list or tuple of one element as that element; anything else unchanged."""
    if isinstance(value, (list, tuple)) and len(value) == 1:
        return value[0]
    return value
