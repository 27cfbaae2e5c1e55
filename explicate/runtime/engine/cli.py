"""What ``explicate apply``, ``explicate fit`` and ``explicate train`` do with shards: run, then
say what was written (problems as the single-file commands report them, with shard and row
numbers)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from explicate.errors import Diagnostic, ExplicateError
from explicate.runtime.engine.partitioned import PROBLEMS, apply_shards, fit_shards

SHOWN = 10


def apply_shards_cli(rules: Path, data: str, out: Path, engine: str, workers: int | None,
                     scheduler: str | None, columns: Sequence[str] | None, err: Console) -> None:
    if out.suffix == ".npz":
        raise ExplicateError([Diagnostic("E605", f"-o {out}: shards write an L directory, not "
                                         "one .npz", None, "", (f"write e.g. -o {out.stem}/",))])
    run = apply_shards(rules, data, out, engine=engine, workers=workers, scheduler=scheduler,
                       columns=columns)
    m = run.manifest
    n_problems = sum(s["problems"] for s in m["shards"])
    if n_problems:
        err.print(f"warning: {n_problems} problem(s); the LFs that read those fields abstain "
                  f"there (rows are kept); all of them in {out / PROBLEMS}:", markup=False)
        with open(out / PROBLEMS, encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if i == SHOWN:
                    err.print(f"  ... and {n_problems - SHOWN} more", markup=False)
                    break
                p = json.loads(line)
                where = f"field '{p['field']}' " if p["field"] else ""
                err.print(f"  shard {p['shard']} ({p['source']}) row {p['row']} (row "
                          f"{p['global_row']} of all): {where}{p['problem']}", markup=False)
    stats = run.stats
    covered = 1.0 - _uncovered(stats) / max(stats.n_rows, 1)
    err.print(f"wrote {out}/: L {m['rows']} x {len(m['lf_names'])} in {len(m['shards'])} "
              f"shard(s) on {m['engine']}, {covered:.1%} of rows covered, {stats.n_patterns} "
              f"vote pattern(s), {run.seconds:.2f} s", markup=False)


def _uncovered(stats: Any) -> int:
    """Rows where no LF votes: the count of the all-abstain pattern."""
    rows = (stats.patterns == -1).all(axis=1)
    return int(stats.counts[rows].sum())


def fit_shards_cli(l_dir: Path, out: Path, method: str, engine: str, workers: int | None,
                   scheduler: str | None, gold: Path | None) -> dict[str, Any]:
    if gold is not None:
        raise ExplicateError([Diagnostic("E605", "--gold is not read for an L directory", None,
                                         "", ("score with `explicate run` or in Python",))])
    if out.suffix == ".npy":
        raise ExplicateError([Diagnostic("E605", f"-o {out}: an L directory's probabilities "
                                         "are written per shard into a directory", None, "",
                                         (f"write e.g. -o {out.stem}/",))])
    return fit_shards(l_dir, out, method=method, engine=engine, workers=workers,
                      scheduler=scheduler)


def train_shards_cli(probs_dir: Path, out: Path, data: str | None, text: Sequence[str] | None,
                     kind: str, epochs: int, batch_size: int, lr: float | None,
                     seed: int) -> dict[str, Any]:
    from explicate.runtime.engine.train import train_shards  # torch: only this command

    if out.suffix in (".pt", ".npy", ".npz"):
        raise ExplicateError([Diagnostic("E605", f"-o {out}: the end model and its "
                                         "predictions are written into a directory", None, "",
                                         (f"write e.g. -o {out.stem}/",))])
    return train_shards(probs_dir, out, data=data, text=text, kind=kind, epochs=epochs,
                        batch_size=batch_size, lr=lr, seed=seed)
