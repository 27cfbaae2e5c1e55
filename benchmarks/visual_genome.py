"""Visual Genome "is a person riding a bike?": image rules, static dependencies, label models.

The five heuristics of the Coral / Snorkel image tutorial (street, vehicles, distance, size,
number) are written as explicate rules (examples/visual_genome/rules.lf) over the object boxes of
``$EXPLICATE_DATA/images/visual_genome_bike_rider``. In one run, on train and val:

- majority vote (ties and rows without votes count as wrong, as in the tutorial's 0.674);
- a label model without dependencies and with the pairs the compiler's static analysis infers
  (LFs reading the same primitive), for the Snorkel/MeTaL-style matrix-completion model (primary:
  it masks dependent pairs, as Coral's factor graph does) and for the package's default (auto);
- the always-NOT_RIDING anchor (the class balance) and Coral's published train figures;
- an end model (logistic regression over bag-of-object-names and box-geometry features) trained on
  the dependency-aware label model's probabilistic labels of train, scored on val, next to the
  same model trained on gold train labels (a supervised ceiling).

Ends with one JSON line of the figures. Usage: ``python benchmarks/visual_genome.py``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from explicate import ir
from explicate.compiler.dependencies import dependencies
from explicate.compiler.lower import Evaluator
from explicate.compiler.resolve import expand_word_lists
from explicate.grammar import parse_lf
from explicate.runtime.apply import apply_program, compile_for, load_rules
from explicate.runtime.data import read_table
from explicate.runtime.features import build_batch
from explicate.runtime.label_model import LabelModel
from explicate.runtime.matrix import majority_vote

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("EXPLICATE_DATA", ROOT.parent / "shared" / "data"))
SPLITS = DATA / "images" / "visual_genome_bike_rider"
RULES = ROOT / "examples" / "visual_genome" / "rules.lf"
CORAL = {"majority_acc_train": 0.674, "independent_acc_train": 0.701, "coral_acc_train": 0.755}
RIDING = 1

# Box-geometry features of the end model, written as explicate values over the rules' word lists.
GEOMETRY = [
    "count(@person)", "count(@bike)", "count(@road)", "count(@vehicle)",
    "min distance(@person, @bike)", "max iou(@person, @bike)",
    "max area_ratio(@person, @bike)", "min area_ratio(@person, @bike)",
    "max rel_area(@person)", "max h(@person)", "max w(@bike)",
]


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of rows predicted right; an abstention (-1) is wrong."""
    return float((pred == y).mean())


def geometry(df: pd.DataFrame, program, schema) -> np.ndarray:  # type: ignore[no-untyped-def]
    """float[n, 2g]: each GEOMETRY value (0 where undefined) and whether it is defined."""
    batch = build_batch(df, program, schema)
    ev = Evaluator(batch)
    cols = []
    for text in GEOMETRY:
        node = parse_lf(f"lf g: {text} > 0 -> RIDING").when
        assert isinstance(node, ir.Compare)
        values = ev(expand_word_lists(node.left, program.word_lists))
        defined = ~np.isnan(values)
        cols += [np.where(defined, values, 0.0), defined.astype(np.float64)]
    return np.stack(cols, axis=1)


def names(df: pd.DataFrame) -> list[str]:
    """Each image's object names (head words), as one document."""
    return [" ".join(str(o.get("name", "")).lower().split()[-1:][0] if str(o.get("name", "")).split()
                     else "" for o in objs) for objs in df["objects"]]


def main() -> None:
    if not SPLITS.is_dir():
        print(f"skipped: {SPLITS} not found (set EXPLICATE_DATA)", file=sys.stderr)
        sys.exit(0)
    t0 = time.perf_counter()
    rules = load_rules(RULES)
    frames = {s: read_table(SPLITS / f"{s}.jsonl") for s in ("train", "val")}
    gold = {s: np.where(df["label"].to_numpy() == 1, RIDING, 0) for s, df in frames.items()}
    L: dict[str, np.ndarray] = {}
    programs = {}
    for split, df in frames.items():
        program, schema = compile_for(rules, df)
        assert schema is not None
        applied = apply_program(program, df, schema, progress=False)
        if applied.problems:
            print(f"{split}: {len(applied.problems)} data problems", file=sys.stderr)
        L[split] = applied.L
        programs[split] = (program, schema)
    t_apply = time.perf_counter() - t0
    program = programs["train"][0]
    deps = dependencies(program.lowered)
    pairs = [d.pair for d in deps]
    print(f"{len(program.lfs)} LFs; {len(pairs)} dependent pairs (static analysis):")
    for d in deps:
        print(f"  {d.names[0]} ~ {d.names[1]}")

    results: dict[str, float | int | str] = {}
    for split in ("train", "val"):
        y = gold[split]
        results[f"majority_acc_{split}"] = accuracy(majority_vote(L[split], 2), y)
        results[f"always_not_riding_acc_{split}"] = accuracy(np.zeros_like(y), y)
    models: dict[str, LabelModel] = {}
    for method, key in (("matrix_completion", "label_model"), ("auto", "auto_label_model")):
        for with_deps, prefix in ((False, ""), (True, "dep_")):
            model = LabelModel(2, method=method, device="auto", seed=0)
            model.fit(L["train"], dependencies=pairs if with_deps else [])
            models[prefix + key] = model
            for split in ("train", "val"):
                probs = model.predict_proba(L[split])
                results[f"{prefix}{key}_acc_{split}"] = accuracy(probs.argmax(1), gold[split])
    results["label_model_method"] = "matrix_completion"

    # End model on the dependency-aware label model's probabilistic labels (covered train rows).
    vec = CountVectorizer(token_pattern=r"[^ ]+", min_df=2, binary=True)
    feats = {}
    for i, split in enumerate(("train", "val")):
        bag = vec.fit_transform(names(frames[split])) if i == 0 else vec.transform(
            names(frames[split]))
        geo = geometry(frames[split], *programs[split])
        feats[split] = (bag, geo)
    scaler = StandardScaler().fit(feats["train"][1])
    X = {s: sparse.hstack([b, sparse.csr_matrix(scaler.transform(g))]).tocsr()
         for s, (b, g) in feats.items()}
    probs = models["dep_label_model"].predict_proba(L["train"])
    covered = (L["train"] != ir.ABSTAIN).any(axis=1)
    Xc, pc = X["train"][covered], probs[covered, RIDING]
    # Soft labels: each row once as RIDING with weight p and once as NOT_RIDING with weight 1 - p.
    X2 = sparse.vstack([Xc, Xc])
    y2 = np.concatenate([np.ones(len(pc)), np.zeros(len(pc))])
    w2 = np.concatenate([pc, 1 - pc])
    end = LogisticRegression(C=0.3, max_iter=2000).fit(X2, y2, sample_weight=w2)
    results["end_model_acc_train"] = accuracy(end.predict(X["train"]), gold["train"])
    results["end_model_acc_val"] = accuracy(end.predict(X["val"]), gold["val"])
    sup = LogisticRegression(C=0.3, max_iter=2000).fit(X["train"], gold["train"])
    results["supervised_end_model_acc_val"] = accuracy(sup.predict(X["val"]), gold["val"])
    results.update({f"coral_reference_{k}": v for k, v in CORAL.items()})
    results["n_lfs"] = len(program.lfs)
    results["n_dependencies"] = len(pairs)
    results["apply_seconds"] = round(t_apply, 3)

    print(f"\n{'':34s}{'train':>8s}{'val':>8s}")
    for key in ("always_not_riding", "majority", "label_model", "dep_label_model",
                "auto_label_model", "dep_auto_label_model", "end_model"):
        tr = results.get(f"{key}_acc_train", float("nan"))
        print(f"{key:34s}{tr:8.3f}{results[f'{key}_acc_val']:8.3f}")
    print(f"{'supervised end model (ceiling)':34s}{'':8s}"
          f"{results['supervised_end_model_acc_val']:8.3f}")
    print(f"Coral (paper, train): MV {CORAL['majority_acc_train']}, independent "
          f"{CORAL['independent_acc_train']}, with static dependencies {CORAL['coral_acc_train']}")
    print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in results.items()}))


if __name__ == "__main__":
    main()
