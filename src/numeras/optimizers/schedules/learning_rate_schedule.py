"""Learning-rate schedules: the learning rate as a function of the optimizer's step count.

An optimizer given a schedule as its ``learning_rate`` calls it with ``optimizer.iterations``
(the number of updates already applied, 0 for the first one) before every update.

Every built-in schedule accepts a scalar step (an int, a 0-d array, a Tensor or the
``iterations`` Variable) or an array of steps, so ``schedule(np.arange(1000))`` gives a whole
curve to plot. Values are computed in float64 and returned as a ``floatx()`` Tensor, as Keras
returns a tensor of the initial learning rate's dtype.
"""

from __future__ import annotations

import math
from typing import Any

from numeras import backend
from numeras.autodiff.tensor import Tensor
from numeras.backend import xp
from numeras.saving import object_registration

_MODULE = "keras.optimizers.schedules"


class LearningRateSchedule:
    """The base class of learning-rate schedules.

    Subclasses implement ``__call__(self, step)`` returning the learning rate at ``step`` and,
    to be serializable, ``get_config()`` returning their constructor arguments::

        class InverseSqrt(LearningRateSchedule):
            def __init__(self, initial_learning_rate):
                self.initial_learning_rate = initial_learning_rate

            def __call__(self, step):
                return self.initial_learning_rate / (step + 1) ** 0.5

            def get_config(self):
                return {"initial_learning_rate": self.initial_learning_rate}
    """

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """The schedule whose ``get_config()`` was ``config``."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def _steps_as_float64(step: Any):
    """``step`` (int, array, Tensor or the iterations Variable) as a float64 array."""
    if isinstance(step, Tensor):
        step = step.data
    return xp.asarray(step, dtype="float64")


def _as_output(values) -> Tensor:
    return Tensor(xp.asarray(values, dtype=backend.floatx()))


def _check_positive_steps(argument: str, value: Any, schedule: str) -> None:
    if value <= 0:
        raise ValueError(
            f"{schedule}: argument `{argument}` must be > 0 (it divides the step count). "
            f"Received: {argument}={value}"
        )


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``, so the rate drops in
    steps every ``decay_steps`` updates.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive_steps("decay_steps", decay_steps, "ExponentialDecay")

    def __call__(self, step: Any) -> Tensor:
        p = _steps_as_float64(step) / float(self.decay_steps)
        if self.staircase:
            p = xp.floor(p)
        return _as_output(float(self.initial_learning_rate) * xp.power(float(self.decay_rate), p))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after ``boundaries[-1]``."""

    def __init__(self, boundaries: list, values: list, name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: `values` must have exactly one more element than "
                f"`boundaries` (one value per interval). Received boundaries={boundaries} of "
                f"length {len(boundaries)} and values={values} of length {len(values)}."
            )
        if any(later <= earlier for earlier, later in zip(boundaries[:-1], boundaries[1:])):
            raise ValueError(
                f"PiecewiseConstantDecay: `boundaries` must be strictly increasing, received {boundaries}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        # side="left" puts a step equal to a boundary in the interval that ends there.
        interval = xp.searchsorted(xp.asarray(self.boundaries, dtype="float64"), _steps_as_float64(step), side="left")
        values = xp.asarray(self.values)
        if values.dtype.kind == "f":
            values = values.astype(backend.floatx())
        return Tensor(values[interval])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.

    With ``cycle=True`` the horizon restarts: ``decay_steps`` is replaced by the first multiple
    of it that is >= ``step`` (``decay_steps`` itself at step 0).
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_positive_steps("decay_steps", decay_steps, "PolynomialDecay")

    def __call__(self, step: Any) -> Tensor:
        step = _steps_as_float64(step)
        decay_steps = float(self.decay_steps)
        if self.cycle:
            multiplier = xp.where(step == 0, 1.0, xp.ceil(step / decay_steps))
            horizon = decay_steps * multiplier
        else:
            horizon = decay_steps
            step = xp.minimum(step, decay_steps)
        fraction_left = 1.0 - step / horizon
        span = float(self.initial_learning_rate) - float(self.end_learning_rate)
        return _as_output(span * xp.power(fraction_left, float(self.power)) + float(self.end_learning_rate))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True`` the ratio is ``floor(step / decay_steps)``. The first edition of the
    book's ``decay=d`` argument is ``InverseTimeDecay(lr, decay_steps=1, decay_rate=d)``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive_steps("decay_steps", decay_steps, "InverseTimeDecay")

    def __call__(self, step: Any) -> Tensor:
        p = _steps_as_float64(step) / float(self.decay_steps)
        if self.staircase:
            p = xp.floor(p)
        return _as_output(float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup.

    Without ``warmup_target``: ``initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``
    with ``s = min(step, decay_steps)``. With ``warmup_target``: for ``step < warmup_steps`` the
    rate rises linearly from ``initial_learning_rate`` to ``warmup_target``; afterwards the same
    cosine runs from ``warmup_target`` over ``step - warmup_steps``.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_positive_steps("decay_steps", decay_steps, "CosineDecay")

    def _decayed(self, step, decay_from: float):
        cosine = 0.5 * (1.0 + xp.cos(math.pi * step / float(self.decay_steps)))
        return decay_from * ((1.0 - float(self.alpha)) * cosine + float(self.alpha))

    def __call__(self, step: Any) -> Tensor:
        step = _steps_as_float64(step)
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            return _as_output(self._decayed(xp.minimum(step, float(self.decay_steps)), initial))
        target = float(self.warmup_target)
        warmup_steps = float(self.warmup_steps)
        step = xp.minimum(step, float(self.decay_steps) + warmup_steps)
        in_warmup = step < warmup_steps
        # Only warming-up steps divide by warmup_steps, so warmup_steps=0 never divides by 0.
        warm = (target - initial) * (step / max(warmup_steps, 1.0)) + initial
        decayed = self._decayed(step - warmup_steps, target)
        return _as_output(xp.where(in_warmup, warm, decayed))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the first period lasts ``first_decay_steps``,
    each next one ``t_mul`` times longer and restarting from ``m_mul`` times the previous peak;
    each decays from its peak to ``alpha`` times ``initial_learning_rate``'s multiple."""

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_positive_steps("first_decay_steps", first_decay_steps, "CosineDecayRestarts")

    def __call__(self, step: Any) -> Tensor:
        completed = _steps_as_float64(step) / float(self.first_decay_steps)
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restart = xp.floor(completed)
            completed = completed - restart
        else:
            # Period i spans t_mul**i first periods; invert the geometric sum to find i.
            restart = xp.floor(xp.log(1.0 - completed * (1.0 - t_mul)) / math.log(t_mul))
            elapsed_periods = (1.0 - xp.power(t_mul, restart)) / (1.0 - t_mul)
            completed = (completed - elapsed_periods) / xp.power(t_mul, restart)
        peak = xp.power(float(self._m_mul), restart)
        cosine = 0.5 * peak * (1.0 + xp.cos(math.pi * completed))
        decayed = (1.0 - float(self.alpha)) * cosine + float(self.alpha)
        return _as_output(float(self.initial_learning_rate) * decayed)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_OBJECTS = {
    cls.__name__: cls
    for cls in (
        LearningRateSchedule,
        ExponentialDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        InverseTimeDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}
object_registration.register_builtins("schedules", ALL_OBJECTS)


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """The Keras 3 config dict of a schedule: ``{"module", "class_name", "config", "registered_name"}``."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "schedules.serialize: expected a LearningRateSchedule, received "
            f"{type(learning_rate_schedule).__name__}: {learning_rate_schedule!r}."
        )
    module = _MODULE if type(learning_rate_schedule).__name__ in ALL_OBJECTS else type(learning_rate_schedule).__module__
    return object_registration.serialize_object(learning_rate_schedule, module)


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> LearningRateSchedule:
    """The schedule described by ``config`` (the output of :func:`serialize`, or a Keras 2
    ``{"class_name", "config"}`` dict). Classes of your own go in ``custom_objects``."""
    return object_registration.deserialize_object(config, ALL_OBJECTS, "learning rate schedule", custom_objects)
