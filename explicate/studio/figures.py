"""What a reading does to the data, as plain numbers: votes, coverage, overlaps and conflicts
with each kept LF, dev precision with an interval, what it matched in one example, and the label
model's change. Pure functions over arrays, so the API, the page and the tests share them."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from explicate import ir
from explicate.runtime.features import Batch
from explicate.runtime.matrix import lf_summary, majority_vote
from explicate.runtime.metrics import scores

ABSTAIN = ir.ABSTAIN
CHIPS = 6  # example chips shown per list (correct, incorrect, flips)


def wilson(correct: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval (95% by default) of a proportion ``correct / total``; it stays
    inside [0, 1] and is honest for the handful of dev votes a new rule often has."""
    if total == 0:
        return 0.0, 1.0
    p = correct / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def pool_figures(col: np.ndarray, L: np.ndarray, names: Sequence[str],
                 labels: Sequence[str]) -> dict[str, Any]:
    """Coverage of one LF's votes ``col`` on the pool, and its overlaps and conflicts with each
    kept LF (columns of ``L``), worst conflicts first. ``Overlaps``/``Conflicts`` are the
    Snorkel summary columns the LF would get if kept."""
    n = len(col)
    voted = col != ABSTAIN
    votes = int(voted.sum())
    out: dict[str, Any] = {"rows": n, "votes": votes, "coverage": votes / n if n else 0.0,
                           "overlaps": 0.0, "conflicts": 0.0, "with": []}
    if not L.shape[1] or not votes:
        return out
    sub = L[voted]
    mine = col[voted]
    other = sub != ABSTAIN
    differ = other & (sub != mine[:, None])
    out["overlaps"] = float(other.any(axis=1).sum()) / n
    out["conflicts"] = float(differ.any(axis=1).sum()) / n
    ov, cf = other.sum(axis=0), differ.sum(axis=0)
    order = sorted(np.flatnonzero(ov).tolist(), key=lambda j: (-int(cf[j]), -int(ov[j]),
                                                                names[j]))
    pairs = [{"lf": names[j], "overlaps": int(ov[j]), "conflicts": int(cf[j]),
              "agree": int(ov[j] - cf[j])} for j in order]
    out["with"] = pairs
    return out


def dev_figures(col: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    """Precision of one LF on the dev rows it votes on (rows without gold are not scored), with
    a Wilson interval and a few correct and incorrect rows to open."""
    scored = (col != ABSTAIN) & (gold != ABSTAIN)
    right = scored & (col == gold)
    wrong = scored & (col != gold)
    correct, total = int(right.sum()), int(scored.sum())
    lo, hi = wilson(correct, total)
    return {"votes": int((col != ABSTAIN).sum()), "scored": total, "correct": correct,
            "incorrect": total - correct,
            "precision": correct / total if total else None, "interval": [lo, hi],
            "correct_rows": np.flatnonzero(right)[:CHIPS].tolist(),
            "incorrect_rows": np.flatnonzero(wrong)[:CHIPS].tolist()}


def dev_scores(pred: np.ndarray, gold: np.ndarray, k: int, positive: int
               ) -> dict[str, float | None]:
    """Accuracy and F1 (binary: of ``positive``; else macro) of predictions on dev."""
    s = scores(gold, pred, k, positive)
    covered = (pred != ABSTAIN) & (gold != ABSTAIN)
    return {"accuracy": s["accuracy"], "coverage": s["coverage"],
            "covered_accuracy": float((pred[covered] == gold[covered]).mean()) if covered.any()
            else None,
            "f1": s.get("f1", s.get("f1_macro", float("nan")))}


def flips(before: np.ndarray, after: np.ndarray, gold: np.ndarray,
          labels: Sequence[str]) -> dict[str, Any]:
    """Dev rows whose predicted label changes: ``fixed`` (now right), ``broken`` (was right),
    ``wrong`` (was wrong or unlabeled, still wrong)."""
    changed = np.flatnonzero(before != after)

    def name(v: int) -> str:
        return "ABSTAIN" if v == ABSTAIN else labels[v]

    rows = [{"row": int(r), "before": name(int(before[r])), "after": name(int(after[r])),
             "gold": name(int(gold[r])),
             "effect": ("fixed" if after[r] == gold[r] else "broken" if before[r] == gold[r]
                        else "wrong")} for r in changed]
    return {"count": len(rows), "fixed": sum(r["effect"] == "fixed" for r in rows),
            "broken": sum(r["effect"] == "broken" for r in rows),
            "wrong": sum(r["effect"] == "wrong" for r in rows), "rows": rows[: 2 * CHIPS]}


@dataclass(frozen=True)
class Mark:
    """Characters ``[start, end)`` of field ``field`` in one example that a rule reads."""

    field: str
    start: int
    end: int
    what: str  # "phrase", "regex" or "mention"

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "start": self.start, "end": self.end, "what": self.what}


def _text_fields(lf: ir.LF, batch: Batch, spans: dict[str, str]) -> list[str]:
    names: dict[str, None] = {}
    for f in ir.fields_read(lf.when):
        host = spans.get(f, f)
        if host in batch.texts:
            names.setdefault(host, None)
    return list(names)


def matches(lf: ir.LF, batch: Batch, row: int, spans: dict[str, str]) -> list[Mark]:
    """What a lowered LF looks for, found in one row: each phrase it names (wherever it occurs
    in the texts the rule reads) and each regex match. A negated phrase is marked too: it is
    what the rule reads, whether or not it fires."""
    out: list[Mark] = []
    fields = _text_fields(lf, batch, spans)
    nodes = list(ir.walk(lf.when))
    phrases = list(dict.fromkeys(n for n in nodes if isinstance(n, ir.Phrase)))
    regexes = list(dict.fromkeys(n for n in nodes if isinstance(n, ir.Regex)))
    for name in fields:
        col = batch.texts[name]
        lo, hi = int(col.offsets[row]), int(col.offsets[row + 1])
        lower, orth = col.lower[lo:hi], col.orth[lo:hi]
        for p in phrases:
            ids = batch.phrase_ids(p)
            k = len(ids)
            tokens = orth if p.case_sensitive else lower
            for i in range(0, len(tokens) - k + 1 if k else 0):
                if np.array_equal(tokens[i : i + k], ids):
                    out.append(Mark(name, int(col.char_start[lo + i]),
                                    int(col.char_end[lo + i + k - 1]), "phrase"))
        text = str(col.strings[row])
        for rx in regexes:
            flags = (re.I if "i" in rx.flags else 0) | (re.S if "s" in rx.flags else 0) | (
                re.M if "m" in rx.flags else 0)
            try:
                found = [m.span() for m in re.finditer(rx.pattern, text, flags) if m.end() > m.start()]
            except re.error:  # RE2 syntax Python's re does not read: no marks, the votes stand
                found = []
            out.extend(Mark(name, s, e, "regex") for s, e in found[:50])
    return sorted(set(out), key=lambda m: (m.field, m.start, -m.end))


def mention_marks(batch: Batch, row: int) -> list[Mark]:
    """Where each mention field lies in its text, for highlighting the example."""
    out: list[Mark] = []
    for name, span in batch.spans.items():
        if not span.found[row]:
            continue
        col = batch.texts[span.text]
        base = int(col.offsets[row])
        s, e = int(span.start[row]), int(span.end[row])
        out.append(Mark(span.text, int(col.char_start[base + s]), int(col.char_end[base + e - 1]),
                        f"mention:{name}"))
    return out


def coverage(L: np.ndarray) -> float:
    return float((L != ABSTAIN).any(axis=1).mean()) if L.shape[0] and L.shape[1] else 0.0


def conflicts(L: np.ndarray) -> np.ndarray:
    if not L.shape[1]:
        return np.zeros(L.shape[0], dtype=bool)
    voted = L != ABSTAIN
    hi = np.where(voted, L, -1).max(axis=1)
    lo = np.where(voted, L, 127).min(axis=1)
    return voted.any(axis=1) & (hi != lo)


def clean(value: Any) -> Any:
    """JSON-safe: NaN becomes None (as ``explicate summary --json`` writes it)."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean(v) for v in value]
    return value


def summarize(L: np.ndarray, names: tuple[str, ...], labels: tuple[str, ...],
               gold: np.ndarray | None, learned: np.ndarray | None) -> dict[str, Any]:
    """``explicate summary --json``'s ``lfs`` and ``majority_vote`` for one split."""
    table = lf_summary(L, names, labels, gold, learned if learned is not None and len(names)
                       else None) if names else pd.DataFrame()
    records = [{"LF": name, **{k: v for k, v in row.items() if k != "j"}}
               for name, row in table.to_dict(orient="index").items()]
    mv = majority_vote(L, len(labels)) if L.shape[1] else np.full(L.shape[0], ABSTAIN)
    n = len(mv)
    majority: dict[str, Any] = {"rows": n, "labeled": int((mv != ABSTAIN).sum()),
                                "coverage": float((mv != ABSTAIN).mean()) if n else 0.0,
                                "counts": {lab: int((mv == i).sum()) for i, lab in
                                           enumerate(labels)}}
    if gold is not None:
        scored = (mv != ABSTAIN) & (gold != ABSTAIN)
        majority["accuracy"] = float((mv[scored] == gold[scored]).mean()) if scored.any() else None
    return clean({"lfs": records, "majority_vote": majority})

