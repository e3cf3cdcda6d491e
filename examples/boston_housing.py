"""Predicting house prices (chapter 3.6 of *Deep Learning with Python*), on numeras.

Scalar regression on the Boston housing data: 404 training districts, 13 features normalised
with the training set's mean and standard deviation, Dense(64, relu) x2 + Dense(1), rmsprop,
mean squared error loss and mean absolute error metric. With so few samples the number of epochs
is chosen by K-fold validation (K=4): the mean validation MAE per epoch over the folds. Then a
fresh model is trained on all the training data and evaluated on the test set (an MAE of about
$2,500 with the real data).

    python examples/boston_housing.py                # downloads boston_housing.npz (57 kB)
    python examples/boston_housing.py --synthetic    # generated districts of the same shapes

``--synthetic`` (or NUMERAS_EXAMPLES_SYNTHETIC=1) generates districts whose price is a noisy
nonlinear function of the features, only to check that the program runs and learns.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from numeras import layers, models
from numeras.datasets import boston_housing


def synthetic_boston_housing(num_train: int = 404, num_test: int = 102, seed: int = 0):
    """Data in ``boston_housing.load_data()``'s format: float64 features ``(n, 13)`` on varied
    scales (as the real ones: rates, distances, taxes in the hundreds) and float64 prices in k$
    between 5 and 50."""
    rng = np.random.default_rng(seed)
    scales = np.array([3.6, 11.0, 11.0, 0.07, 0.55, 6.3, 68.0, 3.8, 9.5, 408.0, 18.0, 356.0, 12.6])
    weights = rng.normal(size=13)

    def make(count):
        features = rng.lognormal(0.0, 0.4, size=(count, 13)) * scales
        signal = np.log(features / scales) @ weights + 0.5 * np.sin(3 * np.log(features[:, 5] / scales[5]))
        prices = 22.5 + 6.0 * signal / signal.std() + rng.normal(0, 1.5, count)
        return features, np.clip(prices, 5.0, 50.0)

    return make(num_train), make(num_test)


def build_model(num_features: int = 13):
    model = models.Sequential()
    model.add(layers.Dense(64, activation="relu", input_shape=(num_features,)))
    model.add(layers.Dense(64, activation="relu"))
    model.add(layers.Dense(1))
    model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
    return model


def main(
    synthetic: bool = False,
    k: int = 4,
    num_epochs: int = 100,
    final_epochs: int = 80,
    batch_size: int = 16,
    verbose: int = 1,
) -> dict:
    """K-fold validation, then the final model; returns the per-epoch mean validation MAE and
    the test results."""
    if synthetic:
        (train_data, train_targets), (test_data, test_targets) = synthetic_boston_housing()
    else:
        (train_data, train_targets), (test_data, test_targets) = boston_housing.load_data()

    # Normalise every feature with statistics of the training data only.
    mean = train_data.mean(axis=0)
    std = train_data.std(axis=0)
    train_data = ((train_data - mean) / std).astype("float32")
    test_data = ((test_data - mean) / std).astype("float32")
    train_targets = train_targets.astype("float32")
    test_targets = test_targets.astype("float32")

    num_val_samples = len(train_data) // k
    all_mae_histories = []
    for fold in range(k):
        if verbose:
            print(f"processing fold #{fold}")
        val_slice = slice(fold * num_val_samples, (fold + 1) * num_val_samples)
        val_data, val_targets = train_data[val_slice], train_targets[val_slice]
        partial_train_data = np.concatenate(
            [train_data[: fold * num_val_samples], train_data[(fold + 1) * num_val_samples :]], axis=0
        )
        partial_train_targets = np.concatenate(
            [train_targets[: fold * num_val_samples], train_targets[(fold + 1) * num_val_samples :]], axis=0
        )
        model = build_model(train_data.shape[1])
        history = model.fit(
            partial_train_data,
            partial_train_targets,
            validation_data=(val_data, val_targets),
            epochs=num_epochs,
            batch_size=batch_size,
            verbose=0,
        )
        all_mae_histories.append(history.history["val_mae"])
    average_mae_history = np.mean(all_mae_histories, axis=0)
    best_epoch = int(np.argmin(average_mae_history)) + 1
    if verbose:
        print(f"mean validation MAE per epoch, last 5: {np.round(average_mae_history[-5:], 3)}")
        print(f"lowest mean validation MAE {average_mae_history.min():.3f} after epoch {best_epoch}")

    model = build_model(train_data.shape[1])
    model.fit(train_data, train_targets, epochs=final_epochs, batch_size=batch_size, verbose=0)
    test_mse, test_mae = model.evaluate(test_data, test_targets, verbose=0)
    if verbose:
        print(f"test_mse: {test_mse:.3f}  test_mae: {test_mae:.3f} (thousands of dollars)")
    return {"average_mae_history": average_mae_history, "test_mse": test_mse, "test_mae": test_mae}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", action="store_true", help="generated data, no download")
    parser.add_argument("--epochs", type=int, default=100, help="epochs per fold")
    parser.add_argument("--final-epochs", type=int, default=80)
    args = parser.parse_args()
    main(
        synthetic=args.synthetic or os.environ.get("NUMERAS_EXAMPLES_SYNTHETIC") == "1",
        num_epochs=args.epochs,
        final_epochs=args.final_epochs,
    )
