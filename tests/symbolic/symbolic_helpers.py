"""Small operations (no layers, no weights) to build symbolic graphs from in these tests."""

import numpy as np

from numeras.symbolic import Operation, SymbolicTensor
from numeras.symbolic.operation import record_input


def placeholder(shape, name):
    """An input tensor of per-sample ``shape``, made by an input node of a bare Operation."""
    return record_input(Operation(name=name), SymbolicTensor((None, *shape), name=name))


class Scale(Operation):
    """``x * factor``; calls are counted, so tests can see which nodes were replayed."""

    def __init__(self, factor, name=None):
        super().__init__(name)
        self.factor = factor
        self.calls = 0

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, x, offset=0.0):
        self.calls += 1
        return x * self.factor + offset


class Concat(Operation):
    """The concatenation of a list of tensors along the last axis."""

    def compute_output_shape(self, input_shape):
        last = sum(shape[-1] for shape in input_shape)
        return (*input_shape[0][:-1], last)

    def call(self, tensors):
        return np.concatenate(tensors, axis=-1)


class Split(Operation):
    """Two outputs: the first ``at`` features and the rest, as a dict ``{"head", "tail"}``."""

    def __init__(self, at, name=None):
        super().__init__(name)
        self.at = at

    def compute_output_shape(self, input_shape):
        *batch, width = input_shape
        return {"tail": (*batch, width - self.at), "head": (*batch, self.at)}

    def call(self, x):
        return {"tail": x[..., self.at:], "head": x[..., : self.at]}
