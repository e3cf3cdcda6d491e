"""The symbolic graph below layers and models: placeholder tensors, the operations called on
them, the nodes those calls record, and ``Function``, which orders a graph's nodes from inputs to
outputs and replays them on values.

It imports only ``backend``, ``autodiff`` and ``utils``; ``numeras.layers`` builds ``Layer`` on
:class:`Operation` and ``numeras.models`` builds the functional model on :class:`Function`.

- :mod:`~numeras.symbolic.tensor`: ``SymbolicTensor`` (``KerasTensor``) and its Python operators.
- :mod:`~numeras.symbolic.operators`: what those operators mean (names, shapes, indices).
- :mod:`~numeras.symbolic.node`: ``Node``, one recorded call.
- :mod:`~numeras.symbolic.operation`: ``Operation`` and ``symbolic_call``.
- :mod:`~numeras.symbolic.graph`: ordering and checking a graph's nodes.
- :mod:`~numeras.symbolic.function`: ``Function``, a graph built once and replayed.
"""

from numeras.symbolic.function import Function
from numeras.symbolic.node import Node
from numeras.symbolic.operation import Operation, symbolic_call
from numeras.symbolic.tensor import KerasTensor, SymbolicTensor, any_symbolic

__all__ = ["Function", "KerasTensor", "Node", "Operation", "SymbolicTensor", "any_symbolic", "symbolic_call"]
