"""Data formats: one reader per file suffix, in a registry.

A reader takes the path and the column names the user gave (``None``: the file names them) and
returns a DataFrame with every record as a row. Add a format with::

    @readers.register(".feather")
    def read_feather(path: Path, columns: Sequence[str] | None) -> pd.DataFrame: ...

Third-party packages can add readers through the ``explicate_readers`` entry-point group.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import catalogue
import pandas as pd

from explicate.runtime.data.detections import coco_frame, is_coco
from explicate.runtime.data.problems import data_error

Reader = Callable[[Path, Sequence[str] | None], pd.DataFrame]

readers = catalogue.create("explicate", "readers", entry_points=True)


def _read_delimited(p: Path, columns: Sequence[str] | None) -> pd.DataFrame:
    suffix = p.suffix.lower()
    sep = "\t" if suffix == ".tsv" else ","
    header = None if columns else 0
    df = pd.read_csv(p, sep=sep, header=header, names=list(columns) if columns else None,
                     dtype_backend="numpy_nullable", keep_default_na=False, na_values=[""],
                     quoting=3 if suffix == ".tsv" and not _tsv_is_quoted(p) else 0)
    if columns and len(df.columns) != len(columns):
        raise data_error(f"'{p}' has {len(df.columns)} columns, --columns names {len(columns)}",
                         code="E403")
    return df


for _suffix in (".csv", ".tsv", ".txt"):
    readers.register(_suffix, func=_read_delimited)


_CSV_QUOTED = re.compile(r'"(?:[^"]|"")*"')


def _tsv_is_quoted(p: Path, lines: int = 200) -> bool:
    """Whether a TSV uses CSV quoting ("a ""b"" c"): some field is quoted that way and no field
    merely starts with a quote. Plain TSVs (quotes are text) are read without quoting."""
    quoted = False
    with p.open(encoding="utf-8", errors="replace") as f:
        for _, line in zip(range(lines), f, strict=False):
            for cell in line.rstrip("\r\n").split("\t"):
                if cell.startswith('"'):
                    if not _CSV_QUOTED.fullmatch(cell):
                        return False
                    quoted = True
    return quoted


@readers.register(".jsonl")
def _read_jsonl(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    records: list[dict[str, Any]] = []
    problems: list[str] = []
    with p.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {lineno}: not JSON ({exc.msg})")
                continue
            if not isinstance(obj, dict):
                problems.append(f"line {lineno}: not a JSON object")
                continue
            records.append(obj)
    if problems:
        shown = problems[:10] + ([f"... and {len(problems) - 10} more"] if len(problems) > 10 else [])
        raise data_error(f"{len(problems)} unreadable line(s) in '{p}'", *shown)
    return pd.json_normalize(records) if records else pd.DataFrame()


@readers.register(".json")
def _read_json(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    obj = json.loads(p.read_text(encoding="utf-8"))
    if is_coco(obj):
        return coco_frame(obj)
    if isinstance(obj, dict):
        # WRENCH layout: id -> {"label", "weak_labels", "data": {...}}; keep the id as a column.
        records = [{"id": k, **v} if isinstance(v, dict) else {"id": k, "value": v}
                   for k, v in obj.items()]
    elif isinstance(obj, list):
        records = obj
    else:
        raise data_error(f"'{p}' holds neither a list nor a mapping of records")
    df = pd.json_normalize(records)
    # "data.text" -> "text" when unambiguous: users name the field, not the nesting.
    renames = {c: c.split(".", 1)[1] for c in df.columns if c.startswith("data.")}
    renames = {k: v for k, v in renames.items() if v not in df.columns}
    return df.rename(columns=renames)


@readers.register(".parquet")
def _read_parquet(p: Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    return pd.read_parquet(p)


def reader_for(suffix: str) -> Reader:
    """The reader registered for a file suffix (``.csv``); a data error names the known ones."""
    try:
        reader: Reader = readers.get(suffix)
    except catalogue.RegistryError:
        known = ", ".join(sorted(readers.get_all()))
        raise data_error(f"unknown data format '{suffix}'", f"use {known}", code="E402") from None
    return reader

