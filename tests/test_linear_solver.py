"""The linear end model's full-batch CPU path: the objective's gradient, the optimizer, soft
labels and row weights, agreement with the minibatch path, determinism, the regex tokens."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from explicate.runtime.end_model import Bags, EndModel, TextSpec, end_models, hashed_features
from explicate.runtime.end_model.inputs import tokenize_texts
from explicate.runtime.end_model.linear import Linear
from explicate.runtime.end_model.registry import FullBatch, TrainProblem
from explicate.runtime.end_model.solver import design_matrix, fit_lbfgs, lbfgs, map_columns
from tests.test_end_model import _cue_data


@end_models.register("linear_minibatch_test")
class _Minibatch(Linear):
    """The linear kind through the generic minibatch loop (as on a GPU)."""

    def train_full(self, feats: Any, problem: TrainProblem) -> FullBatch | None:
        return None


def _objective(x: sp.csr_matrix, q: np.ndarray, s: np.ndarray, W: np.ndarray, b: np.ndarray,
               l2: float) -> float:
    z = np.asarray(x @ W) + b
    z -= z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    return float((s * -(q * logp).sum(1)).sum() / s.sum() + 0.5 * l2 * (W * W).sum())


def _problem(n: int, d: int, k: int, seed: int) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = sp.random(n, d, density=0.3, random_state=seed, format="csr")
    q = rng.dirichlet(np.ones(k), n)
    return x, q, rng.uniform(0.2, 1.0, n)


def test_the_solution_is_the_minimum_of_the_objective() -> None:
    # At the optimum the objective's gradient vanishes: a small move in any direction does
    # not lower it (binary form and softmax form both).
    for k in (2, 3):
        x, q, s = _problem(60, 8, k, k)
        sol = fit_lbfgs(x, q, s, 0.05, 500, tol=1e-8)
        assert sol.converged
        best = _objective(x, q, s, sol.W, sol.b, 0.05)
        rng = np.random.default_rng(0)
        for _ in range(20):
            dW, db = rng.normal(size=sol.W.shape) * 1e-3, rng.normal(size=k) * 1e-3
            if k == 2:  # the binary model lives on W = [-w/2, w/2]
                dW = np.stack([-dW[:, 0], dW[:, 0]], 1)
                db = np.array([-db[0], db[0]])
            assert _objective(x, q, s, sol.W + dW, sol.b + db, 0.05) >= best - 1e-9


def test_soft_labels_and_row_weights_are_respected() -> None:
    # One constant feature: the best prediction is the (weighted) mean target distribution.
    n = 200
    rng = np.random.default_rng(1)
    q = rng.dirichlet(np.ones(3) * 0.5, n)
    s = rng.uniform(0.0, 1.0, n)
    x = sp.csr_matrix(np.ones((n, 1)))
    for weights in (None, s):
        sol = fit_lbfgs(x, q, weights, 1e-9, 500, tol=1e-10)
        z = np.asarray(x[:1] @ sol.W) + sol.b
        p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        w = np.ones(n) if weights is None else weights
        assert np.allclose(p[0], (w[:, None] * q).sum(0) / w.sum(), atol=1e-4)


def test_lbfgs_solves_a_quadratic() -> None:
    rng = np.random.default_rng(2)
    a = rng.normal(size=(20, 20))
    h = a @ a.T + np.eye(20)
    c = rng.normal(size=20)
    x, ok = lbfgs(lambda v: (0.5 * v @ h @ v - c @ v, h @ v - c), np.zeros(20), 500, 1e-10)
    assert ok and np.allclose(x, np.linalg.solve(h, c), atol=1e-6)


def test_design_matrix_maps_new_rows_onto_the_trained_buckets() -> None:
    train = Bags(np.array([5, 9, 9, 2, 9]), np.array([0, 2, 5]), np.ones(5, np.float32))
    x, used = design_matrix(train)
    assert used.tolist() == [2, 5, 9] and x.toarray().tolist() == [[0, 1, 1], [1, 0, 2]]
    new = Bags(np.array([7, 9, 5]), np.array([0, 2, 3]), np.full(3, 0.5, np.float32))
    x2, _ = design_matrix(new, used)  # bucket 7 has no weight in the model
    assert x2.toarray().tolist() == [[0, 0, 0.5], [0, 0.5, 0]]
    cols, ok = map_columns(np.array([1, 2, 10]), used)
    assert ok.tolist() == [False, True, False] and cols[1] == 0


def test_full_batch_agrees_with_the_minibatch_path_and_is_deterministic() -> None:
    df, y, covered = _cue_data(400, 0)
    probs = np.where(y[:, None] == np.arange(2), 0.85, 0.15).astype(np.float32)
    test, y_test, _ = _cue_data(300, 1)
    a = EndModel("linear", 2, TextSpec(("text",)), device="cpu", progress=False).fit(df, probs)
    b = EndModel("linear", 2, TextSpec(("text",)), device="cpu", progress=False).fit(df, probs)
    old = EndModel("linear_minibatch_test", 2, TextSpec(("text",)), device="cpu", epochs=15,
                   progress=False).fit(df, probs)
    pa = a.predict_proba(test)
    assert np.array_equal(pa, b.predict_proba(test))  # same data, same model
    assert a.fit_info["converged"] == 1.0
    agree = (pa.argmax(1) == old.predict(test)).mean()
    assert agree > 0.95 and (pa.argmax(1) == y_test).mean() > 0.9


def test_dev_checks_keep_the_best_iterate() -> None:
    df, y, covered = _cue_data(300, 2)
    dev, y_dev, _ = _cue_data(100, 3)
    model = EndModel("linear", 2, TextSpec(("text",)), device="cpu", progress=False)
    model.fit(df, np.eye(2, dtype=np.float32)[y], dev_df=dev, dev_y=y_dev)
    scores = [h["dev_score"] for h in model.history]
    best = int(model.fit_info["best_epoch"]) - 1
    assert scores[best] == max(scores)
    assert model._dev_score(model.predict_proba(dev), y_dev) == scores[best]


def test_regex_tokens_have_their_spans_and_distinct_texts_share_tokens() -> None:
    texts = ["Ann met Bob!", "", "ann MET bob!", "Ann met Bob!"]
    tok = tokenize_texts(texts)
    words = [texts[d][s:e] for d, s, e in zip(tok.doc_of, tok.char_start, tok.char_end,
                                              strict=True)]
    assert words == ["Ann", "met", "Bob", "!", "ann", "MET", "bob", "!", "Ann", "met", "Bob", "!"]
    assert tok.vocab[tok.codes].tolist() == [w.lower() for w in words]
    assert np.array_equal(tok.ids[:4], tok.ids[4:8])  # lowercased alike
    plain = tokenize_texts(texts, spans=False)
    assert np.array_equal(plain.ids, tok.ids) and np.array_equal(plain.doc_of, tok.doc_of)
    bags = hashed_features(pd.DataFrame({"text": texts}), TextSpec(("text",)), 1 << 16)
    row = [sorted(bags.index[bags.offsets[i]:bags.offsets[i + 1]].tolist()) for i in range(4)]
    assert row[0] == row[2] == row[3] and len(row[1]) == 1  # the empty text: its bias only


def test_length_batches_cover_every_text_once_within_the_token_budget() -> None:
    from explicate.runtime.end_model.encoder import length_batches

    lengths = np.random.default_rng(3).integers(1, 300, 500)
    batches = length_batches(lengths, 4096, 64)
    flat = np.concatenate(batches)
    assert sorted(flat.tolist()) == list(range(500))
    for b in batches:
        assert len(b) <= 64 and (len(b) == 1 or len(b) * lengths[b].max() <= 4096)
    longest = [int(lengths[b].max()) for b in batches]
    assert longest == sorted(longest, reverse=True)  # length-sorted: little padding
    assert len(length_batches(np.array([5000]), 4096, 64)[0]) == 1


def test_thread_policy_caps_blas_threads_and_restores_them(monkeypatch: Any) -> None:
    from threadpoolctl import threadpool_info

    from explicate.runtime import device

    def blas() -> list[int]:
        return [int(i["num_threads"]) for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    monkeypatch.setenv(device.ENV, "2")
    with device.thread_policy(10):  # small work: one thread
        assert all(n == 1 for n in blas())
    with device.blas_threads(1):
        assert all(n == 1 for n in blas())
    assert blas() == before


def test_a_model_saved_with_another_feature_layout_is_refused(tmp_path: Any) -> None:
    import json

    import pytest
    import torch

    df, y, _ = _cue_data(100, 4)
    model = EndModel("linear", 2, TextSpec(("text",)), device="cpu", progress=False)
    model.fit(df, np.eye(2, dtype=np.float32)[y]).save(tmp_path / "m.pt")
    assert np.allclose(EndModel.load(tmp_path / "m.pt").predict_proba(df), model.predict_proba(df))
    blob = torch.load(tmp_path / "m.pt", weights_only=True)
    meta = json.loads(blob["meta"])
    del meta["features"]  # as the previous versions saved it
    torch.save({"meta": json.dumps(meta), "state": blob["state"]}, tmp_path / "old.pt")
    with pytest.raises(ValueError, match="another feature layout"):
        EndModel.load(tmp_path / "old.pt")
