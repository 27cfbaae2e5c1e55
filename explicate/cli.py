"""The ``explicate`` command: check, apply, summary, demo."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from explicate import ir
from explicate.compiler.dependencies import dependencies
from explicate.errors import Diagnostic, ExplicateError, did_you_mean
from explicate.grammar import to_dsl
from explicate.runtime.apply import Applied, apply_program, compile_for, load_rules
from explicate.runtime.data import RowProblem, gold_ids, read_table
from explicate.runtime.matrix import lf_summary, majority_vote

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compile labeling rules into training labels.")
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

Columns = Annotated[
    str | None,
    typer.Option("--columns", help="Comma-separated column names for a CSV/TSV without header."),
]


def user_errors(fn: F) -> F:
    """Print user mistakes as diagnostics and exit 2, never with a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ExplicateError as exc:
            err.print(str(exc), markup=False)
            raise typer.Exit(2) from None
        except (OSError, UnicodeDecodeError) as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _columns(columns: str | None) -> list[str] | None:
    return [c.strip() for c in columns.split(",")] if columns else None


def _report_problems(problems: Sequence[RowProblem], limit: int = 10) -> None:
    if not problems:
        return
    rows = len({p.row for p in problems})
    err.print(f"warning: {len(problems)} problem(s) in {rows} row(s); the LFs that read those "
              "fields abstain there (rows are kept):", markup=False)
    for p in problems[:limit]:
        err.print(f"  {p}", markup=False)
    if len(problems) > limit:
        err.print(f"  ... and {len(problems) - limit} more", markup=False)


def _run(rules_path: Path, data: Path, columns: str | None) -> tuple[Applied, pd.DataFrame]:
    rules = load_rules(rules_path)
    df = read_table(data, _columns(columns))
    program, schema = compile_for(rules, df)
    assert schema is not None
    applied = apply_program(program, df, schema)
    _report_problems(applied.problems)
    return applied, df


@app.command()
@user_errors
def check(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    data: Annotated[Path | None, typer.Option("--data", help="Check fields against this data.")]
    = None,
    columns: Columns = None,
) -> None:
    """Validate a rule file and print it as canonical DSL."""
    parsed = load_rules(rules)
    df = read_table(data, _columns(columns)) if data else None
    program, _ = compile_for(parsed, df)
    body = ir.RuleFile(tuple(s for s in parsed.rules.statements if not isinstance(s, ir.LF)))
    text = to_dsl(body) if body.statements else ""
    text += "".join(to_dsl(lf) + "\n" for lf in program.lfs)
    out.print(text.rstrip("\n"), markup=False)
    err.print(f"ok: {len(program.lfs)} LFs, {len(program.labels)} labels", markup=False)


@app.command()
@user_errors
def apply(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    data: Annotated[Path, typer.Option("--data", help="CSV, TSV, JSONL, JSON or Parquet.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write L (.npz).")],
    columns: Columns = None,
) -> None:
    """Apply rules to data and save the label matrix L (int8, n x m, ABSTAIN = -1)."""
    applied, _ = _run(rules, data, columns)
    applied.matrix.save(output)
    n, m = applied.L.shape
    covered = float((applied.L != ir.ABSTAIN).any(axis=1).mean()) if n else 0.0
    err.print(f"wrote {output}: L {n} x {m}, {covered:.1%} of rows covered", markup=False)


def _gold(df: pd.DataFrame, column: str, labels: tuple[str, ...], mapping: str | None
          ) -> np.ndarray:
    if column not in df.columns:
        raise ExplicateError([Diagnostic("E403", f"gold column '{column}' not in the data", None,
                                         "", (f"columns: {', '.join(map(str, df.columns))}",))])
    pairs = [pair.partition("=") for pair in mapping.split(",")] if mapping else []
    table = {value.strip(): label.strip() for value, _, label in pairs}
    return gold_ids(df[column], labels, table, what=f"gold column '{column}'")


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.3f}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


@app.command()
@user_errors
def summary(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    data: Annotated[Path, typer.Option("--data", help="CSV, TSV, JSONL, JSON or Parquet.")],
    gold: Annotated[str | None, typer.Option("--gold", help="Column of gold labels.")] = None,
    gold_map: Annotated[str | None, typer.Option("--gold-map",
                        help="Map gold values to labels, e.g. '-1=NOT_SPOUSE,1=SPOUSE'.")] = None,
    columns: Columns = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")] = False,
    label_model: Annotated[str | None, typer.Option("--label-model", help="Fit this label model "
                           "(auto, dawid_skene, ...) and add each LF's Learned Acc.")] = None,
) -> None:
    """LF summary (Polarity, Coverage, Overlaps, Conflicts, with gold Correct/Incorrect/Emp. Acc.)
    and the majority-vote labels."""
    applied, df = _run(rules, data, columns)
    result = summarize(applied, df, gold, gold_map, label_model)
    result["dependencies"] = _dependencies(rules, df)
    if as_json:
        out.print(json.dumps(result, indent=2), markup=False)
        return
    print_summary(result)


def summarize(applied: Applied, df: pd.DataFrame, gold: str | None, gold_map: str | None,
              label_model: str | None = None) -> dict[str, Any]:
    """LF summary and majority vote as plain data (with ``label_model``: each LF's learned
    accuracy, from a label model of that method fitted on the rows without gold)."""
    m = applied.matrix
    Y = _gold(df, gold, m.labels, gold_map) if gold else None
    learned = _learned_accuracy(m.L, m.cardinality, label_model) if label_model else None
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


def _learned_accuracy(L: np.ndarray, cardinality: int, method: str) -> np.ndarray:
    """Per-LF accuracies learned by a label model of ``method`` (user mistakes: E601, E603)."""
    from explicate.runtime.label_model import METHODS, LabelModel

    if method not in METHODS:
        raise ExplicateError([Diagnostic("E601", f"unknown label model '{method}'",
                                         hints=(f"choose one of {', '.join(METHODS)}",))])
    if L.shape[0] == 0 or L.shape[1] == 0:
        raise ExplicateError([Diagnostic("E603", "no rows or no LFs to fit a label model on")])
    model = LabelModel(cardinality=max(cardinality, 2), method=method).fit(L)
    assert model.accuracies is not None
    return model.accuracies


def _dependencies(rules: Path, df: pd.DataFrame) -> list[dict[str, Any]]:
    """Pairs of LFs that read the same primitive (static analysis, as passed to label models)."""
    program, _ = compile_for(load_rules(rules), df)
    return [{"lfs": list(d.names), "pair": list(d.pair), "shared": d.describe()}
            for d in dependencies(program.lowered)]


def print_summary(result: dict[str, Any]) -> None:
    lfs = result["lfs"]
    table = Table(title="LF summary", title_justify="left")
    for col in (lfs[0].keys() if lfs else ["LF"]):
        table.add_column(col, justify="left" if col in ("LF", "Polarity") else "right")
    for r in lfs:
        table.add_row(*(_fmt(v if v is not None else float("nan")) for v in r.values()))
    out.print(table)
    mv = result["majority_vote"]
    counts = ", ".join(f"{k} {v}" for k, v in mv["counts"].items())
    line = f"majority vote: {mv['labeled']}/{mv['rows']} rows labeled ({mv['coverage']:.1%}); {counts}"
    if mv.get("accuracy") is not None:
        line += f"; accuracy on gold {mv['accuracy']:.3f}"
    out.print(line, markup=False)
    deps = result.get("dependencies") or []
    if deps:
        out.print(f"dependencies: {len(deps)} pair(s) of LFs read the same primitive "
                  "(label models count them as one source):", markup=False)
        for d in deps:
            out.print(f"  {d['lfs'][0]} ~ {d['lfs'][1]}: {'; '.join(d['shared'])}", markup=False)


@app.command()
@user_errors
def fit(
    matrix: Annotated[Path, typer.Argument(help="Label matrix (.npz from `explicate apply`).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write probs (.npy).")],
    method: Annotated[str, typer.Option("--method", help="Label model method: a registered "
                      "name (auto, majority, dawid_skene, ...; a wrong name lists them).")] = "auto",
    gold: Annotated[Path | None, typer.Option("--gold", help="Gold labels (.npy or text).")] = None,
) -> None:
    """Fit a label model on L and save the probabilistic labels (float32, n x k)."""
    from explicate.runtime.label_model import fit_label_model_cli, method_names

    if method not in method_names():
        raise ExplicateError([Diagnostic("E401", f"unknown label model method '{method}'",
                                         hints=did_you_mean(method, method_names(), "methods"))])
    if not matrix.is_file():
        raise ExplicateError([Diagnostic("E602", f"label matrix '{matrix}' not found")])
    try:
        result = fit_label_model_cli(str(matrix), method, str(output), str(gold) if gold else None)
    except ValueError as exc:
        raise ExplicateError([Diagnostic("E602", str(exc))]) from None
    out.print(json.dumps(result, indent=2), markup=False)


@app.command()
@user_errors
def regions(
    images: Annotated[Path, typer.Argument(help="Folder of images (PNG, JPEG, ... or .npy).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write JSONL.")],
    threshold: Annotated[float | None, typer.Option("--threshold",
                         help="Grey level separating regions (default: Otsu's).")] = None,
    invert: Annotated[bool, typer.Option("--invert", help="Regions are darker than the "
                                         "background.")] = False,
) -> None:
    """Extract region objects (connected components of the thresholded image: box, area,
    perimeter, intensity, centroid, eccentricity; holes) from every image of a folder, as JSONL
    that image rules read (``"region"`` and ``"hole"`` objects in field ``objects``)."""
    from explicate.runtime.data.regions import regions_records, write_jsonl

    skipped: list[str] = []
    count = write_jsonl(regions_records(images, threshold, invert, skipped), output)
    for problem in skipped:
        err.print(f"warning: skipped {problem}", markup=False)
    err.print(f"wrote {output}: {count} image(s)" + (f", {len(skipped)} unreadable file(s) "
              "skipped" if skipped else ""), markup=False)


@app.command()
@user_errors
def demo(
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the demo's files "
                                         "and results.")] = Path("explicate-demo"),
) -> None:
    """Run the whole loop (`explicate run`) on the embedded example: synthetic job postings."""
    from explicate.demo import run_demo

    run_demo(out, output)


@app.command()
@user_errors
def run(
    pipeline: Annotated[Path, typer.Argument(help="Pipeline file (.toml): data, rules, "
                                             "label model, end model, output.")],
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Output folder (overrides [output] dir).")]
    = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print metrics.json at the end.")]
    = False,
) -> None:
    """Run the whole loop: rules and explanations → L → label model → end model → report."""
    from explicate.runtime.pipeline import load_config, print_report, run_pipeline

    config = load_config(pipeline)
    if output is not None:
        config.output = output.resolve()
    result = run_pipeline(config, log=lambda msg: err.print(msg, markup=False, highlight=False))
    print_report(result, out)
    if as_json:
        out.print((result.output / "metrics.json").read_text(encoding="utf-8"), markup=False)


@app.command()
@user_errors
def explain(
    explanations: Annotated[Path, typer.Argument(help="CSV/TSV/JSONL: label, explanation and "
                                                 "the example's own fields.")],
    labels: Annotated[str, typer.Option("--labels", help="Class names in id order, e.g. "
                                        "NOT_SPOUSE,SPOUSE.")],
    data: Annotated[Path | None, typer.Option("--data", help="Unlabeled pool for the uniform and "
                                              "duplicate-signature filters.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Rule file to write.")] = Path(
        "rules.lf"),
    report: Annotated[Path | None, typer.Option("--report", help="JSON report to write.")] = None,
    words: Annotated[Path | None, typer.Option("--words", help="Word lists: a rule file with "
                                               "'words NAME = ...' lines.")] = None,
    label_map: Annotated[str | None, typer.Option("--label-map", help="Rewrite label values "
                                                  "first, e.g. '1=SPOUSE,2=NOT_SPOUSE'.")] = None,
    keep: Annotated[str, typer.Option("--keep", help="'all' surviving readings (default), "
                                      "'best' (one per explanation), or 'partial' (also readings "
                                      "that left out a quote, mention, negation or relation "
                                      "word).")] = "all",
    columns: Columns = None,
) -> None:
    """Turn English explanations into labeling functions (parse, filter, write DSL)."""
    from explicate.runtime.explain import KEEP, word_lists_from_file
    from explicate.runtime.explain import explain as run_explain

    if keep not in KEEP:
        err.print(f"error: --keep must be one of {', '.join(KEEP)}, not {keep!r}", markup=False)
        raise typer.Exit(2)
    names = [n.strip() for n in labels.split(",") if n.strip()]
    mapping = dict(p.split("=", 1) for p in label_map.split(",")) if label_map else None
    lists = word_lists_from_file(words) if words else None
    result = run_explain(explanations, names, pool=data, word_lists=lists, label_map=mapping,
                         keep=keep, columns=_columns(columns))
    output.write_text(result.dsl, encoding="utf-8")
    if report is not None:
        report.write_text(json.dumps(result.report, indent=2), encoding="utf-8")
    table = Table(title=f"{explanations.name}: explanations → LFs")
    for col in ("#", "label", "readings", "kept", "kept LF / why not"):
        table.add_column(col, overflow="fold")
    for e in result.explained:
        why = (to_dsl(e.kept[0].when) if e.kept else e.rejections[0].message if e.rejections
               else e.parsed.unsupported[0] if e.parsed.unsupported
               else e.parsed.diagnostics[0].message if e.parsed.diagnostics else "")
        table.add_row(str(e.index), e.label or "?", str(len(e.readings)), str(len(e.kept)), why)
    out.print(table)
    t = result.totals
    out.print(f"{t['explanations']} explanations: {t['parsed']} parsed "
              f"({t['parse_rate']:.0%}), {t['kept']} kept an LF ({t['kept_rate']:.0%}); "
              f"{t['lfs']} LFs written to {output} in {t['seconds']:.2f}s")
    for e in result.explained:
        for d in e.parsed.diagnostics:
            err.print(d.render(), markup=False)


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="explicate")
    sys.exit(0)
