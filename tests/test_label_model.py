"""Label models: known accuracies recovered from synthetic votes, robustness, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from explicate.runtime.label_model import (
    ABSTAIN,
    METHODS,
    LabelModel,
    dependency_weights,
    fit_label_model_cli,
    probs_to_preds,
    score_predictions,
)
from explicate.runtime.label_stats import VoteStats, covered_mask, synthetic_votes


@pytest.fixture(scope="module")
def independent_k2() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L, Y, acc, _ = synthetic_votes(100_000, 10, 2, seed=1)
    return L, Y, acc


@pytest.fixture(scope="module")
def independent_k4() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    L, Y, acc, _ = synthetic_votes(100_000, 10, 4, seed=2)
    return L, Y, acc


@pytest.mark.parametrize("method", METHODS)
def test_label_model_recovers_accuracies_binary(method: str, independent_k2) -> None:
    L, Y, acc = independent_k2
    model = LabelModel(cardinality=2, method=method, seed=0).fit(L)
    assert model.accuracies is not None
    assert np.abs(model.accuracies - acc).max() < 0.03
    probs = model.predict_proba(L)
    assert probs.dtype == np.float32 and probs.shape == (L.shape[0], 2)
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-5)
    assert np.mean(probs.argmax(1) == Y) > 0.8


@pytest.mark.parametrize("method", METHODS)
def test_label_model_recovers_accuracies_multiclass(method: str, independent_k4) -> None:
    L, _, acc = independent_k4
    model = LabelModel(cardinality=4, method=method, seed=0).fit(L)
    assert model.accuracies is not None and model.confusion is not None
    assert np.abs(model.accuracies - acc).max() < 0.03
    assert model.confusion.shape == (10, 4, 4)
    np.testing.assert_allclose(model.confusion.sum(2), 1.0, atol=1e-4)


def test_label_model_estimates_class_balance() -> None:
    L, _, _, _ = synthetic_votes(100_000, 10, 2, seed=3, class_balance=np.array([0.8, 0.2]))
    model = LabelModel(2, "dawid_skene").fit(L)
    assert model.class_balance is not None
    assert abs(float(model.class_balance[0]) - 0.8) < 0.02


def test_label_model_default_beats_majority_on_correlated_lfs() -> None:
    L, Y, _, deps = synthetic_votes(
        50_000, 10, 2, seed=1, groups=2, group_size=3, accuracy=(0.65, 0.85),
        coverage=(0.3, 0.6),
    )
    mv = LabelModel(2, "majority").fit(L).predict(L, tie_break="random")
    auto = LabelModel(2, "auto")
    pred = auto.fit(L).predict(L, tie_break="random")
    assert np.mean(pred == Y) > np.mean(mv == Y) + 0.03
    assert sorted(auto.dependencies) == sorted(deps)  # found without being told
    given = LabelModel(2, "dawid_skene").fit(L, dependencies=deps).predict(L, tie_break="random")
    assert np.mean(given == Y) > np.mean(mv == Y) + 0.03


def test_label_model_is_deterministic_for_a_seed() -> None:
    L, _, _, _ = synthetic_votes(20_000, 30, 3, seed=4)
    a = LabelModel(3, "auto", seed=7, max_patterns=5_000).fit(L).predict_proba(L)
    b = LabelModel(3, "auto", seed=7, max_patterns=5_000).fit(L).predict_proba(L)
    np.testing.assert_array_equal(a, b)


def test_chunked_statistics_equal_whole_matrix_statistics() -> None:
    L, _, _, _ = synthetic_votes(30_000, 12, 3, seed=5)
    whole = VoteStats.from_matrix(L, 3)
    parts = [VoteStats.from_matrix(L[s : s + 7_000], 3) for s in range(0, L.shape[0], 7_000)]
    assert sum(parts) == whole
    assert parts[0] + parts[1] == VoteStats.from_matrix(L[:14_000], 3)
    assert whole.n_rows == L.shape[0]
    # Fitting on the statistics is fitting on the matrix (all patterns fit under the cap).
    p1 = LabelModel(3, "dawid_skene").fit(whole).predict_proba(L)
    p2 = LabelModel(3, "dawid_skene").fit(L).predict_proba(L)
    np.testing.assert_allclose(p1, p2, atol=1e-6)


def test_statistics_with_hashed_rows_round_trip() -> None:
    L, _, _, _ = synthetic_votes(5_000, 60, 5, seed=6)  # 6**60 rows: hashed keys
    stats = VoteStats.from_matrix(L, 5)
    back = stats.to_matrix()
    assert VoteStats.from_matrix(back, 5) == stats
    rows = {r.tobytes() for r in L}
    assert stats.n_patterns == len(rows)


def test_label_model_accepts_sparse_l() -> None:
    L, _, _, _ = synthetic_votes(5_000, 8, 3, seed=8)
    r, c = np.nonzero(L != ABSTAIN)
    S = sp.csr_matrix((L[r, c].astype(np.int64), (r, c)), shape=L.shape)  # stored 0 = class 0
    assert VoteStats.from_matrix(S, 3) == VoteStats.from_matrix(L, 3)
    m = LabelModel(3, "dawid_skene").fit(S)
    np.testing.assert_allclose(m.predict_proba(S), m.predict_proba(L), atol=1e-6)


def test_label_model_robust_to_silent_one_sided_and_duplicate_lfs() -> None:
    L, Y, _, _ = synthetic_votes(20_000, 6, 2, seed=9)
    silent = np.full((L.shape[0], 1), ABSTAIN, dtype=np.int8)
    one_sided = np.where(Y[:, None] == 1, 1, ABSTAIN).astype(np.int8)
    dup = L[:, :1]
    L2 = np.hstack([L, silent, one_sided, dup])
    for method in METHODS:
        model = LabelModel(2, method).fit(L2)
        probs = model.predict_proba(L2)
        assert np.isfinite(probs).all(), method
        assert model.accuracies is not None and np.isfinite(model.accuracies).all(), method
        assert model.confusion is not None and np.isfinite(model.confusion).all(), method


def test_uncovered_rows_get_the_class_balance() -> None:
    L, _, _, _ = synthetic_votes(20_000, 6, 3, seed=10)
    L[:100] = ABSTAIN
    for method in METHODS:
        model = LabelModel(3, method).fit(L, class_balance=[0.5, 0.3, 0.2])
        probs = model.predict_proba(L[:200])
        np.testing.assert_allclose(probs[:100], np.tile([0.5, 0.3, 0.2], (100, 1)), atol=1e-5)
    mask = covered_mask(L, 3)
    assert not mask[:100].any() and mask.sum() == (L != ABSTAIN).any(1).sum()
    assert (model.covered_mask(L) == mask).all()


@pytest.mark.parametrize("k", [2, 17, 50])
def test_label_model_handles_many_classes(k: int) -> None:
    L, Y, acc, _ = synthetic_votes(20_000, 8, k, seed=11, coverage=(0.4, 0.8))
    model = LabelModel(k, "auto").fit(L)
    probs = model.predict_proba(L)
    assert probs.shape == (L.shape[0], k) and np.isfinite(probs).all()
    assert np.mean(probs.argmax(1) == Y) > 0.8


def test_label_model_rejects_labels_out_of_range() -> None:
    L = np.array([[0, 1], [2, -1]], dtype=np.int8)
    with pytest.raises(ValueError, match=r"L\[1, 0\] = 2"):
        LabelModel(2).fit(L)
    with pytest.raises(ValueError, match="out of range"):
        LabelModel(2).fit(np.array([[-2, 0]]))
    with pytest.raises(ValueError, match="cardinality"):
        LabelModel(1)
    with pytest.raises(ValueError, match="unknown method"):
        LabelModel(2, "snorkel")
    with pytest.raises(ValueError, match="empty"):
        LabelModel(2).fit(np.zeros((0, 3), dtype=np.int8))
    model = LabelModel(2).fit(np.array([[0, 1, 1], [1, 1, -1]], dtype=np.int8))
    with pytest.raises(ValueError, match="fitted on 3"):
        model.predict_proba(np.zeros((2, 4), dtype=np.int8))


def test_predict_tie_breaks() -> None:
    probs = np.array([[0.5, 0.5], [0.2, 0.8], [0.5, 0.5]], dtype=np.float32)
    assert probs_to_preds(probs, "abstain").tolist() == [ABSTAIN, 1, ABSTAIN]
    assert probs_to_preds(probs, "first").tolist() == [0, 1, 0]
    rnd = probs_to_preds(probs, "random", seed=0)
    assert rnd[1] == 1 and set(rnd.tolist()) <= {0, 1}
    L = np.array([[0, 1], [1, 1]], dtype=np.int8)
    model = LabelModel(2, "majority").fit(L)
    assert model.predict(L, tie_break="abstain").tolist() == [ABSTAIN, 1]


def test_score_metrics() -> None:
    L, Y, _, _ = synthetic_votes(10_000, 8, 2, seed=12)
    model = LabelModel(2, "dawid_skene").fit(L)
    res = model.score(L, Y, metrics=["accuracy", "f1", "f1_macro", "coverage"])
    assert 0.8 < res["accuracy"] <= 1.0 and 0.0 < res["f1"] <= 1.0 and res["coverage"] > 0.9
    assert score_predictions(np.array([1, 0]), np.array([1, -1]), ["accuracy"]) == {
        "accuracy": 0.5
    }


def test_save_load_round_trip(tmp_path: Path) -> None:
    L, _, _, _ = synthetic_votes(10_000, 8, 3, seed=13)
    for method in ("auto", "majority", "matrix_completion"):
        model = LabelModel(3, method).fit(L)
        path = tmp_path / f"{method}.npz"
        model.save(path)
        back = LabelModel.load(path)
        np.testing.assert_array_equal(back.predict_proba(L), model.predict_proba(L))
        assert back.accuracies is not None and model.accuracies is not None
        np.testing.assert_array_equal(back.accuracies, model.accuracies)
        assert back.method == method and back.cardinality == 3


def test_dependency_weights_count_a_group_once() -> None:
    w = dependency_weights(5, [(0, 1), (1, 2)])
    np.testing.assert_allclose(w, [1 / 3, 1 / 3, 1 / 3, 1, 1])
    with pytest.raises(ValueError, match="outside"):
        dependency_weights(3, [(0, 5)])


def test_fit_label_model_cli(tmp_path: Path) -> None:
    L, Y, _, _ = synthetic_votes(5_000, 6, 3, seed=14)
    npz = tmp_path / "L.npz"
    np.savez(npz, L=L, lf_names=np.array([f"lf_{j}" for j in range(6)]),
             labels=np.array(["a", "b", "c"]))
    gold = tmp_path / "y.npy"
    np.save(gold, Y)
    out = tmp_path / "probs.npy"
    res = fit_label_model_cli(str(npz), "auto", str(out), str(gold))
    probs = np.load(out)
    assert probs.shape == (5_000, 3)
    assert res["cardinality"] == 3 and set(res["learned_accuracy"]) == {f"lf_{j}" for j in range(6)}
    assert res["metrics"]["accuracy"] > 0.7
