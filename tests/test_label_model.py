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
    VoteStats,
    covered_mask,
    dependency_weights,
    fit_label_model_cli,
    probs_to_preds,
    score_predictions,
    synthetic_votes,
)


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
    mv = LabelModel(3, "majority").fit(L).predict(L, tie_break="random")
    assert res["metrics"]["accuracy"] > float(np.mean(mv == Y))  # learning beats counting


def test_summary_shows_learned_accuracies() -> None:
    from typer.testing import CliRunner

    from explicate.cli import app

    demo = Path(__file__).resolve().parents[1] / "explicate" / "demo"
    args = ["summary", str(demo / "ads.lf"), "--data", str(demo / "ads.csv"), "--gold", "label"]
    runner = CliRunner()
    result = runner.invoke(app, [*args, "--label-model", "auto", "--json"])
    assert result.exit_code == 0, result.output
    import json

    lfs = json.loads(result.stdout)["lfs"]
    learned = np.array([r["Learned Acc."] for r in lfs])
    assert learned.shape == (len(lfs),) and ((learned > 0) & (learned <= 1)).all()
    # Without the option the column is absent; with an unknown method the user gets E601.
    plain = json.loads(runner.invoke(app, [*args, "--json"]).stdout)["lfs"]
    assert "Learned Acc." not in plain[0]
    bad = runner.invoke(app, [*args, "--label-model", "snorkel"])
    assert bad.exit_code == 2 and "E601" in bad.stderr and "choose one of" in bad.stderr


def test_lf_summary_learned_accuracy_column() -> None:
    from explicate.runtime.matrix import lf_summary

    L, Y, acc, _ = synthetic_votes(20_000, 5, 2, seed=15)
    model = LabelModel(2, "auto").fit(L)
    assert model.accuracies is not None
    table = lf_summary(L, [f"lf{j}" for j in range(5)], ("a", "b"), Y, model.accuracies)
    # Learned without gold, it tracks the empirical accuracy measured with gold.
    assert np.abs(table["Learned Acc."].to_numpy() - table["Emp. Acc."].to_numpy()).max() < 0.03
    with pytest.raises(ValueError, match="one accuracy per LF"):
        lf_summary(L, [f"lf{j}" for j in range(5)], ("a", "b"), Y, model.accuracies[:3])


@pytest.mark.parametrize("method", ["dawid_skene", "weighted_majority", "matrix_completion"])
def test_given_dependencies_undo_double_counting(method: str) -> None:
    # Three copies of one weak LF (accuracy 0.6) outvote the good independent LFs unless the
    # model is told they are one source; the pairs passed in are used, not just recorded.
    L, Y, acc, deps = synthetic_votes(
        50_000, 9, 2, seed=16, groups=1, group_size=4, accuracy=(0.7, 0.8), coverage=(0.3, 0.6),
        copy_rate=0.95,
    )
    blind = LabelModel(2, method).fit(L, dependencies=[])
    told = LabelModel(2, method).fit(L, dependencies=deps)
    assert told.dependencies == deps and blind.dependencies == []
    acc_blind = np.mean(blind.predict(L, tie_break="random") == Y)
    acc_told = np.mean(told.predict(L, tie_break="random") == Y)
    assert acc_told > acc_blind + 0.01, (acc_told, acc_blind)
    assert told.lf_weights is not None
    np.testing.assert_allclose(told.lf_weights[5:], 0.25)  # the group of 4 counts once


def test_auto_merges_given_and_detected_dependencies() -> None:
    L, _, _, deps = synthetic_votes(
        50_000, 10, 2, seed=1, groups=2, group_size=3, accuracy=(0.65, 0.85), coverage=(0.3, 0.6)
    )
    given = deps[:1]  # one pair known statically (e.g. from IR analysis), the rest detected
    model = LabelModel(2, "auto").fit(L, dependencies=given)
    assert given[0] in model.dependencies
    assert sorted(model.dependencies) == sorted(deps)
    assert given[0] not in model.fit_info["detected_dependencies"]
    with pytest.raises(ValueError, match="outside"):
        LabelModel(2, "auto").fit(L, dependencies=[(0, 10)])


def test_auto_prior_options() -> None:
    L, Y, _, _ = synthetic_votes(50_000, 10, 2, seed=17, class_balance=np.array([0.8, 0.2]))
    for prior in ("tempered", "estimate", "uniform"):
        model = LabelModel(2, "auto", prior=prior).fit(L)
        assert model.class_balance is not None
        if prior == "uniform":
            np.testing.assert_allclose(model.class_balance, [0.5, 0.5], atol=1e-6)
        else:
            assert model.class_balance[0] > 0.55  # leans towards the real majority class
        assert len(model.fit_info["estimated_class_balance"]) == 2
    given = LabelModel(2, "auto").fit(L, class_balance=[0.8, 0.2])
    np.testing.assert_allclose(given.class_balance, [0.8, 0.2], atol=1e-5)
    assert np.mean(given.predict(L, tie_break="random") == Y) > 0.85
    with pytest.raises(ValueError, match="prior"):
        LabelModel(2, prior="flat")


def test_low_overlap_auto_counts_votes_first_and_round_trips(tmp_path: Path) -> None:
    # Sparse LFs: few rows carry two votes, so the vote count decides and the learned model
    # only breaks ties (never overturns a majority).
    L, Y, _, _ = synthetic_votes(20_000, 8, 3, seed=18, coverage=(0.02, 0.1))
    model = LabelModel(3, "auto").fit(L)
    assert model.fit_info["overlap_rate"] < model.min_overlap
    assert model.fit_info["chosen"].startswith("majority")
    probs = model.predict_proba(L)
    counts = np.stack([(c == L).sum(1) for c in range(3)], axis=1)
    covered = counts.sum(1) > 0
    top = counts.max(1, keepdims=True)
    assert (probs[covered][counts[covered] < top[covered]] < 1e-6).all()
    assert np.mean(probs.argmax(1)[covered] == Y[covered]) >= np.mean(
        LabelModel(3, "majority").fit(L).predict(L, tie_break="random")[covered] == Y[covered])
    model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(LabelModel.load(tmp_path / "m.npz").predict_proba(L), probs)
