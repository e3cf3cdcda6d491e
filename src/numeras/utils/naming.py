"""Keras's automatic object names: ``dense``, ``dense_1``, ... unique within a session."""

from __future__ import annotations

import re
from collections import defaultdict

_counts: defaultdict[str, int] = defaultdict(int)


def to_snake_case(name: str) -> str:
    """``Conv2DTranspose`` -> ``conv2d_transpose``, as Keras names layers after their class."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(base: str) -> str:
    """``base`` the first time, then ``base_1``, ``base_2``, ..."""
    count = _counts[base]
    _counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def auto_name(class_name: str) -> str:
    return uniquify(to_snake_case(class_name))


def reset_names() -> None:
    """Forget every name given so far (what ``clear_session`` does)."""
    _counts.clear()
