"""Confusion-matrix counts, Precision, Recall and AUC against explicit NumPy computations."""

import numpy as np
import pytest

from numeras import metrics

RNG = np.random.default_rng(17)
EPS = 1e-7


def _binary_batches(count=3, size=40):
    return [
        (RNG.integers(0, 2, size), RNG.uniform(size=size).astype("float32"), RNG.uniform(0, 2, size))
        for _ in range(count)
    ]


def _counts(labels, predictions, weights, thresholds):
    """tp, fp, tn, fn at each threshold, comparing every prediction explicitly (float64)."""
    positive = predictions[None, :].astype(np.float64) > np.asarray(thresholds)[:, None]
    truth = labels.astype(bool)[None, :]
    w = weights[None, :]
    return (
        (positive & truth) @ w.T,
        (positive & ~truth) @ w.T,
        (~positive & ~truth) @ w.T,
        (~positive & truth) @ w.T,
    )


def _concat(batches):
    return tuple(np.concatenate(parts) for parts in zip(*batches))


def _auc_thresholds(num_thresholds):
    return np.array([-EPS] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + EPS])


def _roc_auc_reference(labels, predictions, weights, num_thresholds=200):
    tp, fp, tn, fn = (c[:, 0] for c in _counts(labels, predictions, weights, _auc_thresholds(num_thresholds)))
    tpr = np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1e-300), 0)
    fpr = np.where(fp + tn > 0, fp / np.maximum(fp + tn, 1e-300), 0)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


@pytest.mark.parametrize(
    "cls, index", [(metrics.TruePositives, 0), (metrics.FalsePositives, 1), (metrics.TrueNegatives, 2), (metrics.FalseNegatives, 3)]
)
def test_condition_counts(cls, index):
    batches = _binary_batches()
    m = cls()
    for y, p, w in batches:
        m.update_state(y, p, sample_weight=w)
    labels, predictions, weights = _concat(batches)
    expected = _counts(labels, predictions, weights, [0.5])[index][0, 0]
    assert m.result() == pytest.approx(expected, rel=1e-5)
    multi = cls(thresholds=[0.2, 0.5, 0.9])
    for y, p, _ in batches:
        multi.update_state(y, p)
    np.testing.assert_allclose(
        multi.result(), _counts(labels, predictions, np.ones_like(weights), [0.2, 0.5, 0.9])[index][:, 0], rtol=1e-6
    )


def test_keras_count_examples():
    m = metrics.FalsePositives()
    m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    assert m.result() == 2.0
    m.reset_state()
    m.update_state([0, 1, 0, 0], [0, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == 1.0


@pytest.mark.parametrize("weighted", [False, True])
def test_precision_and_recall_over_batches(weighted):
    batches = _binary_batches()
    precision, recall = metrics.Precision(), metrics.Recall()
    for y, p, w in batches:
        precision.update_state(y, p, sample_weight=w if weighted else None)
        recall.update_state(y[:, None], p[:, None], sample_weight=w if weighted else None)
    labels, predictions, weights = _concat(batches)
    if not weighted:
        weights = np.ones_like(weights)
    tp, fp, tn, fn = (c[0, 0] for c in _counts(labels, predictions, weights, [0.5]))
    assert isinstance(precision.result(), float)
    assert precision.result() == pytest.approx(tp / (tp + fp), rel=1e-5)
    assert recall.result() == pytest.approx(tp / (tp + fn), rel=1e-5)


def test_keras_precision_examples():
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert m.result() == pytest.approx(2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert m.result() == 1.0
    top2 = metrics.Precision(top_k=2)
    top2.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert top2.result() == 0.0
    top4 = metrics.Precision(top_k=4)
    top4.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert top4.result() == 0.5


def test_precision_with_several_thresholds_returns_an_array():
    y, p, _ = _binary_batches(1)[0]
    thresholds = [0.1, 0.4, 0.8]
    m = metrics.Precision(thresholds=thresholds)
    m.update_state(y, p)
    tp, fp, _, _ = _counts(y, p, np.ones(len(y)), thresholds)
    result = m.result()
    assert isinstance(result, np.ndarray) and result.shape == (3,)
    np.testing.assert_allclose(result, (tp / (tp + fp))[:, 0], rtol=1e-6)


def test_evenly_spaced_thresholds_take_the_histogram_path_with_the_same_counts():
    thresholds = [0.0, 0.25, 0.5, 0.75, 1.0]
    y, p, w = _binary_batches(1, size=200)[0]
    p[:5] = [0.0, 0.25, 0.5, 1.0, 0.75]  # predictions exactly on thresholds: not above them
    m = metrics.Recall(thresholds=thresholds)
    assert m._thresholds_distributed_evenly
    m.update_state(y, p, sample_weight=w)
    tp, _, _, fn = _counts(y, p, w, thresholds)
    np.testing.assert_allclose(m.result(), np.where(tp + fn > 0, tp / (tp + fn), 0)[:, 0], rtol=1e-5)


def test_class_id_and_top_k():
    labels = np.eye(4)[RNG.integers(0, 4, 30)]
    scores = RNG.uniform(size=(30, 4))
    m = metrics.Recall(class_id=2)
    m.update_state(labels, scores)
    truth, predicted = labels[:, 2] == 1, scores[:, 2] > 0.5
    assert m.result() == pytest.approx((truth & predicted).sum() / truth.sum(), rel=1e-6)
    top1 = metrics.Precision(top_k=1)
    top1.update_state(labels, scores)
    # with top_k=1 each row predicts exactly its best class
    assert top1.result() == pytest.approx((labels.argmax(-1) == scores.argmax(-1)).mean(), rel=1e-6)


def test_thresholds_outside_zero_one_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.Precision(thresholds=1.5)


@pytest.mark.parametrize("weighted", [False, True])
def test_auc_matches_an_explicit_computation(weighted):
    batches = _binary_batches(count=3, size=300)
    m = metrics.AUC()
    for y, p, w in batches:
        m.update_state(y, p, sample_weight=w if weighted else None)
    labels, predictions, weights = _concat(batches)
    if not weighted:
        weights = np.ones_like(weights)
    assert isinstance(m.result(), float)
    assert m.result() == pytest.approx(_roc_auc_reference(labels, predictions, weights), rel=1e-5)


def test_auc_approximates_the_exact_roc_auc():
    labels = RNG.integers(0, 2, 2000)
    predictions = np.clip(RNG.normal(0.35 + 0.3 * labels, 0.2), 0, 1).astype("float32")
    m = metrics.AUC()
    m.update_state(labels, predictions)
    positives, negatives = predictions[labels == 1], predictions[labels == 0]
    exact = (positives[:, None] > negatives[None, :]).mean() + 0.5 * (positives[:, None] == negatives[None, :]).mean()
    assert m.result() == pytest.approx(exact, abs=5e-3)


def test_auc_keras_example_and_reset():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert m.result() == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert m.result() == pytest.approx(1.0)
    m.reset_state()
    assert all(not v.numpy().any() for v in m.variables)


def test_auc_explicit_thresholds_path_agrees():
    y, p, w = _binary_batches(1, size=500)[0]
    inner = [(i + 1) / 10 for i in range(9)]
    explicit = metrics.AUC(thresholds=[0.05] + inner)  # not evenly spaced: compares every pair
    assert not explicit._thresholds_distributed_evenly
    explicit.update_state(y, p, sample_weight=w)
    thresholds = np.array([-EPS, 0.05] + inner + [1 + EPS])
    tp, fp, tn, fn = (c[:, 0] for c in _counts(y, p, w, thresholds))
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    assert explicit.result() == pytest.approx(np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2), rel=1e-5)


def test_auc_summation_methods_bracket_the_interpolation():
    y, p, _ = _binary_batches(1, size=400)[0]
    results = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = metrics.AUC(num_thresholds=20, summation_method=method)
        m.update_state(y, p)
        results[method] = m.result()
    assert results["minoring"] <= results["interpolation"] <= results["majoring"]


def test_pr_auc_of_a_perfect_and_a_useless_ranking():
    labels = np.array([0, 0, 1, 1] * 25)
    perfect = metrics.AUC(curve="PR")
    perfect.update_state(labels, labels * 0.8 + 0.1)
    assert perfect.result() == pytest.approx(1.0, abs=1e-6)
    constant = metrics.AUC(curve="PR")
    constant.update_state(labels, np.full(labels.shape, 0.5))
    assert constant.result() == pytest.approx(0.5, abs=1e-6)


def test_auc_from_logits():
    y, p, _ = _binary_batches(1, size=300)[0]
    logits = np.log(p / (1 - p))
    probabilities, from_logits = metrics.AUC(), metrics.AUC(from_logits=True)
    probabilities.update_state(y, p)
    from_logits.update_state(y, logits)
    assert from_logits.result() == pytest.approx(probabilities.result(), abs=2e-3)


def test_multi_label_auc_is_the_mean_of_the_label_aucs():
    labels = RNG.integers(0, 2, (300, 3))
    scores = np.clip(RNG.normal(0.4 + 0.2 * labels, 0.25), 0, 1).astype("float32")
    multi = metrics.AUC(multi_label=True)
    multi.update_state(labels, scores)
    per_label = []
    for j in range(3):
        single = metrics.AUC()
        single.update_state(labels[:, j], scores[:, j])
        per_label.append(single.result())
    assert multi.result() == pytest.approx(np.mean(per_label), rel=1e-5)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(labels, scores)
    assert weighted.result() == pytest.approx((per_label[0] + 3 * per_label[2]) / 4, rel=1e-5)


def test_auc_config_round_trip():
    m = metrics.AUC(num_thresholds=50, curve="PR", summation_method="majoring", name="pr", from_logits=True)
    clone = metrics.AUC.from_config(m.get_config())
    assert clone.get_config() == m.get_config()
    explicit = metrics.AUC(thresholds=[0.3, 0.6])
    assert metrics.AUC.from_config(explicit.get_config()).thresholds == explicit.thresholds


def test_invalid_auc_arguments():
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="DET")
    with pytest.raises(ValueError, match="summation"):
        metrics.AUC(summation_method="simpson")
