"""A pipeline run as a human reads it: terminal tables, ``report.md`` and a PNG of LF coverage vs
accuracy."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console
from rich.table import Table

from explicate.runtime.matrix import lf_summary
from explicate.runtime.pipeline.artifacts import write_atomic, write_text_atomic
from explicate.runtime.pipeline.results import PipelineResult

METHOD_NAMES = {
    "majority_vote": "LF majority vote",
    "label_model": "label model",
    "end_model": "end model (on label model's labels)",
    "gold_end_model": "end model on gold (upper bound)",
}


def lf_table(L: np.ndarray, names: tuple[str, ...], labels: tuple[str, ...],
             gold: np.ndarray | None, sketch_of: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The LF summary of the train split (with Emp. Acc. where gold labels are known); with
    sketches, a first column names the sketch each fill fills (fills of one sketch together)."""
    table = lf_summary(L, names, labels, gold if gold is not None and (gold >= 0).any() else None)
    table["Polarity"] = [", ".join(map(str, p)) for p in table["Polarity"]]
    table = table.drop(columns=["j"])
    if sketch_of:
        table.insert(0, "Sketch", [sketch_of.get(str(n), "") for n in table.index])
    return table


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.3f}"
    return str(v)


def metric_columns(result: PipelineResult) -> list[str]:
    two = len(result.labels) == 2
    return ["precision", "recall", "f1", "accuracy", "coverage"] if two else \
        ["f1_macro", "accuracy", "coverage"]


def metric_rows(result: PipelineResult) -> list[tuple[str, str, list[str]]]:
    """(split, method, formatted values) for every scored split, methods side by side."""
    rows: list[tuple[str, str, list[str]]] = []
    cols = metric_columns(result)
    for split in ("test", "dev", "train"):
        for method, by_split in result.metrics.items():
            if split in by_split:
                m = by_split[split]
                rows.append((split, METHOD_NAMES.get(method, method),
                             [_fmt(m.get(c, float("nan"))) for c in cols]))
    return rows


def print_report(result: PipelineResult, console: Console, max_lfs: int = 40) -> None:
    """LF summary and the side-by-side metrics as terminal tables."""
    lfs = Table(title="LF summary (train split)", title_justify="left")
    shown = result.lf_table.head(max_lfs)
    lfs.add_column("LF")
    for col in shown.columns:
        lfs.add_column(col, justify="left" if col == "Polarity" else "right")
    for name, row in shown.iterrows():
        lfs.add_row(str(name), *(_fmt(v) for v in row.tolist()))
    console.print(lfs)
    if len(result.lf_table) > max_lfs:
        console.print(f"... and {len(result.lf_table) - max_lfs} more LFs (report.md has all)")
    table = Table(title="Results" + (f" (positive class: {result.info['positive']})"
                                     if result.info.get("positive") else ""),
                  title_justify="left")
    table.add_column("split")
    table.add_column("method")
    for c in metric_columns(result):
        table.add_column(c, justify="right")
    last = None
    for split, method, values in metric_rows(result):
        if last is not None and split != last:
            table.add_section()
        table.add_row(split if split != last else "", method, *values)
        last = split
    if table.row_count:
        console.print(table)
    else:
        console.print("no split has gold labels: nothing to score")
    times = ", ".join(f"{k} {v:.1f}s" for k, v in result.timings.items())
    console.print(f"time: {times}")
    console.print(f"wrote {result.output}/ ({', '.join(result.files.values())})")


def _markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plot_lfs(table: pd.DataFrame, path: Path) -> bool:
    """A PNG of each LF's coverage vs its empirical accuracy (or vs its conflicts without gold);
    False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    has_acc = "Emp. Acc." in table.columns and table["Emp. Acc."].notna().any()
    y_col = "Emp. Acc." if has_acc else "Conflicts"
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    polarities = sorted(set(table["Polarity"]))
    for i, pol in enumerate(polarities):
        part = table[table["Polarity"] == pol]
        ax.scatter(part["Coverage"], part[y_col], label=pol or "(no votes)", alpha=0.8,
                   color=f"C{i}")
        for name, row in part.iterrows():
            if not math.isnan(float(row[y_col])):
                ax.annotate(str(name), (row["Coverage"], row[y_col]), fontsize=7,
                            xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("coverage (share of train rows the LF votes on)")
    ax.set_ylabel("empirical accuracy on gold" if has_acc else "conflicts")
    ax.set_title("LFs: coverage vs " + ("accuracy" if has_acc else "conflicts"))
    ax.grid(alpha=0.3)
    ax.legend(title="votes", fontsize=8)
    fig.tight_layout()
    write_atomic(Path(path), lambda tmp: fig.savefig(tmp, format="png"))
    plt.close(fig)
    return True


def sketch_section(reports: Mapping[str, Any]) -> list[str]:
    """report.md lines for the sketch files: how the dev labels were used, then each sketch with
    its fills (dev evidence, the held-out interval, pool coverage)."""
    lines: list[str] = []
    for name, r in reports.items():
        trains = "also train" if r["dev_labels_train_end_model"] else "do not train"
        epoch = (" but pick its epoch (early stopping), so the dev scores above are optimistic"
                 if r["dev_labels_pick_end_model_epoch"] else "")
        lines.append(f"**{name}**: the gold labels of {r['dev_rows_labeled']} dev rows were used "
                     f"for {r['dev_labels_used_for']}; they {trains} the end model{epoch}. "
                     f"Fills of one sketch were "
                     f"{'declared' if r['dependencies_declared'] else 'not declared'} dependent "
                     f"to the label model. Filling took {r['seconds']:.1f}s.")
        lines.append("")
        rows: list[list[str]] = []
        for sk in r["sketches"]:
            rows.append([f"`{sk['sketch']}` ({sk['tried']} values tried, "
                         f"{len(sk['fills'])} filled)", "", "", "", ""])
            for f in sk["fills"]:
                h = f["held_out"]
                held = (f"{h['correct']}/{h['fires']} ({h['interval'][0]:.2f}-"
                        f"{h['interval'][1]:.2f})" if h["fires"] else "no held-out votes")
                rows.append([f"&nbsp;&nbsp;`{f['name']}`", f["label"],
                             f"{f['dev']['correct']}/{f['dev']['fires']}", held,
                             f"{100 * f['pool_coverage']:.1f}%"])
        lines.append(_markdown_table(["sketch / fill", "label", "dev", "held-out (95%)",
                                      "train coverage"], rows))
        lines += ["", "Stopping: " + "; ".join(r["log"][-3:]) if r["log"] else "", ""]
    return lines


def write_report(result: PipelineResult, rules_dsl: str) -> None:
    """``report.md`` (and ``lf_plot.png``) in the output folder."""
    out = result.output
    info = result.info
    parts = ["# explicate run report", ""]
    rows = ", ".join(f"{s} {n:,}" for s, n in info["rows"].items())
    parts.append(f"Labels: {', '.join(result.labels)}. Rows: {rows}. "
                 f"{info['lfs']} LFs; {info['train_coverage']:.1%} of train rows get a vote. "
                 f"Label model `{info['label_model']['method']}`, end model "
                 f"`{info['end_model']['kind']}` ({info['end_model']['epochs_run']} epochs).")
    parts.append("")
    parts.append("## Results")
    parts.append("")
    mrows = metric_rows(result)
    if mrows:
        if info.get("positive"):
            parts.append(f"Precision, recall and F1 of **{info['positive']}**; accuracy counts "
                         "abstentions as wrong; coverage is the share of rows given a label.")
        parts.append("The end model labels every row; the LFs and the label model only the rows "
                     "the LFs vote on (the label model gives the others the class balance).")
        parts.append("")
        parts.append(_markdown_table(["split", "method", *metric_columns(result)],
                                     [[s, m, *v] for s, m, v in mrows]))
        end, lm_ = result.metrics.get("end_model", {}), result.metrics.get("label_model", {})
        key = "f1" if len(result.labels) == 2 else "f1_macro"
        for split in ("test", "dev"):
            if split in end and split in lm_:
                diff = end[split][key] - lm_[split][key]
                verdict = "beats" if diff > 0 else "does not beat"
                parts.append("")
                parts.append(f"On {split}, the end model {verdict} the label model "
                             f"({key} {end[split][key]:.3f} vs {lm_[split][key]:.3f}, "
                             f"{diff:+.3f}).")
                break
    else:
        parts.append("No split has gold labels, so nothing is scored.")
    parts.append("")
    parts.append("## Labeling functions (train split)")
    parts.append("")
    table = result.lf_table
    parts.append(_markdown_table(["LF", *map(str, table.columns)],
                                 [[str(n), *(_fmt(v) for v in r.tolist())]
                                  for n, r in table.iterrows()]))
    if plot_lfs(table, out / "lf_plot.png"):
        result.files["plot"] = "lf_plot.png"
        parts += ["", "![LF coverage vs accuracy](lf_plot.png)"]
    else:
        parts += ["", "(install matplotlib for the coverage/accuracy plot)"]
    if info.get("explanations"):
        parts += ["", "## Explanations", ""]
        for name, t in info["explanations"].items():
            parts.append(f"- {name}: {t['explanations']} explanations, {t['parsed']} parsed, "
                         f"{t['lfs']} LFs kept")
    if info.get("sketches"):
        parts += ["", "## Sketches", ""] + sketch_section(info["sketches"])
    parts += ["", "## Time", ""]
    parts.append(_markdown_table(["stage", "seconds"],
                                 [[k, f"{v:.2f}"] for k, v in result.timings.items()]))
    parts += ["", "## Rules used", "", "```", rules_dsl.rstrip(), "```", ""]
    write_text_atomic(out / "report.md", "\n".join(parts))
