"""``Optimizer``: the machinery every optimizer shares (Keras 3's ``BaseOptimizer``).

A subclass creates its per-variable state in ``build`` and writes one update rule in
``update_step``; the base class turns the gradients it is given into arrays of the variables'
dtypes, unscales, clips, applies decoupled weight decay, calls ``update_step`` once per
variable, keeps the moving average of the weights (``use_ema``), and counts ``iterations``.

Speed: ``apply`` is the inner loop of training. Built-in update rules work in place on
``variable.data`` and on preallocated scratch arrays with ``out=`` ufuncs, so a step allocates
no gradient-sized array. Hyper-parameters reach the ufuncs as Python floats, which NumPy (and
CuPy) treat as "weak" scalars: a float32 variable is updated in float32 arithmetic and stays
float32. The gradient arrays handed to ``apply`` are never written to: they may alias buffers
of the autodiff graph or of the caller.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

from numeras import backend
from numeras.autodiff.tensor import Tensor
from numeras.autodiff.variable import Variable
from numeras.backend import xp
from numeras.optimizers.arguments import (  # noqa: F401 - _LEGACY_ARGUMENTS: read by saving
    _LEGACY_ARGUMENTS,
    caller_stacklevel,
    is_number,
    pop_legacy_arguments,
    unknown_arguments_error,
    validate_base_arguments,
)
from numeras.optimizers.schedules.learning_rate_schedule import (
    LearningRateSchedule,
)
from numeras.optimizers.schedules.learning_rate_schedule import (
    deserialize as deserialize_schedule,
)
from numeras.optimizers.schedules.learning_rate_schedule import (
    serialize as serialize_schedule,
)
from numeras.utils.naming import auto_name

# Keys that tf.keras 2.11+ wrote into optimizer configs and that mean nothing here.
_IGNORED_CONFIG_KEYS = ("is_legacy_optimizer", "jit_compile")


class Optimizer:
    """Base class of all optimizers.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` (called with ``iterations`` before
            every update) or a callable without arguments returning the rate.
        weight_decay: if set, decoupled weight decay before each update:
            ``var -= var * weight_decay * learning_rate``.
        clipnorm: if set, each gradient ``g`` with ``norm(g) > clipnorm`` becomes
            ``g * clipnorm / norm(g)``.
        clipvalue: if set, each gradient is clipped element-wise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are scaled by ``clipnorm / global_norm`` when
            their joint norm exceeds it. At most one of the three clipping options may be set.
        use_ema: keep an exponential moving average of the weights,
            ``average = ema_momentum * average + (1 - ema_momentum) * var`` (the first update
            copies the weights); every ``ema_overwrite_frequency`` updates, or at
            ``finalize_variable_values``, the weights are replaced by their average.
        loss_scale_factor: gradients are divided by this factor before use.
        gradient_accumulation_steps: update only every this many calls, with the mean of the
            gradients received since the previous update.
        name: the optimizer's name, the prefix of its variables' paths.

    The legacy Keras 2 arguments ``lr`` (for ``learning_rate``) and ``decay`` (the learning
    rate becomes ``lr / (1 + decay * iterations)``) are accepted with a DeprecationWarning.

    Subclasses override ``build`` (call ``super().build(var_list)`` first, then create state
    with ``add_optimizer_variables``), ``update_step`` and ``get_config``. ``update_step``
    receives the gradient as an array of the variable's shape and dtype: read it, never write
    to it. The scratch arrays ``self._scratch[index]`` (``_num_scratch`` of them, shaped like
    the variable) are free for ``update_step`` to overwrite.
    """

    # How many gradient-sized scratch arrays update_step needs; they are shared by all
    # variables of a dtype because update steps run one after the other.
    _num_scratch = 1

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        learning_rate = pop_legacy_arguments(type(self), learning_rate, kwargs)
        if kwargs:
            raise unknown_arguments_error(type(self), kwargs)

        self.name = auto_name(type(self).__name__) if name is None else str(name)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        validate_base_arguments(self)

        self.built = False
        self._variables: list[Variable] = []
        self._trainable_variables: list[Variable] = []
        self._var_index: dict[int, int] = {}
        self._scratch: list[tuple] = []
        self._grad_buffers: list = []
        self._constrained: list[int] = []
        self._exclude_from_weight_decay_ids: set[int] = set()
        self._exclude_from_weight_decay_pattern: re.Pattern | None = None
        self._decay_mask: list[bool] | None = None

        self._iterations = self.add_variable((), initializer="zeros", dtype="int64", name="iteration")
        self._learning_rate = self._make_learning_rate(learning_rate)

    def _make_learning_rate(self, learning_rate: Any) -> Any:
        if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Tensor)
        ):
            return learning_rate
        if not is_number(learning_rate):
            raise ValueError(
                f"{type(self).__name__}: `learning_rate` must be a float, a "
                "keras.optimizers.schedules.LearningRateSchedule or a callable without arguments "
                f"returning the rate; received {learning_rate!r} of type {type(learning_rate).__name__}."
            )
        _check_rate_not_negative(learning_rate, type(self).__name__)
        return self.add_variable((), initializer=float(learning_rate), dtype=backend.floatx(), name="learning_rate")

    # -- variables --------------------------------------------------------------------
    @property
    def iterations(self) -> Tensor:
        """The number of updates applied so far (an int64 Variable starting at 0). With
        ``gradient_accumulation_steps`` it counts accumulated updates, as in Keras."""
        if self.gradient_accumulation_steps:
            return Tensor(self._iterations.data // self.gradient_accumulation_steps)
        return self._iterations

    def _current_step(self) -> int:
        """``iterations`` as a Python int: 0 during the first update."""
        step = int(self._iterations.data)
        if self.gradient_accumulation_steps:
            step //= self.gradient_accumulation_steps
        return step

    @property
    def variables(self) -> list[Variable]:
        """The optimizer's state, in creation order: ``iteration``, ``learning_rate`` (when it
        is a float), then the per-variable slots in the order ``build`` created them, as Keras
        orders them when saving."""
        return self._variables[:]

    def add_variable(
        self,
        shape: Iterable[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Variable:
        """A non-trainable Variable tracked in ``variables``; ``initializer`` is ``'zeros'``,
        ``'ones'``, a number, an initializer name or a callable ``(shape, dtype) -> array``."""
        shape = tuple(int(n) for n in shape)
        dtype = backend.standardize_dtype(dtype)
        name = name or "variable"
        variable = Variable(_initial_value(initializer, shape, dtype), dtype=dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable: Any, name: str | None = None, initializer: Any = "zeros") -> Variable:
        """A variable shaped and typed like ``reference_variable``, named
        ``<reference path with '/' as '_'>_<name>`` as in Keras."""
        base = getattr(reference_variable, "path", None) or getattr(reference_variable, "name", None) or "variable"
        name = f"{str(base).replace('/', '_').replace(':', '_')}_{name or 'var'}"
        return self.add_variable(
            shape=reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=name,
        )

    def add_optimizer_variables(
        self, trainable_variables: Sequence[Any], name: str | Sequence[str], initializer: Any = "zeros"
    ) -> list[Variable] | tuple[list[Variable], ...]:
        """One slot per trainable variable (a list), or, when ``name`` is a list of names, one
        list per name with the slots of each variable created together (Keras's order)."""
        names = [name] if isinstance(name, str) else list(name)
        if isinstance(initializer, (list, tuple)):
            initializers = list(initializer)
            if len(initializers) != len(names):
                raise ValueError(
                    f"add_optimizer_variables: {len(names)} names but {len(initializers)} initializers; "
                    "give one initializer per name, or a single one for all."
                )
        else:
            initializers = [initializer] * len(names)
        slots: tuple[list[Variable], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for slot_list, slot_name, slot_init in zip(slots, names, initializers):
                slot_list.append(self.add_variable_from_reference(variable, slot_name, slot_init))
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list: Sequence[Any]) -> None:
        """Prepare for updating ``var_list``: index it, allocate scratch arrays and, in
        subclasses, create the per-variable slots. Called by the first ``apply``."""
        var_list = list(var_list)
        self._trainable_variables = var_list[:]
        self._var_index = {id(v): i for i, v in enumerate(var_list)}
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(var_list, "gradient_accumulator")
        self._scratch = _shared_scratch(var_list, max(1, self._num_scratch))
        self._grad_buffers = [None] * len(var_list)
        self._constrained = [i for i, v in enumerate(var_list) if getattr(v, "constraint", None) is not None]
        self._decay_mask = None
        self.built = True

    def _get_variable_index(self, variable: Any) -> int:
        return self._var_index[id(variable)]

    # -- learning rate ----------------------------------------------------------------
    @property
    def learning_rate(self) -> Any:
        """The current learning rate: the ``learning_rate`` Variable when it was given as a
        float, else the schedule's (or callable's) value at the current ``iterations``."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        previous = self._learning_rate
        if isinstance(learning_rate, LearningRateSchedule) or (
            callable(learning_rate) and not isinstance(learning_rate, Tensor)
        ):
            self._learning_rate = learning_rate
            if isinstance(previous, Variable):
                self._variables = [v for v in self._variables if v is not previous]
            return
        if not isinstance(previous, Variable):
            raise TypeError(
                f"{type(self).__name__}: this optimizer was created with a LearningRateSchedule "
                "(or a callable) as its `learning_rate`, so the rate is not settable. Create the "
                "optimizer with a float `learning_rate` to be able to change it."
            )
        if not is_number(learning_rate):
            raise ValueError(
                f"{type(self).__name__}.learning_rate must be set to a float, a LearningRateSchedule "
                f"or a callable, received {learning_rate!r}."
            )
        _check_rate_not_negative(learning_rate, type(self).__name__)
        previous.assign(float(learning_rate))

    @property
    def lr(self) -> Any:
        """Keras 2's name of ``learning_rate`` (deprecated)."""
        warnings.warn(
            "`optimizer.lr` is the Keras 2 name of `optimizer.learning_rate`; use `learning_rate`.",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.learning_rate

    @lr.setter
    def lr(self, value: Any) -> None:
        warnings.warn(
            "`optimizer.lr` is the Keras 2 name of `optimizer.learning_rate`; use `learning_rate`.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.learning_rate = value

    def _learning_rate_value(self) -> float:
        """The rate for the update about to be applied, as a Python float (a weak scalar)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.data)
        value = lr(self._iterations) if isinstance(lr, LearningRateSchedule) else lr()
        return float(value.data) if isinstance(value, Tensor) else float(value)

    # -- applying gradients -----------------------------------------------------------
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> Variable:
        """Apply ``(gradient, variable)`` pairs, e.g. ``zip(grads, model.trainable_weights)``.
        Returns ``iterations``, as tf.keras does."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(grads, variables)
        return self._iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Update ``trainable_variables`` (by default those the optimizer was built with) with
        ``grads`` (Tensors, arrays or None; a None gradient leaves its variable alone).

        The first call builds the optimizer for ``trainable_variables``; later calls may pass
        any subset of them. The gradient arrays are only read.
        """
        if not isinstance(grads, (list, tuple)):
            grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{type(self).__name__}.apply: `trainable_variables` is required on the first call "
                    "(the optimizer is not built yet). Pass them, or call "
                    "`optimizer.build(trainable_variables)` first."
                )
            variables = self._trainable_variables
        else:
            variables = trainable_variables if isinstance(trainable_variables, (list, tuple)) else list(trainable_variables)
            if not self.built:
                self.build(list(variables))
        if len(grads) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply: received {len(grads)} gradients for {len(variables)} "
                "variables; pass exactly one gradient (or None) per variable."
            )

        grads, variables = self._gradient_arrays(grads, variables)
        if self.loss_scale_factor is not None:
            scale = float(self.loss_scale_factor)
            grads = [xp.divide(g, scale, out=self._gradient_buffer(v)) for g, v in zip(grads, variables)]

        lr = self._learning_rate_value()
        steps = self.gradient_accumulation_steps
        if steps:
            is_update_step = (int(self._iterations.data) + 1) % steps == 0
            if is_update_step:
                grads = self._average_accumulated(grads, variables, steps)
                self._update(grads, variables, lr)
            else:
                for g, v in zip(grads, variables):
                    accumulator = self._accumulated_gradients[self._var_index[id(v)]].data
                    xp.add(accumulator, g, out=accumulator)
        else:
            self._update(grads, variables, lr)

        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            frequency = self.ema_overwrite_frequency
            if frequency and (self._current_step() + 1) % frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)
        self._iterations.data += 1

    def _update(self, grads: list, variables: list, lr: float) -> None:
        grads = self._clip_gradients(grads, variables)
        self._apply_weight_decay(variables, lr)
        self._backend_update_step(grads, variables, lr)
        if self._constrained:
            constrained = set(self._constrained)
            for v in variables:
                if self._var_index[id(v)] in constrained:
                    v.assign(v.constraint(v))

    def _gradient_arrays(self, grads: Sequence[Any], variables: Sequence[Any]) -> tuple[list, list]:
        """The gradients as arrays of their variables' dtypes, None ones dropped (with Keras's
        warning), every variable checked to be one the optimizer was built for."""
        index_of = self._var_index
        ndarray = xp.ndarray
        arrays = []
        kept = []
        missing = []
        for g, v in zip(grads, variables):
            if id(v) not in index_of:
                raise self._unknown_variable_error(v)
            if g is None:
                missing.append(getattr(v, "path", None) or getattr(v, "name", "?"))
                continue
            if type(g) is not ndarray:
                g = g.data if isinstance(g, Tensor) else xp.asarray(g)
            data = v.data
            if g.shape != data.shape:
                raise ValueError(
                    f"{type(self).__name__}: the gradient for variable "
                    f"'{getattr(v, 'path', getattr(v, 'name', '?'))}' has shape {g.shape}, but the "
                    f"variable has shape {data.shape}. Pass gradients in the same order as the variables."
                )
            if g.dtype != data.dtype:
                # Keras casts gradients to the variable's dtype; cast into a buffer we own.
                buffer = self._gradient_buffer(v)
                xp.copyto(buffer, g, casting="unsafe")
                g = buffer
            arrays.append(g)
            kept.append(v)
        if not arrays:
            raise ValueError(
                "No gradients provided for any variable: every gradient is None. The loss does not "
                "depend on the variables; check that it is computed from the model's outputs "
                "inside the GradientTape."
            )
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=caller_stacklevel(),
            )
        return arrays, kept

    def _gradient_buffer(self, variable: Any):
        """An array the optimizer owns, shaped like ``variable``, for a transformed gradient."""
        index = self._var_index[id(variable)]
        buffer = self._grad_buffers[index]
        if buffer is None:
            buffer = self._grad_buffers[index] = xp.empty_like(variable.data)
        return buffer

    def _unknown_variable_error(self, variable: Any) -> ValueError:
        label = getattr(variable, "path", None) or getattr(variable, "name", None) or repr(variable)
        return ValueError(
            f"Unknown variable '{label}': {type(self).__name__} '{self.name}' was built for "
            f"{len(self._trainable_variables)} other variables and can only update those. To train "
            "a new set of variables, create a new optimizer instance."
        )

    def _average_accumulated(self, grads: list, variables: list, steps: int) -> list:
        averaged = []
        for g, v in zip(grads, variables):
            accumulator = self._accumulated_gradients[self._var_index[id(v)]].data
            buffer = self._gradient_buffer(v)
            xp.add(g, accumulator, out=buffer)
            xp.divide(buffer, float(steps), out=buffer)
            averaged.append(buffer)
        # Keras resets every accumulator, including those of variables without a gradient now.
        for accumulator in self._accumulated_gradients:
            accumulator.data[...] = 0
        return averaged

    def _clip_gradients(self, grads: list, variables: list) -> list:
        """Keras's clipping: ``clipnorm`` per gradient, else ``global_clipnorm``, else ``clipvalue``."""
        if self.clipnorm and self.clipnorm > 0:
            clip = float(self.clipnorm)
            clipped = []
            for g, v in zip(grads, variables):
                norm = math.sqrt(float(xp.vdot(g, g)))
                # g * clipnorm / max(norm, clipnorm): only gradients longer than clipnorm change.
                clipped.append(xp.multiply(g, clip / norm, out=self._gradient_buffer(v)) if norm > clip else g)
            return clipped
        if self.global_clipnorm and self.global_clipnorm > 0:
            clip = float(self.global_clipnorm)
            norm = math.sqrt(sum(float(xp.vdot(g, g)) for g in grads))
            if math.isfinite(norm) and norm <= clip:
                return grads
            # A non-finite norm makes every gradient NaN, as in Keras, so the failure shows.
            scale = clip / norm if math.isfinite(norm) else math.nan
            return [xp.multiply(g, scale, out=self._gradient_buffer(v)) for g, v in zip(grads, variables)]
        if self.clipvalue and self.clipvalue > 0:
            bound = float(self.clipvalue)
            return [xp.clip(g, -bound, bound, out=self._gradient_buffer(v)) for g, v in zip(grads, variables)]
        return grads

    # -- weight decay -----------------------------------------------------------------
    def exclude_from_weight_decay(self, var_list: Iterable[Any] | None = None, var_names: Iterable[str] | None = None) -> None:
        """Exempt variables from weight decay: those in ``var_list``, and those whose name
        contains any string of ``var_names`` (e.g. ``var_names=['bias']``)."""
        self._exclude_from_weight_decay_ids = {id(v) for v in var_list} if var_list else set()
        names = list(var_names) if var_names else []
        self._exclude_from_weight_decay_pattern = re.compile("|".join(sorted(set(names)))) if names else None
        self._decay_mask = None

    def _use_weight_decay(self, variable: Any) -> bool:
        if id(variable) in self._exclude_from_weight_decay_ids:
            return False
        pattern = self._exclude_from_weight_decay_pattern
        return pattern is None or pattern.search(str(getattr(variable, "name", ""))) is None

    def _apply_weight_decay(self, variables: list, lr: float) -> None:
        """Decoupled weight decay (AdamW's): ``var -= var * weight_decay * learning_rate``."""
        if self.weight_decay is None:
            return
        if self._decay_mask is None:
            self._decay_mask = [self._use_weight_decay(v) for v in self._trainable_variables]
        factor = float(self.weight_decay) * lr
        mask = self._decay_mask
        for v in variables:
            index = self._var_index[id(v)]
            if mask[index]:
                data = v.data
                decrement = self._scratch[index][0]
                xp.multiply(data, factor, out=decrement)
                xp.subtract(data, decrement, out=data)

    # -- the update rule --------------------------------------------------------------
    def _backend_update_step(self, grads: list, variables: list, learning_rate: float) -> None:
        """Run ``update_step`` for each variable (one place for subclasses to add per-apply work)."""
        update_step = self.update_step
        for g, v in zip(grads, variables):
            update_step(g, v, learning_rate)

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        """Update ``variable`` in place from ``gradient`` (an array of its shape and dtype, to be
        read only) and the current ``learning_rate`` (a float)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_step(gradient, variable, learning_rate)`.")

    def assign(self, variable: Variable, value: Any) -> None:
        variable.assign(value)

    def assign_add(self, variable: Variable, value: Any) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable: Variable, value: Any) -> None:
        variable.assign_sub(value)

    # -- moving average of the weights ------------------------------------------------
    def _update_model_variables_moving_average(self, trainable_variables: list) -> None:
        momentum = float(self.ema_momentum) if self._current_step() != 0 else 0.0
        for index, (var, average) in enumerate(zip(trainable_variables, self._model_variables_moving_average)):
            if momentum == 0.0:
                xp.copyto(average.data, var.data)
                continue
            share = self._scratch[index][0]
            xp.multiply(average.data, momentum, out=average.data)
            xp.multiply(var.data, 1.0 - momentum, out=share)
            xp.add(average.data, share, out=average.data)

    def _overwrite_model_variables_with_average_value(self, trainable_variables: list) -> None:
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"{type(self).__name__}: {len(trainable_variables)} variables given but the optimizer "
                f"keeps moving averages for {len(self._model_variables_moving_average)}; pass the "
                "variables the optimizer was built with."
            )
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            var.assign(average.data)

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """With ``use_ema``, replace the weights by their moving average (``fit`` does this
        after the last epoch)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` when a factor is set, else ``loss``."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # -- state ------------------------------------------------------------------------
    def set_weights(self, weights: Sequence[Any]) -> None:
        """Overwrite ``variables`` with ``weights`` (arrays in the same order)."""
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}.set_weights: the optimizer is not built yet. Call "
                "`optimizer.build(trainable_variables)` first to create its variables."
            )
        weights = list(weights)
        if len(weights) != len(self._variables):
            raise ValueError(
                f"{type(self).__name__}.set_weights: expected {len(self._variables)} arrays (one per "
                f"optimizer variable), received {len(weights)}."
            )
        for variable, weight in zip(self._variables, weights):
            weight = weight.data if isinstance(weight, Tensor) else xp.asarray(weight)
            if weight.shape != variable.shape:
                raise ValueError(
                    f"{type(self).__name__}.set_weights: variable '{variable.path}' has shape "
                    f"{variable.shape}, received an array of shape {weight.shape}."
                )
            variable.assign(weight)

    def save_own_variables(self, store: Any) -> None:
        """Write ``variables`` into ``store`` under the keys ``'0'``, ``'1'``, ... (Keras's layout)."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: Any) -> None:
        """Read ``variables`` back from a ``store`` written by ``save_own_variables``."""
        if len(store.keys()) != len(self._variables):
            message = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._variables)} variables whereas the saved optimizer has {len(store.keys())} variables. "
            )
            if not self.built:
                message += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # -- configuration ----------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, so that ``type(self).from_config(config)`` rebuilds an
        equivalent (unbuilt, fresh) optimizer."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            learning_rate: Any = serialize_schedule(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.data)
        else:
            learning_rate = lr
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Optimizer:
        """The optimizer described by ``config`` (the output of ``get_config``)."""
        config = dict(config)
        for key in _IGNORED_CONFIG_KEYS:
            config.pop(key, None)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        lr = self._learning_rate
        rate = f"{float(lr.data):.6g}" if isinstance(lr, Variable) else repr(lr)
        return f"<{type(self).__name__} name={self.name}, learning_rate={rate}, iterations={int(self._iterations.data)}>"


BaseOptimizer = Optimizer


# -- helpers ----------------------------------------------------------------------------
def _initial_value(initializer: Any, shape: tuple, dtype: str):
    if isinstance(initializer, str):
        if initializer == "zeros":
            return xp.zeros(shape, dtype=dtype)
        if initializer == "ones":
            return xp.ones(shape, dtype=dtype)
        from numeras import initializers

        initializer = initializers.get(initializer)
    if is_number(initializer):
        return xp.full(shape, float(initializer) if xp.dtype(dtype).kind == "f" else int(initializer), dtype=dtype)
    if callable(initializer):
        value = initializer(shape, dtype=dtype)
        return value.data if isinstance(value, Tensor) else xp.asarray(value, dtype=dtype)
    raise ValueError(
        f"Optimizer variable initializer must be 'zeros', 'ones', a number, an initializer name or a "
        f"callable (shape, dtype) -> array; received {initializer!r}."
    )


def _shared_scratch(var_list: Sequence[Any], count: int) -> list[tuple]:
    """For each variable, ``count`` scratch arrays of its shape and dtype, carved out of ``count``
    flat buffers per dtype sized for the largest variable, so the scratch costs a few
    variables' worth of memory instead of one copy per variable."""
    largest: dict[Any, int] = {}
    for v in var_list:
        dtype = v.data.dtype
        largest[dtype] = max(largest.get(dtype, 0), v.data.size)
    flat = {dtype: [xp.empty(size, dtype=dtype) for _ in range(count)] for dtype, size in largest.items()}
    return [tuple(buffer[: v.data.size].reshape(v.data.shape) for buffer in flat[v.data.dtype]) for v in var_list]


def _check_rate_not_negative(learning_rate: Any, owner: str) -> None:
    """A negative (or NaN) rate would climb the loss instead of descending it."""
    if not float(learning_rate) >= 0:
        raise ValueError(
            f"{owner}: `learning_rate` must be >= 0, received {learning_rate!r}: a negative rate makes "
            "every step increase the loss. Pass a positive rate such as 1e-3."
        )
