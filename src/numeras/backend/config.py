"""numeras's global settings, their one home (Keras keeps them in ``keras/src/backend/config.py``):
the default float type, epsilon, the image data format, the global dtype policy (the dtype a layer
built with ``dtype=None`` computes in), the unsafe-deserialization switch ``numeras.saving``
consults, and where progress output goes (stdout or logging). ``numeras.config`` is the public
face of this module; ``clear_session`` resets what Keras's ``clear_session`` resets.
"""

from __future__ import annotations

import gc
import logging
import sys
from typing import Any

from numeras.utils import naming

_FLOATX = "float32"
_EPSILON = 1e-7
_VALID_FLOATX = ("float16", "float32", "float64")
_IMAGE_DATA_FORMAT = "channels_last"


def floatx() -> str:
    """The default float type as a string, ``'float32'`` unless changed by :func:`set_floatx`."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type used for new weights and for Python numbers turned into tensors."""
    global _FLOATX
    value = str(value)
    if value not in _VALID_FLOATX:
        raise ValueError(
            f"set_floatx: `value` must be one of {_VALID_FLOATX}, received {value!r}."
        )
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor Keras uses to keep logs and divisions finite (1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Change the fuzz factor returned by :func:`epsilon`."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """The default layout of image tensors, ``'channels_last'`` unless changed by
    :func:`set_image_data_format`; layers given ``data_format=None`` use it."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    """Set the layout that convolution and pooling layers use when given ``data_format=None``."""
    global _IMAGE_DATA_FORMAT
    value = str(data_format).lower()
    if value not in ("channels_first", "channels_last"):
        raise ValueError(
            "set_image_data_format: `data_format` must be one of {'channels_first', 'channels_last'}, "
            f"received data_format={data_format!r}."
        )
    _IMAGE_DATA_FORMAT = value


def clear_session(free_memory: bool = True) -> None:
    """Forget the global state Keras's ``clear_session`` forgets: the automatic layer-name
    counters (the next ``Dense`` is named ``dense`` again), the global dtype policy, the
    unsafe-deserialization switch and interactive logging (back on). ``floatx``, ``epsilon``, the image data format and the random
    generator stay as they are, as in Keras (whose replacement global seed is drawn from Python's
    ``random`` stream, which ``set_random_seed`` seeded and which goes on where it was)."""
    naming.reset_names()
    _reset_session_settings()
    if free_memory:
        gc.collect()



_dtype_policy: DTypePolicy | None = None
_safe_mode_override: bool | None = None
_interactive_logging = True


def backend() -> str:
    """The name of the backend computing numeras's ops: always ``'numpy'``."""
    return "numpy"


class DTypePolicy:
    """A layer's dtype policy: the dtype its variables are stored in and the one it computes in.

    numeras stores and computes in the same float type, so only the plain policies exist
    (``'float32'``, ``'float64'``, ``'float16'``); Keras's mixed-precision and quantized policies
    are refused with an error saying what to use instead.
    """

    def __init__(self, name: str | None = None) -> None:
        if name is None:
            name = floatx()
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: `name` must be a string such as 'float32', received {name!r}.")
        if name not in _VALID_FLOATX:
            raise ValueError(_unsupported_policy_message(name))
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        return self._name

    @property
    def variable_dtype(self) -> str:
        return self._name

    def get_config(self) -> dict[str, Any]:
        return {"name": self._name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DTypePolicy:
        return cls(**config)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("DTypePolicy", self._name))

    def __repr__(self) -> str:
        return f'<DTypePolicy "{self._name}">'


def _unsupported_policy_message(name: str) -> str:
    supported = ", ".join(repr(n) for n in _VALID_FLOATX)
    if name.startswith("mixed_"):
        reason = (
            f"numeras has no mixed precision (it computes and stores weights in one float type), so "
            f"{name!r} is not available; use 'float32' (numeras's default) instead."
        )
    elif name.startswith(("int8", "int4", "float8", "gptq")):
        reason = f"numeras has no quantized layers, so {name!r} is not available."
    else:
        reason = f"{name!r} is not a float type numeras computes in."
    return f"Unsupported dtype policy {name!r}: {reason} Supported policies: {supported}."


def set_dtype_policy(policy: str | DTypePolicy) -> None:
    """Set the dtype that layers created with ``dtype=None`` compute in (``'float32'``,
    ``'float64'`` or ``'float16'``; Keras's ``'mixed_float16'`` and quantized policies are refused).
    Unlike :func:`set_floatx` it leaves the type of tensors built from Python numbers alone."""
    global _dtype_policy
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(
            "set_dtype_policy: `policy` must be the string name of a policy (such as 'float64') or a "
            f"DTypePolicy instance, received policy={policy!r} (of type {type(policy)})."
        )
    _dtype_policy = policy


def dtype_policy() -> DTypePolicy:
    """The global dtype policy: the one set by :func:`set_dtype_policy`, else ``floatx()``'s."""
    if _dtype_policy is None:
        return DTypePolicy(floatx())
    return _dtype_policy


def default_layer_dtype() -> str:
    """The dtype a layer given ``dtype=None`` uses (the global policy's, else floatx)."""
    return _dtype_policy.name if _dtype_policy is not None else floatx()


def enable_unsafe_deserialization() -> None:
    """Let every later ``load_model``/``deserialize`` load ``Lambda`` layers, as if each were called
    with ``safe_mode=False`` (the Lambda's function is still only looked up by name in
    ``custom_objects``: numeras never decodes stored bytecode)."""
    global _safe_mode_override
    _safe_mode_override = False


def in_safe_mode() -> bool | None:
    """``False`` after :func:`enable_unsafe_deserialization`; ``None`` when each load's own
    ``safe_mode`` argument decides."""
    return _safe_mode_override


def enable_interactive_logging() -> None:
    """Progress bars and epoch lines go to ``sys.stdout`` (the default)."""
    global _interactive_logging
    _interactive_logging = True


def disable_interactive_logging() -> None:
    """Progress bars and epoch lines go to the ``logging`` logger ``"numeras"`` at INFO level
    instead of ``sys.stdout`` (for jobs on servers; Keras sends them to absl logging)."""
    global _interactive_logging
    _interactive_logging = False


def is_interactive_logging_enabled() -> bool:
    """Whether progress output goes to ``sys.stdout`` (True) or to the ``"numeras"`` logger."""
    return _interactive_logging


def print_msg(message: str, line_break: bool = True) -> None:
    """Write progress output where :func:`is_interactive_logging_enabled` says."""
    if _interactive_logging:
        stream = sys.stdout  # looked up at each write: notebooks and test capture replace it
        stream.write(f"{message}\n" if line_break else message)
        stream.flush()
    else:
        logging.getLogger("numeras").info(message.strip("\r\n"))


def _reset_session_settings() -> None:
    global _dtype_policy, _safe_mode_override, _interactive_logging
    _dtype_policy = None
    _safe_mode_override = None
    _interactive_logging = True
