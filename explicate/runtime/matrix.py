"""The label matrix ``L`` (int8, n × m, ``ABSTAIN = -1``; int16 beyond 127 labels), its LF
summary, and majority vote."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from explicate.ir import ABSTAIN, label_dtype


@dataclass(frozen=True)
class LabelMatrix:
    """Votes of m LFs on n rows: ``L[i, j]`` is LF j's label id on row i, or ``ABSTAIN``."""

    L: np.ndarray
    lf_names: tuple[str, ...]
    labels: tuple[str, ...]

    def __post_init__(self) -> None:
        if self.L.ndim != 2 or self.L.shape[1] != len(self.lf_names):
            raise ValueError(f"L has shape {self.L.shape} but {len(self.lf_names)} LF names")

    @property
    def cardinality(self) -> int:
        return len(self.labels)

    def save(self, path: str | Path) -> None:
        """Save as ``.npz``: ``L`` (int8 n × m; int16 beyond 127 labels), ``lf_names`` and
        ``labels`` (strings)."""
        widest = max(self.cardinality, int(self.L.max(initial=0)) + 1)
        np.savez_compressed(path, L=self.L.astype(label_dtype(widest)),
                            lf_names=np.array(self.lf_names, dtype=str),
                            labels=np.array(self.labels, dtype=str))

    @classmethod
    def load(cls, path: str | Path) -> LabelMatrix:
        with np.load(path, allow_pickle=False) as data:
            labels = tuple(str(x) for x in data["labels"]) if "labels" in data else ()
            L = data["L"]
            if L.ndim != 2 or not np.issubdtype(L.dtype, np.integer):
                raise ValueError(f"'{path}' holds no label matrix (L is {L.dtype}, {L.ndim}-d)")
            dtype = label_dtype(len(labels) or int(L.max(initial=0)) + 1)
            return cls(L.astype(dtype), tuple(str(x) for x in data["lf_names"]), labels)


def lf_summary(L: np.ndarray, lf_names: tuple[str, ...] | list[str],
               labels: tuple[str, ...] | list[str] = (), Y: np.ndarray | None = None,
               learned_accuracy: np.ndarray | None = None) -> pd.DataFrame:
    """Snorkel's LF summary: Polarity, Coverage, Overlaps, Conflicts (+ Correct, Incorrect,
    Emp. Acc. with gold labels ``Y``; rows where ``Y`` is ``ABSTAIN`` are not scored).

    ``learned_accuracy`` (``[m]``, a fitted label model's ``accuracies``: the probability that
    the LF's vote is right where it votes, learned without gold) adds the "Learned Acc." column.
    """
    n, m = L.shape
    if learned_accuracy is not None and np.shape(learned_accuracy) != (m,):
        raise ValueError(f"learned_accuracy has shape {np.shape(learned_accuracy)}, "
                         f"expected ({m},): one accuracy per LF")
    voted = L != ABSTAIN
    n_votes = voted.sum(axis=1)
    big = np.int16(np.iinfo(np.int16).max)
    row_min = np.where(voted, L, big).min(axis=1, initial=big)
    row_max = np.where(voted, L, -1).max(axis=1, initial=-1)
    rows = []
    for j in range(m):
        col = L[:, j]
        v = voted[:, j]
        polarity = sorted(int(x) for x in np.unique(col[v]))
        other_label = v & ((row_min != col) | (row_max != col))
        record: dict[str, object] = {
            "LF": lf_names[j],
            "j": j,
            "Polarity": [labels[p] if p < len(labels) else p for p in polarity],
            "Coverage": float(v.mean()) if n else 0.0,
            "Overlaps": float((v & (n_votes > 1)).mean()) if n else 0.0,
            "Conflicts": float(other_label.mean()) if n else 0.0,
        }
        if Y is not None:
            scored = np.asarray(v & (Y != ABSTAIN), dtype=bool)
            correct = int((col[scored] == Y[scored]).sum())
            record["Correct"] = correct
            record["Incorrect"] = int(scored.sum()) - correct
            record["Emp. Acc."] = correct / int(scored.sum()) if scored.any() else float("nan")
        if learned_accuracy is not None:
            record["Learned Acc."] = float(learned_accuracy[j])
        rows.append(record)
    return pd.DataFrame(rows).set_index("LF")


def vote_counts(L: np.ndarray, cardinality: int) -> np.ndarray:
    """int32[n, k]: how many LFs vote each label on each row."""
    return np.stack([np.sum(c == L, axis=1, dtype=np.int32) for c in range(cardinality)], axis=1)


def argmax_ties(scores: np.ndarray, tie_break: str = "abstain", seed: int = 0) -> np.ndarray:
    """Argmax of each row of ``scores`` (vote counts or probabilities), with ties (within 1e-5)
    resolved by ``tie_break``: ``abstain`` (``ABSTAIN``), ``random`` (seeded) or ``first``."""
    if tie_break not in ("abstain", "random", "first"):
        raise ValueError(f"tie_break must be 'abstain', 'random' or 'first', got {tie_break!r}")
    preds = scores.argmax(1).astype(np.int64)
    if scores.shape[0] == 0 or tie_break == "first":
        return preds
    top = scores.max(1, keepdims=True)
    tied = scores >= top - 1e-5
    multi = tied.sum(1) > 1
    if not multi.any():
        return preds
    if tie_break == "abstain":
        preds[multi] = ABSTAIN
        return preds
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(multi)
    noise = rng.random((rows.shape[0], scores.shape[1]))
    preds[rows] = np.where(tied[rows], noise, -1.0).argmax(1)
    return preds


def majority_vote(L: np.ndarray, cardinality: int, tie_break: str = "abstain",
                  seed: int = 0) -> np.ndarray:
    """The most-voted label of each row; ``ABSTAIN`` where no LF votes. Ties: ``abstain``
    (default, as Snorkel's ``MajorityLabelVoter``), ``random`` (seeded) or ``first`` (lowest id)."""
    counts = vote_counts(L, cardinality)
    pred = argmax_ties(counts.astype(np.float64), tie_break, seed)
    pred[counts.max(axis=1) == 0] = ABSTAIN
    return pred
