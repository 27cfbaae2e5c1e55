"""``explicate fit``: fit a label model on a label matrix file and report what it learned."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from explicate.runtime.label_model.model import LabelModel, probs_to_preds
from explicate.runtime.label_model.stats import covered_mask
from explicate.runtime.metrics import score_predictions


def fit_label_model_cli(l_npz: str, method: str, out: str, gold: str | None) -> dict[str, Any]:
    """Fit a label model of ``method`` on ``L`` from an ``.npz``, save probabilities, report.

    The ``.npz`` holds ``L`` (int8 n x m) and ``lf_names``, optionally ``labels`` (the class
    names; cardinality = their number, else ``L.max() + 1``, at least 2). The probabilities go to
    ``out`` as float32 ``.npy``. ``gold`` is an optional ``.npy`` (or text file, one label per
    line) of gold classes for scoring. Returns a JSON-ready dict of what happened.
    """
    L, names, labels = _read_matrix(l_npz)
    k = len(labels) if labels else max(int(L.max()) + 1 if L.size else 2, 2)
    names = names or [f"lf{j}" for j in range(L.shape[1])]
    t0 = time.perf_counter()
    model = LabelModel(cardinality=k, method=method).fit(L)
    probs = model.predict_proba(L)
    seconds = time.perf_counter() - t0
    np.save(out, probs)
    assert model.accuracies is not None and model.class_balance is not None
    result: dict[str, Any] = {
        "method": method,
        "n": int(L.shape[0]),
        "m": int(L.shape[1]),
        "cardinality": k,
        "coverage": float(covered_mask(L, k).mean()) if L.shape[0] else 0.0,
        "seconds": round(seconds, 4),
        "class_balance": [round(float(x), 4) for x in model.class_balance],
        "learned_accuracy": {
            n: round(float(a), 4) for n, a in zip(names, model.accuracies, strict=True)
        },
        "out": out,
    }
    if labels:
        result["labels"] = labels
    if gold is not None:
        Y = _read_gold(gold, labels)
        metrics = ["accuracy", "f1"] if k == 2 else ["accuracy", "f1_macro"]
        preds = probs_to_preds(probs, "random", 0)
        result["metrics"] = score_predictions(Y, preds, metrics)
    return result


def _read_matrix(l_npz: str) -> tuple[np.ndarray, list[str] | None, list[str] | None]:
    """``(L, lf_names, labels)`` of a label-matrix ``.npz`` (ValueError where it has no 2-D L)."""
    with np.load(l_npz, allow_pickle=False) as z:
        if "L" not in z:
            raise ValueError(f"{l_npz} has no array 'L'")
        L = z["L"]
        names = [str(x) for x in z["lf_names"]] if "lf_names" in z else None
        labels = [str(x) for x in z["labels"]] if "labels" in z else None
    if L.ndim != 2:
        raise ValueError(f"L in {l_npz} must be 2-D, got shape {L.shape}")
    return L, names, labels


def _read_gold(gold: str, labels: list[str] | None) -> np.ndarray:
    """Gold classes from ``.npy`` or a text file; label names are mapped to class ids."""
    Y = np.load(gold) if gold.endswith(".npy") else np.loadtxt(gold, dtype=np.int64)
    Y = np.asarray(Y).reshape(-1)
    if labels and Y.dtype.kind in "US":
        Y = np.array([labels.index(str(y)) for y in Y])
    return Y
