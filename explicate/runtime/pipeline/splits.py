"""Reading a pipeline's splits: the files, the columns the file names, the gold labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from explicate.errors import Diagnostic, ExplicateError, did_you_mean
from explicate.runtime.data import gold_ids, read_table
from explicate.runtime.pipeline.config import E_CONFIG, PipelineConfig


def read_splits(cfg: PipelineConfig, diags: list[Diagnostic]) -> dict[str, pd.DataFrame]:
    """Every split that exists and reads; the others reported in ``diags``."""
    frames: dict[str, pd.DataFrame] = {}
    for split, p in cfg.split_paths().items():
        if not p.is_file():
            diags.append(Diagnostic(E_CONFIG, f"[data] {split} file '{p}' not found",
                                    cfg.where("data", split)))
            continue
        try:
            frames[split] = read_table(p, cfg.columns)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
    return frames


def check_columns(cfg: PipelineConfig, frames: dict[str, pd.DataFrame],
                  diags: list[Diagnostic]) -> None:
    """The columns ``[data]`` names (text, mentions, the gold column) exist in every split."""
    missing: dict[tuple[str, str], list[str]] = {}  # (column, key) -> splits without it
    columns: list[str] = []
    for split, df in frames.items():
        cols = [str(c) for c in df.columns]
        columns = columns or cols
        wanted: list[tuple[str, str]] = [(c, "text") for c in cfg.text or ()]
        wanted += [(c, "mentions") for c in cfg.mentions or ()]
        if cfg.label_column and split != "train":
            wanted.append((cfg.label_column, "label_column"))
        for col, key in wanted:
            if col not in cols:
                missing.setdefault((col, key), []).append(split)
    for (col, key), splits in missing.items():
        diags.append(Diagnostic(
            E_CONFIG, f"unknown column '{col}' in the {', '.join(splits)} data ([data] {key})",
            cfg.where("data", key), "", did_you_mean(col, columns, "columns")))


def gold_labels(df: pd.DataFrame, column: str, labels: Sequence[str],
                label_map: Mapping[str, str], split: str) -> np.ndarray:
    """Gold label ids of a split (``-1`` where missing), by the one convention of
    ``runtime.data.gold``: mapped by ``label_map``, else label names or 0-based ids."""
    try:
        return gold_ids(df[column], labels, label_map, what=f"{split} gold column '{column}'",
                        map_hint='[data] label_map = { "VALUE" = "LABEL" }',
                        map_name="[data] label_map")
    except ExplicateError as exc:  # a pipeline file's mistake: reported as E501
        raise ExplicateError([Diagnostic(E_CONFIG, d.message, None, "", d.hints)
                              for d in exc.diagnostics]) from None


def all_gold(cfg: PipelineConfig, frames: dict[str, pd.DataFrame], labels: Sequence[str],
             train_has_gold: bool, diags: list[Diagnostic]) -> dict[str, np.ndarray]:
    """Gold label ids of every split that has the gold column."""
    gold: dict[str, np.ndarray] = {}
    if not cfg.label_column:
        return gold
    for split, df in frames.items():
        if split == "train" and not train_has_gold:
            continue
        try:
            gold[split] = gold_labels(df, cfg.label_column, labels, cfg.label_map, split)
        except ExplicateError as exc:
            diags.extend(exc.diagnostics)
    return gold
