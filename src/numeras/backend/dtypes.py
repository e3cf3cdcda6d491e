"""Type promotion: the dtype an op returns for inputs of given dtypes, by Keras 3's rules.

Keras 3 promotes along a lattice (the one JAX uses): ``bool`` below everything; Python ints
(*weak* ints) below every sized int; unsigned ints below the signed int twice their width; every
int below Python floats (*weak* floats), which sit below every sized float. Two dtypes give their
least upper bound: ``int32 + float16 -> float16``, ``uint8 + int8 -> int16``,
``int64 + float32 -> float32``. A Python scalar never widens a sized dtype of its own kind
(``float16 * 2.5`` stays float16, ``int8 + 1`` stays int8); a weak result (``bool + 1``,
``int32 + 1.5``, ``1 + 2.0``) becomes the int or float of ``floatx()``'s width.

One difference from Keras on JAX and NumPy, on purpose: those map every 64-bit result to 32 bits
(JAX runs without 64-bit types by default), so ``float64 + float64`` would give float32 there. numeras
keeps 64-bit results (as Keras's TensorFlow backend and JAX with x64 do), because it computes in
float64 when floatx or the inputs ask for it.
"""

from __future__ import annotations

import numpy

from numeras.backend.config import floatx

xp = numpy

_INTS = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
_WEAK_INT, _WEAK_FLOAT = "weak_int", "weak_float"

# Each node's immediate successors on the lattice.
_ABOVE = {
    "bool": (_WEAK_INT,),
    _WEAK_INT: ("uint8", "int8"),
    "uint8": ("uint16", "int16"),
    "uint16": ("uint32", "int32"),
    "uint32": ("uint64", "int64"),
    "uint64": (_WEAK_FLOAT,),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": (_WEAK_FLOAT,),
    _WEAK_FLOAT: ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64",),
    "float64": (),
}


def is_float_dtype(dtype) -> bool:
    return xp.dtype(dtype).kind == "f"


_DTYPE_NAMES: dict = {}


def standardize_dtype(dtype) -> str:
    """The dtype name (``'float32'``...) of ``dtype``: a string, NumPy type or dtype, an object
    with a ``name`` (a dtype policy), a policy's config dict, or None, meaning floatx.

    The one dtype-name function of numeras. Remembered per argument: NumPy computes
    ``dtype.name`` in Python (~1.5 us), and a training step asks many times."""
    if dtype is None:
        return floatx()
    try:
        return _DTYPE_NAMES[dtype]
    except KeyError:
        name = _DTYPE_NAMES[dtype] = _dtype_name(dtype)
        return name
    except TypeError:  # unhashable: a policy's config dict, a list
        return _dtype_name(dtype)


def _dtype_name(dtype) -> str:
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
        if dtype is None:
            return floatx()
    if dtype == "string" or dtype is str:  # Input(dtype="string"): raw text for TextVectorization
        return "string"
    if isinstance(dtype, numpy.dtype) and dtype.kind in "USO":  # NumPy text (or object) arrays
        return "string"
    if hasattr(dtype, "name") and not isinstance(dtype, (str, type)):
        dtype = dtype.name
    return xp.dtype(dtype).name



def _upper_sets() -> dict:
    """Every node with the set of nodes at or above it."""
    result = {}
    for node in _ABOVE:
        seen, frontier = {node}, [node]
        while frontier:
            for higher in _ABOVE[frontier.pop()]:
                if higher not in seen:
                    seen.add(higher)
                    frontier.append(higher)
        result[node] = frozenset(seen)
    return result


_UPPER = _upper_sets()
_PYTHON_TYPES = {bool: "bool", int: _WEAK_INT, float: _WEAK_FLOAT}
_cache: dict = {}


def _least_upper_bound(nodes: frozenset) -> str:
    common = frozenset.intersection(*(_UPPER[n] for n in nodes))
    # The least common upper bound is the one whose own upper set is all of them.
    (least,) = [c for c in common if _UPPER[c] == common]
    return least


def _node(dtype) -> str:
    if dtype in _PYTHON_TYPES and isinstance(dtype, type):
        return _PYTHON_TYPES[dtype]
    name = standardize_dtype(dtype)
    if name not in _UPPER:
        raise ValueError(
            f"result_type: dtype {name!r} takes no part in type promotion; expected one of "
            f"{sorted(n for n in _UPPER if 'weak' not in n)} or the Python types bool, int, float."
        )
    return name


def result_type(*dtypes) -> str:
    """The dtype name Keras's promotion gives for ``dtypes``: dtype names, NumPy dtypes, or the
    Python types ``bool``/``int``/``float`` standing for Python scalars (weakly typed). None means
    floatx; no argument at all gives floatx, as ``keras.backend.result_type()``."""
    key = (dtypes, floatx())
    try:
        return _cache[key]
    except (KeyError, TypeError):
        pass
    if not dtypes:
        return floatx()
    nodes = frozenset(_node(floatx() if d is None else d) for d in dtypes)
    least = nodes.__iter__().__next__() if len(nodes) == 1 else _least_upper_bound(nodes)
    if least in (_WEAK_INT, _WEAK_FLOAT):
        width = floatx()[-2:]
        least = f"int{width}" if least == _WEAK_INT else f"float{width}"
    try:
        _cache[key] = least
    except TypeError:  # an unhashable dtype argument: not remembered
        pass
    return least


def float_result_type(dtype) -> str:
    """The dtype of a float-valued op (exp, sin, mean...) of an input of ``dtype``: floats keep
    theirs, bools and ints give floatx (``result_type(dtype, float)``)."""
    return result_type(dtype, float)


def sum_result_type(dtype) -> str:
    """The dtype of ``sum``/``prod``/``trace`` of ``dtype``: bool and ints narrower than 32 bits
    widen to int32 (uint32 if unsigned), as jnp.sum does; other dtypes are kept."""
    name = standardize_dtype(dtype)
    if name in ("bool", "int8", "int16"):
        return "int32"
    if name in ("uint8", "uint16"):
        return "uint32"
    return name
