"""Second edition, chapter 11.5: sequence-to-sequence translation (English -> Spanish) with an RNN
encoder-decoder and with the Transformer, on a small ``spa-eng/spa.txt`` in the real format (one
"english<TAB>spanish" pair a line) that the test writes.

The book's code with ``keras`` -> ``numeras``. Two lines use TensorFlow itself, not Keras, and are
written without it: ``custom_standardization`` (``tf.strings.lower``/``regex_replace``: here NumPy's
``np.char.lower`` and ``re`` on the array of strings numeras passes) and ``tf.data.Dataset`` (here
``numeras.utils.Dataset``, the same methods). The decoder's causal mask is Keras 3's
``use_causal_mask=True`` instead of the book's hand-built ``get_causal_attention_mask`` (TF ops), as
the third edition writes it. Sizes are shrunk (vocabulary, embedding and latent widths, epochs).
"""

from __future__ import annotations

import random
import re
import string

import numpy as np
import pytest
from chapter11 import PositionalEmbedding, TransformerDecoder, TransformerEncoder

import numeras as keras
from numeras import layers, ops

ENGLISH = ["i", "you", "we", "they", "see", "like", "want", "the", "red", "big", "cat", "dog", "house", "car"]
SPANISH = {"i": "yo", "you": "tú", "we": "nosotros", "they": "ellos", "see": "veo", "like": "quiero",
           "want": "deseo", "the": "el", "red": "rojo", "big": "grande", "cat": "gato", "dog": "perro",
           "house": "casa", "car": "coche"}


@pytest.fixture
def spa_eng(tmp_path):
    """spa-eng/spa.txt: word-by-word "translations" of random four-word sentences, with punctuation
    (which the book's standardization strips), one tab-separated pair a line."""
    rng = random.Random(0)
    lines = []
    for _ in range(400):
        words = [rng.choice(ENGLISH) for _ in range(4)]
        english = " ".join(words).capitalize() + rng.choice([".", "!", "?"])
        spanish = ("¿" if english.endswith("?") else "") + " ".join(SPANISH[w] for w in words).capitalize() + english[-1]
        lines.append(f"{english}\t{spanish}")
    folder = tmp_path / "spa-eng"
    folder.mkdir()
    (folder / "spa.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(folder / "spa.txt")


def prepare(text_file):
    """The book's data preparation: pairs, shuffle and split, vectorization, datasets."""
    with open(text_file, encoding="utf-8") as f:
        lines = f.read().split("\n")[:-1]
    text_pairs = []
    for line in lines:
        english, spanish = line.split("\t")
        spanish = "[start] " + spanish + " [end]"
        text_pairs.append((english, spanish))

    random.Random(1).shuffle(text_pairs)
    num_val_samples = int(0.15 * len(text_pairs))
    num_train_samples = len(text_pairs) - 2 * num_val_samples
    train_pairs = text_pairs[:num_train_samples]
    val_pairs = text_pairs[num_train_samples:num_train_samples + num_val_samples]

    strip_chars = string.punctuation + "¿"
    strip_chars = strip_chars.replace("[", "")
    strip_chars = strip_chars.replace("]", "")

    def custom_standardization(input_string):
        lowercase = np.char.lower(input_string)  # the book: tf.strings.lower
        pattern = re.compile(f"[{re.escape(strip_chars)}]")
        return np.array([pattern.sub("", s) for s in lowercase.reshape(-1)]).reshape(lowercase.shape)

    vocab_size = 100  # the book: 15000
    sequence_length = 8  # the book: 20

    source_vectorization = layers.TextVectorization(
        max_tokens=vocab_size,
        output_mode="int",
        output_sequence_length=sequence_length,
    )
    target_vectorization = layers.TextVectorization(
        max_tokens=vocab_size,
        output_mode="int",
        output_sequence_length=sequence_length + 1,
        standardize=custom_standardization,
    )
    train_english_texts = [pair[0] for pair in train_pairs]
    train_spanish_texts = [pair[1] for pair in train_pairs]
    source_vectorization.adapt(train_english_texts)
    target_vectorization.adapt(train_spanish_texts)

    batch_size = 32  # the book: 64

    def format_dataset(eng, spa):
        eng = source_vectorization(eng)
        spa = target_vectorization(spa)
        return ({
            "english": eng,
            "spanish": spa[:, :-1],
        }, spa[:, 1:])

    def make_dataset(pairs):
        eng_texts, spa_texts = zip(*pairs)
        eng_texts = list(eng_texts)
        spa_texts = list(spa_texts)
        dataset = keras.utils.Dataset.from_tensor_slices((eng_texts, spa_texts))  # the book: tf.data.Dataset
        dataset = dataset.batch(batch_size)
        dataset = dataset.map(format_dataset, num_parallel_calls=4)
        return dataset.shuffle(2048).prefetch(16).cache()

    train_ds = make_dataset(train_pairs)
    val_ds = make_dataset(val_pairs)
    return train_ds, val_ds, source_vectorization, target_vectorization, vocab_size, sequence_length


def decoder_for(model, source_vectorization, target_vectorization, drop_last):
    """The book's greedy ``decode_sequence`` (the Transformer's drops the target's last token)."""
    spa_vocab = target_vectorization.get_vocabulary()
    spa_index_lookup = dict(zip(range(len(spa_vocab)), spa_vocab))
    max_decoded_sentence_length = 6

    def decode_sequence(input_sentence):
        tokenized_input_sentence = source_vectorization([input_sentence])
        decoded_sentence = "[start]"
        for i in range(max_decoded_sentence_length):
            tokenized_target_sentence = target_vectorization([decoded_sentence])
            if drop_last:
                tokenized_target_sentence = tokenized_target_sentence[:, :-1]
            next_token_predictions = model.predict([tokenized_input_sentence, tokenized_target_sentence], verbose=0)
            sampled_token_index = np.argmax(next_token_predictions[0, i, :])
            sampled_token = spa_index_lookup[sampled_token_index]
            decoded_sentence += " " + sampled_token
            if sampled_token == "[end]":
                break
        return decoded_sentence

    return decode_sequence


def test_the_data_are_formatted_as_the_book_shows(spa_eng):
    train_ds, _, source_vectorization, target_vectorization, _, sequence_length = prepare(spa_eng)
    inputs, targets = next(iter(train_ds))
    assert inputs["english"].shape == (32, sequence_length)
    assert inputs["spanish"].shape == (32, sequence_length)
    assert targets.shape == (32, sequence_length)
    np.testing.assert_array_equal(inputs["spanish"][:, 1:], targets[:, :-1])  # shifted by one step
    vocabulary = target_vectorization.get_vocabulary()
    assert "[start]" in vocabulary and "[end]" in vocabulary and "tú" in vocabulary
    assert not any(set(word) & set("¿?!.") for word in vocabulary)  # custom_standardization stripped them
    assert vocabulary[int(inputs["spanish"][0, 0])] == "[start]"


def test_rnn_encoder_decoder_with_initial_state_trains_and_decodes(spa_eng):
    train_ds, val_ds, source_vectorization, target_vectorization, vocab_size, _ = prepare(spa_eng)
    keras.utils.set_random_seed(0)
    embed_dim = 32  # the book: 256
    latent_dim = 64  # the book: 1024

    source = keras.Input(shape=(None,), dtype="int64", name="english")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(source)
    encoded_source = layers.Bidirectional(layers.GRU(latent_dim), merge_mode="sum")(x)

    past_target = keras.Input(shape=(None,), dtype="int64", name="spanish")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(past_target)
    decoder_gru = layers.GRU(latent_dim, return_sequences=True)
    x = decoder_gru(x, initial_state=encoded_source)
    x = layers.Dropout(0.5)(x)
    target_next_step = layers.Dense(vocab_size, activation="softmax")(x)
    seq2seq_rnn = keras.Model([source, past_target], target_next_step)

    seq2seq_rnn.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = seq2seq_rnn.fit(train_ds, epochs=6, validation_data=val_ds, verbose=0)  # the book: 15
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses

    # The decoder reads the encoder only through its initial state: that path carries gradient.
    inputs, targets = next(iter(train_ds))
    from numeras.autodiff import GradientTape

    encoder_weights = seq2seq_rnn.get_layer(index=2).trainable_weights  # the Bidirectional GRU
    with GradientTape() as tape:
        loss = ops.mean(keras.losses.sparse_categorical_crossentropy(targets, seq2seq_rnn(inputs)))
    grads = tape.gradient(loss, encoder_weights)
    assert all(g is not None and np.abs(g.numpy()).max() > 0 for g in grads)

    decode_sequence = decoder_for(seq2seq_rnn, source_vectorization, target_vectorization, drop_last=False)
    decoded = decode_sequence("the big dog.")
    assert decoded.startswith("[start] ")
    assert all(word in target_vectorization.get_vocabulary() for word in decoded.split())


def test_transformer_encoder_decoder_trains_saves_and_decodes(spa_eng, tmp_path):
    train_ds, val_ds, source_vectorization, target_vectorization, vocab_size, sequence_length = prepare(spa_eng)
    keras.utils.set_random_seed(0)
    embed_dim = 32  # the book: 256
    dense_dim = 64  # the book: 2048
    num_heads = 2  # the book: 8

    encoder_inputs = keras.Input(shape=(None,), dtype="int64", name="english")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(encoder_inputs)
    encoder_outputs = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)

    decoder_inputs = keras.Input(shape=(None,), dtype="int64", name="spanish")
    x = PositionalEmbedding(sequence_length, vocab_size, embed_dim)(decoder_inputs)
    x = TransformerDecoder(embed_dim, dense_dim, num_heads)(x, encoder_outputs)
    x = layers.Dropout(0.5)(x)
    decoder_outputs = layers.Dense(vocab_size, activation="softmax")(x)
    transformer = keras.Model([encoder_inputs, decoder_inputs], decoder_outputs)

    transformer.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = transformer.fit(train_ds, epochs=4, validation_data=val_ds, verbose=0)  # the book: 30
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0], losses

    path = str(tmp_path / "transformer.keras")
    transformer.save(path)
    restored = keras.models.load_model(path, custom_objects={
        "TransformerEncoder": TransformerEncoder,
        "TransformerDecoder": TransformerDecoder,
        "PositionalEmbedding": PositionalEmbedding,
    })
    inputs, _ = next(iter(val_ds))
    np.testing.assert_allclose(restored.predict(inputs, verbose=0), transformer.predict(inputs, verbose=0),
                               rtol=1e-5, atol=1e-6)

    decode_sequence = decoder_for(transformer, source_vectorization, target_vectorization, drop_last=True)
    decoded = decode_sequence("I like the red car.")
    assert decoded.startswith("[start] ")
    assert all(word in target_vectorization.get_vocabulary() for word in decoded.split())
