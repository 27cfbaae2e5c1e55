"""Explanations → LFs on BabbleLabble's Spouse task: parse rate, kept rate, LF quality, speed.

Run: ``.venv/bin/python benchmarks/explanations.py`` (reads ``$EXPLICATE_DATA`` or ../shared/data).

- explanations: ``explanations/spouse_grad_explanations.tsv`` (51, written by graduate students);
- pool for the filters: ``spouse/dev.tsv`` (2,784 candidates); scoring: ``spouse/test.tsv``;
- speed: parse time per explanation (the parse cache is cleared first: every shape is parsed
  once), and the whole ``explain`` call (parse + filters over the pool), scaled to 100
  explanations.

Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from explicate import explain, to_dsl
from explicate.grammar import explanation as nl
from explicate.runtime.data import read_table
from explicate.runtime.explain import votes
from explicate.runtime.metrics import precision_recall_f1

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
COLUMNS = ["sentence", "person1", "person2", "doc_id", "gold"]
LABELS = ["NOT_SPOUSE", "SPOUSE"]


def main() -> None:
    grad = DATA / "explanations" / "spouse_grad_explanations.tsv"
    if not grad.is_file():
        sys.exit(f"shared data not found at {DATA} (set EXPLICATE_DATA)")
    ex = read_table(grad)[["label", "explanation", "sentence", "person1", "person2"]]
    pool = read_table(DATA / "spouse" / "dev.tsv", COLUMNS)
    test = read_table(DATA / "spouse" / "test.tsv", COLUMNS)
    label_map = {"1": "SPOUSE", "2": "NOT_SPOUSE"}

    # The grammar is built once per process (a startup cost, reported apart); then every
    # explanation is parsed cold (the per-shape parse cache is cleared).
    t0 = time.perf_counter()
    nl.parse_explanation("x", nl.Context())
    grammar_s = time.perf_counter() - t0
    nl.parse_symbols.cache_clear()
    t0 = time.perf_counter()
    result = explain(ex, LABELS, pool=pool[["sentence", "person1", "person2"]],
                     label_map=label_map)
    total_s = time.perf_counter() - t0
    nl.parse_symbols.cache_clear()
    ctx_spans = {"person1": "sentence", "person2": "sentence"}
    parse_ms = []
    for row in ex.itertuples(index=False):
        ctx = nl.Context(tuple(LABELS), ctx_spans, ("sentence",), {},
                         {"sentence": row.sentence, "person1": row.person1,
                          "person2": row.person2})
        t = time.perf_counter()
        nl.parse_explanation(str(row.explanation), ctx)
        parse_ms.append((time.perf_counter() - t) * 1000)

    totals = result.totals
    L = votes(result, test[["sentence", "person1", "person2"]])
    gold = np.where(test["gold"].to_numpy(dtype=np.int64) == 1, 1, 0)
    per_lf = []
    print(f"{'LF':<8} {'label':<11} {'cover':>6} {'prec':>6}  DSL")
    for j, lf in enumerate(result.lfs):
        voted = L[:, j] != -1
        cover = float(voted.mean())
        prec = float((L[voted, j] == gold[voted]).mean()) if voted.any() else float("nan")
        per_lf.append((cover, prec))
        print(f"{lf.name:<8} {lf.label.name:<11} {cover:6.3f} {prec:6.3f}  {to_dsl(lf.when)}")
    precs = [p for c, p in per_lf if c > 0]
    # Majority vote of the kept LFs (ties and no votes abstain).
    pos = (L == 1).sum(axis=1)
    neg = (L == 0).sum(axis=1)
    mv = np.where(pos > neg, 1, np.where(neg > pos, 0, -1))
    covered = mv != -1
    mv_acc = float((mv[covered] == gold[covered]).mean()) if covered.any() else 0.0
    p, r, f1 = precision_recall_f1(gold, mv, 1)
    per100 = total_s * 100 / totals["explanations"]
    figures = {
        "explanations": totals["explanations"],
        "parse_rate": round(totals["parse_rate"], 3),
        "kept_rate": round(totals["kept_rate"], 3),
        "represented_rate": round(totals["represented_rate"], 3),
        "readings_per_explanation": round(totals["readings_per_explanation"], 3),
        "lfs": totals["lfs"],
        "mean_lf_precision_test": round(statistics.mean(precs), 3) if precs else None,
        "lfs_voting_on_test": len(precs),
        "mv_coverage_test": round(float(covered.mean()), 3),
        "mv_accuracy_covered_test": round(mv_acc, 3),
        "mv_precision_spouse_test": round(p, 3),
        "mv_recall_spouse_test": round(r, 3),
        "mv_f1_spouse_test": round(f1, 3),
        "parse_ms_median": round(statistics.median(parse_ms), 1),
        "parse_ms_p90": round(float(np.percentile(parse_ms, 90)), 1),
        "grammar_build_seconds": round(grammar_s, 2),
        "explain_seconds": round(total_s, 2),
        "explain_seconds_per_100": round(per100, 2),
        "explanations_per_second": round(totals["explanations"] / total_s, 1),
        "pool_rows": totals["pool_rows"],
    }
    print()
    for k, v in figures.items():
        print(f"{k:>28}: {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
