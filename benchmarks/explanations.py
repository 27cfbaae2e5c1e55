"""Explanations → LFs: parse rate, kept rate, *full* kept rate, LF quality, latency.

Run: ``.venv/bin/python benchmarks/explanations.py`` (reads ``$EXPLICATE_DATA`` or ../shared/data).

- Spouse: ``explanations/spouse_grad_explanations.tsv`` (51, written by graduate students); pool
  for the filters ``spouse/dev.tsv`` (2,784 candidates); scoring on ``spouse/test.tsv``;
- the project's own corpus (``tests/fixtures/explanations.corpus.*``): 192 phrasings over four
  task shapes (relation subj/obj, aspect sentiment, document title/body, chemical/disease), each
  about one example; kept = survives the semantic filter on it (no pool);
- *full* kept: a kept LF whose reading left out no quote, mention, negation, relation or
  comparison word (partial readings are never kept by default);
- the new-task fixture (``tests/fixtures/explanations.newtasks.*``): task shapes and field names
  the corpus does not use, in graduate and crowd styles; parse, kept, full kept and *right* (a
  complete reading is the condition the row expects);
- latency: every explanation parsed cold (the per-shape parse cache cleared), plus long inputs
  (corpus sentences joined with "and", up to 100 words): median, p99, max. Targets: median <=
  20 ms, p99 <= 200 ms, none over 1 s. ``anchor_ms`` times a fixed pure-Python loop in the same
  run, so figures from a loaded machine can be compared as ratios.

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
import pandas as pd

# This checkout's explicate (not an installed copy) and its corpus loader (with the tests).
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from explicate import explain, to_dsl  # noqa: E402
from explicate.grammar import explanation as nl  # noqa: E402
from explicate.grammar.explanation.parser import _parse_counted  # noqa: E402  (the parse cache)
from explicate.runtime.data import read_table  # noqa: E402
from explicate.runtime.explain import votes  # noqa: E402
from explicate.runtime.metrics import precision_recall_f1  # noqa: E402
from tests.explanation_cases import (  # noqa: E402
    corpus,
    corpus_context,
    corpus_frames,
    corpus_tasks,
    new_rows,
    new_tasks,
    new_verdict,
)

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
    _parse_counted.cache_clear()
    t0 = time.perf_counter()
    result = explain(ex, LABELS, pool=pool[["sentence", "person1", "person2"]],
                     label_map=label_map)
    total_s = time.perf_counter() - t0
    _parse_counted.cache_clear()
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
    own = _own_corpus() | _new_tasks()
    latency = _latency(parse_ms)
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
        "full_kept_rate": round(totals["full_kept_rate"], 3),
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
        "spouse_parse_ms_median": round(statistics.median(parse_ms), 1),
        **own,
        **latency,
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


def _own_corpus() -> dict[str, float]:
    """Parse, kept and full-kept rates of the project's corpus, per task shape and overall."""
    tasks = corpus_tasks()
    out: dict[str, float] = {}
    n = parsed = kept = full = 0
    for task, frame in corpus_frames().items():
        spec = tasks[task]
        t = explain(frame, spec["labels"], word_lists=spec["lists"]).totals
        out[f"corpus_{task}_full_kept_rate"] = round(t["full_represented_rate"], 3)
        n += t["explanations"]
        parsed += t["parsed"]
        kept += t["represented"]
        full += t["full_represented"]
    out |= {"corpus_explanations": n, "corpus_parse_rate": round(parsed / n, 3),
            "corpus_kept_rate": round(kept / n, 3), "corpus_full_kept_rate": round(full / n, 3)}
    return out


def _new_tasks() -> dict[str, float]:
    """The new-task fixture (tests/fixtures/explanations.newtasks.*), per writing style (grad,
    crowd): parse, kept (survives the semantic filter on its example), full kept, and right (a
    complete reading is the expected condition)."""
    tasks = new_tasks()
    out: dict[str, float] = {}
    for style in ("grad", "crowd"):
        rows = [r for r in new_rows() if r.style == style]
        n = parsed = kept = full = 0
        for task in sorted({r.task for r in rows}):
            spec = tasks[task]
            mine = [r for r in rows if r.task == task]
            frame = pd.DataFrame([{"label": r.label, "explanation": r.text,
                                   **spec["examples"][r.example]} for r in mine])
            t = explain(frame, spec["labels"], word_lists=spec["lists"]).totals
            n += t["explanations"]
            parsed += t["parsed"]
            kept += t["represented"]
            full += t["full_represented"]
        right = sum(new_verdict(r) == "right" for r in rows)
        out |= {f"new_{style}_explanations": n, f"new_{style}_parse_rate": round(parsed / n, 3),
                f"new_{style}_kept_rate": round(kept / n, 3),
                f"new_{style}_full_kept_rate": round(full / n, 3),
                f"new_{style}_right_rate": round(right / n, 3)}
    return out


def _long_inputs(count: int = 20, max_words: int = 100) -> list[tuple[str, nl.Context]]:
    """Corpus sentences of one task joined with "and" into inputs of 30 to 100 words."""
    rng = np.random.default_rng(0)
    rows = corpus()
    out = []
    while len(out) < count:
        task = rows[int(rng.integers(len(rows)))].task
        same = [r for r in rows if r.task == task and r.example == "main"]
        parts: list[str] = []
        while len(" and ".join(parts).split()) < 30 + 70 * len(out) / count:
            parts.append(same[int(rng.integers(len(same)))].text)
        text = " and ".join(parts)
        words = text.split()
        out.append((" ".join(words[:max_words]), corpus_context(same[0])))
    return out


def _anchor_ms() -> float:
    """A fixed pure-Python workload: how fast this machine is right now."""
    t = time.perf_counter()
    total = 0
    for i in range(300_000):
        total += i * i % 7
    return (time.perf_counter() - t) * 1000


def _latency(spouse_ms: list[float]) -> dict[str, float]:
    _parse_counted.cache_clear()
    times = list(spouse_ms)
    for row in [*corpus(), *new_rows()]:
        t = time.perf_counter()
        nl.parse_explanation(row.text, corpus_context(row))
        times.append((time.perf_counter() - t) * 1000)
    long_ms = []
    for text, ctx in _long_inputs():
        t = time.perf_counter()
        nl.parse_explanation(text, ctx)
        long_ms.append((time.perf_counter() - t) * 1000)
    every = times + long_ms
    anchor = statistics.median(_anchor_ms() for _ in range(5))
    return {
        "latency_inputs": len(every),
        "parse_ms_median": round(statistics.median(every), 1),
        "parse_ms_p99": round(float(np.percentile(every, 99)), 1),
        "parse_ms_max": round(max(every), 1),
        "long_inputs_ms_median": round(statistics.median(long_ms), 1),
        "long_inputs_ms_max": round(max(long_ms), 1),
        "inputs_over_1s": sum(1 for t in every if t > 1000),
        "anchor_ms": round(anchor, 1),
        "parse_median_per_anchor": round(statistics.median(every) / anchor, 3),
    }


if __name__ == "__main__":
    main()
