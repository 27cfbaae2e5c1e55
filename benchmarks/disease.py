"""Disease (BabbleLabble's CDR task): DSL rules → label model → end models.

The rules are ``examples/disease/disease.lf`` (written for this project from the CDR task's
definition of a chemical-induced disease; see the comment at its top). They label the pool
``disease/train.tsv`` (6,667 candidates; gold hidden from the rules, used only for the supervised
upper bound); ``disease/dev.tsv`` (773) picks the end model's best epoch; every method is scored on
``disease/test.tsv`` (4,101). Side by side in one run: LF majority vote (the anchor), the label
model, the end models (linear, MiniLM) on the label model's probabilities, and the same end
models trained on gold; BabbleLabble's published F1 is printed as a reference, not re-run.

    .venv/bin/python benchmarks/disease.py [--data DIR] [--no-minilm] [--out DIR]

The last line is one JSON object (F1 as fractions, positive class = CID), with the keys of
``benchmarks/spouse.py``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from spouse import DATA, ROOT, end_model_kinds, report, run_kinds  # noqa: E402

from explicate.errors import ExplicateError  # noqa: E402

PUBLISHED = {"BabbleLabble (Hancock et al. 2018)": 0.423}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--no-minilm", action="store_true", help="linear end model only")
    ap.add_argument("--label-model", default="auto", help="label model method (default auto)")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "explicate-bench")
    args = ap.parse_args()
    data = args.data / "disease"
    if not (data / "train.tsv").is_file():
        sys.exit(f"shared data not found at {args.data} (set EXPLICATE_DATA or --data)")
    kinds = end_model_kinds(args.no_minilm)
    config = {
        "data": {
            "train": str(data / "train.tsv"),
            "dev": str(data / "dev.tsv"),
            "test": str(data / "test.tsv"),
            "columns": ["sentence", "chemical", "disease", "pmid", "label"],
            "label_column": "label",
            "label_map": {"-1": "NOT_CID", "1": "CID"},
            "positive": "CID",
            "mentions": ["chemical", "disease"],
        },
        "rules": {"files": [str(ROOT / "examples" / "disease" / "disease.lf")]},
        "label_model": {"method": args.label_model},
    }
    try:
        results = run_kinds("disease", config, ROOT, kinds, args.out / f"disease-{args.label_model}", {})
    except ExplicateError as exc:
        sys.exit(str(exc))
    figures = report("disease", results, "test", PUBLISHED)
    figures["label_model_method"] = args.label_model
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
