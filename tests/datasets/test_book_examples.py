"""The chapter-3 examples run end to end on generated data (no download) and learn something."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"book_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_data_has_the_real_formats():
    (x, y), (x_test, y_test) = load_example("imdb").synthetic_imdb(num_train=30, num_test=20)
    assert x.dtype == object and x.shape == (30,) and all(type(r) is list and r[0] == 1 for r in x)
    assert y.dtype == np.int64 and set(np.unique(y)) <= {0, 1} and len(x_test) == len(y_test) == 20
    assert max(max(r) for r in x) < 10000
    (x, y), _ = load_example("reuters").synthetic_reuters(num_train=50, num_test=10)
    assert x.dtype == object and y.min() >= 0 and y.max() < 46
    (x, y), (x_test, y_test) = load_example("boston_housing").synthetic_boston_housing()
    assert x.shape == (404, 13) and y.shape == (404,) and x_test.shape == (102, 13)
    assert x.dtype == np.float64 and 5 <= y.min() and y.max() <= 50


def test_imdb_example_trains(capsys):
    result = load_example("imdb").main(
        synthetic=True, epochs=3, final_epochs=4, num_validation=500, num_train=2500, num_test=500, verbose=0
    )
    assert len(result["history"]["val_loss"]) == 3
    assert result["history"]["val_loss"][-1] < result["history"]["val_loss"][0]
    assert result["test_acc"] > 0.7


def test_reuters_example_trains():
    result = load_example("reuters").main(
        synthetic=True, epochs=3, final_epochs=4, num_validation=300, num_train=1500, num_test=300, verbose=0
    )
    assert result["history"]["val_loss"][-1] < result["history"]["val_loss"][0]
    assert result["test_acc"] > result["random_acc"] + 0.2


def test_boston_housing_example_trains():
    result = load_example("boston_housing").main(synthetic=True, k=2, num_epochs=8, final_epochs=8, verbose=0)
    history = result["average_mae_history"]
    assert history.shape == (8,) and history[-1] < history[0]
    assert result["test_mae"] < 4.0  # predicting the mean price would be off by about 5


@pytest.mark.slow
@pytest.mark.parametrize("name", ["imdb", "reuters", "boston_housing"])
def test_examples_with_the_books_settings(name):
    load_example(name).main(synthetic=True, verbose=0)
