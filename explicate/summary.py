"""The LF summary as plain data and as a table: what ``explicate summary`` prints (Snorkel's
columns, gold figures, learned accuracies, the majority vote, static dependencies), and the small
option parsers the commands share."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from explicate import ir
from explicate.errors import Diagnostic, ExplicateError, did_you_mean

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from explicate.runtime.apply import Applied


def parse_pairs(text: str, option: str) -> dict[str, str]:
    """``'1=SPOUSE,2=NOT_SPOUSE'`` as a mapping; a pair without '=' is an E605 diagnostic."""
    found: dict[str, str] = {}
    for pair in text.split(","):
        value, eq, label = pair.partition("=")
        if not eq or not value.strip() or not label.strip():
            raise ExplicateError([Diagnostic(
                "E605", f"{option}: '{pair}' is not VALUE=LABEL", None, "",
                (f"write e.g. {option} '1=SPOUSE,2=NOT_SPOUSE'",))])
        found[value.strip()] = label.strip()
    return found


def gold_column(df: pd.DataFrame, column: str, labels: tuple[str, ...], mapping: str | None
          ) -> np.ndarray:
    from explicate.runtime.data import gold_ids

    if column not in df.columns:
        raise ExplicateError([Diagnostic("E403", f"gold column '{column}' not in the data", None,
                                         "", (f"columns: {', '.join(map(str, df.columns))}",))])
    table = parse_pairs(mapping, "--gold-map") if mapping else {}
    return gold_ids(df[column], labels, table, what=f"gold column '{column}'")


def fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def group_fills(result: dict[str, Any], rules: Path) -> None:
    """A filled rule file's LFs name the sketch they fill (a ``Sketch`` column after ``LF``)."""
    from explicate.runtime.sketch.result import sketch_groups

    groups = sketch_groups(rules.read_text(encoding="utf-8"))
    if groups:
        result["lfs"] = [{"LF": r["LF"], "Sketch": groups.get(r["LF"], ""),
                          **{k: v for k, v in r.items() if k != "LF"}} for r in result["lfs"]]


def summarize(applied: Applied, df: pd.DataFrame, gold: str | None, gold_map: str | None,
              label_model: str | None = None) -> dict[str, Any]:
    """LF summary and majority vote as plain data (with ``label_model``: each LF's learned
    accuracy, from a label model of that method fitted on the rows without gold)."""
    from explicate.runtime.matrix import lf_summary, majority_vote

    m = applied.matrix
    Y = gold_column(df, gold, m.labels, gold_map) if gold else None
    learned = learned_accuracy(m.L, m.cardinality, label_model) if label_model else None
    table = lf_summary(m.L, m.lf_names, m.labels, Y, learned)
    mv = majority_vote(m.L, m.cardinality)
    n = len(mv)
    majority: dict[str, Any] = {
        "rows": n,
        "labeled": int((mv != ir.ABSTAIN).sum()),
        "coverage": float((mv != ir.ABSTAIN).mean()) if n else 0.0,
        "counts": {label: int((mv == i).sum()) for i, label in enumerate(m.labels)},
    }
    if Y is not None:
        scored = (mv != ir.ABSTAIN) & (Y != ir.ABSTAIN)
        majority["accuracy"] = float((mv[scored] == Y[scored]).mean()) if scored.any() else None
    records = [{"LF": name, **{k: v for k, v in row.items() if k != "j"}}
               for name, row in table.to_dict(orient="index").items()]
    for r in records:
        for k, v in list(r.items()):
            if isinstance(v, float) and math.isnan(v):
                r[k] = None
    return {"lfs": records, "majority_vote": majority, "labels": list(m.labels)}


def check_method(method: str) -> None:
    """An unknown label-model method is E601, naming the registered ones."""
    from explicate.runtime.label_model import method_names

    names = method_names()
    if method not in names:
        close = did_you_mean(method, names, "methods")[0]
        hint = close.split("?")[0] + "? " if close.startswith("did you mean") else ""
        raise ExplicateError([Diagnostic("E601", f"unknown label model method '{method}'",
                                         hints=(f"{hint}choose one of {', '.join(names)}",))])


def learned_accuracy(L: np.ndarray, cardinality: int, method: str) -> np.ndarray:
    """Per-LF accuracies learned by a label model of ``method`` (user mistakes: E601, E603)."""
    from explicate.runtime.label_model import LabelModel

    check_method(method)
    if L.shape[0] == 0 or L.shape[1] == 0:
        raise ExplicateError([Diagnostic("E603", "no rows or no LFs to fit a label model on")])
    model = LabelModel(cardinality=max(cardinality, 2), method=method).fit(L)
    assert model.accuracies is not None
    return model.accuracies


def lf_dependencies(rules: Path, df: pd.DataFrame) -> list[dict[str, Any]]:
    """Pairs of LFs that read the same primitive (static analysis, as passed to label models)."""
    from explicate.compiler.dependencies import dependencies
    from explicate.runtime.apply import compile_for, load_rules

    program, _ = compile_for(load_rules(rules), df)
    return [{"lfs": list(d.names), "pair": list(d.pair), "shared": d.describe()}
            for d in dependencies(program.lowered)]


def print_summary(result: dict[str, Any], console: Console) -> None:
    """The summary as a rich table, the majority vote and the dependencies, on ``console``."""
    lfs = result["lfs"]
    table = Table(title="LF summary", title_justify="left")
    for col in (lfs[0].keys() if lfs else ["LF"]):
        table.add_column(col, justify="left" if col in ("LF", "Sketch", "Polarity") else "right")
    for r in lfs:
        table.add_row(*(fmt(v if v is not None else float("nan")) for v in r.values()))
    console.print(table)
    mv = result["majority_vote"]
    counts = ", ".join(f"{k} {v}" for k, v in mv["counts"].items())
    line = f"majority vote: {mv['labeled']}/{mv['rows']} rows labeled ({mv['coverage']:.1%}); {counts}"
    if mv.get("accuracy") is not None:
        line += f"; accuracy on gold {mv['accuracy']:.3f}"
    console.print(line, markup=False)
    deps = result.get("dependencies") or []
    if deps:
        console.print(f"dependencies: {len(deps)} pair(s) of LFs read the same primitive "
                  "(label models count them as one source):", markup=False)
        for d in deps:
            console.print(f"  {d['lfs'][0]} ~ {d['lfs'][1]}: {'; '.join(d['shared'])}", markup=False)
