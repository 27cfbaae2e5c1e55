"""Warnings about a fitted label model that looks wrong: it collapsed to (nearly) one class, or
it does worse than majority vote on labeled data. Neither is an error (a task can be that
skewed), but a user should hear about it rather than read it off a confusion matrix."""

from __future__ import annotations

import numpy as np

from explicate.ir import ABSTAIN

# A model "collapses" when one class takes at least this share of the rows the LFs cover while
# majority vote gives that class at most COLLAPSE_MV_SHARE of the rows it labels.
COLLAPSE_SHARE = 0.95
COLLAPSE_MV_SHARE = 0.8
# Worse than majority vote by more than this much accuracy (on gold) is reported.
WORSE_BY = 0.02


def collapse_warnings(predictions: np.ndarray, majority: np.ndarray, labels: tuple[str, ...],
                      method: str) -> list[str]:
    """A warning when the model's labels (on rows some LF covers) are nearly all one class
    although majority vote's are not."""
    pred = np.asarray(predictions)
    mv = np.asarray(majority)
    voted = pred[mv != ABSTAIN] if (mv != ABSTAIN).any() else pred[pred != ABSTAIN]
    voted = voted[voted != ABSTAIN]
    if len(voted) < 10 or len(labels) < 2:
        return []
    counts = np.bincount(voted.astype(np.int64), minlength=len(labels))
    top = int(counts.argmax())
    share = counts[top] / len(voted)
    mv_known = mv[mv != ABSTAIN].astype(np.int64)
    mv_share = (np.bincount(mv_known, minlength=len(labels))[top] / len(mv_known)
                if len(mv_known) else 0.0)
    if share >= COLLAPSE_SHARE and mv_share <= COLLAPSE_MV_SHARE:
        return [f"label model '{method}' predicts {labels[top]} for {share:.0%} of the covered "
                f"rows (majority vote: {mv_share:.0%}); it may have collapsed to one class: try "
                "another method (e.g. majority or dawid_skene) or class_balance"]
    return []


def worse_than_majority(model_accuracy: float | None, majority_accuracy: float | None,
                        method: str, split: str) -> list[str]:
    """A warning when the model's accuracy on a labeled split is below majority vote's."""
    if model_accuracy is None or majority_accuracy is None:
        return []
    if np.isnan(model_accuracy) or np.isnan(majority_accuracy):
        return []
    if model_accuracy < majority_accuracy - WORSE_BY:
        return [f"label model '{method}' is less accurate than majority vote on {split} "
                f"({model_accuracy:.3f} vs {majority_accuracy:.3f})"]
    return []
