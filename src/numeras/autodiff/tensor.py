"""``Tensor``: an ndarray that remembers how it was computed; ``Variable``: a tensor you update."""

from __future__ import annotations

import itertools
import weakref
from typing import Any

from numeras import backend
from numeras.autodiff import graph
from numeras.backend import xp

_KERAS_MASKS: dict[int, Any] = {}
"""``id(tensor) -> mask`` for the tensors that carry a Keras mask (see ``Tensor._keras_mask``)."""


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``data`` is the underlying ndarray. A tensor with ``requires_grad`` set is differentiated
    through: ops applied to it record their output as a node (``_parents`` and ``_vjp``).
    """

    __slots__ = ("data", "requires_grad", "grad", "_parents", "_vjp", "_logits", "_logits_kind", "__weakref__")
    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of broadcasting element-wise.
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = _to_array(data, dtype)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents: tuple = ()
        self._vjp = None
        self._logits = None
        self._logits_kind = None

    # -- the Keras mask ---------------------------------------------------------------
    @property
    def _keras_mask(self) -> Any:
        """The boolean mask a layer attached (Keras's attribute: True for the time steps that
        count), or None. Kept in a table beside the tensors, so that the many tensors without
        a mask cost nothing to create."""
        return _KERAS_MASKS.get(id(self)) if _KERAS_MASKS else None

    @_keras_mask.setter
    def _keras_mask(self, mask: Any) -> None:
        key = id(self)
        if mask is None:
            _KERAS_MASKS.pop(key, None)
            return
        if key not in _KERAS_MASKS:
            # The entry goes when the tensor does (before its id can be reused).
            weakref.finalize(self, _KERAS_MASKS.pop, key, None)
        _KERAS_MASKS[key] = mask

    # -- introspection ----------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> str:
        return dtype_name(self.data.dtype)

    @property
    def size(self) -> int:
        return self.data.size

    def numpy(self):
        """The values as a NumPy array (shared with the tensor, not copied)."""
        return self.data

    def item(self):
        return self.data.item()

    def __array__(self, dtype=None, copy=None):
        if dtype is None:
            return self.data if not copy else self.data.copy()
        return self.data.astype(dtype)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor (a scalar) is undefined")
        return self.data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ", prefix="Tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}, shape={self.shape}, dtype={self.dtype}{grad})"

    def __bool__(self) -> bool:
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.data)

    def __int__(self) -> int:
        return int(self.data)

    def __index__(self) -> int:
        return self.data.__index__()

    def __format__(self, spec: str) -> str:
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return format(str(self), spec)

    # -- differentiation --------------------------------------------------------------
    def backward(self, gradient: Any = None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

        ``gradient`` seeds the pass (ones by default, so a non-scalar output is summed).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward(): this tensor does not require a gradient: none of its inputs was a "
                "trainable Variable or a tensor created with requires_grad=True."
            )
        seed = xp.ones_like(self.data) if gradient is None else xp.array(_raw(gradient), dtype=self.data.dtype)
        if seed.shape != self.data.shape:
            raise ValueError(
                f"backward(): `gradient` must have the output's shape {self.shape}, received {seed.shape}."
            )
        grads = graph.backpropagate(self, seed)
        handed_out: set[int] = set()
        for leaf in _reachable_leaves(self):
            g = grads.get(id(leaf))
            if g is None:
                continue
            if leaf.grad is not None:
                leaf.grad = leaf.grad + g
                continue
            # One array can reach two leaves (`a + b` passes the same one to both): copy the second.
            leaf.grad = xp.array(g, copy=True) if id(g) in handed_out else graph.owned(g)
            handed_out.add(id(leaf.grad))

    def zero_grad(self) -> None:
        self.grad = None

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return Tensor(self.data)

    # -- operators (each one is an op of numeras.ops) ---------------------------------
    def __add__(self, other):
        return _OPS.add(self, other)

    def __radd__(self, other):
        return _OPS.add(other, self)

    def __sub__(self, other):
        return _OPS.subtract(self, other)

    def __rsub__(self, other):
        return _OPS.subtract(other, self)

    def __mul__(self, other):
        return _OPS.multiply(self, other)

    def __rmul__(self, other):
        return _OPS.multiply(other, self)

    def __truediv__(self, other):
        return _OPS.divide(self, other)

    def __rtruediv__(self, other):
        return _OPS.divide(other, self)

    def __matmul__(self, other):
        return _OPS.matmul(self, other)

    def __rmatmul__(self, other):
        return _OPS.matmul(other, self)

    def __pow__(self, other):
        return _OPS.power(self, other)

    def __rpow__(self, other):
        return _OPS.power(other, self)

    def __neg__(self):
        return _OPS.negative(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _OPS.abs(self)

    def __getitem__(self, key):
        return _OPS.getitem(self, key)

    # Comparisons are not differentiable: their results never join the graph.
    def __lt__(self, other):
        return Tensor(self.data < _raw(other))

    def __le__(self, other):
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor(self.data >= _raw(other))

    def __eq__(self, other):  # type: ignore[override]
        return Tensor(self.data == _raw(other))

    def __ne__(self, other):  # type: ignore[override]
        return Tensor(self.data != _raw(other))

    # -- convenience methods, as on ndarrays ------------------------------------------
    @property
    def T(self) -> Tensor:
        return _OPS.transpose(self)

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _OPS.reshape(self, shape)

    # `dtype` and `out` let numpy.sum(tensor) and numpy.mean(tensor), which call these, work.
    def sum(self, axis=None, keepdims=False, dtype=None, out=None) -> Tensor:
        _no_out("sum", out)
        x = self if dtype is None else _OPS.cast(self, dtype)
        return _OPS.sum(x, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, dtype=None, out=None) -> Tensor:
        _no_out("mean", out)
        x = self if dtype is None else _OPS.cast(self, dtype)
        return _OPS.mean(x, axis=axis, keepdims=keepdims)

    def astype(self, dtype) -> Tensor:
        return _OPS.cast(self, dtype)


class Variable(Tensor):
    """A tensor that holds state: weights, optimizer slots, counters.

    Trainable variables are differentiated through automatically (a ``GradientTape`` watches
    them). ``assign``, ``assign_add`` and ``assign_sub`` write into the same buffer, so every
    holder of ``.data`` sees the update.
    """

    __slots__ = ("name", "_trainable", "path", "constraint")
    _uids = itertools.count()

    def __init__(
        self,
        initial_value: Any,
        dtype: Any = None,
        trainable: bool = True,
        name: str | None = None,
    ) -> None:
        if callable(initial_value) and not isinstance(initial_value, (Tensor, xp.ndarray)):
            initial_value = initial_value()
        array = _to_array(initial_value, dtype)
        # A variable owns its buffer; copying also detaches it from the caller's array.
        super().__init__(xp.array(array, copy=True), requires_grad=False)
        self.name = name if name is not None else f"variable_{next(self._uids)}"
        self.path = self.name
        self.constraint = None
        self.trainable = trainable

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable and self.data.dtype.kind == "f"

    @property
    def value(self) -> Tensor:
        """The current values as a constant tensor: a snapshot, which later ``assign`` calls and
        optimizer steps (both in place) leave unchanged, as Keras's ``Variable.value`` is."""
        return Tensor(self.data.copy())

    def assign(self, value: Any) -> Variable:
        """Overwrite the values in place; ``value`` must have this variable's shape."""
        array = _raw(value)
        if xp.shape(array) != self.data.shape:
            raise ValueError(
                f"Variable.assign: `value` must have shape {self.shape} like variable "
                f"'{self.name}', received shape {xp.shape(array)}."
            )
        xp.copyto(self.data, array, casting="unsafe")
        return self

    def assign_add(self, delta: Any) -> Variable:
        """Add ``delta`` in place; ``delta`` must have this variable's shape or broadcast to it."""
        delta = _raw(delta)
        self._check_delta_shape("assign_add", delta)
        xp.add(self.data, delta, out=self.data, casting="unsafe")
        return self

    def assign_sub(self, delta: Any) -> Variable:
        """Subtract ``delta`` in place; ``delta`` must have this variable's shape or broadcast to it."""
        delta = _raw(delta)
        self._check_delta_shape("assign_sub", delta)
        xp.subtract(self.data, delta, out=self.data, casting="unsafe")
        return self

    def _check_delta_shape(self, method: str, delta: Any) -> None:
        shape = xp.shape(delta)
        if shape == self.data.shape:
            return
        try:
            fits = xp.broadcast_shapes(shape, self.data.shape) == self.data.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"Variable.{method}: `delta` must have shape {self.shape} like variable "
                f"'{self.name}' (or broadcast to it), received shape {shape}."
            )

    def __repr__(self) -> str:
        body = xp.array2string(self.data, separator=", ")
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={body}>"


_DTYPE_NAMES: dict = {}


def dtype_name(dtype: Any) -> str:
    """``backend.standardize_dtype(dtype)`` (None means floatx), remembered per argument: NumPy
    computes ``dtype.name`` in Python (~1.5 us), and the training step asks it many times."""
    if dtype is None:
        return backend.floatx()
    try:
        return _DTYPE_NAMES[dtype]
    except KeyError:
        name = _DTYPE_NAMES[dtype] = backend.standardize_dtype(dtype)
        return name
    except TypeError:  # an unhashable dtype specification
        return backend.standardize_dtype(dtype)


def _to_array(value: Any, dtype: Any = None):
    """An ndarray for ``value``; Python floats become floatx, existing arrays keep their dtype."""
    if isinstance(value, Tensor):
        value = value.data
    if dtype is not None:
        return xp.asarray(value, dtype=dtype_name(dtype))
    if isinstance(value, xp.ndarray):
        return value
    array = xp.asarray(value)
    if array.dtype.kind == "f" and dtype_name(array.dtype) != backend.floatx():
        if not isinstance(value, xp.generic):
            # Python floats and nested lists of them carry no dtype of their own: use floatx.
            array = array.astype(backend.floatx())
    return array


def _no_out(method: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"Tensor.{method}: `out` is not supported (tensors are immutable); received {type(out).__name__}.")


def _raw(value: Any):
    return value.data if isinstance(value, Tensor) else value


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None) -> Tensor:
    """``x`` as a Tensor. Tensors pass through (cast if ``dtype`` differs); arrays are wrapped
    without a copy; Python floats become ``floatx()``."""
    if isinstance(x, Tensor):
        if dtype is None or dtype_name(x.data.dtype) == dtype_name(dtype):
            return x
        return _OPS.cast(x, dtype)
    return Tensor(x, dtype=dtype)


def _reachable_leaves(root: Tensor) -> list[Tensor]:
    leaves: dict[int, Tensor] = {}
    if root._vjp is None:
        return [root]
    for node in graph.topological_order(root):
        for parent in node._parents:
            if parent._vjp is None and parent.requires_grad:
                leaves[id(parent)] = parent
    return list(leaves.values())


# numeras.autodiff.ops sets this when it is imported; operators dispatch through it.
_OPS: Any = None
