"""The ``explicate`` command: check, apply, summary, export, inspect, fit, train, explain, fill,
run, demo, studio, cache."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from explicate import ir
from explicate.cache_cli import cache_app
from explicate.errors import Diagnostic, ExplicateError, did_you_mean
from explicate.summary import (
    check_method,
    gold_column,
    group_fills,
    lf_dependencies,
    parse_pairs,
    print_summary,
    summarize,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from explicate.runtime.apply import Applied, RuleSource
    from explicate.runtime.data import RowProblem

# Start-up: each command imports the data stack (numpy, pandas, spaCy, torch) when it runs, so
# `explicate --help` loads none of it; see explicate.runtime.device for spaCy without torch and
# the thread settings.
app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Compile labeling rules into training labels.")
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


@app.callback()
def _settings(
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="Threads a parallel "
                       "computation uses (default: EXPLICATE_THREADS, else the cores other work "
                       "leaves idle, read as it runs); small ones always run on one.")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Processes that tokenize "
                    "large data (default: EXPLICATE_JOBS, else 1).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Tokenize and evaluate again "
                        "instead of using the cache of tokenized columns and LF results "
                        "(EXPLICATE_CACHE, default ~/.cache/explicate).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars (they are only "
                     "drawn on a terminal anyway).")] = False,
) -> None:
    """Process settings for every command: threads, processes, the batch cache, progress bars,
    and spaCy loaded without torch."""
    from explicate.runtime.device import ENV, keep_torch_out_of_spacy

    if threads is not None:
        os.environ[ENV] = str(threads)
    if jobs is not None:
        os.environ["EXPLICATE_JOBS"] = str(jobs)
    if no_cache:
        os.environ["EXPLICATE_CACHE"] = "off"
    if quiet:
        from explicate.runtime.progress import QUIET_ENV

        os.environ[QUIET_ENV] = "1"
    # OpenMP's wait policy is left as it is: the thread policy gives a region one thread when
    # the cores are busy (so no thread spins for a core someone else needs), and on idle cores
    # OpenMP's short spin before sleeping is what makes back-to-back regions fast
    # (OMP_WAIT_POLICY=PASSIVE cost 1.1-1.3x on an idle machine: benchmarks/threads.py).
    keep_torch_out_of_spacy()

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


def _load_rules(path: Path) -> RuleSource:
    """A rule file for the commands: one with no LF at all is an error (E107), not 'ok'."""
    from explicate.runtime.rules import load_rules

    source = load_rules(path)
    if not source.rules.lfs and not source.syntax_errors:
        raise ExplicateError([Diagnostic("E107", f"rule file '{path}' has no LFs", None, "",
                                         ("add a line like 'lf NAME: CONDITION -> LABEL'",))])
    return source


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
    from explicate.runtime.apply import apply_program, compile_for
    from explicate.runtime.data import normalization_note, read_table

    rules = _load_rules(rules_path)
    df = read_table(data, _columns(columns))
    program, schema = compile_for(rules, df)
    assert schema is not None
    applied = apply_program(program, df, schema)
    _report_problems(applied.problems)
    note = normalization_note(df[[c for c in df.columns if c in program.field_kinds]])
    if note:
        err.print(note, markup=False)
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
    from explicate.grammar import to_dsl
    from explicate.runtime.rules import compile_for

    parsed = _load_rules(rules)
    df = None
    if data:  # the data side (pandas, readers) only when there is data: start-up stays quick
        from explicate.runtime.data import read_problems, read_table

        df = read_table(data, _columns(columns))
    program, _ = compile_for(parsed, df)
    if df is not None:
        _report_problems(read_problems(df))
    body = ir.RuleFile(tuple(s for s in parsed.rules.statements if not isinstance(s, ir.LF)))
    text = to_dsl(body) if body.statements else ""
    text += "".join(to_dsl(lf) + "\n" for lf in program.lfs)
    out.print(text.rstrip("\n"), markup=False)
    err.print(f"ok: {len(program.lfs)} LFs, {len(program.labels)} labels", markup=False)


Engine = Annotated[str | None, typer.Option("--engine", help="Apply shard by shard on this "
                  "engine: serial, threads, processes, dask (default for a directory or glob "
                  "of shards: serial).")]
Workers = Annotated[int | None, typer.Option("--workers", min=1, help="Workers of the engine "
                    "(threads, processes, or a local Dask cluster's processes).")]
Scheduler = Annotated[str | None, typer.Option("--scheduler", help="Address of a running Dask "
                      "scheduler (tcp://host:8786), for --engine dask.")]


@app.command()
@user_errors
def apply(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    data: Annotated[str, typer.Option("--data", help="CSV, TSV, JSONL, JSON or Parquet; or a "
                    "directory or glob ('shards/*.parquet') of such shards.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write L (.npz; a "
                      "directory for shards).")],
    columns: Columns = None,
    engine: Engine = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
) -> None:
    """Apply rules to data and save the label matrix L (int8, n x m, ABSTAIN = -1)."""
    if engine or workers or scheduler or Path(data).is_dir() or any(c in data for c in "*?["):
        from explicate.runtime.engine.cli import apply_shards_cli

        _load_rules(rules)
        apply_shards_cli(rules, data, output, engine or ("dask" if scheduler else "serial"),
                         workers, scheduler, _columns(columns), err)
        return
    applied, _ = _run(rules, Path(data), columns)
    applied.matrix.save(output)
    n, m = applied.L.shape
    covered = float((applied.L != ir.ABSTAIN).any(axis=1).mean()) if n else 0.0
    err.print(f"wrote {output}: L {n} x {m}, {covered:.1%} of rows covered", markup=False)


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
    result["dependencies"] = lf_dependencies(rules, df)
    group_fills(result, rules)
    if as_json:
        out.print(json.dumps(result, indent=2), markup=False)
        return
    print_summary(result, out)


@app.command()
@user_errors
def fit(
    matrix: Annotated[Path, typer.Argument(help="Label matrix (.npz from `explicate apply`).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write probs (.npy).")],
    method: Annotated[str, typer.Option("--method", help="Label model method: a registered "
                      "name (auto, majority, dawid_skene, ...; a wrong name lists them).")] = "auto",
    gold: Annotated[Path | None, typer.Option("--gold", help="Gold labels (.npy or text).")] = None,
    engine: Engine = None,
    workers: Workers = None,
    scheduler: Scheduler = None,
) -> None:
    """Fit a label model on L and save the probabilistic labels (float32, n x k). For an L
    directory (`apply` on shards) the model is fitted on its statistics and the probabilities
    are written per shard into the output directory."""
    from explicate.runtime.label_model import fit_label_model_cli

    check_method(method)
    if matrix.is_dir():
        from explicate.runtime.engine.cli import fit_shards_cli

        result = fit_shards_cli(matrix, output, method, engine or (
            "dask" if scheduler else "serial"), workers, scheduler, gold)
        out.print(json.dumps(result, indent=2), markup=False)
        return
    if not matrix.is_file():
        raise ExplicateError([Diagnostic("E602", f"label matrix '{matrix}' not found")])
    if output.suffix != ".npy":
        output = output.with_name(output.name + ".npy")  # numpy adds it; report the real name
    try:
        result = fit_label_model_cli(str(matrix), method, str(output), str(gold) if gold else None)
    except ValueError as exc:
        raise ExplicateError([Diagnostic("E602", str(exc))]) from None
    except (zipfile.BadZipFile, EOFError, KeyError, OSError) as exc:
        raise ExplicateError([Diagnostic("E602", f"label matrix '{matrix}' is not a readable "
                                         f".npz ({type(exc).__name__}: {exc})", None, "",
                                         ("write it again with `explicate apply`",))]) from None
    out.print(json.dumps(result, indent=2), markup=False)


@app.command()
@user_errors
def train(
    probs: Annotated[Path, typer.Argument(help="Probabilities directory (`explicate fit L/ -o "
                     "probs/`).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Directory for the model and "
                      "each shard's predictions.")],
    data: Annotated[str | None, typer.Option("--data", help="The shards `apply` read (default: "
                    "the sources its manifest lists).")] = None,
    text: Annotated[str | None, typer.Option("--text", help="Comma-separated text fields the "
                    "end model reads (default: those the rules read).")] = None,
    end_model: Annotated[str, typer.Option("--end-model", help="End model kind.")] = "linear",
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="Passes over the shards.")] = 3,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1)] = 256,
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate (default: the "
                  "kind's).")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
) -> None:
    """Train the end model from shards in streamed minibatches (never all rows in memory) on the
    label model's per-shard probabilities; write it and every shard's end-model probabilities."""
    from explicate.runtime.engine.cli import train_shards_cli

    result = train_shards_cli(probs, output, data, _columns(text), end_model, epochs,
                              batch_size, lr, seed)
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
    from explicate.grammar import to_dsl
    from explicate.runtime.explain import KEEP, word_lists_from_file
    from explicate.runtime.explain import explain as run_explain

    if keep not in KEEP:
        raise ExplicateError([Diagnostic("E605", f"--keep must be one of {', '.join(KEEP)}, "
                                         f"got '{keep}'", hints=did_you_mean(keep, KEEP, "choices"))])
    names = [n.strip() for n in labels.split(",") if n.strip()]
    mapping = parse_pairs(label_map, "--label-map") if label_map else None
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


@app.command()
@user_errors
def export(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    data: Annotated[Path, typer.Option("--data", help="CSV, TSV, JSONL, JSON or Parquet.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write: .csv or "
                                         ".parquet.")],
    method: Annotated[str, typer.Option("--method", help="Label model for the probabilities "
                                        "(auto, majority, dawid_skene, ...).")] = "auto",
    columns: Columns = None,
) -> None:
    """Write every row with its row number (``row``, 1-based), its fields, each LF's vote
    (``lf:NAME``), the label model's probability of each label (``p:LABEL``) and the most likely
    label (``predicted``); votes, probabilities and label are empty where no LF votes."""
    import numpy as np

    from explicate.runtime.label_model import LabelModel

    if output.suffix.lower() not in (".csv", ".parquet"):
        raise ExplicateError([Diagnostic("E605", f"-o {output}: write .csv or .parquet",
                                         hints=("e.g. -o labeled.csv",))])
    check_method(method)
    applied, df = _run(rules, data, columns)
    m = applied.matrix
    table = df.reset_index(drop=True).copy()
    table.insert(0, "row" if "row" not in table.columns else "explicate_row",
                 np.arange(1, len(df) + 1))
    names = np.array(["", *m.labels], dtype=object)  # index 0: ABSTAIN
    for j, lf in enumerate(m.lf_names):
        table[f"lf:{lf}"] = names[m.L[:, j].astype(np.int64) + 1]
    covered = (m.L != ir.ABSTAIN).any(axis=1)
    if len(df) and m.L.shape[1] and covered.any():
        model = LabelModel(cardinality=max(m.cardinality, 2), method=method).fit(m.L)
        probs = np.asarray(model.predict_proba(m.L), dtype=np.float64)
    else:
        probs = np.full((len(df), max(m.cardinality, 2)), np.nan)
    probs[~covered] = np.nan  # no vote: no label, not the prior
    for i, label in enumerate(m.labels):
        table[f"p:{label}"] = probs[:, i]
    best = np.where(covered, np.nan_to_num(probs, nan=-1.0).argmax(axis=1) + 1, 0)
    table["predicted"] = names[best]
    if output.suffix.lower() == ".csv":
        table.to_csv(output, index=False)
    else:
        table.to_parquet(output, index=False)
    err.print(f"wrote {output}: {len(table)} rows, {len(m.lf_names)} LF votes, probabilities "
              f"of {len(m.labels)} labels ({int(covered.sum())} rows covered)", markup=False)


@app.command()
@user_errors
def inspect(
    rules: Annotated[Path, typer.Argument(help="Rule file (.lf).")],
    lf: Annotated[str, typer.Argument(help="The LF to inspect.")],
    data: Annotated[Path, typer.Option("--data", help="CSV, TSV, JSONL, JSON or Parquet.")],
    gold: Annotated[str | None, typer.Option("--gold", help="Column of gold labels.")] = None,
    gold_map: Annotated[str | None, typer.Option("--gold-map",
                        help="Map gold values to labels, e.g. '-1=NOT_SPOUSE,1=SPOUSE'.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="Rows shown per list.")] = 10,
    columns: Columns = None,
) -> None:
    """The rows where one LF votes, where it is wrong on gold, and where another LF votes
    differently (row numbers are 1-based records of the data file)."""
    import numpy as np

    applied, df = _run(rules, data, columns)
    m = applied.matrix
    if lf not in m.lf_names:
        raise ExplicateError([Diagnostic("E605", f"no LF named '{lf}' in {rules}",
                                         hints=did_you_mean(lf, m.lf_names, "LFs"))])
    j = m.lf_names.index(lf)
    votes = m.L[:, j]
    voted = votes != ir.ABSTAIN
    others = np.delete(m.L, j, axis=1)
    conflicts = voted & ((others != ir.ABSTAIN) & (others != votes[:, None])).any(axis=1)
    lists: list[tuple[str, np.ndarray]] = [("votes", voted), ("conflicts with another LF",
                                                               conflicts)]
    if gold:
        Y = gold_column(df, gold, m.labels, gold_map)
        lists.insert(1, ("wrong on gold", voted & (Y != ir.ABSTAIN) & (votes != Y)))
    text_cols = [c for c in df.columns if df[c].dtype == object or str(df[c].dtype) == "string"]
    out.print(f"{lf}: votes on {int(voted.sum())} of {len(df)} rows", markup=False)
    for title, mask in lists:
        rows = np.flatnonzero(mask)
        out.print(f"\n{title}: {len(rows)} row(s)" + (f", first {limit}:" if len(rows) > limit
                                                        else ":"), markup=False)
        for i in rows[:limit]:
            vote = m.labels[votes[i]] if votes[i] >= 0 else "-"
            text = " | ".join(str(df[c].iloc[i]) for c in text_cols[:2])
            out.print(f"  row {i + 1}: {vote}  {text[:120]}", markup=False)


@app.command()
@user_errors
def fill(
    sketches: Annotated[Path, typer.Argument(help="Rule file with sketches: LFs with holes "
                                             "(?w, ?n, -> ?label).")],
    data: Annotated[Path, typer.Option("--data", help="Unlabeled pool the candidates come "
                                       "from.")],
    dev: Annotated[Path, typer.Option("--dev", help="Labeled dev rows the fills are scored "
                                      "on.")],
    gold: Annotated[str, typer.Option("--gold", help="Gold label column of the dev data.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Filled rule file to write.")]
    = Path("rules.lf"),
    report: Annotated[Path | None, typer.Option("--report", help="JSON fill report.")] = None,
    gold_map: Annotated[str | None, typer.Option("--gold-map", help="Map gold values to labels, "
                                                 "e.g. '1=SPAM,0=HAM'.")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Fixes the cross-fitting folds.")] = 0,
    max_fills: Annotated[int, typer.Option("--max-fills", help="Fills per sketch at most.")] = 5,
    columns: Columns = None,
) -> None:
    """Fill the holes of sketches from data: candidates from the pool, chosen on dev labels."""
    import dataclasses as dc

    from explicate.runtime.apply import load_rules
    from explicate.runtime.data import read_table
    from explicate.runtime.sketch import FillConfig
    from explicate.runtime.sketch import fill as run_fill

    source = load_rules(sketches)
    pool_df = read_table(data, _columns(columns))
    dev_df = read_table(dev, _columns(columns))
    labels = source.rules.labels
    if labels is None:
        raise ExplicateError([Diagnostic("E205", "no 'labels:' declaration", None, "",
                                         ("start the file with e.g. 'labels: HAM, SPAM'",))])
    gold_ids = gold_column(dev_df, gold, labels, gold_map)
    config = FillConfig()
    config = dc.replace(config, select=dc.replace(config.select, max_fills=max_fills))
    result = run_fill(source.rules, pool_df, dev_df.drop(columns=[gold]), gold_ids, config=config,
                      seed=seed, base_dir=source.base_dir, syntax_errors=source.syntax_errors)
    output.write_text(result.to_dsl(), encoding="utf-8")
    if report is not None:
        report.write_text(json.dumps(result.report(), indent=2), encoding="utf-8")
    table = Table(title=f"{sketches.name}: sketches → fills")
    for col in ("sketch / fill", "label", "dev", "held-out precision (95%)", "pool cov."):
        table.add_column(col, overflow="fold")
    for name, fills in result.by_sketch().items():
        table.add_row(name, "", "", "", "" if fills else "no fill")
        for f in fills:
            h = f.held_out
            held = f"{h.correct}/{h.fires} [{h.low:.2f}, {h.high:.2f}]" if h.fires else "-"
            table.add_row("  " + ", ".join(f"?{k}={v}" for k, v in f.values.items()), f.label,
                          f"{f.dev_correct}/{f.dev_fires}", held, f"{f.coverage:.1%}")
    out.print(table)
    for line in result.log:
        err.print(line, markup=False)
    err.print(f"wrote {output}: {len(result.fills)} fills of {len(result.sketches)} sketches in "
              f"{result.seconds:.2f}s", markup=False)


@app.command()
@user_errors
def studio(
    data: Annotated[Path, typer.Argument(help="Unlabeled pool (CSV, TSV, JSONL, JSON, Parquet).")],
    dev: Annotated[Path | None, typer.Option("--dev", help="Labeled dev data (same fields).")]
    = None,
    gold: Annotated[str | None, typer.Option("--gold", help="Gold label column of --dev.")] = None,
    gold_map: Annotated[str | None, typer.Option("--gold-map", help="Map gold values to labels, "
                        "e.g. '-1=NOT_SPOUSE,1=SPOUSE'.")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rule file to load and save "
                     "(created when absent; history beside it).")] = None,
    labels: Annotated[str | None, typer.Option("--labels", help="Class names for a new rule "
                      "file, e.g. HAM,SPAM.")] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8765,
    columns: Columns = None,
    label_model: Annotated[str, typer.Option("--label-model", help="Label model method.")]
    = "auto",
) -> None:
    """Serve the studio on 127.0.0.1: type a rationale about an example, see its readings and
    what they do, keep them (needs the 'studio' extra: fastapi, uvicorn)."""
    try:
        import uvicorn

        from explicate.studio.app import create_app
        from explicate.studio.state import Studio
    except ImportError as exc:
        raise ExplicateError([Diagnostic("E704", f"the studio needs {exc.name}", None, "",
                                         ("pip install 'explicate[studio]'",))]) from None
    if gold is not None and dev is None:
        raise ExplicateError([Diagnostic("E403", "--gold names a column of --dev; give --dev")])
    import torch

    # The studio's label-model fits run on a few hundred vote patterns, where torch's intra-op
    # threads cost more than they save (10x slower keeps on a loaded 2-core machine).
    torch.set_num_threads(1)
    pairs = [pair.partition("=") for pair in gold_map.split(",")] if gold_map else []
    session = Studio(data, dev=dev, gold=gold, rules=rules, columns=_columns(columns),
                     gold_map={v.strip(): lab.strip() for v, _, lab in pairs} or None,
                     labels=[x.strip() for x in labels.split(",")] if labels else None,
                     label_model=label_model)
    # Featurize before serving, with a progress bar: bad input exits 2 here, with diagnostics.
    from rich.progress import BarColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("loading", total=1.0)
        session.load(lambda stage, fraction: bar.update(task, description=stage,
                                                        completed=fraction))
    pool = session.splits["pool"]
    err.print(f"explicate studio: http://127.0.0.1:{port}/ ({pool.n:,} pool rows, "
              f"{len(session.kept)} LFs kept)", markup=False)
    uvicorn.run(create_app(session), host="127.0.0.1", port=port, log_level="warning")


app.add_typer(cache_app, name="cache")


def main() -> None:  # pragma: no cover - console entry point
    app(prog_name="explicate")
    sys.exit(0)
