"""The epoch iterator: the one data path of fit/evaluate/predict (steps, batching arguments,
validation split) and the hook it drives (the BLAS thread tuner's shape)."""

import numpy as np
import pytest

import numeras
from numeras.trainers.data_adapters import DataAdapter
from numeras.trainers.epoch_iterator import EpochHook, EpochIterator


class RecordingHook(EpochHook):
    def __init__(self, probed=(1, 2)):
        self.probed = set(probed)
        self.events = []

    def begin_epoch(self, steps):
        self.events.append(("begin", steps))

    def probing(self, step):
        self.events.append(("probe?", step))
        return step in self.probed

    def record(self, step, seconds):
        assert seconds >= 0
        self.events.append(("record", step))

    def finish(self):
        self.events.append(("finish",))


def _xy(n=10):
    return np.arange(2 * n, dtype=np.float32).reshape(n, 2), np.arange(n, dtype=np.float32)


def test_enumerate_epoch_yields_numbered_batches_every_epoch():
    x, y = _xy(10)
    iterator = EpochIterator(x, y, batch_size=4)
    assert iterator.num_batches == 3
    for _ in range(2):
        steps = [(step, len(batch[0])) for step, batch in iterator.enumerate_epoch()]
        assert steps == [(0, 4), (1, 4), (2, 2)]


def test_batch_size_defaults_to_32_and_steps_limit_the_epoch():
    x, y = _xy(70)
    assert EpochIterator(x, y).num_batches == 3
    iterator = EpochIterator(x, y, batch_size=10, steps_per_epoch=4)
    assert [step for step, _ in iterator.enumerate_epoch()] == [0, 1, 2, 3]


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True, "32"])
def test_a_bad_batch_size_names_the_method_and_the_value(batch_size):
    x, y = _xy(4)
    with pytest.raises(ValueError, match=r"evaluate: `batch_size` must be a positive integer, received"):
        EpochIterator(x, y, batch_size=batch_size, method="evaluate")


def test_missing_inputs_are_refused_naming_the_method():
    with pytest.raises(ValueError, match=r"predict: `x` is required"):
        EpochIterator(None, method="predict")


def test_the_hook_sees_each_epoch_and_times_only_the_steps_it_probes():
    x, y = _xy(8)
    hook = RecordingHook(probed=(1,))
    with EpochIterator(x, y, batch_size=4, hook=hook) as iterator:
        for _ in range(2):
            for _step, _batch in iterator.enumerate_epoch():
                pass
    epoch = [("begin", 2), ("probe?", 0), ("probe?", 1), ("record", 1)]
    assert hook.events == epoch + epoch + [("finish",)]


def test_the_hook_is_finished_when_the_loop_fails_or_stops_early():
    x, y = _xy(8)
    hook = RecordingHook()
    with pytest.raises(RuntimeError):
        with EpochIterator(x, y, batch_size=2, hook=hook) as iterator:
            for step, _ in iterator.enumerate_epoch():
                if step == 1:
                    raise RuntimeError("a step failed")
    assert hook.events[-1] == ("finish",)
    hook = RecordingHook()
    with EpochIterator(x, y, batch_size=2, hook=hook) as iterator:
        for step, _ in iterator.enumerate_epoch():
            if step == 2:
                break
    assert hook.events.count(("finish",)) == 1


def test_split_validation_keeps_the_first_part_for_training():
    x, y = _xy(10)
    iterator = EpochIterator(x, y, batch_size=3, shuffle=True)
    validation = iterator.split_validation(0.3, validation_batch_size=2)
    assert iterator.data_adapter.num_samples == 7 and iterator.num_batches == 3
    seen = np.concatenate([batch[1] for _, batch in validation.enumerate_epoch()])
    np.testing.assert_array_equal(seen, y[7:])


def test_the_adapter_is_told_when_epochs_begin_and_end():
    class Counting(DataAdapter):
        def __init__(self):
            self.calls = []

        def get_numpy_iterator(self):
            self.calls.append("batches")
            yield from ((np.zeros((1, 1)), np.zeros(1)) for _ in range(2))

        @property
        def num_batches(self):
            return 2

        def on_epoch_begin(self):
            self.calls.append("begin")

        def on_epoch_end(self):
            self.calls.append("end")

    adapter = Counting()
    iterator = EpochIterator(data_adapter=adapter)
    assert len(list(iterator.enumerate_epoch())) == 2
    assert adapter.calls == ["begin", "batches", "end"]


def test_fit_evaluate_and_predict_read_their_data_through_the_iterator(monkeypatch):
    """One path: every loop builds an EpochIterator (counted here), with fit's validation data
    built once and reused every epoch."""
    from numeras.trainers import epoch_iterator, trainer

    made = []
    original = trainer.EpochIterator

    class Counting(original):
        def __init__(self, *args, **kwargs):
            made.append(kwargs.get("method", "fit") if kwargs.get("data_adapter") is None else "adapter")
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(trainer, "EpochIterator", Counting)
    monkeypatch.setattr(epoch_iterator, "EpochIterator", Counting)  # fit's validation iterator
    x, y = _xy(20)
    model = numeras.models.Sequential([numeras.layers.Dense(1, input_shape=(2,))])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=5, epochs=3, validation_data=(x[:4], y[:4]), verbose=0)
    assert made == ["fit", "fit (validation_data)"]
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert made == ["fit", "fit (validation_data)", "evaluate", "predict"]
