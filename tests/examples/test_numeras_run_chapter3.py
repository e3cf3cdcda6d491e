"""``numeras run`` on the first edition's chapter 3-4 IMDB program, unmodified (``import keras``),
given the data: a small generated imdb.npz in the dataset cache (tests/examples/conftest.py)."""

import hashlib
import os
import subprocess
import sys
import textwrap

import numeras

SRC = os.path.dirname(os.path.dirname(numeras.__file__))

# Listings 3.1-3.10 (with 4.4's L2 regularization and dropout), as the book writes them with Keras.
BOOK_PROGRAM = """
from keras.datasets import imdb
from keras import models, layers, regularizers
import numpy as np

(train_data, train_labels), (test_data, test_labels) = imdb.load_data(num_words=10000)

def vectorize_sequences(sequences, dimension=10000):
    results = np.zeros((len(sequences), dimension))
    for i, sequence in enumerate(sequences):
        results[i, sequence] = 1.
    return results

x_train = vectorize_sequences(train_data)
x_test = vectorize_sequences(test_data)
y_train = np.asarray(train_labels).astype('float32')
y_test = np.asarray(test_labels).astype('float32')

model = models.Sequential()
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001), activation='relu', input_shape=(10000,)))
model.add(layers.Dropout(0.5))
model.add(layers.Dense(16, kernel_regularizer=regularizers.l2(0.001), activation='relu'))
model.add(layers.Dense(1, activation='sigmoid'))
model.compile(optimizer='rmsprop', loss='binary_crossentropy', metrics=['acc'])

x_val = x_train[:100]
partial_x_train = x_train[100:]
y_val = y_train[:100]
partial_y_train = y_train[100:]
history = model.fit(partial_x_train, partial_y_train, epochs=8, batch_size=32, validation_data=(x_val, y_val))
print("KEYS", sorted(history.history.keys()))
results = model.evaluate(x_test, y_test)
print("RESULT", results[1])
print("PREDICT", model.predict(x_test[:3]).shape)
"""


def test_the_books_chapter_3_imdb_program_runs_unmodified(imdb_in_cache, offline_home, tmp_path):
    imdb_in_cache(num_train=400, num_test=200, signal=0.35)
    payload = (offline_home / "datasets" / "imdb.npz").read_bytes()
    script = tmp_path / "imdb_chapter3.py"
    script.write_text(textwrap.dedent(BOOK_PROGRAM))
    # The test's generated imdb.npz has its own hash; the book program itself is run as written.
    launcher = (
        "import sys; import numeras.datasets.imdb as imdb; "
        f"imdb.FILE_HASH = {hashlib.sha256(payload).hexdigest()!r}; "
        f"from numeras import cli; sys.exit(cli.main(['run', {str(script)!r}]))"
    )
    env = {**os.environ, "PYTHONPATH": SRC, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, timeout=300,
                          env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "numeras run:" in done.stderr
    assert "KEYS ['acc', 'loss', 'val_acc', 'val_loss']" in done.stdout
    assert float(done.stdout.split("RESULT ")[1].split()[0]) > 0.6  # words correlated with labels
    assert "PREDICT (3, 1)" in done.stdout
