"""The linear end model against scikit-learn's LogisticRegression, side by side (issue 17).

Per data set, in one run: explicate's hashed n-gram features (rows/s) against CountVectorizer
(word unigrams, its default) and HashingVectorizer (char_wb 3-4-grams) on the same texts; then
training on the *same* design matrix and the *same* loss, the soft-label cross-entropy plus L2:
explicate's ``linear`` kind (full-batch L-BFGS, :mod:`explicate.runtime.end_model.solver`)
and ``LogisticRegression(solver="lbfgs")``, which takes soft labels as each row twice (once
per class) weighted by its probabilities, with ``C`` chosen so both minimize the same
objective (scikit-learn with its BLAS on one thread, as explicate runs it; with
``--sklearn-as-installed`` also with its default BLAS threads, and the better is the anchor).
Training rows/s (rows / fit seconds, features excluded), the ratio, the objective each reached
and test F1 side by side; the previous minibatch path (SparseAdam, 30 epochs) on
the small sets as a reference.

Data sets: Disease (``disease/*.tsv``, relation candidates chemical -> disease, gold labels),
SMS (WRENCH, the label model's probabilities from its 73 LFs) and a synthetic set (100k rows,
soft labels). Missing data sets are skipped.

    .venv/bin/python benchmarks/end_models.py [--quick] [--repeats 2] [--no-minibatch]

The last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explicate.runtime.end_model import EndModel, TextSpec, end_models, hashed_features  # noqa: E402
from explicate.runtime.end_model.linear import L2_PER_ROW, Linear  # noqa: E402
from explicate.runtime.end_model.registry import FullBatch, TrainProblem  # noqa: E402
from explicate.runtime.end_model.solver import design_matrix  # noqa: E402

DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))


@end_models.register("linear_minibatch")
class LinearMinibatch(Linear):
    """The previous CPU path, for reference: the generic minibatch loop (SparseAdam)."""

    def train_full(self, feats: Any, problem: TrainProblem) -> FullBatch | None:
        return None


class Task:
    def __init__(self, name: str, spec: TextSpec, train: pd.DataFrame, q: np.ndarray,
                 test: pd.DataFrame, y_test: np.ndarray, texts: list[str]):
        self.name, self.spec, self.train, self.q = name, spec, train, q.astype(np.float32)
        self.test, self.y_test, self.texts = test, y_test, texts


def disease() -> Task | None:
    d = DATA / "disease"
    if not (d / "train.tsv").is_file():
        return None
    names = ["text", "chemical", "disease", "pmid", "label"]

    def read(split: str) -> pd.DataFrame:
        return pd.read_csv(d / f"{split}.tsv", sep="\t", header=None, quoting=3, names=names)

    train, test = read("train"), read("test")
    y = (train["label"].to_numpy() == 1).astype(np.int64)
    return Task("disease", TextSpec(("text",), ("chemical", "disease")), train, np.eye(2)[y],
                test, (test["label"].to_numpy() == 1).astype(np.int64), train["text"].tolist())


def sms() -> Task | None:
    d = DATA / "wrench" / "sms"
    if not (d / "train.json").is_file():
        return None
    from explicate.runtime.label_model import LabelModel

    def read(split: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        rows = list(json.loads((d / f"{split}.json").read_text()).values())
        df = pd.DataFrame({"text": [r["data"]["text"] for r in rows]})
        return df, np.array([r["label"] for r in rows]), np.array([r["weak_labels"] for r in rows])

    train, _, L = read("train")
    test, y_test, _ = read("test")
    covered = (L >= 0).any(1)
    probs = LabelModel(2).fit(L).predict_proba(L)
    train = pd.DataFrame(train[covered]).reset_index(drop=True)
    return Task("sms", TextSpec(("text",)), train, probs[covered], test, y_test,
                train["text"].tolist())


def synthetic(n: int, seed: int = 0) -> Task:
    """Texts of 20 words from a 5,000-word vocabulary; 50 words lean to each class. Soft labels:
    the truth seen through a noisy labeler (probability 0.55-0.95 on the true class)."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5_000)])

    def make(m: int) -> tuple[pd.DataFrame, np.ndarray]:
        y = rng.integers(0, 2, m)
        words = rng.integers(100, 5_000, (m, 20))
        cue = rng.random((m, 20)) < 0.1
        words[cue] = (y[:, None] * 50 + rng.integers(0, 50, (m, 20)))[cue]
        texts = [" ".join(r) for r in vocab[words]]
        return pd.DataFrame({"text": texts}), y

    train, y = make(n)
    test, y_test = make(max(n // 5, 1_000))
    sure = rng.uniform(0.55, 0.95, n)
    right = rng.random(n) < 0.85
    p1 = np.where(right == (y == 1), sure, 1 - sure)
    q = np.stack([1 - p1, p1], axis=1)
    return Task(f"synthetic_{n // 1000}k", TextSpec(("text",)), train, q, test, y_test,
                train["text"].tolist())


def f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y != 1)).sum())
    fn = int(((pred != 1) & (y == 1)).sum())
    return round(2 * tp / max(2 * tp + fp + fn, 1), 4)


def objective(x: Any, q: np.ndarray, W: np.ndarray, b: np.ndarray, l2: float) -> float:
    """The soft-label objective of a softmax model (mean CE + l2/2 ||W||^2), for comparison."""
    z = np.asarray(x @ W) + b
    z -= z.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    # Binary models compare as W = [-w/2, w/2]: the penalty of that form.
    return float(-(q * logp).sum(1).mean() + 0.5 * l2 * (W * W).sum())


def run_task(t: Task, repeats: int, minibatch: bool, as_installed: bool,
             features_only: bool = False) -> dict[str, Any]:
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    out: dict[str, Any] = {"rows": len(t.train)}
    # ---- features, interleaved
    ours_f, cv_f, hv_f, same_f = [], [], [], []
    bags = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        bags = hashed_features(t.train, t.spec, 1 << 20)
        ours_f.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        CountVectorizer().fit_transform(t.texts)
        cv_f.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        char = HashingVectorizer(analyzer="char_wb", ngram_range=(3, 4), n_features=1 << 20,
                                 alternate_sign=False, norm=None).fit_transform(t.texts)
        hv_f.append(time.perf_counter() - t0)
        # The same feature set in scikit-learn: word 1-2-grams and char_wb 3-4-grams, hashed.
        t0 = time.perf_counter()
        words = HashingVectorizer(ngram_range=(1, 2), n_features=1 << 20, alternate_sign=False,
                                  norm=None).fit_transform(t.texts)
        scipy.sparse.hstack([words, char], format="csr")
        same_f.append(time.perf_counter() - t0 + hv_f[-1])
    assert bags is not None
    n = len(t.train)
    out["features_rows_per_s"] = round(n / min(ours_f))
    out["countvectorizer_rows_per_s"] = round(n / min(cv_f))
    out["hashingvectorizer_char_rows_per_s"] = round(n / min(hv_f))
    out["sklearn_same_features_rows_per_s"] = round(n / min(same_f))
    out["features_vs_countvectorizer"] = round(min(cv_f) / min(ours_f), 2)
    out["features_vs_sklearn_same_features"] = round(min(same_f) / min(ours_f), 2)
    if features_only:
        return out
    # ---- training on the same matrix and loss
    x, used = design_matrix(bags)
    l2 = L2_PER_ROW / n  # the linear kind's default
    k = t.q.shape[1]
    # Same objective: binary sklearn has one vector w = w1 - w0 and penalty ||w||^2 / (2 C n);
    # ours, in that form, l2/4 ||w||^2.  Multinomial: 1/(2 C n) = l2/2.
    c = 2.0 / (l2 * n) if k == 2 else 1.0 / (l2 * n)
    hard = bool(np.all(t.q.max(1) == 1.0))
    if hard:  # gold labels: the rows as they are
        xx, yy, sw = x, t.q.argmax(1), None
    else:  # soft labels: each row once per class, weighted by its probability
        xx = scipy.sparse.vstack([x] * k).tocsr()
        yy = np.repeat(np.arange(k), n)
        sw = t.q.T.reshape(-1).astype(np.float64)
    ours_t: list[float] = []
    sk_t: list[float] = []
    sk1_t: list[float] = []
    model = sk = None
    for _ in range(repeats):
        model = EndModel("linear", k, t.spec, device="cpu", progress=False, seed=0)
        model.fit(t.train, t.q)
        ours_t.append(model.fit_info["train_seconds"])
        # BLAS on one thread (the anchor); as installed only when asked (on a loaded machine
        # its BLAS threads spin in L-BFGS-B: 10-20x slower).
        variants: list[tuple[int | None, list[float]]] = [(1, sk1_t)]
        if as_installed:
            variants.append((None, sk_t))
        for limit, times in variants:
            sk = LogisticRegression(C=c, solver="lbfgs", max_iter=300, tol=1e-4)
            with threadpool_limits(limits=limit, user_api="blas"):
                t0 = time.perf_counter()
                sk.fit(xx, yy, sample_weight=sw)
                times.append(time.perf_counter() - t0)
    assert model is not None and sk is not None
    best_sk = min(sk_t + sk1_t)
    out["soft_labels"] = not hard
    out["train_rows_per_s"] = round(n / min(ours_t))
    out["sklearn_rows_per_s"] = round(n / best_sk)
    out["sklearn_blas1_rows_per_s"] = round(n / min(sk1_t))
    if sk_t:
        out["sklearn_as_installed_rows_per_s"] = round(n / min(sk_t))
    out["train_vs_sklearn"] = round(best_sk / min(ours_t), 2)
    out["iterations"] = int(model.fit_info["iterations"])
    out["sklearn_iterations"] = int(np.max(sk.n_iter_))
    assert model._net is not None
    weight = model._net.state_dict()["bag.weight"].numpy()[used].astype(np.float64)
    bias = model._net.state_dict()["bias"].numpy().astype(np.float64)
    if k == 2:
        w_sk = sk.coef_[0]
        W_sk, b_sk = np.stack([-w_sk / 2, w_sk / 2], 1), np.array([-1, 1]) * sk.intercept_[0] / 2
    else:
        W_sk, b_sk = sk.coef_.T, sk.intercept_
    out["objective"] = round(objective(x, t.q, weight, bias, l2), 6)
    out["sklearn_objective"] = round(objective(x, t.q, W_sk, b_sk, l2), 6)
    out["test_f1"] = f1(t.y_test, model.predict(t.test))
    test_x, _ = design_matrix(hashed_features(t.test, t.spec, 1 << 20), used)
    out["sklearn_test_f1"] = f1(t.y_test, sk.predict(test_x))
    if minibatch:
        old = EndModel("linear_minibatch", k, t.spec, device="cpu", progress=False, seed=0)
        old.fit(t.train, t.q)
        out["minibatch_rows_per_s"] = round(n * old.fit_info["epochs"]
                                            / old.fit_info["train_seconds"])
        out["minibatch_train_s"] = round(old.fit_info["train_seconds"], 3)
        out["minibatch_test_f1"] = f1(t.y_test, old.predict(t.test))
    out["train_s"] = round(min(ours_t), 4)
    out["sklearn_train_s"] = round(best_sk, 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a 20k synthetic set instead of 100k")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-minibatch", action="store_true", help="skip the previous path")
    ap.add_argument("--sklearn-as-installed", action="store_true",
                    help="also time scikit-learn with its BLAS threads as installed")
    ap.add_argument("--features-only", action="store_true",
                    help="time the features only (no training)")
    ap.add_argument("--only", default="", help="comma-separated data sets (disease,sms,synthetic)")
    args = ap.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f}", flush=True)
    makers = {"disease": disease, "sms": sms,
              "synthetic": lambda: synthetic(20_000 if args.quick else 100_000)}
    figures: dict[str, Any] = {"benchmark": "end_models"}
    for name, make in makers.items():
        if args.only and name not in args.only.split(","):
            continue
        task = make()
        if task is None:
            print(f"{name}: data not found under {DATA}, skipped")
            continue
        res = run_task(task, args.repeats, not args.no_minibatch and name != "synthetic",
                       args.sklearn_as_installed, args.features_only)
        figures[task.name] = res
        if args.features_only:
            print(f"{task.name:14s} rows {res['rows']:>7}  features {res['features_rows_per_s']}"
                  f" rows/s vs CountVectorizer {res['countvectorizer_rows_per_s']} "
                  f"({res['features_vs_countvectorizer']}x) vs the same set in scikit-learn "
                  f"{res['sklearn_same_features_rows_per_s']} "
                  f"({res['features_vs_sklearn_same_features']}x)", flush=True)
            continue
        print(f"{task.name:14s} rows {res['rows']:>7}  train {res['train_rows_per_s']:>9} rows/s"
              f"  sklearn {res['sklearn_rows_per_s']:>9} rows/s  ratio {res['train_vs_sklearn']}"
              f"  F1 {res['test_f1']} vs {res['sklearn_test_f1']}  features "
              f"{res['features_rows_per_s']} rows/s vs CountVectorizer "
              f"{res['countvectorizer_rows_per_s']} ({res['features_vs_countvectorizer']}x)",
              flush=True)
    done = [v for k, v in figures.items() if isinstance(v, dict)]
    if not args.features_only:
        figures["train_at_least_sklearn"] = all(v["train_vs_sklearn"] >= 1.0 for v in done)
        figures["f1_no_worse"] = all(v["test_f1"] >= v["sklearn_test_f1"] - 0.005 for v in done)
    figures["features_at_least_countvectorizer"] = all(
        v["features_vs_countvectorizer"] >= 1.0 for v in done)
    figures["features_at_least_sklearn_same_features"] = all(
        v["features_vs_sklearn_same_features"] >= 1.0 for v in done)
    figures["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
