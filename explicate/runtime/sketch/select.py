"""Choosing fills: prior-relative precision bounds, support, coverage caps, diversity and the label
model's feedback, with an explicit stopping rule; cross-fitted precision for the report.

A candidate fill votes its label ``c`` on some dev rows. Its *lift* is how far the Wilson lower
bound of its dev precision clears the prior of ``c`` (the class's share of the labeled dev rows),
as a share of what is left above the prior: ``(lower - prior) / (1 - prior)``. So on a 13%-spam
set a HAM rule needs far more evidence than a SPAM rule, and "absent word -> HAM" stumps that
merely restate the prior never qualify. A candidate is *admissible* when it fires on at least
``min_support`` labeled dev rows, its lift exceeds ``min_lift``, and its pool coverage is at most
``coverage_cap`` times the prior of its label (a rule that votes ``c`` on far more rows than ``c``
has cannot be precise).

Selection runs in rounds. Each round the label model is fitted on the votes chosen so far (plain
LFs of the file included; fills of one sketch declared dependent) over pool and dev rows, and the
labeled dev rows it is unsure of (top probability below ``confident``, or no vote) are the ones to
fix. Each open sketch then takes its best admissible candidate by ``lift + feedback * gain``
(``gain``: unsure rows it labels right minus wrong, over their number) that is not redundant with
a fill already chosen for the same label (the overlap coefficient on the pool,
``|A & B| / min(|A|, |B|)``, above ``max_overlap``: nested fills are redundant).

Stopping rule (logged): a sketch closes when it has ``max_fills`` fills, when no admissible
candidate is left, or when its best one has no positive gain (it only repeats what the label
model already gets right); selection ends when every sketch is closed or no dev row is unsure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from explicate.ir import ABSTAIN


@dataclass(frozen=True)
class SelectConfig:
    """The selection's thresholds (see the module docstring)."""

    z: float = 1.28  # Wilson bound for selection: one-sided 90%
    min_support: int = 3
    min_lift: float = 0.1
    coverage_cap: float = 1.5
    max_overlap: float = 0.6
    max_fills: int = 5  # per sketch
    per_round: int = 1  # fills a sketch may take in one round
    confident: float = 0.8
    feedback: float = 0.5
    folds: int = 3  # cross-fitting folds for the reported precision
    report_z: float = 1.96  # two-sided 95% interval in the report
    label_model: str = "dawid_skene"


def wilson(correct: np.ndarray, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``correct / n`` (``[0, 1]`` where ``n`` is 0)."""
    correct = np.asarray(correct, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    safe = np.maximum(n, 1.0)
    p = correct / safe
    denom = 1.0 + z * z / safe
    centre = p + z * z / (2 * safe)
    radius = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe))
    lo = np.where(n > 0, (centre - radius) / denom, 0.0)
    hi = np.where(n > 0, (centre + radius) / denom, 1.0)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


@dataclass
class Pool:
    """Every candidate of every sketch, as arrays: what selection reads."""

    dev: np.ndarray  # bool [C, n_dev]: where each candidate votes on dev rows
    pool_bits: np.ndarray  # uint8 [C, ceil(n_pool / 8)]: where it votes on the pool (packed)
    label: np.ndarray  # int64 [C]
    sketch: np.ndarray  # int64 [C]
    coverage: np.ndarray  # float64 [C]: share of pool rows it votes on
    n_pool: int
    plain_pool: np.ndarray  # int8 [n_pool, m0]: the file's plain LFs (no holes)
    plain_dev: np.ndarray  # int8 [n_dev, m0]
    sketch_names: list[str] = field(default_factory=list)

    def pool_mask(self, c: int) -> np.ndarray:
        return np.unpackbits(self.pool_bits[c], count=self.n_pool).astype(bool)


@dataclass
class Chosen:
    """A selected candidate and why."""

    candidate: int
    round: int
    lift: float
    gain: float
    lower: float
    prior: float
    fires: int
    correct: int
    unsure: int
    unsure_right: int


@dataclass
class Selection:
    chosen: list[Chosen]
    log: list[str]
    priors: np.ndarray


def _votes(p: Pool, chosen: Sequence[int], pool_masks: dict[int, np.ndarray]
           ) -> tuple[np.ndarray, np.ndarray]:
    n_dev = p.dev.shape[1]
    m = p.plain_pool.shape[1] + len(chosen)
    L_pool = np.full((p.n_pool, m), ABSTAIN, dtype=np.int8)
    L_dev = np.full((n_dev, m), ABSTAIN, dtype=np.int8)
    m0 = p.plain_pool.shape[1]
    L_pool[:, :m0], L_dev[:, :m0] = p.plain_pool, p.plain_dev
    for j, c in enumerate(chosen):
        L_pool[pool_masks[c], m0 + j] = p.label[c]
        L_dev[p.dev[c], m0 + j] = p.label[c]
    return L_pool, L_dev


def _dependencies(p: Pool, chosen: Sequence[int]) -> list[tuple[int, int]]:
    m0 = p.plain_pool.shape[1]
    return [(m0 + a, m0 + b) for a in range(len(chosen)) for b in range(a + 1, len(chosen))
            if p.sketch[chosen[a]] == p.sketch[chosen[b]]]


def unsure_rows(p: Pool, chosen: Sequence[int], pool_masks: dict[int, np.ndarray], k: int,
                cfg: SelectConfig, seed: int) -> np.ndarray:
    """bool [n_dev]: dev rows the label model fitted on the current votes is unsure of."""
    L_pool, L_dev = _votes(p, chosen, pool_masks)
    n_dev = L_dev.shape[0]
    if L_dev.shape[1] == 0:
        return np.ones(n_dev, dtype=bool)
    voted = (L_dev != ABSTAIN).any(axis=1)
    L_all = np.vstack([L_pool, L_dev])
    if not (L_all != ABSTAIN).any():
        return np.ones(n_dev, dtype=bool)
    import torch  # here, so that reading a filled file's groups (summary) never loads torch

    from explicate.runtime.label_model import LabelModel

    threads = torch.get_num_threads()
    # The fits are small and many: one thread is ~10x faster than several contending ones.
    torch.set_num_threads(1)
    try:
        lm = LabelModel(k, method=cfg.label_model, device="cpu", seed=seed)
        lm.fit(L_all, dependencies=_dependencies(p, chosen))
        proba = lm.predict_proba(L_dev)
    finally:
        torch.set_num_threads(threads)
    return ~voted | (proba.max(axis=1) < cfg.confident)


def select(p: Pool, y: np.ndarray, use: np.ndarray, k: int, cfg: SelectConfig, seed: int = 0
           ) -> Selection:
    """Choose fills using the gold labels ``y`` of the dev rows in ``use`` (others ignored)."""
    known = use & (y != ABSTAIN)
    yk = np.where(known, y, ABSTAIN)
    counts = np.bincount(yk[known], minlength=k).astype(np.float64)
    priors = (counts + 1.0) / (counts.sum() + k)  # add-one: no class has prior 0 or 1
    D = p.dev & known[None, :]
    fires = D.sum(axis=1)
    right = D & (yk[None, :] == p.label[:, None])
    correct = right.sum(axis=1)
    lower, _ = wilson(correct, fires, cfg.z)
    prior = priors[p.label]
    lift = (lower - prior) / (1.0 - prior)
    cap = np.minimum(cfg.coverage_cap * prior, 1.0)
    admissible = (fires >= cfg.min_support) & (lift > cfg.min_lift) & (p.coverage <= cap)
    log: list[str] = []
    n_sketch = len(p.sketch_names)
    open_ = {s for s in range(n_sketch)}
    for s in range(n_sketch):
        if not admissible[p.sketch == s].any():
            open_.discard(s)
            log.append(f"{p.sketch_names[s]}: no fill: no candidate fires on >= "
                       f"{cfg.min_support} labeled dev rows with a precision bound above its "
                       f"label's prior (lift > {cfg.min_lift}) within the coverage cap")
    taken: list[Chosen] = []
    chosen: list[int] = []
    pool_masks: dict[int, np.ndarray] = {}
    per_sketch = np.zeros(n_sketch, dtype=np.int64)
    round_no = 0
    while open_:
        round_no += 1
        unsure = unsure_rows(p, chosen, pool_masks, k, cfg, seed) & known
        n_unsure = int(unsure.sum())
        if n_unsure == 0:
            log.append(f"round {round_no}: stop: the label model is sure of every labeled dev row")
            break
        wrong = D & ~right
        gain = ((right & unsure[None, :]).sum(axis=1) - (wrong & unsure[None, :]).sum(axis=1)
                ) / n_unsure
        score = lift + cfg.feedback * gain
        added = 0
        # Sketches in order of their best candidate, so the strongest evidence goes first.
        best_of = {s: float(np.max(np.where(admissible & (p.sketch == s), score, -np.inf)))
                   for s in open_}
        for s in sorted(open_, key=lambda s: (-best_of[s], s)):
            mine = np.flatnonzero(admissible & (p.sketch == s))
            helpful = mine[gain[mine] > 0]
            if not len(helpful):
                why = ("its admissible candidates gain nothing on the dev rows the label model "
                       "is unsure of") if len(mine) else "no admissible candidate left"
                log.append(f"{p.sketch_names[s]}: closed after {per_sketch[s]} fills: {why}")
                open_.discard(s)
                continue
            helpful = helpful[np.lexsort((helpful, -score[helpful]))]
            took = 0
            for c in (int(x) for x in helpful):
                admissible[c] = False
                mask = p.pool_mask(c)
                if _redundant(mask, p.label[c], chosen, pool_masks, p, cfg.max_overlap):
                    continue
                pool_masks[c] = mask
                chosen.append(c)
                taken.append(Chosen(c, round_no, float(lift[c]), float(gain[c]), float(lower[c]),
                                    float(prior[c]), int(fires[c]), int(correct[c]), n_unsure,
                                    int((right[c] & unsure).sum())))
                per_sketch[s] += 1
                took += 1
                added += 1
                if per_sketch[s] >= cfg.max_fills:
                    log.append(f"{p.sketch_names[s]}: closed: {cfg.max_fills} fills (the cap)")
                    open_.discard(s)
                    break
                if took >= cfg.per_round:
                    break
        if added == 0:
            log.append(f"round {round_no}: stop: no sketch added a fill")
            break
    else:
        log.append(f"round {round_no}: stop: every sketch is closed")
    return Selection(taken, log, priors)


def _redundant(mask: np.ndarray, label: int, chosen: Sequence[int],
               pool_masks: dict[int, np.ndarray], p: Pool, max_overlap: float) -> bool:
    """True when ``mask`` nearly repeats a chosen fill of the same label: most of the smaller
    of the two lies inside the other (overlap coefficient on the pool). Jaccard would let nested
    fills through (``count(text) < 3`` inside ``< 5``), which vote twice on the same rows."""
    n = np.count_nonzero(mask)
    for c in chosen:
        if p.label[c] != label:
            continue
        other = pool_masks[c]
        smaller = min(n, np.count_nonzero(other))
        if smaller and np.count_nonzero(mask & other) / smaller > max_overlap:
            return True
    return False


@dataclass
class HeldOut:
    """Cross-fitted dev evidence of one final fill: counts on folds whose selection (made
    without that fold) chose it too."""

    fires: int = 0
    correct: int = 0
    folds: int = 0


def cross_fit(p: Pool, y: np.ndarray, k: int, final: Sequence[int], cfg: SelectConfig,
              seed: int) -> dict[int, HeldOut]:
    """Re-run the selection ``cfg.folds`` times, each without one fold of the labeled dev rows,
    and score each final fill on the fold left out wherever that selection chose it."""
    known = np.flatnonzero(y != ABSTAIN)
    rng = np.random.default_rng(seed)
    fold_of = np.full(len(y), -1)
    fold_of[rng.permutation(known)] = np.arange(len(known)) % max(cfg.folds, 1)
    out = {c: HeldOut() for c in final}
    if cfg.folds < 2:
        return out
    for f in range(cfg.folds):
        held = fold_of == f
        sel = select(p, y, (fold_of >= 0) & ~held, k, cfg, seed)
        for ch in sel.chosen:
            if ch.candidate in out:
                votes = p.dev[ch.candidate] & held
                h = out[ch.candidate]
                h.fires += int(votes.sum())
                h.correct += int((votes & (y == p.label[ch.candidate])).sum())
                h.folds += 1
    return out
