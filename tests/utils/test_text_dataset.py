"""text_dataset_from_directory: texts, labels, max_length, the seeded split, and bad input."""

from pathlib import Path

import numpy as np
import pytest

from numeras.utils import text_dataset_from_directory


def _write_reviews(root: Path) -> Path:
    reviews = {
        "neg": ["awful film", "boring", "I left early", "never again"],
        "pos": ["loved it", "a classic — très bien", "great cast"],
    }
    for label, texts in reviews.items():
        (root / label).mkdir(parents=True)
        for index, text in enumerate(texts):
            (root / label / f"{index}.txt").write_text(text, encoding="utf-8")
    (root / "pos" / "ignored.md").write_text("not a .txt file")
    (root / ".hidden").mkdir()
    return root


def test_texts_and_labels_match_their_files(tmp_path, capsys):
    root = _write_reviews(tmp_path / "reviews")
    dataset = text_dataset_from_directory(root, batch_size=2, seed=4)
    assert "Found 7 files belonging to 2 classes." in capsys.readouterr().out
    assert dataset.class_names == ["neg", "pos"] and len(dataset) == 4
    texts, labels = [], []
    for batch_texts, batch_labels in dataset:
        assert batch_texts.dtype.kind == "U" and batch_labels.dtype == np.int32
        texts += batch_texts.tolist()
        labels += batch_labels.tolist()
    by_text = {path.read_text(encoding="utf-8"): path.parent.name for path in root.rglob("*.txt")}
    assert sorted(texts) == sorted(by_text)
    for text, label in zip(texts, labels):
        assert by_text[text] == dataset.class_names[label]


def test_unshuffled_order_max_length_and_label_modes(tmp_path):
    root = _write_reviews(tmp_path / "reviews")
    dataset = text_dataset_from_directory(root, shuffle=False, batch_size=None, max_length=5, verbose=False)
    items = [(str(t), int(y)) for t, y in dataset]
    assert items == [("awful", 0), ("borin", 0), ("I lef", 0), ("never", 0), ("loved", 1), ("a cla", 1), ("great", 1)]
    _, y = next(iter(text_dataset_from_directory(root, label_mode="categorical", verbose=False, seed=1)))
    assert y.shape == (7, 2) and y.dtype == np.float32
    _, y = next(iter(text_dataset_from_directory(root, label_mode="binary", verbose=False, seed=1)))
    assert y.shape == (7, 1)
    only_texts = next(iter(text_dataset_from_directory(root, labels=None, verbose=False, seed=1)))
    assert isinstance(only_texts, np.ndarray) and only_texts.shape == (7,)
    full = text_dataset_from_directory(root, shuffle=False, batch_size=None, verbose=False)
    assert "a classic — très bien" in [str(t) for t, _ in full]


def test_split_is_disjoint_covering_and_seeded(tmp_path):
    root = _write_reviews(tmp_path / "reviews")
    train, val = text_dataset_from_directory(root, validation_split=0.3, subset="both", seed=11, verbose=False)
    assert len(train.file_paths) == 5 and len(val.file_paths) == 2
    assert sorted(train.file_paths + val.file_paths) == sorted(str(p) for p in root.rglob("*.txt"))
    alone = text_dataset_from_directory(root, validation_split=0.3, subset="validation", seed=11, verbose=False)
    assert alone.file_paths == val.file_paths


def test_bad_input(tmp_path):
    root = _write_reviews(tmp_path / "reviews")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        text_dataset_from_directory(tmp_path / "missing")
    with pytest.raises(ValueError, match=r"len\(labels\) is 1 but 7 files"):
        text_dataset_from_directory(root, labels=[1], verbose=False)
    with pytest.raises(ValueError, match="pass a `seed`"):
        text_dataset_from_directory(root, validation_split=0.5, subset="both", verbose=False)
    with pytest.raises(ValueError, match="label_mode"):
        text_dataset_from_directory(root, label_mode="sparse", verbose=False)
    with pytest.raises(ValueError, match="max_length"):
        text_dataset_from_directory(root, max_length=-3, verbose=False)
    (root / "neg" / "latin1.txt").write_bytes(b"caf\xe9")
    dataset = text_dataset_from_directory(root, shuffle=False, verbose=False)
    with pytest.raises(ValueError, match=r"latin1\.txt.*UTF-8"):
        list(dataset)
