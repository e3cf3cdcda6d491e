"""Layers called with more than one tensor (``call(inputs, encoder_outputs)``) in a functional
model, as Keras 3 treats them: the output shape comes from running ``call`` on every symbolic
argument; an axis that is unknown in the inputs (a sequence of any length) stays unknown in the
output when the output depends on it; and the first input's mask fills ``mask`` only when it is
the call's one tensor argument."""

from __future__ import annotations

import numpy as np

import numeras
from numeras import layers, ops


class Concatenate2(layers.Layer):
    """Concatenates two sequences along time: the output length depends on both inputs."""

    def call(self, inputs, other):
        return ops.concatenate([inputs, other], axis=1)


class MeanOver(layers.Layer):
    def call(self, inputs):
        return ops.mean(inputs, axis=1)


class MaskRecorder(layers.Layer):
    """Records the ``mask`` each call receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.received = []

    def call(self, inputs, context=None, mask=None):
        self.received.append(None if mask is None else np.asarray(mask))
        return inputs


def test_output_shape_uses_every_symbolic_argument():
    a = numeras.Input((3, 2))
    b = numeras.Input((4, 2))
    out = Concatenate2()(a, b)
    assert out.shape == (None, 7, 2)
    model = numeras.Model([a, b], out)
    got = model.predict([np.ones((2, 3, 2)), np.zeros((2, 4, 2))], verbose=0)
    assert got.shape == (2, 7, 2)


def test_an_unknown_sequence_axis_stays_unknown_where_the_output_depends_on_it():
    a = numeras.Input((None, 2))
    b = numeras.Input((5, 2))
    assert Concatenate2()(a, b).shape == (None, None, 2)
    assert MeanOver()(a).shape == (None, 2)  # the unknown axis is reduced away
    tokens = numeras.Input((None,), dtype="int32")
    assert layers.Lambda(lambda x: x * 2)(tokens).shape == (None, None)


def test_mask_fills_only_a_single_tensor_call():
    tokens = np.array([[3, 4, 0, 0]])
    recorder = MaskRecorder()
    embedded = layers.Embedding(10, 2, mask_zero=True)(tokens)
    recorder(embedded)
    np.testing.assert_array_equal(recorder.received[-1], [[True, True, False, False]])
    recorder(embedded, embedded)  # two tensor arguments: Keras 3 leaves `mask` empty
    assert recorder.received[-1] is None
    recorder(embedded, embedded, mask=np.array([[True, False, False, False]]))  # given: passed on
    np.testing.assert_array_equal(recorder.received[-1], [[True, False, False, False]])
    recorder(embedded, context=None)  # a None argument is not a tensor
    np.testing.assert_array_equal(recorder.received[-1], [[True, True, False, False]])
