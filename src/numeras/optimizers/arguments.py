"""The constructor arguments every optimizer shares: Keras 2 spellings (``lr``, ``decay``),
misspelled names, and the values of the base arguments, each refused with a clear error.

Split from ``base_optimizer.py`` so that file holds the update machinery alone.
"""

from __future__ import annotations

import difflib
import inspect
import sys
import warnings
from typing import Any

from numeras.autodiff.tensor import Tensor
from numeras.optimizers.schedules.learning_rate_schedule import InverseTimeDecay

_BASE_ARGUMENTS = (
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
)
# Keras 2 spellings the book's first edition uses; accepted with a DeprecationWarning.
_LEGACY_ARGUMENTS = ("lr", "decay")


def pop_legacy_arguments(optimizer_class: type, learning_rate: Any, kwargs: dict[str, Any]) -> Any:
    """``learning_rate`` after taking Keras 2's ``lr`` and ``decay`` out of ``kwargs`` (with a
    DeprecationWarning; ``decay`` becomes an InverseTimeDecay schedule, its Keras 2 meaning)."""
    cls = optimizer_class.__name__
    if "lr" in kwargs:
        lr = kwargs.pop("lr")
        default = _default_argument(optimizer_class, "learning_rate")
        if default is not inspect.Parameter.empty and not _same_value(learning_rate, default):
            raise TypeError(
                f"{cls}() received both `lr={lr!r}` and `learning_rate={learning_rate!r}`. `lr` is "
                "the Keras 2 name of `learning_rate`: pass only `learning_rate`."
            )
        warnings.warn(
            f"{cls}: `lr` is the Keras 2 name of `learning_rate`, which Keras 3 no longer "
            f"accepts. Write {cls}(learning_rate={lr!r}).",
            DeprecationWarning,
            stacklevel=caller_stacklevel(),
        )
        learning_rate = lr
    if "decay" in kwargs:
        decay = kwargs.pop("decay")
        if decay is None or decay == 0:
            warnings.warn(
                f"{cls}: `decay` is a Keras 2 argument that Keras 3 no longer accepts; "
                f"decay={decay!r} does nothing here, remove it.",
                DeprecationWarning,
                stacklevel=caller_stacklevel(),
            )
        else:
            if not is_number(learning_rate):
                raise ValueError(
                    f"{cls}: the legacy `decay={decay!r}` argument needs a float learning rate, "
                    f"received learning_rate={learning_rate!r}. Put the decay in your schedule "
                    "instead and drop `decay`."
                )
            warnings.warn(
                f"{cls}: `decay` is a Keras 2 argument that Keras 3 no longer accepts. numeras "
                f"keeps its meaning, learning_rate / (1 + decay * iterations), by using "
                f"learning_rate=keras.optimizers.schedules.InverseTimeDecay({float(learning_rate)!r}, "
                f"decay_steps=1, decay_rate={float(decay)!r}); write that instead.",
                DeprecationWarning,
                stacklevel=caller_stacklevel(),
            )
            learning_rate = InverseTimeDecay(float(learning_rate), decay_steps=1, decay_rate=float(decay))
    return learning_rate

def unknown_arguments_error(optimizer_class: type, kwargs: dict[str, Any]) -> ValueError:
    """The error for keyword arguments ``optimizer_class`` does not take, with close matches (a
    ValueError, as Keras 3 raises for unrecognized optimizer arguments)."""
    cls = optimizer_class.__name__
    valid = set(_BASE_ARGUMENTS) | set(_LEGACY_ARGUMENTS)
    for parameter in inspect.signature(optimizer_class.__init__).parameters.values():
        if parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
            valid.add(parameter.name)
    valid.discard("self")
    hints = []
    for unknown in kwargs:
        close = difflib.get_close_matches(unknown, sorted(valid), n=1, cutoff=0.6)
        if close:
            hints.append(f"`{unknown}`: did you mean `{close[0]}`?")
    names = ", ".join(f"`{k}`" for k in kwargs)
    return ValueError(
        f"{cls}() got unexpected keyword argument(s) {names}. "
        + (" ".join(hints) + " " if hints else "")
        + f"Valid arguments are: {', '.join(sorted(valid))}."
    )

def validate_base_arguments(optimizer: Any) -> None:
    """Check the values of the arguments every optimizer takes (clipping, weight decay, loss
    scale, accumulation, EMA), naming the argument and what it must be."""
    self = optimizer
    cls = type(self).__name__
    clip_options = {"clipnorm": self.clipnorm, "clipvalue": self.clipvalue, "global_clipnorm": self.global_clipnorm}
    if sum(v is not None for v in clip_options.values()) > 1:
        given = ", ".join(f"{k}={v!r}" for k, v in clip_options.items() if v is not None)
        raise ValueError(
            f"{cls}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, "
            f"received {given}. Keep the one you want and drop the others."
        )
    for key, value in clip_options.items():
        if value is not None and not is_number(value):
            raise ValueError(f"{cls}: `{key}` must be a float or None, received {value!r}.")
    if self.weight_decay is not None and not is_number(self.weight_decay):
        raise ValueError(f"{cls}: `weight_decay` must be a float or None, received {self.weight_decay!r}.")
    if self.loss_scale_factor is not None and (not is_number(self.loss_scale_factor) or self.loss_scale_factor == 0):
        raise ValueError(
            f"{cls}: `loss_scale_factor` must be a non-zero float or None, received {self.loss_scale_factor!r}."
        )
    steps = self.gradient_accumulation_steps
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 2):
        raise ValueError(
            f"{cls}: `gradient_accumulation_steps` must be an integer >= 2 or None, received {steps!r}."
        )
    if self.use_ema:
        if not is_number(self.ema_momentum) or not 0 <= self.ema_momentum <= 1:
            raise ValueError(f"{cls}: `ema_momentum` must be in the range [0, 1], received {self.ema_momentum!r}.")
        frequency = self.ema_overwrite_frequency
        if frequency is not None and (isinstance(frequency, bool) or not isinstance(frequency, int) or frequency < 1):
            raise ValueError(
                f"{cls}: `ema_overwrite_frequency` must be an integer >= 1 or None, received {frequency!r}."
            )


def is_number(value: Any) -> bool:
    """True for a real number: a Python int or float (not a bool), or a 0-d numeric array or tensor."""
    if isinstance(value, bool):
        return False
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (int, float)):
        return True
    return getattr(value, "ndim", None) == 0 and getattr(getattr(value, "dtype", None), "kind", "") in "fiu"


def _same_value(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return a is b


def _default_argument(cls: type, name: str) -> Any:
    parameter = inspect.signature(cls.__init__).parameters.get(name)
    return inspect.Parameter.empty if parameter is None else parameter.default


def caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside numeras.optimizers,
    so the user's line is shown (and DeprecationWarnings raised from ``__main__`` are seen)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("numeras.optimizers"):
        frame = frame.f_back
        level += 1
    return level
