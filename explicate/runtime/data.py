"""Reading data files and inferring their schema.

Formats, by extension: ``.csv``/``.tsv`` (header row unless ``columns`` are given), ``.jsonl``
(one object per line; nested objects flatten to ``a.b``), ``.json`` (a list of objects, or a
WRENCH-style mapping ``id -> {"data": {...}, "label": ...}``), ``.parquet``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from explicate.compiler.schema import FieldKind, Schema
from explicate.errors import DataError, Diagnostic
from explicate.ir import ABSTAIN

# A string column is taken as a mention of a text column when at least this share of its values
# occur inside that text in the same row (the rest are reported as bad rows when used).
MENTION_SHARE = 0.9


@dataclass(frozen=True)
class RowProblem:
    """A data row that some LFs cannot read: they abstain on it, and it is reported."""

    row: int  # 1-based record number
    field: str
    problem: str

    def __str__(self) -> str:
        return f"row {self.row}: field '{self.field}' {self.problem}"


def _error(message: str, *hints: str) -> DataError:
    return DataError([Diagnostic("E401", message, None, "", tuple(hints))])


def read_table(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a data file into a DataFrame (all rows kept; problems are reported when applying)."""
    p = Path(path)
    if not p.is_file():
        raise _error(f"data file '{path}' not found")
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".tsv", ".txt"):
            sep = "\t" if suffix == ".tsv" else ","
            header = None if columns else 0
            df = pd.read_csv(p, sep=sep, header=header, names=list(columns) if columns else None,
                             dtype_backend="numpy_nullable", keep_default_na=False,
                             na_values=[""],
                             quoting=3 if suffix == ".tsv" and not _tsv_is_quoted(p) else 0)
            if columns and len(df.columns) != len(columns):
                raise _error(f"'{path}' has {len(df.columns)} columns, --columns names "
                             f"{len(columns)}")
        elif suffix == ".jsonl":
            df = _read_jsonl(p)
        elif suffix == ".json":
            df = _read_json(p)
        elif suffix == ".parquet":
            df = pd.read_parquet(p)
        else:
            raise _error(f"unknown data format '{suffix}'",
                         "use .csv, .tsv, .jsonl, .json or .parquet")
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise _error(f"cannot read '{path}': {exc}") from None
    if columns and suffix not in (".csv", ".tsv", ".txt"):
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise _error(f"columns not in '{path}': {', '.join(missing)}")
    return df.reset_index(drop=True)


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


def _read_jsonl(p: Path) -> pd.DataFrame:
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
        raise _error(f"{len(problems)} unreadable line(s) in '{p}'", *shown)
    return pd.json_normalize(records) if records else pd.DataFrame()


def _read_json(p: Path) -> pd.DataFrame:
    obj = json.loads(p.read_text(encoding="utf-8"))
    from explicate.runtime import images  # images imports this module

    if images.is_coco(obj):
        return images.coco_frame(obj)
    if isinstance(obj, dict):
        # WRENCH layout: id -> {"label", "weak_labels", "data": {...}}; keep the id as a column.
        records = [{"id": k, **v} if isinstance(v, dict) else {"id": k, "value": v}
                   for k, v in obj.items()]
    elif isinstance(obj, list):
        records = obj
    else:
        raise _error(f"'{p}' holds neither a list nor a mapping of records")
    df = pd.json_normalize(records)
    # "data.text" -> "text" when unambiguous: users name the field, not the nesting.
    renames = {c: c.split(".", 1)[1] for c in df.columns if c.startswith("data.")}
    renames = {k: v for k, v in renames.items() if v not in df.columns}
    return df.rename(columns=renames)


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _mostly_numeric(s: pd.Series) -> bool:
    """A text column whose values are numbers but for a few bad rows (reported when used)."""
    present = s.dropna()
    if not len(present):
        return False
    parsed = pd.to_numeric(present, errors="coerce")
    return bool(parsed.notna().mean() >= MENTION_SHARE)


def _strings(s: pd.Series) -> np.ndarray:
    values = s.to_numpy(dtype=object)
    return np.array([v if isinstance(v, str) else "" for v in values],
                    dtype=np.dtypes.StringDType())


def infer_schema(df: pd.DataFrame, declared_spans: dict[str, str] | None = None) -> Schema:
    """Each column's kind; mentions are declared (``spans:``) or found by containment."""
    from explicate.runtime import images  # images imports this module

    declared = dict(declared_spans or {})
    kinds: dict[str, FieldKind] = {}
    other: list[str] = []
    for col in df.columns:
        name = str(col)
        if name.endswith(("_start", "_end")) and name.rsplit("_", 1)[0] in declared:
            other.append(name)
        elif df[col].dtype == object and images.is_objects_column(df[col]):
            kinds[name] = FieldKind.OBJECTS
        elif _is_numeric(df[col]) or _mostly_numeric(df[col]):
            kinds[name] = FieldKind.NUM
        else:
            kinds[name] = FieldKind.TEXT
    span_of: dict[str, str] = {}
    for span, text in declared.items():
        span_of[span] = text
        kinds[span] = FieldKind.SPAN
    text_cols = [c for c, k in kinds.items() if k is FieldKind.TEXT]
    if len(df) and len(text_cols) > 1:
        strings = {c: _strings(df[c]) for c in text_cols}
        lengths = {c: np.strings.str_len(v) for c, v in strings.items()}
        for cand in text_cols:
            best, best_share = None, 0.0
            for host in text_cols:
                if host == cand:
                    continue
                usable = (lengths[cand] > 0) & (lengths[host] > lengths[cand])
                if usable.mean() < MENTION_SHARE:
                    continue
                found = np.strings.find(strings[host], strings[cand]) >= 0
                share = float((found & usable).mean())
                if share >= MENTION_SHARE and share > best_share:
                    best, best_share = host, share
            if best is not None:
                span_of[cand] = best
                kinds[cand] = FieldKind.SPAN
    return Schema(kinds, span_of, tuple(other), tuple(str(c) for c in df.columns))


def label_ids(values: pd.Series, table: Mapping[str, int]) -> tuple[np.ndarray, list[str]]:
    """Gold label ids of a column through ``table`` (value as text → id; ABSTAIN where the value
    is missing), and the values the table does not know (sorted)."""
    texts = [str(v).removesuffix(".0") if not pd.isna(v) else "" for v in values]
    unknown = sorted({v for v in texts if v not in table and v != ""})
    return np.array([table.get(v, ABSTAIN) for v in texts], dtype=np.int64), unknown
