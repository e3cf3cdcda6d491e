"""Classifying movie reviews (chapter 3.4 of *Deep Learning with Python*), on numeras.

Binary classification of IMDB reviews as positive or negative: the 10,000 most frequent words,
reviews multi-hot encoded, Dense(16, relu) x2 + Dense(1, sigmoid), rmsprop and binary
cross-entropy. First 20 epochs with 10,000 reviews held out for validation (watch validation
loss bottom out after about 4 epochs), then a fresh model trained 4 epochs on all 25,000 reviews
and evaluated on the test set (about 88% accuracy with the real data).

    python examples/imdb.py                # downloads imdb.npz (17 MB) on first run
    python examples/imdb.py --synthetic    # random reviews of the same shapes, no download

``--synthetic`` (or the environment variable NUMERAS_EXAMPLES_SYNTHETIC=1) replaces the data with
generated reviews in which some words lean positive and others negative, so the network has
something to learn; it is for checking that the program runs, not for the book's numbers.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from numeras import layers, models
from numeras.datasets import imdb
from numeras.utils import vectorize_sequences

NUM_WORDS = 10000


def synthetic_imdb(num_train: int = 25000, num_test: int = 25000, num_words: int = NUM_WORDS, seed: int = 0):
    """Reviews in ``imdb.load_data(num_words=...)``'s format: object arrays of lists of word
    indices starting with 1 (the start mark), int64 labels 0/1. About 3% of each review's words
    come from 300 words tied to its label."""
    rng = np.random.default_rng(seed)
    tied_words = rng.choice(np.arange(4, num_words), size=(2, 300), replace=False)

    def make(count):
        labels = rng.integers(0, 2, count)
        lengths = rng.integers(30, 200, count)
        # Word frequencies fall off like a Zipf law, as in real text.
        words = np.minimum(rng.zipf(1.3, lengths.sum()) + 3, num_words - 1)
        tied = rng.random(lengths.sum()) < 0.03
        review_of_word = np.repeat(np.arange(count), lengths)
        words[tied] = tied_words[labels[review_of_word[tied]], rng.integers(0, 300, tied.sum())]
        parts = np.split(words, np.cumsum(lengths)[:-1])
        reviews = np.fromiter(([1] + part.tolist() for part in parts), dtype=object, count=count)
        return reviews, labels

    return make(num_train), make(num_test)


def build_model():
    model = models.Sequential()
    model.add(layers.Dense(16, activation="relu", input_shape=(NUM_WORDS,)))
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def main(
    synthetic: bool = False,
    epochs: int = 20,
    final_epochs: int = 4,
    num_validation: int = 10000,
    num_train: int = 25000,
    num_test: int = 25000,
    verbose: int = 1,
) -> dict:
    """Run the chapter's two experiments; returns the validation history and the test results."""
    if synthetic:
        (train_data, train_labels), (test_data, test_labels) = synthetic_imdb(num_train, num_test)
    else:
        (train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=NUM_WORDS)

    x_train = vectorize_sequences(train_data, NUM_WORDS)
    x_test = vectorize_sequences(test_data, NUM_WORDS)
    y_train = np.asarray(train_labels).astype("float32")
    y_test = np.asarray(test_labels).astype("float32")

    # Hold out the first `num_validation` reviews to choose the number of epochs.
    x_val, partial_x_train = x_train[:num_validation], x_train[num_validation:]
    y_val, partial_y_train = y_train[:num_validation], y_train[num_validation:]
    model = build_model()
    history = model.fit(
        partial_x_train,
        partial_y_train,
        epochs=epochs,
        batch_size=512,
        validation_data=(x_val, y_val),
        verbose=verbose,
    )
    val_loss = history.history["val_loss"]
    if verbose:
        best = int(np.argmin(val_loss)) + 1
        print(f"lowest validation loss {min(val_loss):.4f} after epoch {best} of {epochs}")

    # A fresh model on all the training data, for the epochs the validation run suggested.
    model = build_model()
    model.fit(x_train, y_train, epochs=final_epochs, batch_size=512, verbose=verbose)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"test_loss: {test_loss:.4f}  test_acc: {test_acc:.4f}")
        print("first predictions:", model.predict(x_test[:5], verbose=0).ravel().round(3))
    return {"history": history.history, "test_loss": test_loss, "test_acc": test_acc}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--synthetic", action="store_true", help="generated data, no download")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--final-epochs", type=int, default=4)
    args = parser.parse_args()
    main(
        synthetic=args.synthetic or os.environ.get("NUMERAS_EXAMPLES_SYNTHETIC") == "1",
        epochs=args.epochs,
        final_epochs=args.final_epochs,
    )
