"""``Tensor``: an ndarray that remembers how it was computed.

A tensor produced by an op whose input requires a gradient is a node of the graph: it keeps its
``_parents`` and the ``_vjp`` that maps its gradient to theirs (see ``graph.py``). Ops build
their outputs with :func:`wrap`, the one fast constructor; ``Tensor(...)`` is the converting
constructor for users. Operators (``a + b``, ``a[i]``, ``a.T``...) are the ops of
``numeras.autodiff.composites``, bound onto Tensor from one table in ``operators.py`` (a module
above both, so this one imports no op).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from numeras import backend
from numeras.autodiff import gradients, graph
from numeras.autodiff.grad_mode import _GradMode
from numeras.backend import standardize_dtype, xp

_KERAS_MASKS: dict[int, Any] = {}
"""``id(tensor) -> mask`` for the tensors that carry a Keras mask (see ``Tensor._keras_mask``)."""


class Tensor:
    """An n-dimensional array that records the operations applied to it.

    ``data`` is the underlying ndarray. A tensor with ``requires_grad`` set is differentiated
    through: ops applied to it record their output as a node (``_parents`` and ``_vjp``).
    ``_from_logits`` is ``(activation, logits)`` on the output of ``softmax`` or ``sigmoid``: the
    cross-entropy losses use those logits for the exact, fused gradient (as Keras keeps
    ``_keras_logits``), and read them through ``_logits`` and ``_logits_kind``.
    """

    __slots__ = ("data", "requires_grad", "grad", "_parents", "_vjp", "_from_logits", "__weakref__")
    # Makes `ndarray + Tensor` call Tensor.__radd__ instead of broadcasting element-wise.
    __array_priority__ = 1000.0
    __hash__ = object.__hash__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        self.data = to_array(data, dtype)
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents: tuple = ()
        self._vjp = None
        self._from_logits = None

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
        return standardize_dtype(self.data.dtype)

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def _logits(self) -> Tensor | None:
        """The logits this tensor is the softmax or sigmoid of, or None."""
        return None if self._from_logits is None else self._from_logits[1]

    @property
    def _logits_kind(self) -> str | None:
        """``"softmax"`` or ``"sigmoid"`` when :attr:`_logits` is set, else None."""
        return None if self._from_logits is None else self._from_logits[0]

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
        for leaf in graph.leaves(self):
            g = grads.get(id(leaf))
            if g is None:
                continue
            if leaf.grad is not None:
                leaf.grad = leaf.grad + g
                continue
            # One array can reach two leaves (`a + b` passes the same one to both): copy the second.
            leaf.grad = xp.array(g, copy=True) if id(g) in handed_out else gradients.owned(g)
            handed_out.add(id(leaf.grad))

    def zero_grad(self) -> None:
        self.grad = None

    def detach(self) -> Tensor:
        """The same values, cut from the graph."""
        return wrap(self.data)

    # Comparisons are not differentiable: their results never join the graph.
    def __lt__(self, other):
        return wrap(self.data < _raw(other))

    def __le__(self, other):
        return wrap(self.data <= _raw(other))

    def __gt__(self, other):
        return wrap(self.data > _raw(other))

    def __ge__(self, other):
        return wrap(self.data >= _raw(other))

    def __eq__(self, other):  # type: ignore[override]
        return wrap(self.data == _raw(other))

    def __ne__(self, other):  # type: ignore[override]
        return wrap(self.data != _raw(other))

    def __pos__(self):
        return self


_new = object.__new__


def wrap(data, parents: tuple = (), vjp: Callable | None = None) -> Tensor:
    """The fast constructor: ``data`` (an ndarray, used as is) as a Tensor.

    For an op's output (``ops._core.record``) it keeps ``parents`` and ``vjp`` only if some
    parent requires a gradient and recording is on; otherwise the result is a constant."""
    out = _new(Tensor)
    # NumPy returns scalars, not 0-d arrays, from operations on 0-d arrays; keep `.data` an array.
    out.data = data if isinstance(data, xp.ndarray) else xp.asarray(data)
    out.grad = None
    out._from_logits = None
    if _GradMode.enabled:
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._parents = parents
                out._vjp = vjp
                return out
    out.requires_grad = False
    out._parents = ()
    out._vjp = None
    return out


# -- conversions --------------------------------------------------------------------------
def to_array(value: Any, dtype: Any = None):
    """An ndarray for ``value``; Python floats become floatx, existing arrays keep their dtype."""
    if isinstance(value, Tensor):
        value = value.data
    if dtype is not None:
        return xp.asarray(value, dtype=standardize_dtype(dtype))
    if isinstance(value, xp.ndarray):
        return value
    array = xp.asarray(value)
    if array.dtype.kind == "f" and standardize_dtype(array.dtype) != backend.floatx():
        if not isinstance(value, xp.generic):
            # Python floats and nested lists of them carry no dtype of their own: use floatx.
            array = array.astype(backend.floatx())
    return array


def _raw(value: Any):
    return value.data if isinstance(value, Tensor) else value


def convert_to_tensor(x: Any, dtype: Any = None, sparse: bool | None = None) -> Tensor:
    """``x`` as a Tensor. Tensors pass through (cast if ``dtype`` differs); arrays are wrapped
    without a copy; Python floats become ``floatx()``."""
    if isinstance(x, Tensor):
        if dtype is None or standardize_dtype(x.data.dtype) == standardize_dtype(dtype):
            return x
        return x.astype(dtype)
    return Tensor(x, dtype=dtype)
