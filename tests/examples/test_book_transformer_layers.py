"""The Transformer layers of "Deep Learning with Python" (2nd edition, chapter 11; the book's code in
chapter11.py): ``PositionalEmbedding`` (token + position Embedding, with ``compute_mask``) and
``TransformerEncoder`` (MultiHeadAttention + a Dense projection, residual connections and
LayerNormalization, ``get_config``) subclassing ``layers.Layer``, in a small text classifier on
random integer sequences, and the ``TransformerDecoder``. The classifier must train (loss goes
down), save, load with ``custom_objects`` and predict the same; the decoder must be causal."""

import numpy as np
from chapter11 import PositionalEmbedding, TransformerDecoder, TransformerEncoder

import numeras
from numeras import layers, models, ops


def _data(samples=96, length=12, vocab=40, seed=0):
    """Sequences of token ids; label 1 when token 7 occurs (a pattern attention can find)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, size=(samples, length))
    y = np.zeros((samples, 1), "float32")
    positive = rng.random(samples) < 0.5
    spots = rng.integers(0, length, size=samples)
    x[positive, spots[positive]] = 7
    x[~positive] = np.where(x[~positive] == 7, 8, x[~positive])
    y[positive] = 1.0
    return x.astype("int64"), y


def _classifier(vocab=40, length=12, embed_dim=16, dense_dim=32, num_heads=2):
    inputs = layers.Input(shape=(None,), dtype="int64")
    x = PositionalEmbedding(length, vocab, embed_dim)(inputs)
    x = TransformerEncoder(embed_dim, dense_dim, num_heads)(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = models.Model(inputs, outputs)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_book_transformer_trains_saves_loads_and_predicts_the_same(tmp_path):
    numeras.utils.set_random_seed(0)
    x, y = _data()
    model = _classifier()
    encoder = model.layers[2]
    assert isinstance(encoder, TransformerEncoder)
    assert [w.path for w in encoder.attention.weights][:2] == ["query/kernel", "query/bias"]
    assert encoder.attention.weights[0].shape == (16, 2, 16)
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] * 0.9, losses
    predictions = model.predict(x, verbose=0)
    path = tmp_path / "full_transformer_encoder.keras"
    model.save(path)
    loaded = models.load_model(
        path, custom_objects={"TransformerEncoder": TransformerEncoder, "PositionalEmbedding": PositionalEmbedding}
    )
    np.testing.assert_allclose(loaded.predict(x, verbose=0), predictions, rtol=1e-5, atol=1e-6)
    config = loaded.layers[2].get_config()
    assert (config["embed_dim"], config["dense_dim"], config["num_heads"]) == (16, 32, 2)


def test_encoder_masks_padding_through_attention_mask():
    """The book's call: a (batch, length) padding mask becomes attention_mask (batch, 1, length),
    so padded keys get no weight and the real tokens' outputs ignore the padding's content."""
    numeras.utils.set_random_seed(1)
    encoder = TransformerEncoder(embed_dim=8, dense_dim=16, num_heads=2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 6, 8)).astype("float32")
    mask = np.array([[1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1]], bool)
    out = encoder(x, mask=mask).numpy()
    changed = x.copy()
    changed[0, 4:] = rng.normal(size=(2, 8))
    again = encoder(changed, mask=mask).numpy()
    np.testing.assert_allclose(again[0, :4], out[0, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(again[0, 4:], out[0, 4:])


def test_decoder_is_causal_and_trains():
    """Changing the targets after position t leaves the decoder's outputs up to t unchanged, and
    gradients reach every weight of both attentions."""
    numeras.utils.set_random_seed(2)
    decoder = TransformerDecoder(embed_dim=8, dense_dim=16, num_heads=2)
    rng = np.random.default_rng(3)
    targets = rng.normal(size=(2, 6, 8)).astype("float32")
    encoded = rng.normal(size=(2, 7, 8)).astype("float32")
    out = decoder(targets, encoded).numpy()
    changed = targets.copy()
    changed[:, 4:] = rng.normal(size=(2, 2, 8))
    again = decoder(changed, encoded).numpy()
    np.testing.assert_allclose(again[:, :4], out[:, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(again[:, 4:], out[:, 4:])
    from numeras.autodiff import GradientTape

    with GradientTape() as tape:
        loss = ops.mean(ops.square(decoder(targets, encoded)))
    weights = decoder.trainable_weights
    grads = tape.gradient(loss, weights)
    assert len(grads) == 2 * 8 + 4 + 6
    key_biases = {id(decoder.attention_1.key_dense.bias), id(decoder.attention_2.key_dense.bias)}
    for weight, grad in zip(weights, grads):
        if id(weight) in key_biases:
            # softmax ignores a shift shared by all keys, and q . b_key is one: no gradient
            np.testing.assert_allclose(grad.numpy(), 0.0, atol=1e-6)
        else:
            assert np.abs(grad.numpy()).max() > 1e-6, weight.path
