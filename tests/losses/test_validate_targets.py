"""``validate_targets``: labels checked against the loss and the model output before training."""


import numpy as np
import pytest

import numeras as nr
from numeras import losses
from numeras.losses import validate_targets

RNG = np.random.default_rng(3)
MNIST_LABELS = RNG.integers(0, 10, 60000).astype("uint8")  # as mnist.load_data() gives them


@pytest.mark.parametrize(
    "loss",
    ["categorical_crossentropy", losses.CategoricalCrossentropy(), losses.categorical_crossentropy, losses.CategoricalCrossentropy],
    ids=["name", "instance", "function", "class"],
)
def test_integer_labels_with_categorical_crossentropy(loss):
    with pytest.raises(ValueError) as info:
        validate_targets(loss, MNIST_LABELS, (None, 10))
    message = str(info.value)
    assert "(60000,)" in message and "integer class labels" in message  # what was received
    assert "(60000, 10)" in message and "one-hot" in message  # what was expected
    assert "numeras.utils.to_categorical(y, 10)" in message  # the fixes
    assert "loss='sparse_categorical_crossentropy'" in message
    assert "loss=" in message and "categoricalcrossentropy" in message.split(":")[0].replace("_", "").lower()


def test_column_of_labels_with_categorical_crossentropy():
    with pytest.raises(ValueError, match=r"to_categorical\(y, 10\)"):
        validate_targets("categorical_crossentropy", MNIST_LABELS[:, None].astype("float32"), (None, 10))


def test_labels_beyond_the_outputs_are_pointed_out():
    with pytest.raises(ValueError, match="labels go up to 11.*12 units"):
        validate_targets("categorical_crossentropy", np.arange(12), (None, 10))


def test_one_hot_width_mismatch():
    y = np.eye(12, dtype="float32")[RNG.integers(0, 12, 50)]
    with pytest.raises(ValueError, match=r"12 columns.*10 outputs.*Dense\(12, activation='softmax'\)"):
        validate_targets("categorical_crossentropy", y, (None, 10))


def test_valid_targets_pass():
    validate_targets("categorical_crossentropy", np.eye(10, dtype="float32")[MNIST_LABELS], (None, 10))
    validate_targets("sparse_categorical_crossentropy", MNIST_LABELS, (None, 10))
    validate_targets("sparse_categorical_crossentropy", MNIST_LABELS[:, None], (None, 10))
    validate_targets(losses.SparseCategoricalCrossentropy(), MNIST_LABELS.astype("float32"), (None, 10))
    validate_targets("binary_crossentropy", RNG.integers(0, 2, 100), (None, 1))
    validate_targets("binary_crossentropy", RNG.uniform(size=(100, 1)), (None, 1))
    validate_targets("mse", RNG.normal(size=100), (None, 1))
    validate_targets("mse", RNG.normal(size=(100, 3)), (None, 3))
    validate_targets("sparse_categorical_crossentropy", RNG.integers(0, 5, (20, 7)), (None, 7, 5))  # sequences
    validate_targets(nr.Tensor(MNIST_LABELS), nr.Tensor(MNIST_LABELS), (None, 10))  # custom losses: unchecked
    validate_targets(lambda t, p: p, MNIST_LABELS, (None, 10))
    validate_targets("categorical_crossentropy", None, (None, 10))
    validate_targets("categorical_crossentropy", [np.zeros((3, 2)), np.zeros((3, 1))], (None, 2))  # multi-output


def test_one_hot_targets_with_sparse_categorical_crossentropy():
    with pytest.raises(ValueError) as info:
        validate_targets("sparse_categorical_crossentropy", np.eye(10)[MNIST_LABELS], (None, 10))
    message = str(info.value)
    assert "(60000, 10)" in message and "one-hot" in message and "(60000,)" in message
    assert "y.argmax(axis=-1)" in message and "loss='categorical_crossentropy'" in message


def test_sparse_labels_out_of_range():
    with pytest.raises(ValueError, match=r"class id 10.*\[0, 10\).*Dense\(11"):
        validate_targets("sparse_categorical_crossentropy", np.arange(11), (None, 10))
    with pytest.raises(ValueError, match="negative class id -1.*ignore_class"):
        validate_targets("sparse_categorical_crossentropy", np.array([0, -1, 3]), (None, 10))
    # an ignored class is allowed to lie outside the range
    validate_targets(losses.SparseCategoricalCrossentropy(ignore_class=255), np.array([0, 255, 3]), (None, 10))
    wrapped = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, ignore_class=-1)
    validate_targets(wrapped, np.array([0, -1, 3]), (None, 10))


def test_sparse_labels_must_be_integers():
    with pytest.raises(ValueError, match="non-integer values.*0.5"):
        validate_targets("sparse_categorical_crossentropy", np.array([0.0, 0.5, 2.0]), (None, 10))


def test_binary_crossentropy_with_multiclass_labels():
    with pytest.raises(ValueError, match=r"between 0 and 1.*from 0 to 9.*Dense\(10, activation='softmax'\).*sparse_categorical"):
        validate_targets("binary_crossentropy", MNIST_LABELS, (None, 1))


def test_elementwise_loss_shape_mismatch():
    with pytest.raises(ValueError, match=r"mse.*\(60000,\).*element by element.*\(60000, 10\).*to_categorical\(y, 10\)"):
        validate_targets("mse", MNIST_LABELS, (None, 10))
    with pytest.raises(ValueError, match="reshape"):
        validate_targets("mae", RNG.normal(size=(10, 3)), (None, 4))


def test_crossentropy_alias_is_checked_as_what_it_resolves_to():
    validate_targets("ce", MNIST_LABELS, (None, 10))  # sparse: fine
    with pytest.raises(ValueError, match="between 0 and 1"):
        validate_targets("ce", MNIST_LABELS, (None, 1))  # binary


def test_non_numeric_and_nan_targets():
    with pytest.raises(ValueError, match="must be numbers"):
        validate_targets("mse", np.array(["cat", "dog"]), (None, 1))
    with pytest.raises(ValueError, match="NaN"):
        validate_targets("mse", np.array([1.0, np.nan]), (None, 1))
