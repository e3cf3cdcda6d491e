"""The benchmark script's statistics (no timing: the numbers are made up)."""

import importlib.util
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "seed_mlp.py"


def _load():
    spec = importlib.util.spec_from_file_location("seed_mlp_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_summary_pools_steady_epochs_across_rounds(capsys):
    bench = _load()
    runs = [
        {"epoch_seconds": [7.0, 12.0, 6.0], "peak_rss_mb": 100, "test_accuracy": 0.99},
        {"epoch_seconds": [7.0, 6.0, 5.5], "peak_rss_mb": 110, "test_accuracy": 0.98},
        {"epoch_seconds": [7.0, 6.2, 8.0], "peak_rss_mb": 105, "test_accuracy": 0.97},
    ]
    summary = bench.summarise("peer", runs, [None])
    # Per-round medians 9.0, 5.75, 7.1 -> 7.1; the pooled steady epochs' median is 6.1.
    assert summary["s_per_epoch"] == 7.1
    assert summary["pooled_s_per_epoch"] == 6.1
    assert summary["best_epoch_s"] == 5.5
    assert summary["first_epoch_s"] == 7.0 and summary["peak_rss_mb"] == 110
    ours = bench.summarise("numeras", [{"epoch_seconds": [6.8, 6.4, 6.5], "peak_rss_mb": 50}], [None])
    bench.print_report([ours, summary], epochs=3)
    out = capsys.readouterr().out
    # numeras / peer: 6.45 / 7.1, 6.45 / 6.1, 6.4 / 5.5
    assert "0.91    1.06    1.16" in out


def test_convnet_products_are_numeras_im2col_shapes():
    bench = _load()
    shapes = bench.matmul_shapes(bench.WORKLOADS["convnet"], 64)
    # conv1: forward and kernel gradient only (its input needs no gradient)
    assert shapes[:2] == [((43264, 10), (10, 32)), ((10, 43264), (43264, 32))]
    # conv2 on 13x13x32: forward, kernel gradient, input gradient
    assert shapes[2:5] == [((7744, 289), (289, 64)), ((289, 7744), (7744, 64)), ((7744, 64), (64, 288))]
    # dense 576 -> 64 -> 10: forward, weight gradients, input gradients (both, down to conv3)
    assert shapes[-6:] == [
        ((64, 576), (576, 64)), ((64, 64), (64, 10)),
        ((576, 64), (64, 64)), ((64, 64), (64, 10)),
        ((64, 64), (64, 576)), ((64, 10), (10, 64)),
    ]
    assert len(shapes) == 2 + 3 + 3 + 6


def _load_sequence_models():
    path = SCRIPT.parent / "sequence_models.py"
    spec = importlib.util.spec_from_file_location("sequence_models_benchmark", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sequence_workload_runs_numeras_imdb_lstm_at_tiny_shapes():
    bench = _load_sequence_models()
    tiny = dict(bench.WORKLOADS["imdb-lstm"], vocabulary=50, embedding=4, units=3, length=7, batch_size=8)
    # 40 samples are 5 batches; --steps 2 trains 16 samples (2 batches) and scales the time by 5/2.
    epoch_seconds, extra = bench.run_workload("numeras", tiny, epochs=1, seed=0, samples=40, steps=2)
    assert extra["batches_trained"] == 2 and extra["full_batches"] == 5
    assert epoch_seconds == [t * 2.5 for t in extra["raw_epoch_seconds"]]
    # Embedding 50x4, LSTM 4 * 3 * (4 + 3 + 1), Dense 3 + 1
    assert extra["parameters"] == 50 * 4 + 4 * 3 * (4 + 3 + 1) + 3 + 1
    assert extra["final_train_loss"] > 0


def test_sequence_models_build_the_books_shapes_at_tiny_sizes():
    import numpy as np

    from numeras import layers, models

    bench = _load_sequence_models()
    gru = dict(bench.WORKLOADS["jena-gru-dropout"], features=3, units=2, length=5)
    model = bench.keras_style_model(layers, models, gru)
    # reset_after GRU: 3 * units * (features + units) + 2 * 3 * units biases; Dense(1)
    assert model.count_params() == 3 * 2 * (3 + 2) + 2 * 3 * 2 + 2 + 1
    assert model.layers[1].recurrent_dropout == 0.2
    transformer = dict(bench.WORKLOADS["transformer"], vocabulary=30, embedding=4, heads=2, dense=3, length=6)
    model = bench.keras_style_model(layers, models, transformer)
    tokens, _ = bench.random_data(transformer, 5, seed=0)
    assert tokens.shape == (5, 6) and tokens.max() < 30
    assert np.asarray(model.predict(tokens, verbose=0)).shape == (5, 1)
