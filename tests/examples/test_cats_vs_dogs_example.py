"""examples/cats_vs_dogs.py run as a user would: offline on synthetic data, and without data."""

import math
import pathlib
import re
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "cats_vs_dogs.py"
SRC = pathlib.Path(__file__).resolve().parents[2] / "src"


def run_example(*args: str, cwd: pathlib.Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, str(EXAMPLE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_synthetic_run_trains_checkpoints_and_evaluates(tmp_path):
    result = run_example(
        "--synthetic", "--epochs", "1", "--image-size", "80", "--images-per-class", "10", "--output", "models",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Wrote 20 synthetic JPEGs" in out
    # 40/20/40 of 10 images per class: 4 + 4 training, 2 + 2 validation, 4 + 4 test.
    assert out.count("Found 8 files belonging to 2 classes.") == 2
    assert "Found 4 files belonging to 2 classes." in out
    assert "data batch shape: (8, 80, 80, 3)" in out
    assert "labels batch shape: (8,)" in out
    assert (tmp_path / "models" / "convnet_from_scratch.keras").is_file()
    test_acc = float(re.search(r"Test accuracy: (\d\.\d+)", out).group(1))
    assert 0.0 <= test_acc <= 1.0 and math.isfinite(test_acc)
    assert not list(tmp_path.glob("cats_vs_dogs_*")), "the generated images are left behind"


def test_missing_kaggle_data_says_how_to_get_it_or_run_synthetic(tmp_path):
    result = run_example("--data", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "kaggle competitions download -c dogs-vs-cats" in result.stderr
    assert "python examples/cats_vs_dogs.py --synthetic" in result.stderr
    assert "Traceback" not in result.stderr


def test_too_small_image_size_is_refused_with_the_reason(tmp_path):
    result = run_example("--synthetic", "--image-size", "64", cwd=tmp_path)
    assert result.returncode == 2
    assert "--image-size must be at least 80" in result.stderr and "received 64" in result.stderr
