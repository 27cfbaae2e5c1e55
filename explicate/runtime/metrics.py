"""Scores of predictions against gold labels: one definition of precision, recall and F1.

Predictions of ``ABSTAIN`` count as wrong (a miss); rows whose gold is ``ABSTAIN`` (unknown) are
left out where a function says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from explicate.ir import ABSTAIN


def precision_recall_f1(y: np.ndarray, pred: np.ndarray, c: int) -> tuple[float, float, float]:
    """Precision, recall and F1 of class ``c`` (predictions of ABSTAIN count as misses)."""
    tp = float(np.sum((pred == c) & (y == c)))
    fp = float(np.sum((pred == c) & (y != c)))
    fn = float(np.sum((pred != c) & (y == c)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_predictions(
    Y: np.ndarray, preds: np.ndarray, metrics: Sequence[str] = ("accuracy",)
) -> dict[str, float]:
    """Metrics of predictions against gold labels (ABSTAIN predictions count as wrong)."""
    Y = np.asarray(Y).astype(np.int64).reshape(-1)
    preds = np.asarray(preds).astype(np.int64).reshape(-1)
    if Y.shape != preds.shape:
        raise ValueError(f"Y has {Y.shape[0]} labels but there are {preds.shape[0]} predictions")
    out: dict[str, float] = {}
    classes = np.unique(np.concatenate([Y[Y >= 0], preds[preds >= 0]]))

    def prf(c: int) -> tuple[float, float, float]:
        return precision_recall_f1(Y, preds, c)

    for name in metrics:
        if name == "accuracy":
            out[name] = float(np.mean(preds == Y)) if Y.size else 0.0
        elif name in ("f1", "precision", "recall"):
            p, r, f = prf(1)
            out[name] = {"precision": p, "recall": r, "f1": f}[name]
        elif name == "f1_macro":
            out[name] = float(np.mean([prf(int(c))[2] for c in classes])) if classes.size else 0.0
        elif name == "f1_micro":
            tp = float(np.sum((preds == Y) & (preds >= 0)))
            fp = float(np.sum((preds != Y) & (preds >= 0)))
            fn = float(np.sum(preds != Y))
            out[name] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        elif name == "coverage":
            out[name] = float(np.mean(preds != ABSTAIN)) if preds.size else 0.0
        else:
            raise ValueError(
                f"unknown metric {name!r}; choose accuracy, f1, precision, recall, "
                "f1_micro, f1_macro, coverage"
            )
    return out


def scores(y: np.ndarray, pred: np.ndarray, k: int, positive: int) -> dict[str, float]:
    """Accuracy and coverage (abstentions count as wrong), and for two classes the precision,
    recall and F1 of ``positive``; for more, macro F1. Rows without gold are not scored."""
    known = y >= 0
    y, pred = y[known], pred[known]
    out: dict[str, float] = {
        "n": float(len(y)),
        "accuracy": float((pred == y).mean()) if len(y) else float("nan"),
        "coverage": float((pred != ABSTAIN).mean()) if len(y) else float("nan"),
    }

    if k == 2:
        out["precision"], out["recall"], out["f1"] = precision_recall_f1(y, pred, positive)
    else:
        out["f1_macro"] = float(np.mean([precision_recall_f1(y, pred, c)[2] for c in range(k)]))
    return out
