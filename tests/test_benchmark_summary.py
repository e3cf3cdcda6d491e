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
