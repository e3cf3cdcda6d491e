"""The sequence chapters of "Deep Learning with Python", run with only their imports changed (keras
-> numeras), on small data in the datasets' real formats (made by conftest.py): first edition 6.1
(one-hot words and characters, Embedding on IMDB), 6.2 (SimpleRNN, LSTM on IMDB), 6.3 (Jena
temperature forecasting with the book's generator: GRU, recurrent dropout, stacked GRUs,
bidirectional GRU), 6.4 (Conv1D + MaxPooling1D on IMDB, Conv1D before a GRU on Jena), 8.1
(character-level LSTM text generation with temperature sampling), and second edition chapter 11
(TextVectorization -> bag of words, bigrams with TF-IDF, Embedding(mask_zero) -> Bidirectional(LSTM),
GloVe embeddings read from a file, the Transformer encoder with positional embedding; 11.5's
sequence-to-sequence models are in test_book_seq2seq.py).

Sizes (reviews, sequence lengths, epochs, steps) are shrunk so each runs in seconds; the code is
the book's otherwise. One test marked slow checks that an LSTM learns the generated IMDB-like
sentiment (accuracy well above chance)."""

from __future__ import annotations

import os
import random
import string
import sys

import numpy as np
import pytest

from conftest import NIETZSCHE_LIKE

# -- 6.1: one-hot encoding of words and characters; word embeddings --------------------------


def test_6_1_one_hot_words_and_characters():
    from numeras.preprocessing.text import Tokenizer

    samples = ["The cat sat on the mat.", "The dog ate my homework."]
    token_index = {}
    for sample in samples:
        for word in sample.split():
            if word not in token_index:
                token_index[word] = len(token_index) + 1
    max_length = 10
    results = np.zeros(shape=(len(samples), max_length, max(token_index.values()) + 1))
    for i, sample in enumerate(samples):
        for j, word in list(enumerate(sample.split()))[:max_length]:
            index = token_index.get(word)
            results[i, j, index] = 1.0
    assert results.sum() == 11 and results[0, 0, token_index["The"]] == 1

    characters = string.printable
    token_index = dict(zip(characters, range(1, len(characters) + 1)))
    max_length = 50
    results = np.zeros((len(samples), max_length, max(token_index.values()) + 1))
    for i, sample in enumerate(samples):
        for j, character in enumerate(sample):
            index = token_index.get(character)
            results[i, j, index] = 1.0
    assert results.sum() == sum(len(s) for s in samples)

    tokenizer = Tokenizer(num_words=1000)
    tokenizer.fit_on_texts(samples)
    sequences = tokenizer.texts_to_sequences(samples)
    one_hot_results = tokenizer.texts_to_matrix(samples, mode="binary")
    word_index = tokenizer.word_index
    print("Found %s unique tokens." % len(word_index))  # noqa: UP031 - the book's line
    assert len(word_index) == 9 and sequences[0][0] == word_index["the"]
    assert one_hot_results.shape == (2, 1000)


def test_6_1_embedding_on_imdb(imdb_in_cache):
    imdb_in_cache(num_train=300, num_test=100)
    from numeras import preprocessing
    from numeras.datasets import imdb
    from numeras.layers import Dense, Embedding, Flatten
    from numeras.models import Sequential

    embedding_layer = Embedding(1000, 64)
    assert embedding_layer.output_dim == 64
    max_features = 10000
    maxlen = 20
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
    x_train = preprocessing.sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = preprocessing.sequence.pad_sequences(x_test, maxlen=maxlen)

    model = Sequential()
    with pytest.warns(UserWarning, match="input_length"):
        model.add(Embedding(10000, 8, input_length=maxlen))
    model.add(Flatten())
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=10, batch_size=32, validation_split=0.2, verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert history.history["loss"][-1] < history.history["loss"][0]


# -- 6.2: SimpleRNN and LSTM on IMDB -------------------------------------------------------------


def test_6_2_simple_rnn_and_lstm_on_imdb(imdb_in_cache):
    imdb_in_cache(num_train=160, num_test=40)
    from numeras.datasets import imdb
    from numeras.layers import LSTM, Dense, Embedding, SimpleRNN
    from numeras.models import Sequential
    from numeras.preprocessing import sequence

    model = Sequential()
    model.add(Embedding(10000, 32))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32, return_sequences=True))
    model.add(SimpleRNN(32))
    model.build((None, 7))
    model.summary()
    assert model.output_shape == (None, 32)

    max_features = 10000
    maxlen = 50  # the book: 500
    batch_size = 32
    print("Loading data...")
    (input_train, y_train), (input_test, y_test) = imdb.load_data(num_words=max_features)
    print(len(input_train), "train sequences")
    input_train = sequence.pad_sequences(input_train, maxlen=maxlen)
    input_test = sequence.pad_sequences(input_test, maxlen=maxlen)
    print("input_train shape:", input_train.shape)

    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(SimpleRNN(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(input_train, y_train, epochs=2, batch_size=batch_size, validation_split=0.2, verbose=0)
    assert len(history.history["val_acc"]) == 2

    model = Sequential()
    model.add(Embedding(max_features, 32))
    model.add(LSTM(32))
    model.add(Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(input_train, y_train, epochs=3, batch_size=batch_size, validation_split=0.2, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.evaluate(input_test, y_test, verbose=0)[1] >= 0.0


# -- 6.3 and 6.4: Jena temperature forecasting ------------------------------------------------


def _read_jena(data_dir):
    fname = os.path.join(data_dir, "jena_climate_2009_2016.csv")
    f = open(fname)
    data = f.read()
    f.close()
    lines = data.split("\n")
    header = lines[0].split(",")
    lines = lines[1:]
    print(header)
    print(len(lines))
    float_data = np.zeros((len(lines), len(header) - 1))
    for i, line in enumerate(lines):
        values = [float(x) for x in line.split(",")[1:]]
        float_data[i, :] = values
    return float_data


def generator(data, lookback, delay, min_index, max_index, shuffle=False, batch_size=128, step=6):
    if max_index is None:
        max_index = len(data) - delay - 1
    i = min_index + lookback
    while 1:
        if shuffle:
            rows = np.random.randint(min_index + lookback, max_index, size=batch_size)
        else:
            if i + batch_size >= max_index:
                i = min_index + lookback
            rows = np.arange(i, min(i + batch_size, max_index))
            i += len(rows)
        samples = np.zeros((len(rows), lookback // step, data.shape[-1]))
        targets = np.zeros((len(rows),))
        for j, row in enumerate(rows):  # noqa: B007 - the book's line
            indices = range(rows[j] - lookback, rows[j], step)
            samples[j] = data[indices]
            targets[j] = data[rows[j] + delay][1]
        yield samples, targets


@pytest.fixture
def jena(jena_csv):
    float_data = _read_jena(jena_csv(rows=1500))
    mean = float_data[:900].mean(axis=0)  # the book: [:200000]
    float_data -= mean
    std = float_data[:900].std(axis=0)
    float_data /= std
    lookback = 240  # the book: 1440 (10 days); here 40 steps of an hour
    step = 6
    delay = 24
    batch_size = 32
    train_gen = generator(float_data, lookback=lookback, delay=delay, min_index=0, max_index=900, shuffle=True, step=step, batch_size=batch_size)
    val_gen = generator(float_data, lookback=lookback, delay=delay, min_index=901, max_index=1200, step=step, batch_size=batch_size)
    test_gen = generator(float_data, lookback=lookback, delay=delay, min_index=1201, max_index=None, step=step, batch_size=batch_size)
    val_steps = (1200 - 901 - lookback) // batch_size
    return float_data, train_gen, val_gen, test_gen, val_steps


def test_6_3_gru_models_on_jena(jena):
    from numeras import layers
    from numeras.models import Sequential
    from numeras.optimizers import RMSprop

    float_data, train_gen, val_gen, test_gen, val_steps = jena
    assert float_data.shape == (1500, 14)
    samples, targets = next(test_gen)
    assert samples.shape == (32, 40, 14) and targets.shape == (32,)

    def evaluate_naive_method():
        batch_maes = []
        for step in range(val_steps):  # noqa: B007 - the book's line
            samples, targets = next(val_gen)
            preds = samples[:, -1, 1]
            mae = np.mean(np.abs(preds - targets))
            batch_maes.append(mae)
        print(np.mean(batch_maes))
        return np.mean(batch_maes)

    assert evaluate_naive_method() > 0

    model = Sequential()
    model.add(layers.GRU(32, input_shape=(None, float_data.shape[-1])))
    model.add(layers.Dense(1))
    model.compile(optimizer=RMSprop(), loss="mae")
    history = model.fit_generator(train_gen, steps_per_epoch=6, epochs=3, validation_data=val_gen, validation_steps=val_steps, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]

    model = Sequential()
    model.add(layers.GRU(32, dropout=0.2, recurrent_dropout=0.2, input_shape=(None, float_data.shape[-1])))
    model.add(layers.Dense(1))
    model.compile(optimizer=RMSprop(), loss="mae")
    history = model.fit_generator(train_gen, steps_per_epoch=2, epochs=2, validation_data=val_gen, validation_steps=val_steps, verbose=0)
    assert len(history.history["val_loss"]) == 2

    model = Sequential()
    model.add(layers.GRU(32, dropout=0.1, recurrent_dropout=0.5, return_sequences=True, input_shape=(None, float_data.shape[-1])))
    model.add(layers.GRU(64, activation="relu", dropout=0.1, recurrent_dropout=0.5))
    model.add(layers.Dense(1))
    model.compile(optimizer=RMSprop(), loss="mae")
    history = model.fit_generator(train_gen, steps_per_epoch=2, epochs=2, validation_data=val_gen, validation_steps=val_steps, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()

    model = Sequential()
    model.add(layers.Bidirectional(layers.GRU(32), input_shape=(None, float_data.shape[-1])))
    model.add(layers.Dense(1))
    model.compile(optimizer=RMSprop(), loss="mae")
    history = model.fit_generator(train_gen, steps_per_epoch=4, epochs=2, validation_data=val_gen, validation_steps=val_steps, verbose=0)
    assert model.layers[0].output_shape == (None, 64)
    assert np.isfinite(history.history["val_loss"]).all()


def test_6_3_reversed_sequences_and_bidirectional_lstm_on_imdb(imdb_in_cache):
    imdb_in_cache(num_train=120, num_test=40)
    from numeras import layers
    from numeras.datasets import imdb
    from numeras.models import Sequential
    from numeras.preprocessing import sequence

    max_features = 10000
    maxlen = 40  # the book: 500
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
    x_train = [x[::-1] for x in x_train]
    x_test = [x[::-1] for x in x_test]
    x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
    x_test = sequence.pad_sequences(x_test, maxlen=maxlen)
    model = Sequential()
    model.add(layers.Embedding(max_features, 128))
    model.add(layers.LSTM(32))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=2, batch_size=128, validation_split=0.2, verbose=0)
    assert len(history.history["acc"]) == 2

    model = Sequential()
    model.add(layers.Embedding(max_features, 32))
    model.add(layers.Bidirectional(layers.LSTM(32)))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=2, batch_size=128, validation_split=0.2, verbose=0)
    assert len(model.layers[1].weights) == 6


def test_6_4_conv1d_on_imdb_and_conv_gru_on_jena(imdb_in_cache, jena):
    imdb_in_cache(num_train=120, num_test=40)
    from numeras import layers
    from numeras.datasets import imdb
    from numeras.models import Sequential
    from numeras.optimizers import RMSprop
    from numeras.preprocessing import sequence

    max_features = 10000
    max_len = 60  # the book: 500
    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=max_features)
    x_train = sequence.pad_sequences(x_train, maxlen=max_len)
    x_test = sequence.pad_sequences(x_test, maxlen=max_len)
    model = Sequential()
    model.add(layers.Embedding(max_features, 128, input_length=max_len))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.MaxPooling1D(5))
    model.add(layers.Conv1D(32, 7, activation="relu"))
    model.add(layers.GlobalMaxPooling1D())
    model.add(layers.Dense(1))
    model.summary()
    model.compile(optimizer=RMSprop(lr=1e-4), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train, y_train, epochs=2, batch_size=128, validation_split=0.2, verbose=0)
    assert len(history.history["val_acc"]) == 2

    float_data, train_gen, val_gen, test_gen, val_steps = jena
    model = Sequential()
    model.add(layers.Conv1D(32, 5, activation="relu", input_shape=(None, float_data.shape[-1])))
    model.add(layers.MaxPooling1D(3))
    model.add(layers.Conv1D(32, 5, activation="relu"))
    model.add(layers.GRU(32, dropout=0.1, recurrent_dropout=0.5))
    model.add(layers.Dense(1))
    model.summary()
    model.compile(optimizer=RMSprop(), loss="mae")
    history = model.fit_generator(train_gen, steps_per_epoch=2, epochs=2, validation_data=val_gen, validation_steps=val_steps, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()


# -- 8.1: character-level LSTM text generation ---------------------------------------------------


def test_8_1_character_level_lstm_generation(offline_home, capsys):
    (offline_home / "datasets" / "nietzsche.txt").write_text(NIETZSCHE_LIKE * 4)
    import numeras as keras
    from numeras import layers

    path = keras.utils.get_file("nietzsche.txt", origin="https://s3.amazonaws.com/text-datasets/nietzsche.txt")
    text = open(path).read().lower()
    print("Corpus length:", len(text))

    maxlen = 20  # the book: 60
    step = 3
    sentences = []
    next_chars = []
    for i in range(0, len(text) - maxlen, step):
        sentences.append(text[i: i + maxlen])
        next_chars.append(text[i + maxlen])
    print("Number of sequences:", len(sentences))
    chars = sorted(list(set(text)))
    print("Unique characters:", len(chars))
    char_indices = dict((char, chars.index(char)) for char in chars)
    print("Vectorization...")
    x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)  # the book: np.bool (removed from NumPy)
    y = np.zeros((len(sentences), len(chars)), dtype=bool)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1
        y[i, char_indices[next_chars[i]]] = 1

    model = keras.models.Sequential()
    model.add(layers.LSTM(128, input_shape=(maxlen, len(chars))))
    model.add(layers.Dense(len(chars), activation="softmax"))
    optimizer = keras.optimizers.RMSprop(lr=0.01)
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)

    def sample(preds, temperature=1.0):
        preds = np.asarray(preds).astype("float64")
        preds = np.log(preds) / temperature
        exp_preds = np.exp(preds)
        preds = exp_preds / np.sum(exp_preds)
        probas = np.random.multinomial(1, preds, 1)
        return np.argmax(probas)

    losses = []
    for epoch in range(1, 3):  # the book: range(1, 60)
        print("epoch", epoch)
        losses.append(model.fit(x, y, batch_size=128, epochs=1, verbose=0).history["loss"][0])
        start_index = random.randint(0, len(text) - maxlen - 1)
        generated_text = text[start_index: start_index + maxlen]
        print('--- Generating with seed: "' + generated_text + '"')
        for temperature in [0.2, 0.5, 1.0, 1.2]:
            print("------ temperature:", temperature)
            sys.stdout.write(generated_text)
            for i in range(15):  # noqa: B007 - the book: range(400)
                sampled = np.zeros((1, maxlen, len(chars)))
                for t, char in enumerate(generated_text):
                    sampled[0, t, char_indices[char]] = 1.0
                preds = model.predict(sampled, verbose=0)[0]
                next_index = sample(preds, temperature)
                next_char = chars[next_index]
                generated_text += next_char
                generated_text = generated_text[1:]
                sys.stdout.write(next_char)
            assert len(generated_text) == maxlen and set(generated_text) <= set(chars)
    out = capsys.readouterr().out
    assert out.count("------ temperature:") == 8
    assert losses[-1] < losses[0]


# -- second edition, chapter 11: bag of words and sequence models --------------------------------


def test_chapter_11_bag_of_words_and_bidirectional_lstm(acl_imdb, tmp_path, monkeypatch):
    root = acl_imdb(per_class=24)
    monkeypatch.chdir(tmp_path)
    from chapter11 import get_model

    import numeras as keras
    from numeras import layers

    batch_size = 32
    train_ds = keras.utils.text_dataset_from_directory(os.path.join(root, "train"), batch_size=batch_size)
    val_ds = keras.utils.text_dataset_from_directory(os.path.join(root, "test"), batch_size=batch_size)
    test_ds = keras.utils.text_dataset_from_directory(os.path.join(root, "test"), batch_size=batch_size)

    text_vectorization = layers.TextVectorization(max_tokens=20000, output_mode="multi_hot")
    text_only_train_ds = train_ds.map(lambda x, y: x)
    text_vectorization.adapt(text_only_train_ds)
    binary_1gram_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    binary_1gram_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    binary_1gram_test_ds = test_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)

    vocabulary_size = len(text_vectorization.get_vocabulary())
    model = get_model(max_tokens=vocabulary_size)
    model.summary()
    callbacks = [keras.callbacks.ModelCheckpoint("binary_1gram.keras", save_best_only=True)]
    model.fit(binary_1gram_train_ds.cache(), validation_data=binary_1gram_val_ds.cache(), epochs=3, callbacks=callbacks, verbose=0)
    model = keras.models.load_model("binary_1gram.keras")
    print(f"Test acc: {model.evaluate(binary_1gram_test_ds, verbose=0)[1]:.3f}")

    max_length = 40  # the book: 600
    max_tokens = 20000
    text_vectorization = layers.TextVectorization(max_tokens=max_tokens, output_mode="int", output_sequence_length=max_length)
    text_vectorization.adapt(text_only_train_ds)
    int_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    int_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    int_test_ds = test_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)

    inputs = keras.Input(shape=(None,), dtype="int64")
    embedded = layers.Embedding(input_dim=max_tokens, output_dim=32, mask_zero=True)(inputs)  # the book: 256
    x = layers.Bidirectional(layers.LSTM(32))(embedded)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    callbacks = [keras.callbacks.ModelCheckpoint("embeddings_bidir_lstm_with_masking.keras", save_best_only=True)]
    history = model.fit(int_train_ds, validation_data=int_val_ds, epochs=3, callbacks=callbacks, verbose=0)
    model = keras.models.load_model("embeddings_bidir_lstm_with_masking.keras")
    test_acc = model.evaluate(int_test_ds, verbose=0)[1]
    print(f"Test acc: {test_acc:.3f}")
    assert os.path.isfile("embeddings_bidir_lstm_with_masking.keras")
    assert len(history.history["val_loss"]) == 3
    assert 0.0 <= test_acc <= 1.0


def test_chapter_11_bigrams_tf_idf_glove_embeddings_and_transformer_encoder(acl_imdb, tmp_path, monkeypatch):
    """Second edition 11.3.2-11.4.3: bigrams with TF-IDF, pretrained word embeddings read from a
    GloVe text file (written here in the real "word v1 v2 ..." format), and the Transformer
    encoder with positional embedding. The book's ``with tf.device("cpu"):`` around ``adapt`` is
    TensorFlow's, not Keras's, and is left out."""
    root = acl_imdb(per_class=24)
    monkeypatch.chdir(tmp_path)
    from chapter11 import PositionalEmbedding, TransformerEncoder, get_model

    import numeras as keras
    from numeras import layers

    batch_size = 32
    train_ds = keras.utils.text_dataset_from_directory(os.path.join(root, "train"), batch_size=batch_size)
    val_ds = keras.utils.text_dataset_from_directory(os.path.join(root, "test"), batch_size=batch_size)
    text_only_train_ds = train_ds.map(lambda x, y: x)

    # 11.3.2: bigrams with TF-IDF encoding
    text_vectorization = layers.TextVectorization(ngrams=2, max_tokens=20000, output_mode="tf_idf")
    text_vectorization.adapt(text_only_train_ds)
    tfidf_2gram_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    tfidf_2gram_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    vocabulary = text_vectorization.get_vocabulary()
    assert any(" " in token for token in vocabulary)  # bigrams are in the vocabulary
    model = get_model(max_tokens=len(vocabulary))
    history = model.fit(tfidf_2gram_train_ds.cache(), validation_data=tfidf_2gram_val_ds.cache(), epochs=2, verbose=0)
    assert len(history.history["val_accuracy"]) == 2

    # 11.3.3: pretrained word embeddings (a GloVe file of the real format)
    max_length = 40  # the book: 600
    max_tokens = 20000
    text_vectorization = layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                  output_sequence_length=max_length)
    text_vectorization.adapt(text_only_train_ds)
    int_train_ds = train_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    int_val_ds = val_ds.map(lambda x, y: (text_vectorization(x), y), num_parallel_calls=4)
    embedding_dim = 8  # the book: 100
    rng = np.random.default_rng(0)
    glove_words = text_vectorization.get_vocabulary()[2:40]
    with open("glove.6B.8d.txt", "w") as f:
        for word in glove_words + ["unseen"]:
            f.write(word + " " + " ".join(f"{v:.5f}" for v in rng.normal(size=embedding_dim)) + "\n")

    path_to_glove_file = "glove.6B.8d.txt"
    embeddings_index = {}
    with open(path_to_glove_file) as f:
        for line in f:
            word, coefs = line.split(maxsplit=1)
            coefs = np.array(coefs.split(), "f")  # the book: np.fromstring(coefs, "f", sep=" ")
            embeddings_index[word] = coefs
    vocabulary = text_vectorization.get_vocabulary()
    word_index = dict(zip(vocabulary, range(len(vocabulary))))
    embedding_matrix = np.zeros((max_tokens, embedding_dim))
    for word, i in word_index.items():
        if i < max_tokens:
            embedding_vector = embeddings_index.get(word)
        if embedding_vector is not None:
            embedding_matrix[i] = embedding_vector
    embedding_layer = layers.Embedding(
        max_tokens,
        embedding_dim,
        embeddings_initializer=keras.initializers.Constant(embedding_matrix),
        trainable=False,
        mask_zero=True,
    )
    inputs = keras.Input(shape=(None,), dtype="int64")
    embedded = embedding_layer(inputs)
    x = layers.Bidirectional(layers.LSTM(8))(embedded)  # the book: 32
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(int_train_ds, validation_data=int_val_ds, epochs=2, verbose=0)
    table = embedding_layer.embeddings.numpy()
    np.testing.assert_allclose(table[word_index[glove_words[0]]], embeddings_index[glove_words[0]], rtol=1e-6)
    np.testing.assert_allclose(table, embedding_matrix.astype("float32"))  # frozen through training
    assert embedding_layer.trainable_weights == []

    # 11.4.3: the Transformer encoder with positional embedding (the book's layers: chapter11.py)
    vocab_size = 20000
    sequence_length = max_length
    embed_dim = 16  # the book: 256
    num_heads = 2
    dense_dim = 8  # the book: 32
    inputs = keras.Input(shape=(None,), dtype="int64")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(inputs)
    x = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.ModelCheckpoint("full_transformer_encoder.keras", save_best_only=True)]
    model.fit(int_train_ds, validation_data=int_val_ds, epochs=2, callbacks=callbacks, verbose=0)
    model = keras.models.load_model(
        "full_transformer_encoder.keras",
        custom_objects={"TransformerEncoder": TransformerEncoder, "PositionalEmbedding": PositionalEmbedding},
    )
    test_acc = model.evaluate(int_val_ds, verbose=0)[1]
    assert 0.0 <= test_acc <= 1.0


# -- a sentiment model learns ---------------------------------------------------------------------


@pytest.mark.slow
def test_lstm_sentiment_learns_imdb_like_data(imdb_in_cache):
    imdb_in_cache(num_train=1500, num_test=500, seed=3)
    from numeras import layers, models
    from numeras.datasets import imdb
    from numeras.preprocessing import sequence

    (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=1000)
    x_train = sequence.pad_sequences(x_train, maxlen=80)
    x_test = sequence.pad_sequences(x_test, maxlen=80)
    model = models.Sequential([
        layers.Embedding(1000, 32, mask_zero=True),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["acc"])
    model.fit(x_train, y_train, epochs=4, batch_size=64, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.85, accuracy
