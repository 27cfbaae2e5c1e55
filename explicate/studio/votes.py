"""The label model of one state of kept LFs, and its change when one more LF is tried.

The state's model is fitted once on the pool's ``L``. Trying a rule refits on *vote statistics*
(the unique vote patterns with their counts): the pool's rows are grouped by pattern once per
state, so the patterns of ``L`` plus a new column come from one ``np.unique`` over (pattern id,
new vote) pairs instead of a pass over the whole matrix. The fit then costs what the number of
distinct patterns costs, not the number of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explicate import ir
from explicate.runtime.label_model import LabelModel, VoteStats
from explicate.studio import figures

ABSTAIN = ir.ABSTAIN
REMEMBERED = 32  # tried columns whose fit and change a state remembers


def _row_groups(L: np.ndarray) -> np.ndarray:
    """The pattern id of each row of a label matrix (rows with equal votes share one)."""
    n, m = L.shape
    if m == 0:
        return np.zeros(n, dtype=np.int64)
    rows = np.ascontiguousarray(L).view(np.dtype((np.void, m))).reshape(n)
    _, inv = np.unique(rows, return_inverse=True)
    return inv.reshape(-1).astype(np.int64)


class LabelModelCache:
    """The fitted label model of one state, its predictions per split (computed when first
    asked), and the change each tried column makes on dev (memoized by the column's key)."""

    def __init__(self, L_pool: np.ndarray, L_dev: np.ndarray | None, cardinality: int,
                 method: str, seed: int, warm: tuple[LabelModel, np.ndarray] | None = None):
        """``warm``: the model and row pattern ids already computed for this ``L`` (by
        :meth:`change` of the state before, when the kept LF was tried first)."""
        self.L = {"pool": L_pool} | ({"dev": L_dev} if L_dev is not None else {})
        self.k = cardinality
        self.method = method
        self.seed = seed
        self.model: LabelModel | None
        if warm is not None:
            self.model, self._inv = warm
        else:
            self.model = self._fit(L_pool) if L_pool.shape[1] and L_pool.shape[0] else None
            self._inv = _row_groups(L_pool)
        self.next: dict[Any, tuple[LabelModel, np.ndarray]] = {}  # key -> warm start of L + col
        self._proba: dict[str, np.ndarray] = {}
        self._pred: dict[str, np.ndarray] = {}
        self._changes: dict[Any, dict[str, Any]] = {}

    def _fit(self, L: np.ndarray | VoteStats) -> LabelModel:
        return LabelModel(cardinality=max(self.k, 2), method=self.method, seed=self.seed).fit(L)

    @property
    def accuracies(self) -> np.ndarray | None:
        return None if self.model is None else self.model.accuracies

    def _probs(self, split: str) -> np.ndarray | None:
        if self.model is None:
            return None
        if split not in self._proba:
            self._proba[split] = self.model.predict_proba(self.L[split])
        return self._proba[split]

    def proba(self, split: str, row: int) -> np.ndarray | None:
        """One row's class probabilities: from the split's when computed, else for that row
        alone (opening an example must not cost a pass over 100k rows)."""
        if self.model is None:
            return None
        if split in self._proba:
            return self._proba[split][row]
        return self.model.predict_proba(self.L[split][row : row + 1])[0]

    def pool_proba(self) -> np.ndarray:
        p = self._probs("pool")
        if p is None:  # no LF yet: nothing is known, every class equally likely
            n = self.L["pool"].shape[0]
            return np.full((n, self.k), 1.0 / self.k, dtype=np.float32)
        return p

    def pred(self, split: str) -> np.ndarray:
        """The model's label per row; ABSTAIN where no LF votes or the top classes tie."""
        if split not in self._pred:
            L = self.L[split]
            if self.model is None:
                self._pred[split] = np.full(L.shape[0], ABSTAIN, dtype=np.int64)
            else:
                self._pred[split] = _predict(self.model, L, self._probs(split))
        return self._pred[split]

    def dev_pred(self) -> np.ndarray:
        return self.pred("dev")

    def margin(self, split: str) -> np.ndarray:
        """Gap between the two most probable classes (small = uncertain); rows without votes
        count as most uncertain."""
        p = self._probs(split)
        n = self.L[split].shape[0]
        if p is None:
            return np.zeros(n)
        top = np.sort(p, axis=1)
        gap = top[:, -1] - top[:, -2]
        return np.where((self.L[split] != ABSTAIN).any(axis=1), gap, -1.0)

    def change(self, col_pool: np.ndarray, col_dev: np.ndarray, gold: np.ndarray,
               labels: tuple[str, ...], positive: int, key: Any = None) -> dict[str, Any]:
        """Dev accuracy/F1 of the label model before and after adding one LF (refitted on the
        pool's vote statistics with the new column), and the dev rows whose label flips."""
        if key is not None and key in self._changes:
            return self._changes[key]
        before = self.dev_pred()
        L_pool, L_dev = self.L["pool"], self.L["dev"]
        key_rows = self._inv * (self.k + 1) + (col_pool.astype(np.int64) + 1)
        _, first, inv, counts = np.unique(key_rows, return_index=True, return_inverse=True,
                                          return_counts=True)
        patterns = np.column_stack([L_pool[first], col_pool[first]]).astype(np.int8)
        stats = VoteStats(max(self.k, 2), patterns, counts.astype(np.int64))
        new_dev = np.column_stack([L_dev, col_dev]).astype(np.int8)
        if not (patterns != ABSTAIN).any():
            after = np.full(len(col_dev), ABSTAIN, dtype=np.int64)
        else:
            model = self._fit(stats)
            after = _predict(model, new_dev, None)
            if key is not None:  # keeping this LF next starts from this fit
                self.next[key] = (model, inv.reshape(-1).astype(np.int64))
                _bound(self.next)
        out = {"before": figures.dev_scores(before, gold, self.k, positive),
               "after": figures.dev_scores(after, gold, self.k, positive),
               "flips": figures.flips(before, after, gold, labels)}
        if key is not None:
            self._changes[key] = out
            _bound(self._changes)
        return out


def _bound(memo: dict[Any, Any]) -> None:
    """Forget the oldest entries past ``REMEMBERED`` (a warm start holds a row→pattern array of
    the pool's size: a long session must not keep one per rule ever tried)."""
    while len(memo) > REMEMBERED:
        del memo[next(iter(memo))]


def _predict(model: LabelModel, L: np.ndarray, probs: np.ndarray | None) -> np.ndarray:
    """Predictions with ABSTAIN where no LF votes (the prior alone is not a label) or on ties."""
    if L.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    p = probs if probs is not None else model.predict_proba(L)
    top = p.max(axis=1, keepdims=True)
    pred = p.argmax(axis=1).astype(np.int64)
    pred[((p >= top - 1e-5).sum(axis=1) > 1)] = ABSTAIN
    pred[~(L != ABSTAIN).any(axis=1)] = ABSTAIN
    return pred
