"""``Layer``: Keras's building block — weights created on first call, then ``call`` each time.

Lifecycle, as Keras 3: ``__init__(**kwargs)`` stores configuration; the first ``__call__`` runs
``build(input_shape)``, which creates weights with ``add_weight``; every call runs
``call(inputs, training=None)``.

Masks, as Keras 3: a boolean tensor that marks which time steps count travels with the tensor it
describes, as its ``_keras_mask`` attribute (eager ``Tensor``s and ``SymbolicTensor``s alike).
``__call__`` passes the input's mask to ``call`` when ``call`` has a ``mask`` argument (the way to
write a layer that reads masks: ``def call(self, inputs, mask=None)``), and sets the outputs' mask
to ``compute_mask(inputs, mask)`` when the layer ``supports_masking`` (by default: the input's mask
passed through). A layer that does not support masking drops the mask, with Keras's warning.

Length: over the house's ~700 lines because ``Layer.__call__`` is one protocol (build on first
call, symbolic dispatch, the training flag, autocast, masks in and out, activity regularization,
``stateless_call``) and the helpers below the class serve only that protocol.
"""

from __future__ import annotations

import functools
import inspect
import math
import sys
import threading
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from numeras import backend, constraints
from numeras.autodiff import Tensor, Variable, no_grad
from numeras.autodiff.ops import cast as _cast
from numeras.backend import config as settings
from numeras.backend import xp
from numeras.symbolic import Operation, any_symbolic, symbolic_call
from numeras.symbolic.operation import record_output_masks
from numeras.symbolic.tensor import SymbolicTensor
from numeras.utils.tree import flatten, map_shape_structure, map_structure, pack_sequence_as

_ALLOWED_KWARGS = {"input_shape", "input_dim", "batch_input_shape", "batch_size", "weights"}


class _ThreadCallContext(threading.local):
    """The ``training`` flag of the outermost call, inherited by nested layer calls. One per
    thread: a data pipeline's worker threads calling augmentation layers with ``training=True``
    must not change what the training thread's layers see."""

    training: bool | None = None
    depth = 0


_CallContext = _ThreadCallContext()


class Layer(Operation):
    """Base class of every layer and model.

    Subclasses override ``build(input_shape)`` to create weights with ``add_weight`` and
    ``call(inputs, training=None)`` to compute outputs from numeras ops. A layer that reads
    masks declares ``call(inputs, mask=None, training=None)``: ``mask`` is the boolean mask of
    ``inputs`` (shape: their leading axes, e.g. (batch, steps)) or None; one that passes masks on
    sets ``self.supports_masking = True`` or overrides ``compute_mask(inputs, mask=None)``. Layers and Variables
    assigned as attributes are tracked, so their weights appear in ``weights``. A layer is an
    ``Operation`` of ``numeras.symbolic``: called on symbolic tensors, it records a node.
    """

    # Python operators on symbolic tensors (x + y) drop masks without a warning: in Keras they
    # are ops, not layers, and ops never carry masks.
    _drops_masks_silently = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # As Keras 3: whoever calls build() directly still ends up with a built layer.
        super().__init_subclass__(**kwargs)
        if "build" in cls.__dict__:
            cls.build = _marks_built(cls.__dict__["build"])

    def __init__(
        self,
        *,
        activity_regularizer: Any = None,
        trainable: bool = True,
        dtype: Any = None,
        autocast: bool = True,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError(
                f"{type(self).__name__}: unrecognized keyword argument(s) {sorted(unknown)}. "
                f"Layers accept name, dtype, trainable, activity_regularizer and the legacy "
                f"{sorted(_ALLOWED_KWARGS)}."
            )
        object.__setattr__(self, "_tracked_layers", [])
        object.__setattr__(self, "_tracked_variables", [])
        object.__setattr__(self, "_tracked_metrics", [])
        Operation.__init__(self, name)
        self._trainable = bool(trainable)
        # dtype=None follows the global dtype policy (numeras.config.set_dtype_policy), as Keras.
        self._dtype = backend.standardize_dtype(dtype) if dtype is not None else settings.default_layer_dtype()
        self.autocast = autocast
        self.built = False
        self._losses: list[Tensor] = []
        self._regularized: list[tuple[Variable, Callable]] = []
        self._build_input_shape: tuple | None = None
        self._output_shape: Any = None
        self.activity_regularizer = _get_regularizer(activity_regularizer)
        self._initial_weights = kwargs.get("weights")
        self._batch_input_shape = _legacy_input_shape(kwargs)

    # -- attribute tracking -------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Layer):
            self._track_layer(value)
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value):
            for v in value:
                self._track_layer(v)
        elif isinstance(value, Variable) and not name.startswith("_"):
            if all(value is not v for v in self._tracked_variables):
                self._tracked_variables.append(value)
        else:
            # A Metric can only exist once numeras.metrics is imported: no import needed here.
            metric_module = sys.modules.get("numeras.metrics.metric")
            if metric_module is not None and isinstance(value, metric_module.Metric):
                if all(value is not m for m in self._tracked_metrics):
                    self._tracked_metrics.append(value)
        object.__setattr__(self, name, value)

    def _track_layer(self, layer: Layer) -> None:
        if all(layer is not existing for existing in self._tracked_layers):
            self._tracked_layers.append(layer)

    # -- properties ---------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        """The dtype of this layer's weights (and of its computations)."""
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for layer in self._tracked_layers:
            layer.trainable = value

    @property
    def trainable_weights(self) -> list[Variable]:
        """Weights updated by training: empty when the layer is frozen (``trainable = False``)."""
        if not self._trainable:
            return []
        own = [v for v in self._tracked_variables if v.trainable]
        return _unique(own + [w for layer in self._tracked_layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self._trainable:
            return self.weights
        own = [v for v in self._tracked_variables if not v.trainable]
        return _unique(own + [w for layer in self._tracked_layers for w in layer.non_trainable_weights])

    @property
    def weights(self) -> list[Variable]:
        """All weights: this layer's own (in creation order), then its sublayers'."""
        return _unique(list(self._tracked_variables) + [w for layer in self._tracked_layers for w in layer.weights])

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def losses(self) -> list[Tensor]:
        """Scalar losses of the last outermost call, as Keras 3 collects them: the ``add_loss``
        values (activity regularization included) of this layer and every sublayer, then one
        penalty ``regularizer(w)`` per *trainable* weight that has a regularizer (a frozen
        layer's penalties drop out, as its weights no longer move)."""
        collected = []
        regularizers = {}
        for layer in self._flatten_layers():
            collected.extend(layer._losses)
            for variable, regularizer in layer._regularized:
                regularizers[id(variable)] = regularizer
        if regularizers:
            for variable in self.trainable_weights:
                regularizer = regularizers.get(id(variable))
                if regularizer is not None:
                    collected.append(regularizer(variable))
        return collected

    def _flatten_layers(self, include_self: bool = True) -> list[Layer]:
        """This layer (optionally) and every layer tracked below it, each once, depth first."""
        found: list[Layer] = [self] if include_self else []
        seen = {id(self)}
        stack = list(reversed(self._tracked_layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            found.append(layer)
            stack.extend(reversed(layer._tracked_layers))
        return found

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses.clear()

    @property
    def metrics(self) -> list:
        """Metric objects assigned as attributes of this layer and its sublayers."""
        found = []
        for layer in self._flatten_layers():
            found.extend(layer._tracked_metrics)
        return found

    @property
    def layers(self) -> list[Layer]:
        return list(self._tracked_layers)

    @property
    def input_shape(self) -> tuple | None:
        return self._build_input_shape

    @property
    def output_shape(self) -> Any:
        if self._output_shape is None:
            raise AttributeError(
                f"Layer '{self.name}' has no defined output shape yet: call it on an input or "
                "build it first."
            )
        return self._output_shape

    # -- masking ------------------------------------------------------------------------
    @property
    def supports_masking(self) -> bool:
        """Whether the layer sets its outputs' mask from ``compute_mask`` (Keras 3: True by
        default for a layer that overrides ``compute_mask``; layers that pass masks on, such as
        Dense or Dropout, set it to True in ``__init__``)."""
        value = self.__dict__.get("_supports_masking")
        return _overrides_compute_mask(type(self)) if value is None else value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        object.__setattr__(self, "_supports_masking", bool(value))

    def _mask_shape_fits(self, mask_shape: tuple, input_shape: tuple) -> bool:
        """Whether an explicit mask of ``mask_shape`` fits an input of ``input_shape``: its shape
        is the input's leading axes (a channels_first layer's steps come after its features:
        (batch, features, steps)). A layer with another rule overrides this."""
        if _mask_fits(mask_shape, input_shape):
            return True
        return getattr(self, "data_format", None) == "channels_first" and _mask_fits(
            mask_shape, input_shape[:1] + input_shape[2:]
        )

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The mask of the outputs for ``inputs`` whose mask is ``mask``: by default ``mask``
        itself when the layer ``supports_masking``, else None (Keras 3)."""
        return mask if self.supports_masking else None

    # -- weights ------------------------------------------------------------------------
    def add_weight(
        self,
        shape: Iterable[int] | None = None,
        initializer: Any = None,
        dtype: Any = None,
        trainable: bool = True,
        autocast: bool = True,
        regularizer: Any = None,
        constraint: Any = None,
        aggregation: str = "none",
        overwrite_with_gradient: bool = False,
        name: str | None = None,
    ) -> Variable:
        """Create a weight Variable of ``shape``, initialised by ``initializer`` (Keras defaults:
        ``glorot_uniform`` for floats, ``zeros`` otherwise), tracked by this layer."""
        from numeras import initializers

        shape = tuple(int(n) for n in (shape or ()))
        dtype = backend.standardize_dtype(dtype) if dtype is not None else self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if xp.dtype(dtype).kind == "f" else "zeros"
        init = initializers.get(initializer)
        value = xp.asarray(init(shape, dtype=dtype), dtype=dtype)
        variable = Variable(value, dtype=dtype, trainable=trainable, name=name or f"variable_{len(self._tracked_variables)}")
        variable.path = f"{self.name}/{variable.name}"
        if constraint is not None:
            constraint = constraints.get(constraint)
        variable.constraint = constraint
        self._tracked_variables.append(variable)
        reg = _get_regularizer(regularizer)
        if reg is not None:
            self._regularized.append((variable, reg))
        return variable

    def add_loss(self, loss: Any) -> None:
        """Add a scalar to the training loss (collected in ``losses`` until the next call)."""
        self._losses.append(loss if isinstance(loss, Tensor) else Tensor(loss))

    def get_weights(self) -> list:
        """Copies of the weights' values, in ``weights`` order."""
        return [w.data.copy() for w in self.weights]

    def set_weights(self, weights: list) -> None:
        """Overwrite every weight with an array of the same shape (in ``weights`` order)."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"set_weights: layer '{self.name}' has {len(own)} weights, but `weights` holds "
                f"{len(weights)} arrays. Pass one array per weight, in the order of layer.weights."
            )
        for variable, value in zip(own, weights):
            value = xp.asarray(value)
            if value.shape != variable.shape:
                raise ValueError(
                    f"set_weights: weight '{variable.path}' has shape {variable.shape}, received an "
                    f"array of shape {value.shape}."
                )
        for variable, value in zip(own, weights):
            variable.assign(value)

    def count_params(self) -> int:
        """Number of scalars in all weights."""
        if not self.built:
            raise ValueError(
                f"count_params: layer '{self.name}' isn't built yet, so its weights do not exist. "
                "Call it on data or build it (model.build(input_shape)) first."
            )
        return int(sum(math.prod(w.shape) for w in self.weights))

    # -- lifecycle ----------------------------------------------------------------------
    def build(self, input_shape: Any = None) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (override in subclasses)."""
        self.built = True

    def call(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape``; by default found by running ``call`` on zeros."""
        return _dry_run_shape(self, input_shape)

    def symbolic_output_shapes(self, input_shape: Any, args: tuple, kwargs: dict) -> Any:
        """As Keras's ``compute_output_spec``: a layer that keeps the default
        ``compute_output_shape`` is run on zeros for every symbolic argument of the call (a
        decoder's ``call(inputs, encoder_outputs)`` needs both); one that overrides it answers
        from the first input's shape."""
        if type(self).compute_output_shape is Layer.compute_output_shape and any_symbolic([args, kwargs]):
            return _dry_run_shape(self, input_shape, args, kwargs)
        return self.compute_output_shape(input_shape)

    def _ensure_built(self, input_shape: Any) -> None:
        if self.built:
            return
        self.build(input_shape)
        if self._build_input_shape is None:
            # A Model subclass without build() still records what it was built for (saving needs it).
            self._build_input_shape = input_shape
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def __call__(
        self, inputs: Any, *args: Any, training: bool | None = None, mask: Any = None, **kwargs: Any
    ) -> Any:
        if any_symbolic(inputs) or (mask is not None and any_symbolic(mask)):
            return self._symbolic_call(inputs, args, training, mask, kwargs)
        inputs = self._convert_inputs(inputs)
        if mask is not None:
            mask = _checked_mask(self, inputs, mask)
            previous_mask = mask
        else:
            previous_mask = _mask_of(inputs)
        if not self.built:
            self._ensure_built(map_structure(_batch_shape, inputs))
        if training is None:
            training = _CallContext.training
        if _CallContext.depth == 0:
            # As Keras: the outermost call clears every sublayer's losses, inner calls add to
            # them, so a layer called twice in one forward pass contributes twice.
            self._clear_losses()
        previous = _CallContext.training
        _CallContext.training = training
        _CallContext.depth += 1
        try:
            call_arguments = _call_arguments(type(self))
            if call_arguments.training:
                kwargs["training"] = training
            if call_arguments.mask:
                # As Keras 3: the first input's mask fills `mask` only when it is the call's one
                # tensor argument (a decoder's call(inputs, encoder_outputs) gets mask=None).
                if mask is not None or _single_tensor_argument(args, kwargs):
                    kwargs["mask"] = previous_mask
            elif mask is not None:
                if not call_arguments.var_keyword:
                    raise _mask_not_accepted(self)
                kwargs["mask"] = mask
            if call_arguments.named_masks:
                _fill_named_masks(call_arguments, inputs, args, kwargs)
            outputs = self.call(inputs, *args, **kwargs)
        finally:
            _CallContext.depth -= 1
            _CallContext.training = previous
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(_activity_loss(self.activity_regularizer, out))
        if previous_mask is not None or _overrides_compute_mask(type(self)):
            self._set_output_masks(inputs, outputs, previous_mask)
        return outputs

    def stateless_call(
        self,
        trainable_variables: Any,
        non_trainable_variables: Any,
        *args: Any,
        return_losses: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call the layer with the given variable values instead of its own, Keras 3's pure-function
        form of a call: ``trainable_variables`` and ``non_trainable_variables`` hold one value per
        variable of ``self.trainable_variables`` / ``self.non_trainable_variables``, in that order.

        Returns ``(outputs, non_trainable_variables)``, the second the non-trainable values after the
        call (e.g. a BatchNormalization's moving statistics updated by ``training=True``); with
        ``return_losses=True``, ``(outputs, non_trainable_variables, losses)``. The layer's own
        variables, and the arrays passed in, are left as they were: the call works on copies.
        """
        if not self.built:
            raise ValueError(
                f"stateless_call: layer '{self.name}' must be built (its variables created) before "
                "stateless_call. Build it first, e.g. by calling it once on a batch of data."
            )
        trainable, non_trainable = self.trainable_variables, self.non_trainable_variables
        values = []
        for argument, own, given in (
            ("trainable_variables", trainable, trainable_variables),
            ("non_trainable_variables", non_trainable, non_trainable_variables),
        ):
            given = list(given)
            if len(given) != len(own):
                raise ValueError(
                    f"stateless_call: layer '{self.name}' has {len(own)} {argument.replace('_', ' ')}, but "
                    f"`{argument}` holds {len(given)} values. Pass one value per variable of "
                    f"layer.{argument}, in that order."
                )
            for variable, value in zip(own, given):
                array = xp.array(value.data if isinstance(value, Tensor) else value, dtype=variable.data.dtype)
                if array.shape != variable.data.shape:
                    raise ValueError(
                        f"stateless_call: `{argument}` gives variable '{variable.path}' a value of shape "
                        f"{array.shape}; the variable has shape {variable.data.shape}."
                    )
                values.append((variable, array))
        originals = [(variable, variable.data) for variable, _ in values]
        layers = self._flatten_layers()
        saved_losses = [(layer, list(layer._losses)) for layer in layers]
        try:
            for variable, array in values:  # copies: assign() inside the call writes into them
                variable.data = array
            outputs = self(*args, **kwargs)
            losses = list(self.losses) if return_losses else None
            new_non_trainable = [Tensor(variable.data) for variable in non_trainable]
        finally:
            for variable, data in originals:
                variable.data = data
            for layer, kept in saved_losses:
                layer._losses[:] = kept
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    def _set_output_masks(self, inputs: Any, outputs: Any, previous_mask: Any) -> None:
        """Attach ``compute_mask(inputs, previous_mask)`` to the outputs that have no mask yet
        (Keras's ``_set_mask_metadata``); warn when a mask meets a layer that drops it."""
        if not self.supports_masking:
            if previous_mask is not None:
                _warn_mask_dropped(self)
            return
        flat_outputs = flatten(outputs)
        if all(getattr(out, "_keras_mask", None) is not None for out in flat_outputs):
            return  # call() set them itself
        output_masks = self.compute_mask(inputs, previous_mask)
        if output_masks is None:
            return
        for out, out_mask in zip(flat_outputs, flatten(output_masks)):
            if out_mask is not None and isinstance(out, Tensor) and out._keras_mask is None:
                out._keras_mask = out_mask if isinstance(out_mask, Tensor) else Tensor(xp.asarray(out_mask))

    def _symbolic_call(self, inputs: Any, args: tuple, training: Any, mask: Any, kwargs: dict) -> Any:
        """A call on symbolic tensors: record the node, then give the outputs the symbolic mask
        that ``compute_mask`` would give them (found by running it on a sample of zeros)."""
        if mask is not None:
            _checked_mask(self, inputs, mask)
            call_arguments = _call_arguments(type(self))
            if not (call_arguments.mask or call_arguments.var_keyword):
                raise _mask_not_accepted(self)
            kwargs["mask"] = mask
            previous_mask = mask
        else:
            previous_mask = _mask_of(inputs)
        outputs = symbolic_call(self, inputs, *args, training=training, **kwargs)
        if previous_mask is None and not _overrides_compute_mask(type(self)):
            return outputs
        if not self.supports_masking:
            if previous_mask is not None:
                _warn_mask_dropped(self)
            return outputs
        record_output_masks(outputs, _sample_output_masks(self, inputs, previous_mask), OutputMask)
        return outputs

    def _convert_inputs(self, inputs: Any) -> Any:
        if isinstance(inputs, Tensor):
            dtype = inputs.data.dtype
            if self.autocast and dtype.kind == "f" and backend.standardize_dtype(dtype) != self._dtype:
                mask = inputs._keras_mask
                inputs = _cast(inputs, self._dtype)
                if mask is not None:  # as Keras: the cast keeps the mask
                    inputs._keras_mask = mask
            return inputs
        if isinstance(inputs, xp.ndarray):
            if self.autocast and inputs.dtype.kind == "f" and backend.standardize_dtype(inputs.dtype) != self._dtype:
                inputs = inputs.astype(self._dtype)
            return Tensor(inputs)
        if isinstance(inputs, (list, tuple)):
            return type(inputs)(self._convert_inputs(v) for v in inputs)
        if isinstance(inputs, dict):
            return {k: self._convert_inputs(v) for k, v in inputs.items()}
        if isinstance(inputs, (int, float)):
            return Tensor(inputs, dtype=self._dtype)
        return inputs

    # -- configuration ------------------------------------------------------------------
    def get_config(self) -> dict:
        """The arguments that recreate this layer (without its weights)."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = self._batch_input_shape
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        if "batch_input_shape" in config:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    def get_build_config(self) -> dict | None:
        """``{"input_shape": [...]}``: the input shape this layer was built for (Keras 3's
        ``get_build_config``), or None. Only layers whose ``build`` creates state from the
        shape (a class defining ``build``) and models (which record the shape they were first
        called with) have one; stateless layers such as ``Dropout`` have none, as in Keras."""
        if not self.built or self._build_input_shape is None:
            return None
        # Models (the layers that compile) record their first input shape whether or not they
        # define build(); other layers only when their own build() consumed it.
        if not (_defines_build(type(self)) or callable(getattr(type(self), "compile", None))):
            return None
        return {"input_shape": _shape_to_json(self._build_input_shape)}

    def build_from_config(self, config: dict | None) -> None:
        """Create this layer's weights from a ``get_build_config()`` dict (Keras 3's
        ``build_from_config``). Sublayers that are built only when called (nested models,
        wrappers) are built by calling the layer once on a zero batch of that shape."""
        if not config or config.get("input_shape") is None:
            return
        shape = _shape_from_json(config["input_shape"])
        if not self.built:
            self._ensure_built(shape)
        if not all(layer.built for layer in _layers_below(self)):
            with no_grad():
                self(_zeros_of_shape(shape, backend.floatx()), training=False)
        if self._build_input_shape is None:
            self._build_input_shape = shape

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class OutputMask(Layer):
    """The mask of a layer's output as a step of a graph: called on the output's value, it
    returns the ``_keras_mask`` the layer attached to it. A symbolic tensor's ``_keras_mask`` is
    the output of one, so it can be passed on like any tensor (``layer(x, mask=y._keras_mask)``)."""

    def __init__(self, mask_shape: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._mask_shape = None if mask_shape is None else tuple(mask_shape)
        self.supports_masking = True  # the mask is the output: it has none of its own

    def call(self, inputs: Any) -> Any:
        return inputs._keras_mask if isinstance(inputs, Tensor) else None

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return None

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self._mask_shape if self._mask_shape is not None else tuple(input_shape)[:-1]

    def get_config(self) -> dict:
        return {**super().get_config(), "mask_shape": self._mask_shape}


# -- helpers ------------------------------------------------------------------------------
def _marks_built(build: Callable) -> Callable:
    @functools.wraps(build)
    def wrapped(self: Layer, *args: Any, **kwargs: Any) -> None:
        build(self, *args, **kwargs)
        self.built = True
        if self._build_input_shape is None:
            shape = args[0] if args else next(iter(kwargs.values()), None)
            self._build_input_shape = shape

    return wrapped


def _defines_build(cls: type) -> bool:
    """Whether ``cls`` or a class between it and ``Layer`` defines ``build``."""
    for klass in cls.__mro__:
        if klass is Layer:
            return False
        if "build" in klass.__dict__:
            return True
    return False


def _shape_to_json(shape: Any) -> Any:
    if isinstance(shape, (list, tuple)):
        return [_shape_to_json(n) for n in shape]
    if isinstance(shape, dict):
        return {k: _shape_to_json(v) for k, v in shape.items()}
    return None if shape is None else int(shape)


def _shape_from_json(shape: Any) -> Any:
    """A shape read from JSON (lists) as tuples."""
    if isinstance(shape, (list, tuple)):
        return tuple(_shape_from_json(n) for n in shape)
    return shape


def _layers_below(layer: Layer) -> list[Layer]:
    """Every layer tracked below ``layer``, each once."""
    found: list[Layer] = []
    seen = {id(layer)}
    queue = list(layer._tracked_layers)
    while queue:
        current = queue.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        queue.extend(getattr(current, "_tracked_layers", []))
    return found


def _zeros_of_shape(shape: Any, dtype: str) -> Any:
    """A zero batch (unknown dimensions as 1) of a shape or a nested list of shapes."""
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return xp.zeros(tuple(1 if d is None else d for d in shape), dtype=dtype)
    if isinstance(shape, (list, tuple)):
        return [_zeros_of_shape(item, dtype) for item in shape]
    raise ValueError(f"build_from_config: cannot make a sample input of shape {shape!r}.")


def _legacy_input_shape(kwargs: dict) -> tuple | None:
    """The batch input shape given through ``input_shape``, ``input_dim`` or ``batch_input_shape``."""
    if kwargs.get("batch_input_shape") is not None:
        return tuple(kwargs["batch_input_shape"])
    batch_size = kwargs.get("batch_size")
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (batch_size, *shape)
    if kwargs.get("input_dim") is not None:
        return (batch_size, int(kwargs["input_dim"]))
    return None


def _activity_loss(regularizer: Any, output: Tensor) -> Any:
    from numeras.regularizers import activity_regularization_loss

    return activity_regularization_loss(regularizer, output)


def _get_regularizer(identifier: Any) -> Any:
    if identifier is None:
        return None
    from numeras import regularizers

    return regularizers.get(identifier)


def _unique(items: list) -> list:
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


class _CallArguments:
    """What ``call``'s signature says about the arguments ``__call__`` fills in."""

    __slots__ = ("training", "mask", "var_keyword", "named_masks", "positional")

    def __init__(self, call: Callable) -> None:
        parameters = inspect.signature(call).parameters
        self.var_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
        # `training` also reaches a **kwargs; the input's mask only a call that names `mask`.
        self.training = "training" in parameters or self.var_keyword
        self.mask = "mask" in parameters
        # The tensor arguments after `self`, in order; `<name>_mask` parameters (Keras's
        # query_mask, value_mask, ...) receive the mask of the tensor argument `<name>`.
        self.positional = [
            name
            for name, p in parameters.items()
            if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        ][1:]
        self.named_masks = {
            name[: -len("_mask")]: name
            for name in parameters
            if name.endswith("_mask") and name[: -len("_mask")] in parameters
        }


_CALL_ARGUMENTS: dict[type, _CallArguments] = {}


def _call_arguments(cls: type) -> _CallArguments:
    cached = _CALL_ARGUMENTS.get(cls)
    if cached is None:
        cached = _CALL_ARGUMENTS[cls] = _CallArguments(cls.call)
    return cached


def _single_tensor_argument(args: tuple, kwargs: dict) -> bool:
    """True when no argument besides the inputs is a tensor or a structure of tensors (Keras 3's
    rule for filling ``mask``; ``training`` and ``mask`` themselves do not count)."""
    others = [*args, *(value for key, value in kwargs.items() if key not in ("training", "mask"))]
    for value in others:
        leaves = flatten(value)
        if leaves and all(leaf is None or isinstance(leaf, Tensor) for leaf in leaves) and any(
            isinstance(leaf, Tensor) for leaf in leaves
        ):
            return False
    return True


def _fill_named_masks(call_arguments: _CallArguments, inputs: Any, args: tuple, kwargs: dict) -> None:
    """Set each ``<name>_mask`` argument that was not given to the mask of the tensor passed as
    ``<name>`` (Keras 3: ``attention(query, value)`` gets ``query_mask`` and ``value_mask``)."""
    given = dict(zip(call_arguments.positional, (inputs, *args)))
    for name, mask_name in call_arguments.named_masks.items():
        if kwargs.get(mask_name) is not None:
            continue
        value = kwargs[name] if name in kwargs else given.get(name)
        mask = _mask_of(value)
        if mask is not None:
            kwargs[mask_name] = mask


def _accepts_training(cls: type) -> bool:
    return _call_arguments(cls).training


_OVERRIDES_COMPUTE_MASK: dict[type, bool] = {}


def _overrides_compute_mask(cls: type) -> bool:
    """Whether ``cls`` defines its own ``compute_mask`` (Keras's default for supports_masking)."""
    cached = _OVERRIDES_COMPUTE_MASK.get(cls)
    if cached is None:
        cached = _OVERRIDES_COMPUTE_MASK[cls] = cls.compute_mask is not Layer.compute_mask
    return cached


# -- masks --------------------------------------------------------------------------------
def _mask_of(inputs: Any) -> Any:
    """The ``_keras_mask`` of ``inputs``: one mask for a tensor, a list (or dict) of masks for a
    structure of tensors when any has one, else None."""
    if isinstance(inputs, (Tensor, SymbolicTensor)):
        return inputs._keras_mask
    if isinstance(inputs, (list, tuple)):
        masks = [_mask_of(value) for value in inputs]
        return masks if any(m is not None for m in masks) else None
    if isinstance(inputs, dict):
        by_key = {key: _mask_of(value) for key, value in inputs.items()}
        return by_key if any(m is not None for m in by_key.values()) else None
    return None


def _checked_mask(layer: Layer, inputs: Any, mask: Any) -> Any:
    """``mask`` given explicitly (``layer(x, mask=m)``), as boolean tensors, after checking that
    each mask's shape is the leading axes of its input's shape."""
    if isinstance(inputs, (list, tuple)) and isinstance(mask, (list, tuple)):
        # Fewer masks than inputs pair with the leading inputs: Keras's Attention takes
        # [query_mask, value_mask] for [query, value, key].
        if len(mask) > len(inputs):
            raise ValueError(
                f"Layer '{layer.name}' ({type(layer).__name__}) was called on {len(inputs)} inputs "
                f"with a list of {len(mask)} masks. Pass at most one mask per input (None for an "
                "input without one)."
            )
        return type(mask)(_checked_mask(layer, x, m) for x, m in zip(inputs, mask))
    if isinstance(inputs, dict) and isinstance(mask, dict):
        return {key: _checked_mask(layer, inputs[key], m) for key, m in mask.items() if key in inputs}
    if mask is None:
        return None
    if isinstance(inputs, (list, tuple, dict)):
        # One mask for several inputs (e.g. Keras's attention masks): passed on unchecked.
        return mask if isinstance(mask, (Tensor, SymbolicTensor)) else Tensor(xp.asarray(mask))
    if not isinstance(mask, (Tensor, SymbolicTensor)):
        mask = Tensor(xp.asarray(mask))
    mask_shape, input_shape = tuple(mask.shape), tuple(getattr(inputs, "shape", ()))
    if not layer._mask_shape_fits(mask_shape, input_shape):
        leading = input_shape[:-1] if len(input_shape) > 1 else input_shape
        raise ValueError(
            f"Layer '{layer.name}' ({type(layer).__name__}) received a mask of shape {mask_shape} "
            f"for an input of shape {input_shape}. A mask's shape must be the leading axes of its "
            f"input's shape (e.g. {leading} for (batch, steps) when the input is "
            f"(batch, steps, features)): True for the entries that count. Pass a mask of that "
            "shape, or let the mask travel with the tensor (Embedding(mask_zero=True), Masking)."
        )
    if isinstance(mask, Tensor) and mask.data.dtype != bool:
        mask = Tensor(mask.data.astype(bool))
    return mask


def _mask_fits(mask_shape: tuple, input_shape: tuple) -> bool:
    """Whether ``mask_shape`` is the leading axes of ``input_shape`` (None matches any size)."""
    return len(mask_shape) <= len(input_shape) and all(
        m is None or n is None or m == n for m, n in zip(mask_shape, input_shape)
    )


def _mask_not_accepted(layer: Layer) -> TypeError:
    return TypeError(
        f"Layer '{layer.name}' ({type(layer).__name__}) was given `mask=`, but its call() has no "
        "`mask` argument, so it cannot use one. Give call() a `mask=None` argument (Keras's way "
        "to read masks), or call the layer without `mask=`."
    )


def _warn_mask_dropped(layer: Layer) -> None:
    if layer._drops_masks_silently:
        return
    warnings.warn(
        f"Layer '{layer.name}' (of type {type(layer).__name__}) was passed an input with a mask "
        "attached to it. However, this layer does not support masking and will therefore destroy "
        "the mask information. Downstream layers will not see the mask.",
        stacklevel=4,  # the line that called the layer
    )


def _sample_output_masks(layer: Layer, inputs: Any, previous_mask: Any) -> Any:
    """The shapes and dtypes of the masks ``layer.compute_mask`` gives for symbolic ``inputs``,
    found by running it on a sample of zeros (one sample for an unknown batch axis), as symbolic
    tensors (or None where it gives none)."""

    def sample(value: Any) -> Any:
        if not isinstance(value, SymbolicTensor):
            return value
        shape = tuple(1 if n is None else n for n in value.shape)
        if value.dtype == "string":
            return Tensor(xp.full(shape, "", dtype=object))
        return Tensor(xp.zeros(shape, dtype=value.dtype))

    def sample_mask(value: Any) -> Any:
        if not isinstance(value, SymbolicTensor):
            return value
        return Tensor(xp.ones(tuple(1 if n is None else n for n in value.shape), dtype=bool))

    with no_grad():
        masks = layer.compute_mask(map_structure(sample, inputs), map_structure(sample_mask, previous_mask))
    batch_unknown = _first_dim_unknown(map_structure(lambda t: getattr(t, "shape", None), inputs))

    def symbolic(value: Any) -> Any:
        if value is None:
            return None
        shape = tuple(value.shape)
        if batch_unknown and shape:
            shape = (None, *shape[1:])
        return SymbolicTensor(shape, dtype=getattr(value, "dtype", "bool"))

    return map_structure(symbolic, masks)


def _batch_shape(value: Any) -> Any:
    """A tensor's shape with an unknown batch axis (``None`` for anything else)."""
    if isinstance(value, Tensor):
        return (None, *value.shape[1:]) if value.ndim else ()
    return None


def _dry_run_shape(layer: Layer, input_shape: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
    """Output shape(s) of ``layer``, found by calling it on a zero sample of the inputs (and of
    every symbolic tensor in ``args``/``kwargs``: zeros, or True for a boolean mask), each unknown
    axis of size 1. When an axis besides the batch is unknown (a sequence of any length), the
    layer runs again with those axes of size 2, and the output axes that changed are unknown."""
    outputs = _dry_run(layer, input_shape, args, kwargs, 1)
    symbolic_shapes = [t.shape for t in flatten([args, kwargs]) if isinstance(t, SymbolicTensor)]
    if not _unknown_inner_axis([input_shape, symbolic_shapes]):
        batch_unknown = _first_dim_unknown(input_shape)

        def shape_of(t: Any) -> Any:
            if isinstance(t, Tensor):
                shape = tuple(t.shape)
                return (None, *shape[1:]) if batch_unknown and shape else shape
            return None

        return map_structure(shape_of, outputs)
    longer = flatten(_dry_run(layer, input_shape, args, kwargs, 2))
    merged = [
        tuple(a if a == b else None for a, b in zip(short.shape, long.shape)) if isinstance(short, Tensor) else None
        for short, long in zip(flatten(outputs), longer)
    ]
    return pack_sequence_as(outputs, merged)


def _dry_run(layer: Layer, input_shape: Any, args: tuple, kwargs: dict | None, unknown: int) -> Any:
    def sample_of(shape: tuple, dtype: Any) -> Tensor:
        fill = xp.ones if str(dtype) == "bool" else xp.zeros
        return Tensor(fill(tuple(unknown if n is None else n for n in shape), dtype=dtype))

    def concrete(value: Any) -> Any:
        return sample_of(value.shape, value.dtype) if isinstance(value, SymbolicTensor) else value

    with no_grad():
        sample = map_shape_structure(lambda shape: sample_of(shape, layer.dtype), input_shape)
        call_kwargs = {key: map_structure(concrete, value) for key, value in (kwargs or {}).items()}
        call_kwargs["training"] = False
        return layer(sample, *map_structure(concrete, list(args)), **call_kwargs)


def _unknown_inner_axis(shapes: Any) -> bool:
    """True when a shape in the structure has an unknown (None) axis after its first."""
    if isinstance(shapes, tuple) and all(n is None or isinstance(n, int) for n in shapes):
        return any(n is None for n in shapes[1:])
    if isinstance(shapes, dict):
        return any(_unknown_inner_axis(v) for v in shapes.values())
    if isinstance(shapes, (list, tuple)):
        return any(_unknown_inner_axis(v) for v in shapes)
    return False


def _first_dim_unknown(shape: Any) -> bool:
    if isinstance(shape, tuple) and (not shape or not isinstance(shape[0], (tuple, list, dict))):
        return bool(shape) and shape[0] is None
    if isinstance(shape, (list, tuple)) and shape:
        return _first_dim_unknown(shape[0])
    if isinstance(shape, dict) and shape:
        return _first_dim_unknown(next(iter(shape.values())))
    return False
