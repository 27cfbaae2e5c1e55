"""Concept and entity-type explanations on Spouse: do their LFs beat the class prior?

Run: ``.venv/bin/python benchmarks/concepts_entities.py`` (reads ``$EXPLICATE_DATA`` or
../shared/data; needs the ``encoder`` and ``ner`` extras).

Each explanation below (written for this benchmark, in the ways people say these things) is read
by the English front end; its first reading becomes an LF. Concepts are filled from the words of
``spouse/dev.tsv`` (the unlabeled pool) nearest the concept word in MiniLM space; entity types
come from the ``ner`` extra's spaCy model. Every LF is scored on ``spouse/test.tsv``: coverage,
precision, and the anchor, the class prior of the label it votes (SPOUSE 6.9%, NOT_SPOUSE 93.1% on
test); ``lift`` = precision / prior (> 1: better than the prior). A concept LF is also run side by
side with the same LF over the concept word alone (``"marriage"``), to show what the filled list
adds. Ends with one JSON line of the figures.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from explicate import ir, to_dsl  # noqa: E402
from explicate.compiler import compile_rules  # noqa: E402
from explicate.grammar.explanation import Context, parse_explanation  # noqa: E402
from explicate.runtime.apply import apply_program  # noqa: E402
from explicate.runtime.concepts import concept_names, fill_concepts  # noqa: E402
from explicate.runtime.data import infer_schema, read_table  # noqa: E402
from explicate.runtime.select import declarations  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
COLUMNS = ["sentence", "person1", "person2", "doc_id", "gold"]
LABELS = ("NOT_SPOUSE", "SPOUSE")
SPANS = {"person1": "sentence", "person2": "sentence"}

EXPLANATIONS = [
    ("SPOUSE", "they are married", "concept"),
    ("SPOUSE", "there are words related to marriage between them", "concept"),
    ("SPOUSE", "words related to spouse appear between person1 and person2", "concept"),
    ("NOT_SPOUSE", "there is no indication of marriage between them", "concept"),
    ("NOT_SPOUSE", "no words related to marriage appear", "concept"),
    ("NOT_SPOUSE", "there is a person between person1 and person2", "entity"),
    ("SPOUSE", "there are no people between X and Y", "entity"),
    ("NOT_SPOUSE", "person2 is not a person", "entity"),
    ("NOT_SPOUSE", "person1 is a location", "entity"),
    ("NOT_SPOUSE", "there is a company between person1 and person2", "entity"),
]


def seed_only(cond: ir.Expr) -> ir.Expr:
    """The same condition with each concept list replaced by its concept word."""
    return ir.transform(cond, lambda n: ir.Phrase(n.name) if isinstance(n, ir.WordList) else n)


def main() -> None:
    if not (DATA / "spouse" / "test.tsv").is_file():
        sys.exit(f"shared data not found at {DATA} (set EXPLICATE_DATA)")
    pool = read_table(DATA / "spouse" / "dev.tsv", COLUMNS)
    test = read_table(DATA / "spouse" / "test.tsv", COLUMNS)
    gold = np.where(test["gold"].to_numpy(dtype=np.int64) == 1, 1, 0)
    prior = {"SPOUSE": float(gold.mean()), "NOT_SPOUSE": float(1 - gold.mean())}
    ctx = Context(LABELS, SPANS, ("sentence",), {})

    t0 = time.perf_counter()
    readings = []
    for label, text, kind in EXPLANATIONS:
        parsed = parse_explanation(text, ctx)
        if not parsed.readings:
            print(f"no reading: {text}")
            continue
        readings.append((label, text, kind, parsed.readings[0].when))
    parse_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    names = concept_names([r[3] for r in readings], ())
    concepts, unfilled = fill_concepts(names, pool, ["sentence"])
    fill_s = time.perf_counter() - t0
    for name, c in concepts.items():
        print(f"words {name} = " + ", ".join(f'"{w}"' for w in c.words))
    for u in unfilled.values():
        print(f"unfilled {u.name}: {u.message}")

    lfs, rows = [], []
    for j, (label, text, kind, cond) in enumerate(readings):
        lfs.append(ir.LF(f"x{j}", ir.Label(label), cond))
        rows.append((label, text, kind, "filled"))
        if kind == "concept":
            lfs.append(ir.LF(f"x{j}_seed", ir.Label(label), seed_only(cond)))
            rows.append((label, text, kind, "seed word only"))
    lists = {k: c.words for k, c in concepts.items()}
    schema = infer_schema(test, SPANS)
    program = compile_rules(ir.RuleFile((*declarations(LABELS, lists, SPANS), *lfs)), schema)
    t0 = time.perf_counter()
    L = apply_program(program, test[["sentence", "person1", "person2"]], schema,
                      progress=False).L
    apply_s = time.perf_counter() - t0

    print(f"\n{'label':<11} {'kind':<8} {'variant':<15} {'cover':>6} {'prec':>6} {'prior':>6} "
          f"{'lift':>6}  DSL")
    per = []
    for j, (lf, (label, text, kind, variant)) in enumerate(zip(lfs, rows, strict=True)):
        voted = L[:, j] != -1
        cover = float(voted.mean())
        prec = float((L[voted, j] == gold[voted]).mean()) if voted.any() else float("nan")
        lift = prec / prior[label] if voted.any() else float("nan")
        per.append({"explanation": text, "label": label, "kind": kind, "variant": variant,
                    "coverage": round(cover, 4),
                    "precision": round(prec, 3) if voted.any() else None,
                    "prior": round(prior[label], 3),
                    "lift": round(lift, 2) if voted.any() else None,
                    "votes": int(voted.sum()), "dsl": to_dsl(lf.when)})
        print(f"{label:<11} {kind:<8} {variant:<15} {cover:6.3f} {prec:6.3f} "
              f"{prior[label]:6.3f} {lift:6.2f}  {to_dsl(lf.when)}")
    filled = [p for p in per if p["variant"] == "filled" and p["votes"]]
    beats = sum(p["lift"] > 1 for p in filled)  # every filled LF here voted (``votes``)
    figures = {
        "lfs": len(filled),
        "lfs_beating_prior": beats,
        "concept_lfs_beating_prior": sum(p["lift"] > 1 for p in filled if p["kind"] == "concept"),
        "concept_lfs": sum(p["kind"] == "concept" for p in filled),
        "entity_lfs_beating_prior": sum(p["lift"] > 1 for p in filled if p["kind"] == "entity"),
        "entity_lfs": sum(p["kind"] == "entity" for p in filled),
        "concepts": {k: list(c.words) for k, c in concepts.items()},
        "parse_seconds": round(parse_s, 2),
        "fill_seconds": round(fill_s, 2),
        "apply_test_seconds_with_ner": round(apply_s, 2),
        "test_rows": len(test),
        "per_lf": per,
    }
    print(f"\n{beats} of {len(filled)} LFs beat the class prior of their label")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
