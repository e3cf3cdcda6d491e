"""The ``training`` flag a call hands to nested layers belongs to the calling thread."""

import threading

import numpy as np

from numeras import layers


class _Probe(layers.Layer):
    """Records the ``training`` flag each call sees; optionally waits inside the call."""

    def __init__(self, inside=None, release=None):
        super().__init__()
        self.seen = []
        self.inside, self.release = inside, release

    def call(self, inputs, training=None):
        self.seen.append(training)
        if self.inside is not None:
            self.inside.set()
            self.release.wait(5)
        return inputs


def test_a_training_call_in_another_thread_does_not_leak_into_this_one():
    inside, release = threading.Event(), threading.Event()
    worker_layer = _Probe(inside, release)
    x = np.ones((2, 3), "float32")
    worker = threading.Thread(target=lambda: worker_layer(x, training=True))
    worker.start()
    assert inside.wait(5)  # the worker is now inside a training=True call
    outer = layers.Dense(3)  # outer call with no flag: its nested layers must see None
    probe = _Probe()
    outer.probe = probe
    outer.call = lambda inputs, training=None: probe(inputs)
    outer(x)
    release.set()
    worker.join(5)
    assert worker_layer.seen == [True]
    assert probe.seen == [None]
