"""``GradientTape``: the TensorFlow/Keras way of asking for gradients."""

from __future__ import annotations

from typing import Any

from numeras.autodiff import grad_mode, gradients, graph
from numeras.autodiff.tensor import Tensor, wrap
from numeras.backend import xp
from numeras.utils.tree import flatten, pack_sequence_as


class GradientTape:
    """Records operations inside its ``with`` block so ``gradient`` can differentiate them.

    Trainable ``Variable``s are watched automatically (unless ``watch_accessed_variables=False``:
    then only what ``watch`` names gets a gradient); call ``watch`` for plain tensors. A watched
    tensor requires a gradient only while the tape records: leaving the ``with`` block turns it
    back. A non-persistent tape (the default) answers one ``gradient`` call.

    Numeras records the graph whenever an input requires a gradient, so the tape shares it with
    ``Tensor.backward``; the tape's job is to switch recording on and to say what to watch.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True) -> None:
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._used = False
        self._recording = None
        self._watched: dict[int, Tensor] = {}  # everything watch() named, by id
        self._switched_on: list[Tensor] = []  # tensors whose requires_grad watch() turned on

    def __enter__(self) -> GradientTape:
        self._recording = grad_mode.enable_grad()
        self._recording.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._recording.__exit__(*exc)
        self._recording = None
        # The graph recorded so far keeps what it needs; later ops on these tensors record nothing.
        for t in self._switched_on:
            t.requires_grad = False
        self._switched_on = []

    def watch(self, tensor: Any) -> None:
        """Differentiate with respect to ``tensor`` (a Tensor or a list/tuple/dict of them)."""
        for t in _flatten(tensor):
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"GradientTape.watch: expected a numeras Tensor or Variable, received "
                    f"{type(t).__name__}. Convert it first with numeras.convert_to_tensor(x)."
                )
            self._watched[id(t)] = t
            if t.data.dtype.kind == "f" and not t.requires_grad:
                t.requires_grad = True
                self._switched_on.append(t)

    def gradient(
        self,
        target: Tensor,
        sources: Any,
        output_gradients: Any = None,
        unconnected_gradients: str = "none",
        *,
        out: Any = None,
    ) -> Any:
        """d(target)/d(source) for each source, in the structure ``sources`` was given in
        (one tensor, a list, a tuple or a dict). A source that ``target`` does not depend on gets
        ``None``, or zeros with ``unconnected_gradients='zero'``. A non-scalar target is summed.

        ``out`` (a numeras extension, like NumPy's ``out=``): arrays in the structure of
        ``sources``, each C-contiguous with its source's shape and dtype, that receive the
        gradients; the returned tensors then wrap those arrays. A training loop that passes the
        same buffers every step allocates no gradient memory: ``Model.train_step`` does.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "GradientTape.gradient can only be called once on a non-persistent tape. "
                "Create the tape with GradientTape(persistent=True) to call it several times."
            )
        if unconnected_gradients not in ("none", "zero"):
            raise ValueError(
                f"GradientTape.gradient: `unconnected_gradients` must be 'none' or 'zero', "
                f"received {unconnected_gradients!r}."
            )
        self._used = True
        flat_sources = _flatten(sources)
        for s in flat_sources:
            if not isinstance(s, Tensor):
                raise TypeError(
                    f"GradientTape.gradient: every source must be a Tensor or Variable, "
                    f"received {type(s).__name__}."
                )
        sinks = None if out is None else _sinks(flat_sources, _flatten(out))
        grads: dict[int, Any] = {}
        if isinstance(target, Tensor) and (target.requires_grad or id(target) in self._watched):
            if output_gradients is None:
                seed = xp.ones_like(target.data)
            else:
                raw = output_gradients.data if isinstance(output_gradients, Tensor) else output_gradients
                # A copy: the seed may come back as a gradient, which must not alias the caller's array.
                seed = xp.array(raw, dtype=target.data.dtype, copy=True)
                if seed.shape != target.shape:
                    raise ValueError(
                        f"GradientTape.gradient: `output_gradients` must have the target's shape "
                        f"{target.shape}, received shape {seed.shape}."
                    )
            grads = graph.backpropagate(
                target, seed, keep=flat_sources, into=sinks, also_leaves=tuple(self._watched)
            )
        results = []
        handed_out: set[int] = set()
        for s in flat_sources:
            g = grads.get(id(s))
            if not self.watch_accessed_variables and id(s) not in self._watched and s._vjp is None:
                g = None  # an unwatched variable is a constant to this tape
            if g is None and unconnected_gradients == "zero":
                g = xp.zeros_like(s.data) if sinks is None else _zeroed(sinks[id(s)])
            if g is not None and sinks is None:
                # Without `out`, hand out arrays nobody else holds. One array can reach two sources
                # (`a + b` passes the same one to both): copy the second.
                g = xp.array(g, copy=True) if id(g) in handed_out else gradients.owned(g)
                handed_out.add(id(g))
            results.append(None if g is None else wrap(g))
        return _unflatten(sources, results)


def _sinks(sources: list, buffers: list) -> dict[int, Any]:
    """``out``'s arrays by ``id(source)``, each checked to fit its source."""
    if len(buffers) != len(sources):
        raise ValueError(
            f"GradientTape.gradient: `out` must hold one array per source ({len(sources)}), "
            f"received {len(buffers)}."
        )
    sinks: dict[int, Any] = {}
    for source, buffer in zip(sources, buffers):
        buffer = buffer.data if isinstance(buffer, Tensor) else buffer
        if not isinstance(buffer, xp.ndarray) or buffer.shape != source.data.shape or buffer.dtype != source.data.dtype:
            raise ValueError(
                "GradientTape.gradient: each array of `out` must have its source's shape and dtype "
                f"{source.data.shape} {source.data.dtype}, received "
                f"{getattr(buffer, 'shape', None)} {getattr(buffer, 'dtype', type(buffer).__name__)}."
            )
        if not (buffer.flags.c_contiguous and buffer.flags.writeable):
            raise ValueError("GradientTape.gradient: the arrays of `out` must be writable and C-contiguous.")
        if id(source) in sinks and sinks[id(source)] is not buffer:
            raise ValueError("GradientTape.gradient: a source listed twice needs the same `out` array both times.")
        sinks[id(source)] = buffer
    return sinks


def _zeroed(buffer: Any) -> Any:
    buffer[...] = 0
    return buffer


def _is_flat_list(structure: Any) -> bool:
    # The common case, a flat list of sources: used as it is (the callers never modify it).
    return type(structure) is list and not any(isinstance(v, (list, tuple, dict)) for v in structure)


def _flatten(structure: Any) -> list:
    return structure if _is_flat_list(structure) else flatten(structure)


def _unflatten(structure: Any, flat: list) -> Any:
    return flat if _is_flat_list(structure) else pack_sequence_as(structure, flat)
